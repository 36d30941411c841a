"""``detente crisis SCENARIO``: the outside option of force, in words a briefing could quote.

The core CLI registers :func:`crisis` as a command. The command loads and compiles the scenario
twice: a point compile (the centre of every input) gives the headline numbers, and a Monte Carlo
compile (``--samples`` draws from the input ranges, seeded by ``--seed``) gives the intervals.
:func:`crisis_report` does the work and returns JSON-ready data; :func:`summary_text` words it.
"""

from __future__ import annotations

import json
import math
import sys
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from detente.errors import InputError, Problem

if TYPE_CHECKING:
    from detente.analyses.crisis import CrisisOptions
    from detente.arrays import ScenarioArrays
    from detente.scenario.schema import Scenario

QUANTILES = (0.05, 0.5, 0.95)


def load_and_compile(
    spec: str | None, samples: int, rng: np.random.Generator
) -> tuple[Scenario, ScenarioArrays, ScenarioArrays | None]:
    """Load a scenario (file or bundled name) and compile it: point, and Monte Carlo if asked.

    The only place the command touches the loading and compiling layer.
    """
    from detente.scenario import compile_scenario, load_scenario

    scenario = load_scenario(spec)
    point = compile_scenario(scenario, samples=None, rng=rng)
    draws = compile_scenario(scenario, samples=samples, rng=rng) if samples > 0 else None
    return scenario, point, draws


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
    arrays: ScenarioArrays, rng: np.random.Generator, models: list[str] | None = None
) -> tuple[dict, dict, dict]:
    """Each model's forecast; models that cannot run on the inputs are skipped.

    Without ``models``: every model on a point compile, and the Monte Carlo models
    (:func:`detente.models.base.monte_carlo_models`) on draws.
    """
    from detente.api import make_model
    from detente.models.base import monte_carlo_models, registry

    if models is None:
        models = list(registry()) if arrays.n_samples == 1 else monte_carlo_models()
    out, described, skipped = {}, {}, {}
    for name in models:
        model = make_model(name)
        try:
            out[name] = model.forecast(arrays, rng)
        except (ValueError, InputError) as exc:
            skipped[name] = str(exc)
            continue
        described[name] = model.describe()
    return out, described, skipped


