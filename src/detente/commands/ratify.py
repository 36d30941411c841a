"""``detente ratify``: would the deal be ratified, in which form, and if not, who blocks it?

Usage (registered by the CLI as ``detente ratify``)::

    detente ratify SCENARIO [--form F] [--proposal NAME | --set ISSUE=VALUE ...] [--json]

Without ``--proposal`` or ``--set`` it checks every proposal of the scenario and every registered
model's forecast, in every form (or the forms given). For each package it prints a table
form x body (yes votes, threshold, passed) and, for a form that fails, which body blocks it, by how
many votes, and the members who would have to be won over. ``--set`` values go on top of the
``--proposal`` (or of the status quo when no proposal is named).

The work is done by :func:`detente.api.ratify`
(:func:`detente.analyses.ratify_report.ratify_report`); :func:`ratify` calls it and prints.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from detente.commands import DbOpt, SaveOpt


def render(report: dict[str, Any]) -> str:
    """The report as plain-text tables, one per package."""
    lines = [f"Ratification: {report['scenario']}"]
    if report["forum"]:
        lines.append(f"forum: {report['forum']} (outsiders: {report['options']['forum']})")
    commits = {
        f["form"]: f.get("commits") for f in (report["packages"] or [{}])[0].get("forms", [])
    }
    said = [
        f"{fid} "
        + ", ".join(
            f"{k}={v[0]:g}-{v[1]:g}" if isinstance(v, list) else f"{k}={v:g}" for k, v in c.items()
        )
        for fid, c in commits.items()
        if c
    ]
    if said:
        lines.append(
            "What each form commits (every vote is on the package as the form carries it): "
            + "; ".join(said)
        )
    for pkg in report["packages"]:
        lines.append("")
        title = pkg["name"] or pkg["id"]
        lines.append(f"== {title} [{pkg['kind']}{', by ' + pkg['by'] if pkg['by'] else ''}]")
        vals = ", ".join(f"{k}={v:g}" for k, v in pkg["values"].items() if v is not None)
        lines.append(f"   {vals}")
        table = [("form", "body", "yes", "needed", "of", "passed")]
        for f in pkg["forms"]:
            if not f["bodies"]:
                table.append((f["form"], "(no vote)", "", "", "", "yes"))
            for r in f["bodies"]:
                table.append(
                    (
                        f["form"],
                        r["body"],
                        str(r["yes"]),
                        str(r["needed"]),
                        str(r["members"]),
                        "yes" if r["passed"] else "NO",
                    )
                )
        widths = [max(len(row[c]) for row in table) for c in range(len(table[0]))]
        for row in table:
            lines.append(
                "   " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
        for f in pkg["forms"]:
            text = "   - " + f["explanation"]
            if "probability" in f:
                pr = f["probability"]
                text += f" P(ratified) = {pr['p']:.3f} (se {pr['se']:.3f}, {pr['samples']} draws)."
            if f.get("nearest"):
                near = f["nearest"]
                moved = {k: v for k, v in near["values"].items() if v != pkg["values"][k]}
                nv = ", ".join(f"{k}={v:.6g}" for k, v in moved.items())
                if near["distance"] < 1e-6:
                    text += (
                        " An arbitrarily small move passes: the pivotal members are indifferent "
                        "here, and indifferent members vote no."
                    )
                else:
                    text += (
                        f" Nearest package that passes (distance {near['distance']:.3g} in scale "
                        f"widths): {nv}."
                    )
            lines.append(text)
    for name, why in report.get("skipped", {}).items():
        lines.append("")
        lines.append(f"{name} did not run: {why}")
    return "\n".join(lines)


def _workers() -> int:
    """Processes for the nearest-package searches: 2 on a machine with two usable CPUs or more
    (as ``montecarlo``'s ``auto`` backend decides), else 1. The report is the same either way.
    Split over two processes the searches cost about 0.1 s more CPU (forks, smaller batches):
    with the other core free the command ends about 0.2 s sooner (0.79 s against 1.01 s wall,
    ``bench_targets.py``), with it busy about 0.1 s later (1.13 s against 0.99 s at a load
    average of 2.3-2.9)."""
    from detente.analyses.forked import usable_cpus

    return 2 if usable_cpus() >= 2 else 1


def ratify(
    scenario: Annotated[
        str | None,
        typer.Argument(help="scenario file or bundled scenario name; default russia-nato-2021"),
    ] = None,
    form: Annotated[
        list[str] | None, typer.Option("--form", help="form id to check (repeatable)")
    ] = None,
    proposal: Annotated[
        str | None, typer.Option("--proposal", help="check this proposal only")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="ISSUE=VALUE on top of the proposal or status quo"),
    ] = None,
    forum: Annotated[
        str | None, typer.Option("--forum", help="only this forum's members bargain")
    ] = None,
    outsiders: Annotated[
        str, typer.Option("--outsiders", help="exclude | discounted: actors outside the forum")
    ] = "exclude",
    discount: Annotated[
        float, typer.Option("--discount", help="outsiders' capability factor when discounted")
    ] = 0.5,
    samples: Annotated[
        int, typer.Option("--samples", help="Monte Carlo draws for P(ratified); 0 for none")
    ] = 0,
    nearest: Annotated[
        bool, typer.Option("--nearest", help="search the nearest package that would pass")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="seed of the run's generator")] = 0,
    json_: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    """Would the deal be ratified? Votes of every body in every form, and who blocks it."""
    from detente.outputs.files import skip_gc_at_exit

    skip_gc_at_exit()  # the process ends after the command: 0.1-0.2 s less shutdown
    import time

    from detente import api

    t0 = time.perf_counter()
    opts: dict[str, Any] = {
        "forms": form,
        "proposal": proposal,
        "set_values": set_,
        "forum": forum,
        "outsiders": outsiders,
        "discount": discount,
        "samples": samples,
        "nearest": nearest,
        "seed": seed,
    }
    from detente.commands.progress import stderr_progress

    # a bar only for the search of --nearest: without it ratify takes about a second
    with stderr_progress("ratify: nearest packages", show=None if nearest else False) as progress:
        # the searches on two processes where a second CPU is free (the same report)
        report = api.ratify(scenario, progress=progress, workers=_workers(), **opts)
    if save:
        from detente.commands.saving import save_run

        save_run("ratify", scenario, opts, report, time.perf_counter() - t0, db)
    typer.echo(json.dumps(report, indent=2, allow_nan=False) if json_ else render(report))
