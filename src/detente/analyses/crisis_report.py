"""The outside option of force as JSON-ready data (``detente crisis``).

:func:`crisis_report` takes a point compile (the centre of every input) for the headline numbers
and, if given, the crisis analysis of the Monte Carlo engine's draws for the intervals.
:func:`detente.outputs.crisis_text.summary_text` words it.

Moved here from ``detente.commands.crisis`` (issue 19: the CLI, the report and the workbench call
it through :func:`detente.api.crisis`); names and signatures are unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.errors import InputError, Problem

if TYPE_CHECKING:
    from detente.analyses.crisis import CrisisOptions
    from detente.arrays import ScenarioArrays
    from detente.scenario.schema import Scenario

QUANTILES = (0.05, 0.5, 0.95)


def _num(x: float) -> float | None:
    """A JSON number, or None for NaN and infinities (JSON has neither)."""
    x = float(x)
    return x if math.isfinite(x) else None


def _stat(point: np.ndarray, draws: np.ndarray | None) -> dict[str, Any]:
    """Point value and, from the draws, the 5%, 50% and 95% quantiles (or share if boolean)."""
    point = np.asarray(point)
    if point.dtype == bool:
        out: dict[str, Any] = {"value": bool(point.reshape(-1)[0])}
        if draws is not None:
            out["share_of_draws"] = float(np.mean(draws))
        return out
    out = {"value": _num(point.reshape(-1)[0])}
    if draws is not None:
        d = np.asarray(draws, dtype=float)
        finite = d[np.isfinite(d)]
        if finite.size == d.size:
            q = np.quantile(d, QUANTILES)
            out.update(low=_num(q[0]), median=_num(q[1]), high=_num(q[2]))
        else:  # e.g. "no credible signal" (inf) in some draws
            out["finite_share_of_draws"] = float(finite.size / d.size)
            if finite.size:
                q = np.quantile(finite, QUANTILES)
                out.update(low=_num(q[0]), median=_num(q[1]), high=_num(q[2]))
    return out


def _forecasts(
    arrays: ScenarioArrays,
    rng: np.random.Generator,
    models: list[str] | None = None,
    step: Callable[[], None] = lambda: None,
) -> tuple[dict, dict, dict]:
    """Each model's forecast; models that cannot run on the inputs are skipped.

    Without ``models``: every model on a point compile, and the Monte Carlo models
    (:func:`detente.models.base.monte_carlo_models`) on draws. ``step`` is called after each
    model.
    """
    from detente.models.base import monte_carlo_models, registry
    from detente.models.spec import make_model

    if models is None:
        models = list(registry()) if arrays.n_samples == 1 else monte_carlo_models()
    out, described, skipped = {}, {}, {}
    for name in models:
        model = make_model(name)
        try:
            out[name] = model.forecast(arrays, rng)
        except (ValueError, InputError) as exc:
            skipped[name] = str(exc)
            step()
            continue
        described[name] = model.describe()
        step()
    return out, described, skipped


def crisis_report(
    scenario: Scenario,
    point: ScenarioArrays,
    rng: np.random.Generator,
    options: CrisisOptions | None = None,
    source: str = "scenario",
    models: list[str] | None = None,
    outcome: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    drawn: dict[str, Any] | None = None,
    drawn_samples: int = 0,
) -> dict[str, Any]:
    """The crisis analysis as JSON-ready data: point values with intervals from the draws.

    The intervals come from ``drawn``, the crisis analysis of ``drawn_samples`` draws
    (:func:`detente.analyses.montecarlo.run_montecarlo` with ``keep_crisis``: the Monte Carlo
    run that gives ``outcome``, so that the intervals and the outcome model's numbers come
    from the same draws); without it there are none.

    ``outcome``: the outcome model's result for the same draws (:func:`detente.api.outcome`);
    its P(agreement) and P(escalation) become each model's headline numbers, and the
    rejection-based figures are kept as ``escalation_if_offered`` (conditional).

    ``models``: model specs to forecast with; default every model for a point analysis and the
    Monte Carlo models (:func:`detente.models.base.monte_carlo_models`) when there are draws.

    ``progress`` is called with (steps done, steps in all): one step per model forecast and per
    analysis; the result is the same with or without it.

    Raises
    ------
    InputError
        If the scenario has no ``crisis`` section.
    """
    # imported here: scipy is heavy and the CLI registers this command at every start-up
    from detente.analyses.crisis import CrisisOptions, analyse_crisis
    from detente.scenario.crisis import compile_crisis

    options = options or CrisisOptions()
    if scenario.crisis is None:
        raise InputError(
            Problem(
                source,
                "the scenario has no crisis section; add one with challenger, targets, stakes, "
                "p_win and the costs of war (docs/scenario-format.md, 'Crisis')",
                field="crisis",
            )
        )
    cr = compile_crisis(scenario, point, pie_zero=options.pie_zero)
    if models is None and drawn is not None:
        from detente.models.base import monte_carlo_models

        models = monte_carlo_models()
    from detente.models.base import registry

    n_models = len(models) if models is not None else len(registry())
    # forecasts on the point and one analysis (the draws' analysis is done already)
    total = n_models + 1
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    from detente.scenario.ratification import carrier

    # every package as the headline form carries it (what it fixes, e.g. a treaty's legal form),
    # so the shares here are the outcome model's
    carry = carrier(scenario, scenario.forms[0].id if scenario.forms else None)
    fc, described, skipped = _forecasts(point, rng, models, step)
    if drawn is not None:
        # a model left out on any draw is left out here too (it must run on every draw)
        why = (outcome or {}).get("skipped", {})
        for name in [k for k in fc if k not in drawn.get("models", {})]:
            fc.pop(name)
            skipped.setdefault(name, why.get(name, "it could not run on every Monte Carlo draw"))
    fc = {k: carry(v) for k, v in fc.items()}
    res = analyse_crisis(cr, point, fc, options)
    step()
    res_mc = drawn

    def get(*path: str | int) -> tuple[np.ndarray, np.ndarray | None]:
        a: Any = res
        b: Any = res_mc
        for k in path:
            a = a[k]
            b = None if b is None else b[k]
        return a, b

    def stat(*path: str) -> dict[str, Any]:
        return _stat(*get(*path))

    def col(path: tuple[str, ...], j: int) -> dict[str, Any]:
        a, b = get(*path)
        return _stat(a[:, j], None if b is None else b[:, j])

    c = scenario.crisis
    out: dict[str, Any] = {
        "scenario": scenario.meta.title,
        "challenger": c.challenger,
        "targets": list(c.targets),
        "proposer": c.proposer_id,
        "samples": drawn_samples if drawn is not None else 0,
        "options": options.describe(),
        "stakes": {i: float(w) for i, w in zip(cr.issue_ids, cr.stakes[0], strict=True) if w > 0},
        "belief": cr.belief.describe(),
        "range": {
            "low": stat("range", "low"),
            "high": stat("range", "high"),
            "empty": stat("range", "empty"),
            "complete_information_width": stat("range", "complete_information_width"),
        },
        "offer": {k: stat("offer", k) for k in res["offer"]},
        "brinkmanship": {
            "probability": stat("brinkmanship"),
            "hazard_per_month": _num(cr.hazard_per_month[0]),
            "deadline_months": _num(cr.deadline_months[0]),
        },
        "nbs": {k: stat("nbs", k) for k in res["nbs"]},
        "audience": {
            "challenger": {
                "a": stat("audience", "challenger_a"),
                "demand_share": stat("audience", "challenger_demand_share"),
                "a_star": stat("audience", "challenger_a_star"),
            },
            "targets": {
                t: {
                    "a": col(("audience", "targets_a"), j),
                    "demand_share": col(("audience", "targets_demand_share"), j),
                    "a_star": col(("audience", "targets_a_star"), j),
                }
                for j, t in enumerate(c.targets)
            },
        },
        "signal": None,
        "power_shift": None,
        "models": {},
        "skipped_models": skipped,
    }
    if res["signal"] is not None:
        out["signal"] = {k: stat("signal", k) for k in res["signal"]}
    if res["power_shift"] is not None:
        out["power_shift"] = {k: stat("power_shift", k) for k in res["power_shift"]}
    for name, m in res["models"].items():
        path = ("models", name)
        actors = {}
        for n, a in enumerate(point.actor_ids):
            if not m["public"][n]:
                continue
            actors[a] = {
                "gap": col((*path, "gap"), n),
                "audience_cost": col((*path, "audience_cost"), n),
                "can_declare_victory": col((*path, "victory"), n),
            }
        out["models"][name] = {
            "model": described[name],
            "challenger_share": stat(*path, "challenger_share"),
            "in_range": stat(*path, "in_range"),
            "reject": stat(*path, "reject"),
            "escalation_if_offered": stat(*path, "escalation"),
            "public_actors": actors,
            "no_room_to_declare_victory": [
                a for a, v in actors.items() if not v["can_declare_victory"]["value"]
            ],
        }
    if outcome is not None:
        out["outcome"] = {k: v for k, v in outcome.items() if k != "models"}
        for name, m in out["models"].items():
            o = outcome["models"].get(name)
            m["outcome"] = (
                None
                if o is None
                else {
                    k: o[k]
                    for k in (
                        "p_agreement",
                        "p_ratified_given_agreement",
                        "p_escalation",
                        "most_likely",
                        "headline",
                    )
                }
            )
        point_range = acceptable_point(scenario, point)
        out["acceptable_range"] = point_range
    return out


def acceptable_point(scenario: Scenario, point: ScenarioArrays) -> dict[str, Any]:
    """The signing range at the centre of the inputs in the first form (outcome model)."""
    from detente.analyses.outcome import point_checks

    return point_checks(scenario, point, {})["range"]
