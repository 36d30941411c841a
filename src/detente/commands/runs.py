"""``detente runs list|show|rerun|diff``: the run history the workbench writes."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from detente.commands.serve import DbOpt, need_web
from detente.errors import InputError, Problem

runs_app = typer.Typer(
    help="The run history of the workbench (`detente serve`) and of commands run with --save: "
    "list, show, rerun, diff.",
    no_args_is_help=True,
)
RunArg = Annotated[int, typer.Argument(help="Run id (see `detente runs list`).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _store(db: str | None):
    need_web()
    from detente.web.store import Store

    return Store(db)


def _get(db: str | None, run_id: int):
    run = _store(db).get_run(run_id)
    if run is None:
        raise InputError(Problem(f"run {run_id}", "no such run in the history"))
    return run


@runs_app.command("list")
def list_runs(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 50,
    json_out: JsonOpt = False,
) -> None:
    """The newest runs first: id, time, scenario, edits, seed, draws."""
    runs = _store(db).list_runs(limit)
    rows = [
        {
            "id": r.id,
            "time": r.created_at.isoformat(timespec="seconds"),
            "command": r.command,
            "scenario": r.source,
            "sha256": r.scenario_sha256,
            "edits": len(r.edits),
            "seed": r.seed,
            "samples": r.options.get("samples"),
            "version": r.version,
            "elapsed_s": round(r.elapsed_s, 3),
        }
        for r in runs
    ]
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no runs yet; save one from `detente serve` or with a command's --save")
    for r in rows:
        typer.echo(
            f"{r['id']:>5}  {r['time']}  {r['command']}  {r['scenario']}  {r['edits']} edit(s)  "
            f"seed {r['seed']}  "
            f"{r['samples']} draws  detente {r['version']}  {r['elapsed_s']:.2f} s"
        )


@runs_app.command("show")
def show(run_id: RunArg, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """One run: scenario, edits, options; with --json the outputs exactly as saved."""
    r = _get(db, run_id)
    if json_out:
        typer.echo(r.outputs, nl=False)
        return
    typer.echo(f"run {r.id} ({r.command}), {r.created_at.isoformat(timespec='seconds')}")
    typer.echo(f"scenario: {r.source} ({r.kind}, sha256 {r.scenario_sha256})")
    typer.echo(f"detente {r.version}; seed {r.seed}; options {json.dumps(r.options)}")
    typer.echo(f"server time {r.elapsed_s:.3f} s; {len(r.edits)} edit(s)")
    for e in r.edits:
        typer.echo(f"  {e['actor']} {e['issue']} {e['field']} = {e['value']}")
    out = json.loads(r.outputs)
    lead = out.get("headline", {})
    if lead.get("sentence"):
        typer.echo(f"outcome ({lead['model']}'s package): {lead['sentence']}")


@runs_app.command("rerun")
def rerun(run_id: RunArg, db: DbOpt = None) -> None:
    """Run a stored run again and verify the output is byte-identical (exit 1 if not)."""
    import time

    from detente import __version__
    from detente.commands.saving import RUNNERS, rerun_text
    from detente.web import workbench as wb

    r = _get(db, run_id)
    opened = wb.open_text(r.scenario_sha256, r.text, r.kind, r.source)
    edits = [wb.Edit(e["stance"], e["field"], e["value"], e["actor"], e["issue"]) for e in r.edits]
    loaded = wb.apply_edits(opened, edits)
    if r.command in RUNNERS:  # saved by a CLI command with --save
        t0 = time.perf_counter()
        text = rerun_text(r.command, loaded, r.options)
        elapsed = time.perf_counter() - t0
        out = json.loads(text)
    else:  # saved by the workbench: a forecast with the page's draws and seed
        out, elapsed = wb.run_forecast(loaded, int(r.options["samples"]), r.seed)
        text = wb.forecast_json(out)
    if text == r.outputs:
        typer.echo(
            f"run {r.id}: output byte-identical ({len(text.encode())} bytes, detente "
            f"{__version__}, {elapsed:.2f} s)"
        )
        return
    typer.echo(
        f"run {r.id}: output DIFFERS from the saved one (saved by detente {r.version}, "
        f"rerun by detente {__version__}):"
    )
    for line in _diff(json.loads(r.outputs), out)[:40]:
        typer.echo("  " + line)
    raise typer.Exit(1)


@runs_app.command("diff")
def diff(
    first: Annotated[int, typer.Argument(help="Run id.")],
    second: Annotated[int, typer.Argument(help="Run id to compare with.")],
    db: DbOpt = None,
) -> None:
    """What differs between two runs: scenario, edits, options, version, and every output."""
    a, b = _get(db, first), _get(db, second)
    inputs = {
        "scenario": (
            f"{a.source} {a.scenario_sha256[:12]}",
            f"{b.source} {b.scenario_sha256[:12]}",
        ),
        "seed": (a.seed, b.seed),
        "options": (a.options, b.options),
        "version": (a.version, b.version),
    }
    typer.echo(f"run {a.id} -> run {b.id}")
    for key, (x, y) in inputs.items():
        if x != y:
            typer.echo(f"  {key}: {x} -> {y}")
    ea = {(e["stance"], e["field"]): e for e in a.edits}
    eb = {(e["stance"], e["field"]): e for e in b.edits}
    for k in sorted(set(ea) | set(eb)):
        e = ea.get(k) or eb[k]
        va = ea[k]["value"] if k in ea else "(scenario)"
        vb = eb[k]["value"] if k in eb else "(scenario)"
        if va != vb:
            typer.echo(f"  edit {e['actor']} {e['issue']} {e['field']}: {va} -> {vb}")
    changes = _diff(json.loads(a.outputs), json.loads(b.outputs))
    typer.echo(f"  {len(changes)} output value(s) differ" + (":" if changes else ""))
    for line in changes[:200]:
        typer.echo("    " + line)
    if len(changes) > 200:
        typer.echo(f"    ... and {len(changes) - 200} more")


def _diff(old: object, new: object, path: str = "") -> list[str]:
    """Leaf paths whose values differ, ``path: old -> new``."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            out += _diff(old.get(k), new.get(k), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += _diff(a, b, f"{path}[{i}]")
        return out
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]
