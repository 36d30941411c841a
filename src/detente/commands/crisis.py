"""``detente crisis SCENARIO``: the outside option of force, in words a briefing could quote.

The core CLI registers :func:`crisis` as a command. :func:`detente.api.crisis` does the work
(a point compile for the headline numbers, a Monte Carlo compile of ``--samples`` draws seeded by
``--seed`` for the intervals) and :func:`detente.outputs.crisis_text.summary_text` words it.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from detente.commands import DbOpt, SaveOpt


def crisis(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario file (.yaml/.csv) or bundled scenario name."),
    ] = None,
    samples: Annotated[
        int,
        typer.Option("--samples", min=0, help="Monte Carlo draws for the intervals (0: none)."),
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the run's random generator.")] = 0,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Model NAME[:key=value,...] (repeatable); default: "
            "the Monte Carlo models (all but exchange) with --samples, else all.",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    """The outside option of force: bargaining range, escalation risk, signals, audience costs."""
    from detente.outputs.files import skip_gc_at_exit

    skip_gc_at_exit()  # the process ends after the command: 0.1-0.2 s less shutdown
    import time

    from detente import api

    t0 = time.perf_counter()
    from detente.commands.progress import stderr_progress

    with stderr_progress("crisis: draws, then forecasts") as progress:
        report = api.crisis(scenario, samples=samples, seed=seed, models=model, progress=progress)
    if save:
        from detente.commands.saving import save_run

        opts = {"samples": samples, "seed": seed, "models": model}
        save_run("crisis", scenario, opts, report, time.perf_counter() - t0, db)
    if json_out:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        from detente.outputs.crisis_text import summary_text

        typer.echo(summary_text(report))
