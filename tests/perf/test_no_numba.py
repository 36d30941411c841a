"""DETENTE_NO_NUMBA keeps every model on NumPy; the Monte Carlo output says which kernels ran,
and the SMP numbers are the same either way (issue 23)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from detente.models import _numba
from tests import _require


def _run(env_extra: dict[str, str]) -> tuple[dict, bool]:
    code = (
        "import io, contextlib, json, sys\n"
        "from detente.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    main(['montecarlo', '--samples', '128', '-m', 'smp', '-m', 'mean', '--json'])\n"
        "print(json.dumps({'out': json.loads(buf.getvalue()), 'numba': 'numba' in sys.modules}))"
    )
    env = {k: v for k, v in os.environ.items() if k != _numba.ENV} | env_extra
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    return data["out"], data["numba"]


def test_env_switch_keeps_numba_out_and_the_numbers_equal() -> None:
    _require.module("numba")
    off, imported_off = _run({_numba.ENV: "1"})
    on, imported_on = _run({})
    assert off["kernels"] == "numpy" and not imported_off
    assert on["kernels"] == "numba" and imported_on  # 128 SMP samples use the compiled kernel
    off.pop("kernels"), on.pop("kernels")
    assert json.dumps(off, sort_keys=True) == json.dumps(on, sort_keys=True)


def test_switch_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, off in (("", False), ("0", False), ("1", True), ("yes", True)):
        monkeypatch.setenv(_numba.ENV, value)
        assert _numba.disabled() is off
        if off:
            assert _numba.load() is None and _numba.kernels() == "numpy"
