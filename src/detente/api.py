"""Thin facade over the layers: load -> compile -> models, returning JSON-ready results.

The CLI renders these dicts; scripts and notebooks can call them directly.

>>> from detente import api
>>> out = api.forecast("ec-emissions-1994", ["compromise"], samples=0)
>>> sorted(out) == ["actors", "forecasts", "headline", "issues", "models", "scenario", "skipped"]
True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from detente.arrays import ScenarioArrays
from detente.errors import InputError, Problem
from detente.models.base import registry
from detente.models.spec import make_model, parse_model_spec

__all__ = ["make_model", "parse_model_spec"]  # part of the facade; defined with the models
from detente.scenario import Loaded, compile_scenario, load
from detente.scenario.schema import Scenario


def model_specs(specs: list[str] | None) -> list[str]:
    """The requested specs, or every registered model with default options."""
    return list(specs) if specs else list(registry())


def _issue_dict(arrays: ScenarioArrays, values: np.ndarray) -> dict[str, float]:
    return {i: float(v) for i, v in zip(arrays.issue_ids, values, strict=True)}


def run_models(
    arrays: ScenarioArrays,
    specs: list[str],
    rng: np.random.Generator,
    strict: bool,
) -> tuple[dict[str, np.ndarray], dict[str, dict], dict[str, str]]:
    """Forecast with each model. ``strict``: a model that cannot run is an error, else skipped."""
    forecasts: dict[str, np.ndarray] = {}
    described: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for spec in specs:
        model = make_model(spec)
        try:
            forecasts[spec] = model.forecast(arrays, rng)
        except ValueError as exc:
            if strict:
                raise InputError(Problem(arrays.name, f"model {spec}: {exc}")) from None
            skipped[spec] = str(exc)
            continue
        described[spec] = model.describe()
    return forecasts, described, skipped


def _loaded(scenario: str | Path | Loaded | Scenario | None) -> Loaded:
    if isinstance(scenario, Loaded):
        return scenario
    if isinstance(scenario, Scenario):
        return Loaded(scenario=scenario, source=scenario.meta.title)
    return load(scenario)


def headline_model(scenario: Any, specs: list[str]) -> tuple[str | None, str]:
    """The model whose package leads, and why (:func:`detente.analyses.outcome.headline_model`)."""
    from detente.analyses.outcome import headline_model as rule

    return rule(scenario, specs)


def outcome(
    scenario: str | Path | Loaded | None = None,
    models: list[str] | None = None,
    samples: int | None = None,
    seed: int = 0,
    keep_draws: bool = False,
) -> dict[str, Any]:
    """The outcome model's headline numbers (docs/outcome.md) over ``samples`` draws.

    Runs the Monte Carlo engine, so that every command that shows P(agreement),
    P(ratified | agreement) or P(escalation) for one seed and number of draws shows the same
    numbers. ``models`` default: the Monte Carlo models. ``keep_draws`` also returns each
    model's per-sample forecasts under ``draws`` (not JSON-ready).
    """
    from detente.analyses.montecarlo import run_montecarlo
    from detente.analyses.outcome import DEFAULT_SAMPLES

    loaded = _loaded(scenario)
    mc = run_montecarlo(
        loaded.scenario,
        samples or DEFAULT_SAMPLES,
        seed,
        models,
        source=loaded.source,
        keep_draws=keep_draws,
    )
    out = dict(mc["outcome"])
    out["seed"] = seed
    out["skipped"] = mc["skipped"]
    if keep_draws:
        out["draws"] = mc["draws"]
    return out


def forecast(
    scenario: str | Path | Loaded | None = None,
    models: list[str] | None = None,
    seed: int = 0,
    samples: int | None = None,
    keep_draws: bool = False,
) -> dict[str, Any]:
    """Point forecasts of every requested model (PRODUCT.md's JSON contract, plus metadata).

    With ``samples`` > 0 (default :data:`detente.analyses.outcome.DEFAULT_SAMPLES`) the result
    also holds ``outcome``: per model P(agreement), P(ratified | agreement) and
    P(escalation) over that many draws (:func:`outcome`), ``checks``: where each point
    package lies against the signatories' acceptable range, and ``headline``: the leading
    model, the reason, and a sentence naming the most likely branch.
    """
    from detente.analyses.outcome import DEFAULT_SAMPLES

    loaded = _loaded(scenario)
    arrays = compile_scenario(loaded.scenario, name=loaded.source)
    rng = np.random.default_rng(seed)
    specs = model_specs(models)
    fc, described, skipped = run_models(arrays, specs, rng, strict=bool(models))
    out: dict[str, Any] = {
        "scenario": loaded.source,
        "actors": list(arrays.actor_ids),
        "issues": list(arrays.issue_ids),
        "forecasts": {spec: _issue_dict(arrays, res[0]) for spec, res in fc.items()},
        "models": described,
        "skipped": skipped,
    }
    samples = DEFAULT_SAMPLES if samples is None else samples
    lead, why = headline_model(loaded.scenario, list(fc))
    out["headline"] = {"model": lead, "why": why}
    if samples > 0 and fc:
        from detente.analyses.outcome import point_checks
        from detente.models.base import registry

        reg = registry()
        drawn = [s for s in fc if reg[parse_model_spec(s)[0]].monte_carlo_default or models]
        oc = outcome(loaded, drawn, samples, seed, keep_draws=True)
        draws = oc.pop("draws")
        for spec in fc:
            if spec not in drawn:
                oc["skipped"].setdefault(
                    spec,
                    "not run over draws by default (slow per draw); name it with -m to include "
                    "it, or run `detente montecarlo -m " + spec + "`",
                )
        out["outcome"] = oc
        out["diagnostics"] = tail_diagnostics(out["forecasts"], draws, list(arrays.issue_ids))
        if keep_draws:  # each model's packages over the draws, for a report (not JSON)
            out["draws"] = draws
        out["checks"] = point_checks(loaded.scenario, arrays, {s: r[0] for s, r in fc.items()})
        if lead in oc["models"]:
            out["headline"]["sentence"] = oc["models"][lead]["headline"]
            terms = oc["models"][lead]["terms_given_agreement"]
            out["headline"]["terms_given_agreement"] = terms
    return out


def simulate(
    scenario: str | Path | Loaded | None,
    model: str,
    rounds: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Round-by-round trajectory of one model; round 0 is the input."""
    loaded = _loaded(scenario)
    arrays = compile_scenario(loaded.scenario, name=loaded.source)
    m = make_model(model)
    try:
        sim = m.simulate(arrays, rounds=rounds, rng=np.random.default_rng(seed))
    except ValueError as exc:
        raise InputError(Problem(loaded.source, f"model {model}: {exc}")) from None
    out_rounds = []
    for t in range(sim.positions.shape[0]):
        positions = {
            actor: {
                issue: float(sim.positions[t, 0, a, d])
                for d, issue in enumerate(arrays.issue_ids)
                if arrays.mask[a, d]
            }
            for a, actor in enumerate(arrays.actor_ids)
        }
        entry: dict[str, Any] = {
            "round": t,
            "positions": positions,
            "forecast": _issue_dict(arrays, sim.forecasts[t, 0]),
        }
        if t < len(sim.events) and sim.events[t]:
            entry["events"] = sim.events[t]
        out_rounds.append(entry)
    result: dict[str, Any] = {
        "model": model,
        "scenario": loaded.source,
        "options": m.describe()["options"],
        "converged": bool(sim.converged),
        "rounds": out_rounds,
    }
    if sim.agreement is not None:
        result["agreement"] = {
            i: bool(v) for i, v in zip(arrays.issue_ids, sim.agreement[0], strict=True)
        }
    result["diagnostics"] = simulation_diagnostics(arrays, sim, out_rounds, model)
    return result


#: a forecast that moves by more than this share of the scale in one round is explained
JUMP = 0.25


def _about(event: dict[str, Any], issue: str) -> bool:
    return f'"{issue}"' in json.dumps(event, default=str)


def _size(event: dict[str, Any]) -> float:
    moves = [event] + [v for v in event.values() if isinstance(v, dict)]
    return max(
        (abs(float(m["to"]) - float(m["from"])) for m in moves if {"to", "from"} <= m.keys()),
        default=0.0,
    )


def _event_words(events: list[dict[str, Any]]) -> str:
    return event_words(max(events, key=_size))


def event_words(e: dict[str, Any]) -> str:
    """One readable line for a model event: why an actor moved."""
    try:
        return _event_sentence(e)
    except (KeyError, TypeError, ValueError):  # an event of an unexpected shape: show its data
        return _event_data(e)


def _event_data(e: dict[str, Any]) -> str:
    kind = e.get("type", "event")
    text = json.dumps({k: v for k, v in e.items() if k != "type"}, default=str)
    return f"{kind}: {text[:150]}{'...' if len(text) > 150 else ''}"


def _event_sentence(e: dict[str, Any]) -> str:
    kind = e.get("type", "event")
    if kind == "exchange" and isinstance(e.get("i"), dict) and isinstance(e.get("j"), dict):
        i, j = e["i"], e["j"]
        return (
            f"exchange: {i['actor']} gives on {i['supplies']} ({i['from']:.1f} -> "
            f"{i['to']:.1f}) while {j['actor']} gives on {j['supplies']} ({j['from']:.1f} -> "
            f"{j['to']:.1f}); gain {e.get('gain', float('nan')):.3g} each"
        )
    if {"actor", "from", "to"} <= e.keys() and isinstance(e["from"], int | float):
        other = f" (offer from {e['other']})" if e.get("other") else ""
        issue = f" on {e['issue']}" if e.get("issue") else ""
        return f"{kind}: {e['actor']} moves{issue} {e['from']:.2f} -> {e['to']:.2f}{other}"
    if kind == "challenge" and {"actor", "target"} <= e.keys():
        if e["target"] is None:  # SMP records actors that found no challenge worth making
            return f"challenge: {e['actor']} challenges nobody (no positive expected gain)"
        return (
            f"challenge: {e['actor']} challenges {e['target']} (expected gain "
            f"{e.get('expected_gain', float('nan')):.3g}, P(win) "
            f"{e.get('prob_win', float('nan')):.2f})"
        )
    return _event_data(e)


def simulation_diagnostics(
    arrays: ScenarioArrays, sim: Any, rounds: list[dict[str, Any]], model: str
) -> list[str]:
    """Why a simulation did not converge, and which events moved an actor across most of the
    scale, in words."""
    notes: list[str] = []
    width = dict(zip(arrays.issue_ids, arrays.scale_width, strict=True))
    fc = [r["forecast"] for r in rounds]
    if not sim.converged:
        last = len(rounds) - 1
        cycling = [
            i
            for i in arrays.issue_ids
            if last >= 3
            and abs(fc[last][i] - fc[last - 2][i]) <= 1e-6 * width[i]
            and abs(fc[last][i] - fc[last - 1][i]) > 1e-3 * width[i]
        ]
        if cycling:
            i = cycling[0]
            notes.append(
                f"{model} did not converge: it stopped at the round limit ({last} rounds) while "
                f"the forecast on {i} cycles between {fc[last - 1][i]:.1f} and {fc[last][i]:.1f}"
                + (f" (and on {len(cycling) - 1} more issues)" if len(cycling) > 1 else "")
                + "; read the rounds' range rather than the last round"
            )
        else:
            step = max(
                (abs(fc[last][i] - fc[last - 1][i]) / width[i] for i in arrays.issue_ids),
                default=0.0,
            )
            notes.append(
                f"{model} did not converge: it stopped at the round limit ({last} rounds) with "
                f"the forecast still moving by up to {100 * step:.1f}% of a scale per round; "
                "raise the model's round limit or read the last rounds as a trend"
            )
    for t in range(1, len(rounds)):
        for issue in arrays.issue_ids:
            x0, x = fc[t - 1][issue], fc[t][issue]
            if abs(x - x0) <= JUMP * width[issue]:
                continue
            cause = [e for e in rounds[t].get("events", []) if _about(e, issue)]
            why = f"; the largest event: {_event_words(cause)}" if cause else ""
            notes.append(
                f"round {t}: the {model} forecast on {issue} jumps from {x0:.1f} to {x:.1f}, "
                f"{100 * abs(x - x0) / width[issue]:.0f}% of the scale{why}"
            )
    return notes


def tail_diagnostics(
    forecasts: dict[str, dict[str, float]],
    draws: dict[str, np.ndarray],
    issue_ids: list[str],
    tail: float = 0.1,
) -> list[dict[str, Any]]:
    """Point forecasts in the outer ``tail`` of the model's own draws, in words.

    A single run on the centre values can land in the tail of what the same model gives over
    the input ranges (a tie broken one way, a cascade of accepted offers); the reader should
    then trust the median of the draws more than the point. The point's rank among the draws
    is the share of draws below it (ties count half).
    """
    notes = []
    for spec, per_issue in forecasts.items():
        if spec not in draws:
            continue
        for j, iid in enumerate(issue_ids):
            x = per_issue[iid]
            d = np.asarray(draws[spec][:, j], dtype=float)
            if d.size < 20:
                continue
            rank = float((np.sum(d < x - 1e-9) + 0.5 * np.sum(np.abs(d - x) <= 1e-9)) / d.size)
            if tail <= rank <= 1 - tail:
                continue
            med = float(np.median(d))
            notes.append(
                {
                    "model": spec,
                    "issue": iid,
                    "kind": "tail",
                    "point": x,
                    "rank": rank,
                    "median": med,
                    "text": f"{spec} puts {iid} at {x:.1f}, in the "
                    f"{100 * min(rank, 1 - rank):.0f}% "
                    f"{'lower' if rank < 0.5 else 'upper'} tail of its own {d.size} draws (median "
                    f"{med:.1f}): the single run on the centre values is an outlier; read the "
                    "median",
                }
            )
    return notes
