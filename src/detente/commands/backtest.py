"""``detente backtest deu PATH``: score the registered models on the DEU outcomes.

The function :func:`backtest_deu` is a typer command; ``detente.cli`` registers it on the main
app (``backtest`` group, ``deu`` command). It prints a rich table by default and the full
JSON-ready result of :func:`detente.analyses.backtest.run_backtest` with ``--json``. With ``--cv``
it validates the detente forecaster instead (:func:`detente.analyses.calibrate.validation_report`:
v1 and slot2 side by side). Bad input
(an unreadable or malformed file, an unknown model or capability) prints one line on stderr and
exits with status 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from detente.errors import InputError
from detente.outputs.files import check_output, write_atomic

#: capability conventions of the backtest (detente.analyses.power.CAPABILITIES), repeated here
#: so that building the CLI's help does not import NumPy; a test keeps the two equal
CAPABILITIES = ("equal", "treaty", "shapley", "banzhaf")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"detente: {message}", err=True)
    return typer.Exit(code=2)


def backtest_deu(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="DEU file: TAB copy or semicolon deposit layout; default the bundled training "
            "file (DEU I-III, Arregui & Perarnaud 2022, CC BY 4.0)"
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model to score (repeatable; default: all registered)"),
    ] = None,
    capability: Annotated[
        list[str] | None,
        typer.Option(
            "--capability",
            "-c",
            help=f"Capability convention (repeatable; one of {', '.join(CAPABILITIES)}; "
            "default: treaty)",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Bootstrap seed (default: the backtest's fixed seed)"),
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help="Write per-issue predictions as CSV")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --predictions file if it exists")
    ] = False,
    cv: Annotated[
        bool,
        typer.Option(
            "--cv",
            help="Validate the detente forecaster instead (v1 and slot2): grouped CV over "
            "--seeds split seeds, leave-one-era-out, predictive distributions, power table",
        ),
    ] = False,
    seeds: Annotated[int, typer.Option("--seeds", help="Split seeds of --cv", min=1)] = 20,
    bags: Annotated[
        int,
        typer.Option(
            "--bags", help="Bootstrap resamples of the bagged read-outs of --cv (0: none)", min=0
        ),
    ] = 21,
) -> None:
    """Backtest the registered models on DEU legislative outcomes (MAE, RMSE, CI vs compromise)."""
    from detente import api

    if predictions is not None:
        check_output(predictions, force)  # before the backtest runs
    try:
        result = api.backtest(
            path, models=model, capabilities=capability, seed=seed, cv=cv, seeds=seeds, bags=bags
        )
    except InputError as exc:
        raise _fail(exc.first_line) from None
    if cv:
        typer.echo(json.dumps(result, indent=2) if json_output else api.validation_markdown(result))
        return
    if predictions is not None:
        try:
            write_atomic(predictions, api.predictions_csv(result), force=force)
        except OSError as exc:
            raise _fail(f"{predictions}: cannot write predictions: {exc.strerror}") from None
    if json_output:
        typer.echo(json.dumps(result, indent=2, allow_nan=False))
        return
    _print_table(result)


def _by_capability(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """Rows grouped by capability convention, in the order the conventions first appear."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["capability"], []).append(r)
    return list(groups.items())


def _fitted(console: Any, build: Callable[[bool], Any]) -> Any:
    """``build(False)``, the one-line-per-model table, if it fits the console; else
    ``build(True)``, the same table with its widest cells on two lines (an 80-column
    terminal)."""
    table = build(False)
    unbounded = console.options.update_width(1_000_000)  # the width it needs, not the console's
    if console.measure(table, options=unbounded).maximum <= console.width:
        return table
    return build(True)


