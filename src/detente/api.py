"""One facade for every analysis: load -> compile -> models -> analyses, JSON-ready results.

:func:`forecast`, :func:`simulate`, :func:`ratify`, :func:`crisis`, :func:`advise`,
:func:`montecarlo`, :func:`sensitivity`, :func:`backtest` and :func:`report` each take a parsed
scenario (a :class:`~detente.scenario.Loaded` or :class:`~detente.scenario.schema.Scenario`) or
a file or bundled name, plus options, and return a JSON-ready result (``report``: the rendered
text). The CLI commands and the workbench only render these; scripts and notebooks can call them
directly. Every user mistake raises :class:`~detente.errors.InputError`.

>>> from detente import api
>>> out = api.forecast("ec-emissions-1994", ["compromise"], samples=0)
>>> sorted(out) == ["actors", "forecasts", "headline", "issues", "models", "scenario", "skipped"]
True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from detente.arrays import ScenarioArrays
from detente.errors import InputError, Problem
from detente.models.base import registry
from detente.models.spec import make_model, parse_model_spec
from detente.scenario import Loaded, compile_scenario, load
from detente.scenario.schema import Scenario

__all__ = [
    "advise",
    "backtest",
    "crisis",
    "forecast",
    "make_model",  # defined with the models; part of the facade
    "montecarlo",
    "move_edits",
    "outcome",
    "parse_model_spec",
    "predictions_csv",
    "ratify",
    "report",
    "sensitivity",
    "simulate",
    "sweep",
    "validation_markdown",
]

#: A scenario as the facade takes it: parsed, or a file or bundled name (None: the default).
ScenarioLike = str | Path | Loaded | Scenario | None


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
    progress: Callable[[int], None] | None = None,
    keep_crisis: bool = False,
) -> dict[str, Any]:
    """The outcome model's headline numbers (docs/outcome.md) over ``samples`` draws.

    Runs the Monte Carlo engine, so that every command that shows P(agreement),
    P(ratified | agreement) or P(escalation) for one seed and number of draws shows the same
    numbers. ``models`` default: the Monte Carlo models. ``keep_draws`` also returns each
    model's per-sample forecasts under ``draws`` (not JSON-ready). ``progress`` is called with
    the number of draws done.
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
        progress=progress,
        keep_crisis=keep_crisis,
    )
    out = dict(mc["outcome"])
    out["seed"] = seed
    out["skipped"] = mc["skipped"]
    if keep_draws:
        out["draws"] = mc["draws"]
    if keep_crisis:
        out["crisis_draws"] = mc["crisis_draws"]
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


def _source(scenario: ScenarioLike, default: str) -> str:
    """The name messages give a scenario: as the user typed it, else where it was loaded from.

    ``default`` is the name of the default scenario in the command's existing messages.
    """
    if scenario is None or scenario == "":
        return default
    if isinstance(scenario, str | Path):
        return str(scenario)
    return _loaded(scenario).source


