"""``detente montecarlo`` and ``detente sensitivity``: uncertainty in every input, at scale.

The core CLI registers :func:`montecarlo` and :func:`sensitivity` as commands. The work is in
:func:`detente.api.montecarlo` and :func:`detente.api.sensitivity`; this module parses
options, shows progress on stderr, renders tables and writes ``--output`` files atomically (a
run stopped with Ctrl-C leaves no file behind).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from detente.commands import DbOpt, SaveOpt


def _text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _deliver(data: Any, json_out: bool, output: Path | None, render, force: bool = False) -> None:
    """JSON or tables on stdout, and the JSON in ``output`` (written atomically) if given."""
    if output is not None:
        from detente.outputs.files import write_atomic

        write_atomic(output, _text(data), force=force)
    if json_out:
        sys.stdout.write(_text(data))
    elif output is None or sys.stdout.isatty():
        render(data)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def render_montecarlo(r: dict[str, Any]) -> None:
    """Tables: per issue and model the mean and quantiles; P(ratification); P(escalation)."""
    from rich.table import Table

    from detente.cli import console

    con = console(wide=True)
    table = Table(
        title=f"Monte Carlo: {r['scenario']} ({r['samples']} draws of {r['uncertain_inputs']} "
        f"uncertain inputs, seed {r['seed']})",
        title_justify="left",
    )
    for col in ("issue", "model", "mean", *(f"{q}%" for q in r["quantiles"]), "P(NBS point)"):
        table.add_column(col, justify="left" if col in ("issue", "model") else "right")
    for issue, per_model in r["issues"].items():
        for k, (spec, s) in enumerate(per_model.items()):
            q = s["quantiles"]
            table.add_row(
                issue if k == 0 else "",
                spec,
                f"{s['mean']:.1f}",
                *(f"{q[str(p)]:.1f}" for p in r["quantiles"]),
                _pct(s["p_solution"]) if "p_solution" in s else "",
            )
    con.print(table)
    if r["ratification"]:
        rat = Table(title="P(ratification) of each model's outcome, per form", title_justify="left")
        rat.add_column("form")
        specs = list(r["models"])
        for spec in specs:
            rat.add_column(spec, justify="right")
        for form, entry in r["ratification"].items():
            rat.add_row(entry["name"] or form, *(_pct(entry["models"][s]) for s in specs))
        con.print(rat)
    oc = r.get("outcome")
    if oc is not None:
        form = f" in the form {oc['form']}" if oc.get("form") else ""
        tab = Table(
            title=f"Outcome (docs/outcome.md), {oc['samples']} draws{form}", title_justify="left"
        )
        for col in (
            "package",
            "P(agreement)",
            "P(ratified | agr.)",
            "P(escalation)",
            "most likely",
        ):
            tab.add_column(col, justify="left" if col in ("package", "most likely") else "right")
        rows = [(s, m) for s, m in oc["models"].items()]
        rows += [
            (f"proposal {p}" + (f" ({m['form']})" if m.get("form") else ""), m)
            for p, m in oc["proposals"].items()
        ]
        for name, m in rows:
            rat = m["p_ratified_given_agreement"]
            tab.add_row(
                name,
                _pct(m["p_agreement"]),
                "n/a" if rat is None else _pct(rat),
                _pct(m["p_escalation"]),
                m["most_likely"].replace("_", " "),
            )
        con.print(tab)
        con.print(
            f"P(escalation) with no deal in force: {_pct(oc['p_escalation_no_deal'])}. "
            "P(NBS point) above is whether the Nash solution exists, not P(agreement)."
        )
    if r["escalation"]:
        esc = r["escalation"]
        parts = [f"at the proposer's optimal offer {_pct(esc['offer'])}"]
        parts += [f"{s} {_pct(p)}" for s, p in esc["models"].items()]
        con.print(
            "Conditional P(escalation) if a package were offered take-it-or-leave-it: "
            + "; ".join(parts)
            + "."
        )
    with_error = [s for s, d in r["models"].items() if d.get("validated_error")]
    if with_error and r.get("model_error") == "include":
        con.print(
            f"Quantiles of {', '.join(with_error)} include the model's validated error (Laplace "
            "with its out-of-fold MAE); the other models' show input uncertainty only.",
            soft_wrap=True,
        )
    for spec, why in r["skipped"].items():
        con.print(f"[yellow]{spec} did not run:[/] {why}")


def montecarlo(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario file or bundled name (default russia-nato-2021).")
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", "-n", help="Number of draws (default 200, as everywhere).")
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the run's SeedSequence.")] = 0,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Model NAME[:key=value,...] (repeatable); default: every model that runs "
            "in Monte Carlo by default (exchange opts out: slow per draw).",
        ),
    ] = None,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="local | processes | dask | auto (same numbers on each); auto: worker "
            "processes from 2048 draws on two CPUs or more, else local.",
        ),
    ] = "auto",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786); implies dask."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes or Dask workers.")
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=1, help="Samples per task (rounded up to whole blocks)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the JSON to FILE (atomic).")
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on stderr (default: a tty)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    """Distributions of every forecast and the outcome model's P(agreement), P(ratified |
    agreement) and P(escalation) over the inputs' uncertainty (docs/outcome.md)."""
    from detente.outputs.files import skip_gc_at_exit

    skip_gc_at_exit()  # the process ends after the command: 0.1-0.2 s less shutdown
    from detente.analyses.montecarlo import retain_freed_memory

    retain_freed_memory()  # blocks reuse freed memory instead of new pages (the process ends)
    import time

    from detente import api
    from detente.outputs.files import check_output
    from detente.scenario import load

    t0 = time.perf_counter()
    api.check_montecarlo_options(samples, backend, scheduler)
    loaded = load(scenario)
    if output is not None:
        check_output(output, force)  # after the inputs are known, before the work
    show = sys.stderr.isatty() if progress is None else progress
    kwargs: dict[str, Any] = {
        "samples": samples,
        "seed": seed,
        "models": model,
        "backend": backend,
        "workers": workers,
        "chunk_size": chunk_size,
        "scheduler": scheduler,
    }
    if show:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn("draws"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("montecarlo", total=samples)
            result = api.montecarlo(
                loaded, progress=lambda done: bar.update(task, completed=done), **kwargs
            )
    else:
        result = api.montecarlo(loaded, **kwargs)
    if save:
        from detente.commands.saving import save_run

        opts = {"samples": samples, "seed": seed, "models": model}
        save_run("montecarlo", scenario, opts, result, time.perf_counter() - t0, db)
    _deliver(result, json_out, output, render_montecarlo, force)


def render_sensitivity(r: dict[str, Any]) -> None:
    """One table of ranked drivers per output, and its sentence."""
    from rich.table import Table

    from detente.cli import console

    con = console(wide=True)
    sobol = r["method"] == "sobol"
    con.print(
        f"Sensitivity ({r['method']}, {r['evaluations']} evaluations, "
        f"{len(r['inputs'])} uncertain inputs): {r['scenario']}"
    )
    for name, out in r["outputs"].items():
        con.print(out["summary"])
        if not out["drivers"]:
            continue
        table = Table(title=name, title_justify="left")
        table.add_column("input")
        cols = ("first order", "total") if sobol else ("at low", "at high", "swing")
        for c in cols:
            table.add_column(c, justify="right")
        for d in out["drivers"]:
            if sobol:
                row = [
                    f"{d['first_order']:.2f} ± {d['first_order_conf']:.2f}",
                    f"{d['total']:.2f} ± {d['total_conf']:.2f}",
                ]
            else:
                row = [f"{d[k]:.3g}" for k in ("output_at_low", "output_at_high", "swing")]
            table.add_row(d["input"], *row)
        con.print(table)


def sensitivity(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario file or bundled name (default russia-nato-2021).")
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="oat (one at a time, cheap) | sobol (SALib).")
    ] = "oat",
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model spec (repeatable); default: detente."),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", "-n", help="Sobol base sample size (a power of 2).")
    ] = 256,
    seed: Annotated[int, typer.Option("--seed", help="Seed (Sobol scrambling, bloc spread).")] = 0,
    top: Annotated[int, typer.Option("--top", min=1, help="Drivers listed per output.")] = 5,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the JSON to FILE (atomic).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    """Which uncertain inputs move each forecast and the escalation probability most."""
    import time

    from detente import api
    from detente.outputs.files import check_output
    from detente.scenario import load

    t0 = time.perf_counter()
    api.check_sensitivity_options(method, model)
    loaded = load(scenario)
    if output is not None:
        check_output(output, force)  # after the inputs are known, before the work
    result = api.sensitivity(
        loaded, method=method, models=model, samples=samples, seed=seed, top=top
    )
    if save:
        from detente.commands.saving import save_run

        opts = {"method": method, "models": model, "samples": samples, "seed": seed, "top": top}
        save_run("sensitivity", scenario, opts, result, time.perf_counter() - t0, db)
    _deliver(result, json_out, output, render_sensitivity, force)
