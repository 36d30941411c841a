"""``detente report SCENARIO -o report.html``: a briefing an analyst can hand on.

Writes one self-contained HTML file (inline SVG figures, works offline), or Markdown with
``--format md``; ``--png DIR`` also saves every figure as PNG for slides. Progress goes to
stderr while the report builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.errors import InputError, Problem


def report(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario file or bundled name; default russia-nato-2021.")
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")] = Path(
        "report.html"
    ),
    fmt: Annotated[str, typer.Option("--format", help="html | md")] = "html",
    png: Annotated[
        Path | None, typer.Option("--png", help="Also save the figures as PNG in this folder.")
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", help="Monte Carlo draws (default 200, as everywhere).")
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the run's generator.")] = 0,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the output file if it exists.")
    ] = False,
) -> None:
    """Write a briefing report: summary, forecasts, charts, advice, sensitivity, sources."""
    from detente.outputs.files import skip_gc_at_exit

    skip_gc_at_exit()  # the process ends after the command: 0.1-0.2 s less shutdown
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from detente.outputs.files import check_output, write_atomic
    from detente.outputs.report import build_report, render_html, render_markdown, write_pngs

    if fmt not in ("html", "md"):
        raise InputError(Problem("--format", f"{fmt!r} is not a report format; allowed: html, md"))
    if samples < 2:
        raise InputError(Problem("--samples", f"{samples} is too few; allowed: 2 or more"))
    check_output(output, force)  # before the work, not after a minute of Monte Carlo
    con = Console(stderr=True)
    # the spinner is for a terminal only, and transient: an error is then the only stderr line
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=con,
        transient=True,
        disable=not con.is_terminal,
    ) as prog:
        task = prog.add_task("loading", total=None)
        rep = build_report(
            scenario,
            samples=samples,
            seed=seed,
            progress=lambda m: prog.update(task, description=m),
            # HTML inlines every figure: rendered in child processes meanwhile (same SVG)
            svg="forked" if fmt == "html" else "lazy",
        )
        prog.update(task, description="writing")
        if png is not None:
            write_pngs(rep, png)
        rel = None
        if png is not None:
            try:
                rel = str(png.resolve().relative_to(output.resolve().parent))
            except ValueError:
                rel = str(png.resolve())
        text = render_html(rep) if fmt == "html" else render_markdown(rep, rel)
        write_atomic(output, text, force=force)
    con.print(f"wrote {output}" + (f" and figures in {png}" if png else ""))
