"""``detente advise SCENARIO --actor ID``: which move changes the outcome, ranked, with numbers.

:func:`detente.api.advise` does the work (:func:`detente.analyses.advice.advise`) and
:func:`summary_text` words it; :func:`advise` is the typer command the CLI registers.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from detente.commands import DbOpt, SaveOpt
from detente.errors import InputError, Problem
from detente.outputs.advice_text import pivotal_name

WORDS = {
    "agreement": "P(agreement)",
    "ratification": "P(ratification)",
    "escalation": "P(escalation)",
    "achievement_gap": "achievement gap",
    "durable_value": "durable value",
    "other": "other",
}


def _grouped(moves: list[dict], labels: list[str]) -> list[str]:
    """The labels of the moves that changed nothing, one line per kind of move (a label may
    hold a semicolon itself, so the kinds are not run together on one line)."""
    if len(moves) != len(labels):  # an older result without the moves' kinds
        return [" | ".join(labels)]
    kinds: dict[str, list[str]] = {}
    for m, label in zip(moves, labels, strict=True):
        kinds.setdefault(m.get("kind", "other"), []).append(label)
    return [" | ".join(group) for group in kinds.values()]


def summary_text(r: dict[str, Any], top: int = 8) -> str:
    """The advice in words: baseline, ranked moves with their breakdown, pivotal issue."""
    b = r["baseline"]
    who = r["actor_name"]
    lines = [
        f"Advice for {who} ({r['actor']}) on {r['scenario']}",
        f"models {', '.join(r['models'])}; {r['samples']} draws; seed {r['seed']}; "
        f"baseline form {r['baseline_form'] or '(none)'}",
        *r.get("assessment", []),
        f"Baseline expected utility: {b['eu']:.4f} for {r['actor']} (achievement gap "
        f"{b['achievement_gap']:.3f}, durable value {b['durable_value']:.3f}).",
        "",
        "Moves ranked by the change in expected utility (dEU; +- one standard error):",
    ]
    for k, m in enumerate(r["moves"][:top], start=1):
        flag = (
            "recommended"
            if m["recommended"]
            else "tie: within the noise"
            if m.get("tie")
            else "worse"
        )
        parts = sorted(((v, k2) for k2, v in m["breakdown"].items()), key=lambda t: -abs(t[0]))[:3]
        why = ", ".join(f"{WORDS[k2]} {v:+.4f}" for v, k2 in parts if abs(v) > 5e-5)
        lines.append(
            f"{k:2d}. {m['move']}: dEU {m['delta_eu']:+.4f} +- {m['se']:.4f} ({flag}); "
            f"P(agreement) {m['p_agreement']:.0%}, P(ratification) {m['p_ratification']:.0%}, "
            f"P(escalation) {m['p_escalation']:.0%}" + (f"; through {why}" if why else "")
        )
        if m["kind"] in ("signal", "deadline") and m.get("note"):
            lines.append(f"    note: {m['note']}")
        if m["kind"] in ("signal", "deadline") and "p_talks_in_time" in m:
            lines.append(
                f"    costs and savings: the talks finish by the deadline in "
                f"{m['p_talks_in_time']:.0%} of draws (baseline {b['p_talks_in_time']:.0%}); "
                f"mobilisation cost {m['mobilisation_cost']:.3f} (baseline "
                f"{b['mobilisation_cost']:.3f}); P(escalation) {m['p_escalation']:.0%} "
                f"(baseline {b['p_escalation']:.0%})"
            )
    if len(r["moves"]) > top:
        lines.append(f"    ... {len(r['moves']) - top} more moves (--json lists them all)")
    worst = [m for m in r["moves"] if m["delta_eu"] < 0]
    if worst:
        w = worst[-1]
        lines.append(f"Worst move: {w['move']} (dEU {w['delta_eu']:+.4f}).")
    p = r["pivotal"]
    if p["issue"]:
        lines += ["", f"Pivotal issue: {pivotal_name(p)}. {p['why']}"]
    if r["no_effect"]:
        lines += ["", f"Changed nothing (never recommended), {len(r['no_effect'])} moves:"]
        lines += [f"  {line}" for line in _grouped(r.get("no_effect_moves", []), r["no_effect"])]
    for s in r["skipped"]:
        lines.append(f"Not evaluated: {s['move']} ({s['why']})")
    return "\n".join(lines)


def advise(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario file or bundled name; default russia-nato-2021.")
    ] = None,
    actor: Annotated[str, typer.Option("--actor", "-a", help="Actor id to advise.")] = "",
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model(s) whose forecast is the deal (repeatable)."),
    ] = None,
    samples: Annotated[int, typer.Option("--samples", help="Monte Carlo draws.")] = 200,
    top: Annotated[int, typer.Option("--top", help="Moves to print.")] = 8,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the run's generator.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    save: SaveOpt = False,
    db: DbOpt = None,
) -> None:
    """Which move of an actor changes the expected result: moves ranked, pivotal issue."""
    if not actor:
        raise InputError(
            Problem(scenario or "russia-nato-2021", "give --actor ID", field="--actor")
        )
    import time

    from detente import api

    t0 = time.perf_counter()
    from detente.commands.progress import stderr_progress

    with stderr_progress(f"advise {actor}: moves") as progress:
        r = api.advise(scenario, actor, model, samples=samples, seed=seed, progress=progress)
    if save:
        from detente.commands.saving import save_run

        opts = {"actor": actor, "models": model, "samples": samples, "seed": seed}
        save_run("advise", scenario, opts, r, time.perf_counter() - t0, db)
    if json_out:
        typer.echo(json.dumps(r, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        typer.echo(summary_text(r, top=top))