def crisis_report(
    scenario: Scenario,
    point: ScenarioArrays,
    draws: ScenarioArrays | None,
    rng: np.random.Generator,
    options: CrisisOptions | None = None,
    source: str = "scenario",
    models: list[str] | None = None,
    outcome: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The crisis analysis as JSON-ready data: point values with intervals from the draws.

    ``outcome``: the outcome model's result for the same draws (:func:`detente.api.outcome`);
    its P(agreement) and P(escalation) become each model's headline numbers, and the
    rejection-based figures are kept as ``escalation_if_offered`` (conditional).

    ``models``: model specs to forecast with; default every model for a point analysis and the
    Monte Carlo models (:func:`detente.models.base.monte_carlo_models`) when there are draws.

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
    if models is None and draws is not None:
        from detente.models.base import monte_carlo_models

        models = monte_carlo_models()
    fc, described, skipped = _forecasts(point, rng, models)
    res = analyse_crisis(cr, point, fc, options)
    res_mc = None
    if draws is not None:
        cr_mc = compile_crisis(scenario, draws, draws.n_samples, rng, pie_zero=options.pie_zero)
        fc_mc, _, skipped_mc = _forecasts(draws, rng, models)
        for name in skipped_mc:  # a model must run on the centres and on every draw
            fc.pop(name, None)
            skipped.setdefault(name, skipped_mc[name])
        res = analyse_crisis(cr, point, fc, options)
        res_mc = analyse_crisis(cr_mc, draws, {k: fc_mc[k] for k in fc}, options)

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
        "samples": 0 if draws is None else draws.n_samples,
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


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def _ci(s: dict[str, Any], fmt=_pct) -> str:
    if "low" not in s:
        return ""
    return f" (90% interval {fmt(s['low'])} to {fmt(s['high'])})"


def _share(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def summary_text(r: dict[str, Any]) -> str:
    """The report in plain sentences: range, escalation risk, signal, who cannot claim victory."""
    ch, prop = r["challenger"], r["proposer"]
    tg = ", ".join(r["targets"])
    lines = [f"Crisis: {ch} against {tg} ({r['scenario']})."]
    lines.append(
        "Shares are of the pie at stake ("
        + ", ".join(f"{i} {round(100 * w, 1):g}%" for i, w in r["stakes"].items())
        + f"), measured as {ch}'s share: 1 is everything {ch} wants, 0 nothing."
    )
    oc = r.get("outcome")
    if oc is not None:
        lines.append(
            f"Outcome over {oc['samples']} draws (seed {oc.get('seed', 0)}"
            + (f", form {oc['form']}" if oc.get("form") else "")
            + f"): P(escalation) with no deal in force {_pct(oc['p_escalation_no_deal'])}. "
            "Per model's package (docs/outcome.md):"
        )
        for name, m in r["models"].items():
            if m.get("outcome"):
                lines.append(f"  {name}: {m['outcome']['headline']}.")
    ar = r.get("acceptable_range")
    if ar is not None:
        form = f" in the form {oc['form']}" if oc and oc.get("form") else ""
        if ar["empty"]:
            lines.append(
                f"Acceptable range (every signatory signs){form}: EMPTY at the centre of the "
                f"inputs: {ch} signs only for at least {_share(ar['low'])} of the pie, the "
                f"targets concede at most {_share(ar['high'])}."
            )
        else:
            lines.append(
                f"Acceptable range (every signatory signs){form}: {ch} shares "
                f"{_share(ar['low'])} to {_share(ar['high'])} at the centre of the inputs."
            )
        parts = ar.get("parts")
        if ar["power_shift"] and parts:
            lines.append(
                f"  {ch} would sign for {_share(parts['one_shot'])} in a one-shot crisis, "
                f"{_share(parts['over_years'])} valued over years (discount; a one-off cost of "
                f"war against a lasting share), and {_share(parts['with_decline'])} with its "
                f"odds expected to fall from {_share(ar['p_win'])} to {_share(ar['p_future'])} "
                f"(Powell 2006): war now is worth {ar['war_value']:.2f} to it against "
                f"{ar['no_deal_value']:.2f} for the status quo, in discounted shares."
            )
        tb = ar.get("targets_belief")
        if tb is not None:
            lines.append(
                f"  The targets believe {ch} would fight if refused with probability "
                f"{_share(tb)} ({_share(ar['targets_prior'])} without its mobilisation; "
                "Fearon 1997): that is what the build-up buys at the table."
            )
    rg = r["range"]
    lo, hi = rg["low"]["value"], rg["high"]["value"]
    if rg["empty"]["value"]:
        lines.append(
            f"Fearon's range (a deal against war only, one shot): EMPTY. No deal is better than "
            f"war for both sides once public commitments are counted ({ch} needs at least "
            f"{_share(lo)}, the targets concede at most {_share(hi)})."
        )
    else:
        lines.append(
            f"Fearon's range (a deal against war only, one shot): any deal giving {ch} between "
            f"{_share(lo)} and {_share(hi)} of the pie beats war for both sides."
        )
    if "share_of_draws" in rg["empty"]:
        lines.append(
            f"  Across the input ranges the range is empty in "
            f"{_pct(rg['empty']['share_of_draws'])} of draws."
        )
    off = r["offer"]
    br = r["brinkmanship"]
    if br["hazard_per_month"] is None or br["deadline_months"] is None:
        accident = " (no brinkmanship hazard and deadline given, so no risk of war by accident)"
    else:
        accident = (
            f" combined with a {_pct(br['probability']['value'])} risk of slipping into war by "
            f"accident before the deadline ({br['hazard_per_month']:g} per month over "
            f"{br['deadline_months']:g} months)"
        )
    lines.append(
        f"Conditional escalation risk: if {prop} makes its best take-it-or-leave-it offer ({ch} "
        "share "
        f"{_share(off['challenger_share']['value'])}), the probability of escalation is "
        f"{_pct(off['escalation']['value'])}{_ci(off['escalation'])}: "
        f"a {_pct(off['p_war']['value'])} chance that the offer is rejected (belief about the "
        f"responder's cost of war: {r['belief']}){accident}."
    )
    nbs = r["nbs"]
    lines.append(
        f"Bargaining in the shadow of war (Nash, war as disagreement): {ch} gets "
        f"{_share(nbs['challenger_share']['value'])}, escalation risk "
        f"{_pct(nbs['escalation']['value'])}"
        + ("" if nbs["in_range"]["value"] else " (outside the bargaining range)")
        + "."
    )
    sig = r["signal"]
    if sig is not None:
        if not sig["possible"]["value"]:
            why = (
                "the targets would rather fight than concede even to a challenger sure to fight"
                if (sig["needed"]["value"] or math.inf) > 1
                else f"no valuation of the stake would make {ch} fight"
            )
            lines.append(
                "Costly signal (Fearon 1997, all-or-nothing concession): no mobilisation by "
                f"{ch} can make the targets concede the whole stake ({why})."
            )
        elif sig["credible_now"]["value"]:
            lines.append(
                f"Costly signal: {ch}'s mobilisation so far (sunk cost "
                f"{_share(sig['sunk']['value'])}) is already credible; the minimum was "
                f"{_share(sig['k_star']['value'])}, about {sig['months_needed']['value']:.1f} "
                "months."
            )
        else:
            lines.append(
                f"Costly signal: not yet credible. {ch} must sink "
                f"{_share(sig['k_star']['value'])} (about "
                f"{sig['months_needed']['value']:.1f} months; "
                f"{sig['months_left']['value']:.1f} more); cheaper signals are cheap talk."
            )
        if 0 < sig["credible_now"].get("share_of_draws", 0) < 1:
            lines.append(f"  Credible in {_pct(sig['credible_now']['share_of_draws'])} of draws.")
    ps = r["power_shift"]
    if ps is not None:
        declines = ps["challenger_declines"]["value"]
        who = ch if declines else "the targets"
        verdict = "prefers" if ps["preventive_war"]["value"] else "does not prefer"
        lines.append(
            f"Shifting power: the declining side ({who}) {verdict} preventive war now "
            f"(war worth {ps['war_value']['value']:.2f} vs the best credible peace "
            f"{ps['peace_value']['value']:.2f}); it would whenever {ch}'s future odds of "
            f"prevailing are {'below' if declines else 'above'} "
            f"{_share(ps['critical_p_future']['value'])}."
        )
    for name, m in r["models"].items():
        no_room = m["no_room_to_declare_victory"]
        tail = (
            "no one with a public stake loses face"
            if not no_room
            else "no room to declare victory: " + ", ".join(no_room)
        )
        off = m["escalation_if_offered"]
        lines.append(
            f"Package {name}: {ch} share {_share(m['challenger_share']['value'])}; if offered as "
            f"take-it-or-leave-it, escalation {_pct(off['value'])}{_ci(off)} (conditional); "
            f"{tail}."
        )
    return "\n".join(lines)


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
) -> None:
    """The outside option of force: bargaining range, escalation risk, signals, audience costs."""
    from detente import api

    rng = np.random.default_rng(seed)
    sc, point, draws = load_and_compile(scenario, samples, rng)
    oc = None
    if samples > 0:
        from detente.models.base import monte_carlo_models

        oc = api.outcome(sc, model or monte_carlo_models(), samples, seed)
    report = crisis_report(
        sc,
        point,
        draws,
        rng,
        source=scenario or "default scenario",
        models=model or None,
        outcome=oc,
    )
    report["seed"] = seed
    if json_out:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        typer.echo(summary_text(report))
