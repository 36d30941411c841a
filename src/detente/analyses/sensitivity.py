"""Which uncertain inputs move the forecasts and the escalation probability most.

Two methods over the scenario's parameter vector
(:func:`detente.scenario.parameters.uncertain_parameters`):

- ``oat`` (one at a time, the cheap default): every input at its centre; then each input alone
  at its 5% and at its 95% quantile. The *swing* of an output is ``|y(95%) - y(5%)|``; ranked
  swings are the bars of a tornado diagram. ``2P + 1`` evaluations.
- ``sobol``: first-order and total Sobol indices (Sobol 2001; Saltelli 2002; Saltelli et al.
  2010) with SALib doing the sampling (``SALib.sample.sobol``, Saltelli's scheme without second
  order terms: ``N (P + 2)`` evaluations) and the analysis (``SALib.analyze.sobol``). SALib
  samples the unit cube; each input's inverse CDF maps it to the input's own distribution
  (:func:`detente.scenario.parameters.quantile_values`), so the indices are those of the inputs
  as the scenario states them (normal, beta, triangular, ...), not of uniform stand-ins.

Outputs: each requested model's forecast on each issue, and P(escalation) (the crisis
section's escalation probability when the outcome is that model's forecast). Every design point
is one sample of a batched run (the Monte Carlo block engine, so the same block-keyed
generators serve the bloc members' spread: common random numbers across the design).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from detente.analyses.crisis import CrisisOptions
from detente.analyses.montecarlo import BLOCK_SIZE, NO_FORM, Plan, run_chunk
from detente.scenario.parameters import (
    centre_values,
    quantile_values,
    uncertain_parameters,
)

if TYPE_CHECKING:
    from detente.scenario.schema import Scenario

Method = Literal["oat", "sobol"]
#: used when no model is named and the scenario has no headline model (docs/outcome.md)
DEFAULT_MODELS = ("compromise",)


def evaluate(
    plan: Plan, values: np.ndarray, progress: Callable[[int], None] | None = None
) -> dict[str, np.ndarray]:
    """Every output for design points ``values`` (P, S): name -> (S,).

    ``progress`` is called with the design points done after each block of them.
    """
    res, skipped = run_chunk(plan, values, 0, progress)
    if skipped:
        spec, why = next(iter(skipped.items()))
        raise ValueError(f"model {spec} cannot run on the design: {why}")
    out: dict[str, np.ndarray] = {}
    issues = [i.id for i in plan.scenario.issues]
    for spec in plan.models:
        for j, iid in enumerate(issues):
            out[f"{spec} forecast of {iid}"] = res[f"forecast/{spec}"][:, j]
        if "outcome/escalation_no_deal" in res and plan.scenario.crisis is not None:
            # the outcome model's escalation in each draw (docs/outcome.md), headline form
            form = plan.scenario.forms[0].id if plan.scenario.forms else NO_FORM
            signed = res[f"signed/{form}/{spec}"]
            ratified = res.get(f"ratified/{form}/{spec}", np.ones_like(signed))
            e0 = res["outcome/escalation_no_deal"]
            out[f"P(escalation) under {spec}"] = (1 - signed * ratified) * e0
    return out


def _plan(scenario: Scenario, models: list[str] | None, seed: int, source: str | None) -> Plan:
    return Plan(
        scenario=scenario,
        params=tuple(uncertain_parameters(scenario)),
        models=tuple(models or _default_models(scenario)),
        seed=seed,
        block_size=BLOCK_SIZE,
        crisis_options=CrisisOptions(),
        name=source or scenario.meta.title,
        model_error="ignore",  # how the inputs move the model itself, not its error
    )


def _default_models(scenario: Scenario) -> tuple[str, ...]:
    from detente.analyses.outcome import headline_model
    from detente.models.base import monte_carlo_models

    lead, _ = headline_model(scenario, monte_carlo_models())
    return (lead,) if lead else DEFAULT_MODELS


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1 else f"{x:.1f}"


def oat(
    scenario: Scenario,
    models: list[str] | None = None,
    seed: int = 0,
    low: float = 0.05,
    high: float = 0.95,
    top: int = 5,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """One-at-a-time tornado: each input alone at its ``low`` and ``high`` quantiles.

    Returns JSON-ready data: per output the value at the centres, the ranked inputs with the
    output at each end and the swing, and a sentence naming the top driver. ``progress`` is
    called with (evaluations done, evaluations in all) after each block of them.
    """
    plan = _plan(scenario, models, seed, source)
    params = list(plan.params)
    p = len(params)
    centre = centre_values(params, 1)[:, 0]
    q_lo = quantile_values(params, np.full((p, 1), low))[:, 0]
    q_hi = quantile_values(params, np.full((p, 1), high))[:, 0]
    design = np.repeat(centre[:, None], 2 * p + 1, axis=1)
    design[np.arange(p), 1 + 2 * np.arange(p)] = q_lo
    design[np.arange(p), 2 + 2 * np.arange(p)] = q_hi
    total = int(design.shape[1])
    ys = evaluate(plan, design, None if progress is None else lambda done: progress(done, total))
    outputs = {}
    for name, y in ys.items():
        at_lo, at_hi = y[1::2], y[2::2]
        swing = np.abs(at_hi - at_lo)
        order = [int(k) for k in np.argsort(-swing, kind="stable") if swing[k] > 0][:top]
        ranked = [
            {
                "input": params[k].label,
                "low_value": float(q_lo[k]),
                "high_value": float(q_hi[k]),
                "output_at_low": float(at_lo[k]),
                "output_at_high": float(at_hi[k]),
                "swing": float(swing[k]),
            }
            for k in order
        ]
        if ranked:
            r = ranked[0]
            words = (
                f"{r['input']} moves the {name} most: from {_fmt(r['output_at_low'])} to "
                f"{_fmt(r['output_at_high'])} as it goes from {_fmt(r['low_value'])} to "
                f"{_fmt(r['high_value'])} (its {round(100 * low)}% and {round(100 * high)}% "
                f"quantiles), the others at their centres."
            )
        else:
            words = f"No uncertain input moves the {name}."
        outputs[name] = {"at_centres": float(y[0]), "drivers": ranked, "summary": words}
    return {
        "scenario": plan.name,
        "method": "oat",
        "quantiles": [low, high],
        "models": list(plan.models),
        "inputs": [q.describe() for q in params],
        "evaluations": int(design.shape[1]),
        "outputs": outputs,
    }


def bootstrap_seed(seed: int) -> int:
    """The seed of SALib's bootstrap of the confidence intervals, from the run's seed.

    SALib seeds its bootstrap only with a true (non-zero) seed and otherwise draws from
    NumPy's global state, so seed 0 would give other confidence widths on every run. The
    bootstrap seed is the run's ``SeedSequence(seed, spawn_key=(2,))`` state, never 0.

    >>> bootstrap_seed(0) == bootstrap_seed(0) != 0
    True
    """
    state = int(np.random.SeedSequence(seed, spawn_key=(2,)).generate_state(1)[0])
    return state or 1


def sobol(
    scenario: Scenario,
    models: list[str] | None = None,
    seed: int = 0,
    n: int = 256,
    top: int = 5,
    source: str | None = None,
) -> dict[str, Any]:
    """First-order and total Sobol indices with SALib (``N (P + 2)`` evaluations).

    ``n`` is SALib's base sample size (a power of 2). Returns per output the inputs ranked by
    total index with first-order and total indices and their 95% confidence half-widths, and a
    sentence naming the top driver.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    plan = _plan(scenario, models, seed, source)
    params = list(plan.params)
    if not params:
        raise ValueError("the scenario has no uncertain inputs: nothing to analyse")
    if n < 2 or n & (n - 1):
        raise ValueError(f"the Sobol base sample size must be a power of 2, got {n}")
    problem = {
        "num_vars": len(params),
        "names": [q.label for q in params],
        "bounds": [[0.0, 1.0]] * len(params),
    }
    unit = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    # keep off 0 and 1 exactly, where a normal's quantile is infinite
    unit = np.clip(unit, 1e-9, 1 - 1e-9)
    ys = evaluate(plan, quantile_values(params, unit.T))
    outputs = {}
    for name, y in ys.items():
        if not np.isfinite(y).all() or np.var(y) == 0:
            var = float(np.var(y)) if np.isfinite(y).all() else None
            words = f"No uncertain input moves the {name}."
            outputs[name] = {"variance": var, "drivers": [], "summary": words}
            continue
        si = sobol_analyze.analyze(
            problem, y, calc_second_order=False, print_to_console=False, seed=bootstrap_seed(seed)
        )
        order = np.argsort(-np.asarray(si["ST"]), kind="stable")[:top]
        ranked = [
            {
                "input": params[k].label,
                "first_order": float(si["S1"][k]),
                "first_order_conf": float(si["S1_conf"][k]),
                "total": float(si["ST"][k]),
                "total_conf": float(si["ST_conf"][k]),
            }
            for k in order
        ]
        r = ranked[0]
        words = (
            f"{r['input']} explains {_pct(r['first_order'])} of the variance of the {name} "
            f"on its own and {_pct(r['total'])} with its interactions."
        )
        outputs[name] = {"variance": float(np.var(y)), "drivers": ranked, "summary": words}
    return {
        "scenario": plan.name,
        "method": "sobol",
        "base_samples": n,
        "models": list(plan.models),
        "inputs": [q.describe() for q in params],
        "evaluations": int(unit.shape[0]),
        "outputs": outputs,
    }