def ratify(
    scenario: ScenarioLike = None,
    *,
    forms: list[str] | None = None,
    proposal: str | None = None,
    set_values: list[str] | None = None,
    forum: str | None = None,
    outsiders: str = "exclude",
    discount: float = 0.5,
    samples: int = 0,
    nearest: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Would a package be ratified, in which form, and who blocks it.

    See :func:`detente.analyses.ratify_report.ratify_report` for the result; ``outsiders``
    (``exclude`` or ``discounted``) and ``discount`` (0 to 1) say how actors outside ``forum``
    count in its forecasts. ``progress`` is called with (package-form checks done, checks in
    all); the result is the same with or without it. ``workers`` processes run the
    nearest-package searches (forked from this one: keep the default 1 in a process with
    threads, such as the web server); the result is the same for any number.

    Raises
    ------
    InputError
        A bad option, an unknown form, forum or proposal, bad ``ISSUE=VALUE`` items, a
        scenario without forms.
    """
    where = str(scenario) if isinstance(scenario, str | Path) and scenario else None
    where = where or (_loaded(scenario).source if scenario is not None else "russia-nato-2021")
    # the options are checked before the scenario is loaded, as the CLI always did
    if outsiders not in ("exclude", "discounted"):
        raise InputError(
            Problem(where, f"{outsiders!r}; allowed: exclude, discounted", field="--outsiders")
        )
    if not 0 <= discount <= 1:
        raise InputError(Problem(where, f"{discount:g}; allowed: 0 to 1", field="--discount"))
    if samples < 0:
        raise InputError(Problem(where, f"{samples}; allowed: 0 or more", field="--samples"))
    if workers < 1:
        raise InputError(Problem(where, f"{workers}; allowed: 1 or more", field="workers"))
    from detente.analyses.ratification import ForumOptions
    from detente.analyses.ratify_report import ratify_report

    loaded = _loaded(scenario or "russia-nato-2021")
    return ratify_report(
        loaded.scenario,
        compile_scenario(loaded.scenario),
        source=where,
        forms=forms,
        proposal=proposal,
        set_values=set_values,
        forum=forum,
        forum_options=ForumOptions(outsiders=outsiders, discount=discount),  # type: ignore[arg-type]
        samples=samples,
        nearest=nearest,
        seed=seed,
        progress=progress,
        workers=workers,
    )


def crisis(
    scenario: ScenarioLike = None,
    *,
    samples: int = 200,
    seed: int = 0,
    models: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The outside option of force: bargaining range, escalation risk, signals, audience costs.

    A point compile gives the headline numbers and, with ``samples`` > 0, one Monte Carlo run of
    that many draws (:func:`outcome`) gives the outcome model's P(agreement) and P(escalation)
    and, from the crisis analysis of the same draws, the intervals. See
    :func:`detente.analyses.crisis_report.crisis_report` for the result.

    ``progress`` is called with (steps done, steps known so far): first the Monte Carlo's draws,
    then the report's model forecasts and analyses (the total grows when they start); the
    result is the same with or without it.

    Raises
    ------
    InputError
        A scenario without a ``crisis`` section, an unknown model.
    """
    from detente.analyses.crisis_report import crisis_report

    loaded = _loaded(scenario)
    sc = loaded.scenario
    # one generator for the point (compile, then forecasts); the draws are the Monte Carlo's
    rng = np.random.default_rng(seed)
    point = compile_scenario(sc, samples=None, rng=rng)
    oc = drawn = None
    first = samples if samples > 0 else 0  # steps of the Monte Carlo, before the report's
    if samples > 0:
        from detente.models.base import monte_carlo_models

        oc = outcome(
            sc,
            models or monte_carlo_models(),
            samples,
            seed,
            progress=None if progress is None else lambda done: progress(done, first + 1),
            keep_crisis=True,
        )
        drawn = oc.pop("crisis_draws")
    out = crisis_report(
        sc,
        point,
        rng,
        drawn=drawn,
        drawn_samples=samples,
        source=_source(scenario, "default scenario"),
        models=models or None,
        outcome=oc,
        progress=None if progress is None else lambda done, n: progress(first + done, first + n),
    )
    out["seed"] = seed
    return out


def advise(
    scenario: ScenarioLike,
    actor: str,
    models: list[str] | None = None,
    samples: int = 200,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """``actor``'s moves ranked by the change in its expected utility, and its pivotal issue.

    See :func:`detente.analyses.advice_report.advice_report`; ``progress`` is called with
    (steps done, steps in all).

    Raises
    ------
    InputError
        An unknown actor or model, fewer than one draw.
    """
    from detente.analyses.advice_report import advice_report

    loaded = _loaded(scenario)
    return advice_report(loaded, actor, models, samples=samples, seed=seed, progress=progress)


def move_edits(scenario: ScenarioLike, actor: str, move: str) -> list[dict[str, Any]]:
    """The input edits an advised move amounts to (:func:`detente.analyses.advice.move_edits`).

    Raises
    ------
    InputError
        An unknown actor or move, or a move that is not an edit of inputs.
    """
    from detente.analyses.advice import move_edits as edits

    loaded = _loaded(scenario)
    try:
        return edits(loaded.scenario, actor, move)
    except ValueError as exc:
        raise InputError(Problem(loaded.source, str(exc), field="move")) from None


def montecarlo(
    scenario: ScenarioLike = None,
    *,
    samples: int = 200,
    seed: int = 0,
    models: list[str] | None = None,
    backend: str = "local",
    workers: int | None = None,
    chunk_size: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Distributions of every forecast and the outcome model over ``samples`` draws.

    See :func:`detente.analyses.montecarlo.run_montecarlo`; ``progress`` is called with the
    number of draws done.

    Raises
    ------
    InputError
        Fewer than one draw, an unknown or unavailable backend, a model that cannot run.
    """
    check_montecarlo_options(samples, backend, scheduler)
    from detente.analyses.montecarlo import run_montecarlo

    if scheduler:
        backend = "dask"
    loaded = _loaded(scenario)
    try:
        return run_montecarlo(
            loaded.scenario,
            samples,
            seed,
            models=models,
            backend=backend,  # type: ignore[arg-type]
            workers=workers,
            chunk_size=chunk_size,
            scheduler=scheduler,
            source=loaded.source,
            progress=progress,
        )
    except ValueError as exc:
        raise InputError(Problem(loaded.source, str(exc))) from None


#: Where a Monte Carlo run can execute (the same numbers on each); ``auto``: worker processes
#: for large runs on two CPUs or more, else this process
#: (:func:`detente.analyses.montecarlo.resolve_backend`).
BACKENDS = ("local", "processes", "dask", "auto")


def check_montecarlo_options(samples: int, backend: str, scheduler: str | None) -> None:
    """Check :func:`montecarlo`'s options before any work (the CLI checks them first).

    Raises
    ------
    InputError
        Naming the option and what is allowed.
    """
    if samples < 1:
        raise InputError(Problem("--samples", f"{samples}; allowed: 1 or more draws"))
    if scheduler and backend not in ("local", "dask", "auto"):
        raise InputError(Problem("--scheduler", f"needs --backend dask, not {backend}"))
    if scheduler:
        backend = "dask"
    if backend not in BACKENDS:
        raise InputError(Problem("--backend", f"{backend!r}; allowed: {', '.join(BACKENDS)}"))
    if backend == "dask":
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise InputError(
                Problem("--backend", "dask needs dask[distributed]: pip install 'detente[dask]'")
            ) from None


def sensitivity(
    scenario: ScenarioLike = None,
    *,
    method: str = "oat",
    models: list[str] | None = None,
    samples: int = 256,
    seed: int = 0,
    top: int = 5,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Which uncertain inputs move each forecast and the escalation probability most.

    ``progress`` (``oat`` only) is called with (evaluations done, evaluations in all).

    ``method``: ``oat`` (one at a time, :func:`detente.analyses.sensitivity.oat`) or ``sobol``
    (SALib, ``samples`` is its base sample size; :func:`detente.analyses.sensitivity.sobol`).

    Raises
    ------
    InputError
        An unknown method or model, SALib missing for ``sobol``, a model that cannot run.
    """
    check_sensitivity_options(method, models)
    from detente.analyses import sensitivity as sa

    loaded = _loaded(scenario)
    try:
        if method == "oat":
            return sa.oat(
                loaded.scenario,
                models,
                seed=seed,
                top=top,
                source=loaded.source,
                progress=progress,
            )
        try:
            import SALib  # noqa: F401
        except ImportError:
            raise InputError(
                Problem("--method", "sobol needs SALib: pip install 'detente[sensitivity]'")
            ) from None
        return sa.sobol(
            loaded.scenario, models, seed=seed, n=samples, top=top, source=loaded.source
        )
    except ValueError as exc:
        raise InputError(Problem(loaded.source, str(exc))) from None


def sweep(
    scenario: ScenarioLike,
    input_label: str,
    *,
    models: list[str] | None = None,
    seed: int = 0,
    points: int = 11,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """One uncertain input swept from its 5% to its 95% quantile, the others at their centres:
    every sensitivity output's curve (:func:`detente.analyses.sensitivity.sweep`).

    Raises
    ------
    InputError
        An input that is not uncertain, fewer than two points, a model that cannot run.
    """
    check_sensitivity_options("oat", models)
    from detente.analyses import sensitivity as sa

    loaded = _loaded(scenario)
    try:
        return sa.sweep(
            loaded.scenario,
            input_label,
            models,
            seed=seed,
            points=points,
            source=loaded.source,
            progress=progress,
        )
    except ValueError as exc:
        raise InputError(Problem(loaded.source, str(exc), field="input")) from None


def check_sensitivity_options(method: str, models: list[str] | None) -> None:
    """Check :func:`sensitivity`'s method and model specs before any work.

    Raises
    ------
    InputError
        Naming the option and what is allowed.
    """
    if method not in ("oat", "sobol"):
        raise InputError(Problem("--method", f"{method!r}; allowed: oat, sobol"))
    for spec in models or []:
        make_model(spec)  # unknown models and options end as one line


def backtest(
    path: str | Path | None = None,
    *,
    models: list[str] | None = None,
    capabilities: list[str] | None = None,
    seed: int | None = None,
    cv: bool = False,
    seeds: int = 20,
    bags: int = 21,
) -> dict[str, Any]:
    """Score the models on the DEU legislative outcomes (default: the bundled training file).

    Returns :func:`detente.analyses.backtest.run_backtest`'s result, or with ``cv`` the
    detente forecaster's validation (:func:`detente.analyses.calibrate.validation_report`).

    Raises
    ------
    InputError
        An unreadable or malformed file, an unknown model or capability convention.
    """
    from detente.analyses.backtest import DEFAULT_SEED, run_backtest
    from detente.io.deu import load_deu

    if path is None:
        from importlib.resources import files

        path = Path(str(files("detente") / "data" / "deu" / "deu-train.tsv"))
    data = load_deu(path)
    if cv:
        from detente.analyses.calibrate import validation_report

        return validation_report(data, seeds=seeds, bags=bags)
    try:
        return run_backtest(
            data,
            models=models or None,
            capabilities=capabilities or ["treaty"],
            seed=DEFAULT_SEED if seed is None else seed,
        )
    except KeyError as exc:
        raise InputError(Problem(str(path), str(exc.args[0]))) from None


def predictions_csv(result: dict[str, Any]) -> str:
    """A :func:`backtest` result's per-issue predictions as CSV text."""
    from detente.analyses.backtest import predictions_csv as csv_text

    return csv_text(result)


def validation_markdown(result: dict[str, Any]) -> str:
    """A ``backtest(cv=True)`` result as the markdown tables of docs/validation.md."""
    from detente.analyses.calibrate import validation_markdown as markdown

    return markdown(result)


def report(
    scenario: ScenarioLike = None,
    *,
    fmt: str = "html",
    samples: int = 200,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The briefing report of a scenario, rendered: ``{"format", "title", "text"}``.

    The one facade function that reaches up a layer: the briefing is rendered output
    (:mod:`detente.outputs.report` draws its charts), so it is imported here when called, and
    the layering test names this import as its only exception.

    Raises
    ------
    InputError
        An unknown format, fewer than two draws.
    """
    if fmt not in ("html", "md"):
        raise InputError(Problem("--format", f"{fmt!r} is not a report format; allowed: html, md"))
    if samples < 2:
        raise InputError(Problem("--samples", f"{samples} is too few; allowed: 2 or more"))
    from detente.outputs.report import build_report, render_html, render_markdown

    loaded = _loaded(scenario)
    rep = build_report(loaded, samples=samples, seed=seed, progress=progress)
    text = render_html(rep) if fmt == "html" else render_markdown(rep, None)
    return {"format": fmt, "title": rep.title, "text": text}