def _print_distributions(console: Any, result: dict) -> None:
    """Interval coverage, PIT and CRPS per model (rows scored on every issue only), one table
    per capability convention."""
    from rich.table import Table

    rows = [r for r in result["results"] if r.get("distribution")]
    for capability, group in _by_capability(rows):

        def build(narrow: bool, group: list[dict] = group, capability: str = capability) -> Any:
            table = Table(
                title="Predictive distributions: interval coverage, PIT and CRPS (points); "
                f"capability {capability}"
            )
            for col in ("model", "50%", "80%", "90%", "CRPS", "dressed comp.", "PIT"):
                table.add_column(
                    col,
                    justify="left" if col in ("model", "PIT") else "right",
                    # narrow: the header on two lines, over a CRPS that fits in 5
                    max_width=7 if narrow and col == "dressed comp." else None,
                    no_wrap=col != "dressed comp.",
                )
            for r in group:
                d = r["distribution"]
                c = d["coverage"]
                base = d.get("crps_dressed_compromise")
                bins = [str(h) for h in d["pit_histogram"]]
                half = (len(bins) + 1) // 2
                pit = (
                    " ".join(bins[:half]) + "\n" + " ".join(bins[half:])
                    if narrow
                    else " ".join(bins)
                )
                table.add_row(
                    r["model"],
                    *(f"{100 * c[k]:.0f}%" for k in ("0.5", "0.8", "0.9")),
                    f"{d['crps']:.2f}",
                    "-" if base is None else f"{base:.2f}",
                    pit,
                )
            return table

        console.print(_fitted(console, build))
    if rows:
        console.print(
            "detente (slot2) is scored on its own predictive distribution (in-sample on its "
            "training file); every other model on its forecast dressed with its own "
            "cross-validated errors (10 folds of whole proposals). 'dressed comp.' is the "
            "compromise model dressed that way: the CRPS to beat. PIT: 10-bin histogram."
        )


def _print_table(result: dict) -> None:
    """The scores, one table per capability convention; in a narrow terminal (80 columns) the
    difference from the compromise model goes above its interval, so nothing is cut."""
    from rich.table import Table

    from detente.cli import console as cli_console

    s = result["data"]
    console = cli_console(wide=True)  # not cut to 80 columns when written to a file (issue 20)
    cols = ("model", "issues", "MAE", "RMSE", "MedAE", "<=10", "<=20", "vs compromise")
    for capability, group in _by_capability(result["results"]):

        def build(narrow: bool, group: list[dict] = group, capability: str = capability) -> Any:
            table = Table(
                title=f"DEU backtest: {s['kept']} issues of {s['proposals_kept']} proposals "
                f"({s['dropped']} dropped); capability {capability}; bootstrap seed "
                f"{result['settings']['seed']}"
            )
            for col in cols:
                table.add_column(col, justify="left" if col == "model" else "right", no_wrap=True)
            for r in group:
                vs = r.get("vs_compromise")
                if vs is None or r["model"] == "compromise":
                    cmp_text = "-"
                else:
                    lo, hi = vs["ci95"]
                    sep = "\n" if narrow else " "
                    cmp_text = f"{vs['mae_difference']:+.2f}{sep}[{lo:+.2f}, {hi:+.2f}]"
                table.add_row(
                    r["model"],
                    str(r["n"]),
                    f"{r['mae']:.2f}",
                    f"{r['rmse']:.2f}",
                    f"{r['median_ae']:.2f}",
                    f"{100 * r['within_10']:.0f}%",
                    f"{100 * r['within_20']:.0f}%",
                    cmp_text,
                )
            return table

        console.print(_fitted(console, build))
    _print_distributions(console, result)
    for r in result["results"]:
        missed = r.get("not_forecast", [])
        if missed:
            others = len({m["reason"] for m in missed}) - 1
            console.print(
                f"{r['model']} ({r['capability']}) left out "
                f"{sum(len(m['issues']) for m in missed)} issue(s) of {len(missed)} "
                f"proposal(s) and is scored on the rest, as is the compromise model it is "
                f"compared with; the first reason: {missed[0]['reason']}"
                + (f" ({others} other reason(s) in --json)" if others else "")
            )
    for sk in result["skipped"]:
        console.print(f"skipped {sk['model']} ({sk['capability']}): {sk['reason']}")