def _pct(x: float) -> str:
    return f"{100 * min(max(x, 0.0), 1.0):.0f}%" if math.isfinite(x) else "n/a"


def sweep(
    scenario: Scenario,
    input_label: str,
    models: list[str] | None = None,
    seed: int = 0,
    points: int = 11,
    low: float = 0.05,
    high: float = 0.95,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """One input swept across its range, the others at their centres: every output's curve.

    The input takes ``points`` quantiles evenly spaced from ``low`` to ``high`` (the tornado's
    ends); each output is computed as :func:`oat` computes it. ``input_label`` is the input's
    label as :func:`oat` lists it (``inputs[k]["label"]``).

    Raises
    ------
    ValueError
        An input that is not uncertain in the scenario, fewer than two points.
    """
    plan = _plan(scenario, models, seed, source)
    params = list(plan.params)
    labels = [q.label for q in params]
    if input_label not in labels:
        raise ValueError(
            f"{input_label!r} is not an uncertain input of the scenario; "
            f"uncertain inputs: {', '.join(labels) or '(none)'}"
        )
    if points < 2:
        raise ValueError(f"{points} points; allowed: 2 or more")
    k = labels.index(input_label)
    qs = np.linspace(low, high, points)
    design = np.repeat(centre_values(params, 1), points, axis=1)
    design[k] = quantile_values(params, np.tile(qs, (len(params), 1)))[k]
    ys = evaluate(plan, design, None if progress is None else lambda done: progress(done, points))
    return {
        "scenario": plan.name,
        "method": "sweep",
        "input": input_label,
        "quantiles": [float(q) for q in qs],
        "values": [float(v) for v in design[k]],
        "models": list(plan.models),
        "outputs": {name: [float(v) for v in y] for name, y in ys.items()},
    }


def uncertain_inputs(scenario: Scenario) -> list[str]:
    """The labels of the scenario's uncertain inputs, in the order :func:`oat` lists them."""
    return [q.label for q in uncertain_parameters(scenario)]
