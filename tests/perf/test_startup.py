"""Start-up: commands of their own modules load only when they run (issue 23)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from detente import cli
from detente.models import slot2

#: No command module loads before its command runs: the --save/--db options every command
#: takes live in the ``detente.commands`` package itself
_HEAVY = {m for m, _ in cli.LAZY_COMMANDS.values()} - {"detente.cli"}


def _imported(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_help_imports_no_command_module() -> None:
    mods = _imported(
        "from detente.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert not mods & _HEAVY
    assert not [m for m in mods if m.startswith("detente.commands.")]
    assert "numpy" not in mods and "scipy.special" not in mods and "numba" not in mods


def test_point_forecast_imports_neither_scipy_special_nor_numba() -> None:
    mods = _imported(
        "import io, contextlib\nfrom detente.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['forecast', '--samples', '0', '--json'])"
    )
    assert "scipy.special" not in mods and "numba" not in mods
    assert not mods & _HEAVY
    assert not [m for m in mods if m.startswith("detente.commands.")]


@pytest.mark.parametrize("name", list(cli.LAZY_COMMANDS))
def test_listed_help_is_the_command_help(name: str) -> None:
    """The help ``detente --help`` reads from the source is the loaded command's help."""
    group = cli.typer.main.get_command(cli.app)
    stub = group.commands[name]
    assert isinstance(stub, cli._LazyCommand)
    real = stub.load(group)
    assert stub.help == (real.help or "")


def test_expit_is_scipy_bit_for_bit() -> None:
    from scipy.special import expit as scipy_expit

    rng = np.random.default_rng(5)
    z = np.concatenate(
        [
            rng.normal(0.0, 4.0, 3000),
            rng.uniform(-800.0, 800.0, 1000),
            [0.0, -0.0, np.inf, -np.inf, np.nan, 709.7, -709.7, -709.8, -745.2, -746.0],
        ]
    )
    assert z.size <= slot2.EXPIT_PYTHON_MAX
    # the element-by-element path (taken while scipy.special is not loaded), and expit itself
    python_path = np.array([slot2._expit_one(v) for v in z.tolist()])
    np.testing.assert_array_equal(python_path, scipy_expit(z))  # NaN is NaN (its sign aside)
    np.testing.assert_array_equal(slot2.expit(z), scipy_expit(z))
    big = np.tile(z, 2)
    assert big.size > slot2.EXPIT_PYTHON_MAX
    np.testing.assert_array_equal(slot2.expit(big), scipy_expit(big))
