"""``detente calibrate FILE -o model.json``: refit the slot forecaster v2 on decided cases.

FILE holds past issues with their outcomes in the DEU layout (TAB copy or the semicolon
deposit; see ``detente backtest deu``). The command fits the v2 coefficients and the smoothing
of its predictive distribution (:func:`detente.analyses.calibrate.fit_slot2`), measures the
out-of-fold error by 10-fold cross-validation grouped by proposal (split seed ``--seed``), and
writes every fitted number as JSON. Use the file with ``-m detente:fit=model.json``.

Refitting on the bundled training file reproduces the shipped coefficients exactly (tested).
Bad input prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from detente.commands.backtest import CAPABILITIES
from detente.errors import InputError
from detente.outputs.files import write_atomic


def _fail(message: str) -> typer.Exit:
    typer.echo(f"detente: {message}", err=True)
    return typer.Exit(code=2)


def calibration(path: Path, capability: str = "treaty", seed: int = 0) -> dict:
    """The JSON-ready fit of ``path``: coefficients, smoothing, domain and validated error."""
    # imported here: SciPy's optimisers stay out of every other command's start-up
    from detente.analyses.calibrate import cross_validate_slot2, fit_slot2
    from detente.io.deu import load_deu

    data = load_deu(path)
    fit = fit_slot2(data, capability=capability)
    cv = cross_validate_slot2(data, seed=seed, capability=capability)
    fit["domain"] = f"the decided cases in {Path(path).name} ({data.n_issues} issues)"
    fit["validated_error"] = {
        "mae": cv["mae"],
        "scale": "0-100",
        "protocol": f"10-fold CV grouped by proposal, split seed {seed}",
        "compromise_mae": cv["compromise_mae"],
        "ratio_to_compromise": cv["ratio"],
        "ci95_difference": cv["ci95"],
        "coverage": cv["distribution"]["coverage"],
        "crps": cv["distribution"]["crps"],
        "crps_dressed_compromise": cv["distribution"]["crps_dressed_compromise"],
    }
    return fit


def calibrate(
    path: Annotated[Path, typer.Argument(help="Decided cases in the DEU layout (with outcomes)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the fit (JSON)")],
    capability: Annotated[
        str,
        typer.Option(
            "--capability", "-c", help=f"Capability convention ({', '.join(CAPABILITIES)})"
        ),
    ] = "treaty",
    seed: Annotated[int, typer.Option("--seed", help="Split seed of the validation")] = 0,
) -> None:
    """Refit the detente slot forecaster (v2) on decided cases; use it with -m detente:fit=FILE."""
    if capability not in CAPABILITIES:
        raise _fail(f"unknown capability convention {capability!r}; one of {CAPABILITIES}")
    try:
        fit = calibration(path, capability, seed)
    except InputError as exc:
        raise _fail(exc.first_line) from None
    try:
        write_atomic(output, json.dumps(fit, indent=2) + "\n")
    except OSError as exc:
        raise _fail(f"{output}: cannot write the fit: {exc.strerror}") from None
    err = fit["validated_error"]
    typer.echo(
        f"fitted on {fit['training']['issues']} issues of {path.name}; out-of-fold MAE "
        f"{err['mae']:.2f} against {err['compromise_mae']:.2f} for the compromise model "
        f"(ratio {err['ratio_to_compromise']:.3f}); written to {output}. "
        f"Use it with -m detente:fit={output}"
    )


#: the name ``detente.cli`` registers (a one-line registration there)
run = calibrate
