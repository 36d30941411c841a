"""Backtests of the registered models on real outcomes (the DEU data).

For each registered model (default options) and each capability convention of
:mod:`detente.analyses.power`, the model forecasts every kept issue in one batched call and its
forecasts are scored against the adopted outcomes: mean absolute error (MAE), root mean squared
error, median absolute error and the shares of issues forecast within 10 and 20 scale points.

Each forecast is also scored as a distribution (``distribution``): the coverage of its 50/80/90 %
central intervals, a PIT histogram and the continuous ranked probability score (CRPS). A model
with its own predictive distribution (``detente``, variant slot2) is scored on it. A point
forecast is dressed with its own cross-validated errors (:func:`dressed_scores`: each issue gets
the errors the model made on the other folds' proposals). The CRPS of the compromise model,
dressed that way, is given alongside for comparison.

Each model is compared with the compromise model under the same capability convention by a
paired bootstrap of the MAE difference (model minus compromise; negative = better). The
bootstrap resamples whole proposals by default (issues of one proposal are decided together and
their errors are correlated), or single issues with ``resample="issue"``; draws come from
``numpy.random.default_rng(seed)`` and the seed is recorded in the output.

A model that raises on the data, or returns a non-finite forecast, is skipped and the reason
recorded. Everything returned is JSON-ready.
"""

from __future__ import annotations

import csv
import functools
import io
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from detente.analyses.power import CAPABILITIES, deu_capabilities
from detente.arrays import ScenarioArrays
from detente.io.deu import DEUData
from detente.models import get_model, registry

DEFAULT_SEED = 20_240_601
BASELINE = "compromise"
BREAKDOWNS: tuple[str, ...] = ("era", "procedure", "voting_rule")


def error_metrics(pred: np.ndarray, outcome: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, median absolute error and shares within 10 and 20 points.

    >>> error_metrics(np.array([10.0, 50.0, 100.0]), np.array([0.0, 75.0, 100.0]))["mae"]
    11.666666666666666
    """
    err = np.abs(np.asarray(pred, dtype=float) - np.asarray(outcome, dtype=float))
    if err.size == 0:
        return {"n": 0}
    return {
        "n": int(err.size),
        "mae": float(err.mean()),
        "rmse": float(np.sqrt((err**2).mean())),
        "median_ae": float(np.median(err)),
        "within_10": float((err <= 10).mean()),
        "within_20": float((err <= 20).mean()),
    }


def bootstrap_weights(
    groups: np.ndarray, n_boot: int, rng: np.random.Generator, resample: str = "proposal"
) -> tuple[np.ndarray, np.ndarray]:
    """Resampling weights for a paired (cluster) bootstrap.

    Returns ``(w, member)``: ``w`` (n_boot, G) how often each cluster is drawn, ``member``
    the cluster index of each issue. With ``resample="issue"`` every issue is its own cluster.
    """
    if resample == "issue":
        member = np.arange(len(groups))
    else:
        _, member = np.unique(groups, return_inverse=True)
    g = int(member.max()) + 1 if member.size else 0
    w = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot).astype(float)
    return w, member


def bootstrap_mae_difference(
    err_model: np.ndarray, err_base: np.ndarray, w: np.ndarray, member: np.ndarray
) -> np.ndarray:
    """Bootstrap draws of MAE(model) - MAE(base) given resampling weights (see above)."""
    g = w.shape[1]
    n = np.bincount(member, minlength=g).astype(float)  # a cluster may have no issue left
    sm = np.bincount(member, weights=err_model, minlength=g)
    sb = np.bincount(member, weights=err_base, minlength=g)
    count = w @ n
    return (w @ sm - w @ sb) / count


def _make_model(spec: str):
    from detente.models.spec import make_model  # the CLI's parser of NAME:key=value,...

    return make_model(spec)


def _forecast_parts(model, parts: list[tuple[np.ndarray, ScenarioArrays]], seed: int) -> list:
    many = getattr(model, "forecast_many", None)  # a peer's model may lack it
    if many is not None:
        return many([arrays for _, arrays in parts], seed)
    return [model.forecast(a, np.random.default_rng(seed)) for _, a in parts]


def _forecast(
    name: str,
    parts: list[tuple[np.ndarray, ScenarioArrays]],
    n_issues: int,
    seed: int,
    fallback: Callable[[], list[tuple[np.ndarray, ScenarioArrays]]] | None = None,
) -> tuple[np.ndarray | None, str | None, dict, list[str], list[dict[str, Any]]]:
    """Forecast every issue with one model; ``parts`` pairs issue indices with their arrays.

    When the call over ``parts`` raises and ``fallback`` is given, it is called for smaller
    parts (one per proposal, or one per issue) and each is forecast on its own: the parts the
    model cannot forecast are left out (NaN) and listed with the reason, the fifth item.
    Returns ``(None, reason, ...)`` when no issue could be forecast or a forecast is malformed.
    """
    pred = np.full(n_issues, np.nan)
    missing: list[dict[str, Any]] = []
    try:
        opts = name.partition(":")[2]
        model = get_model(name) if not opts else _make_model(name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                done = list(zip(parts, _forecast_parts(model, parts, seed), strict=True))
            except Exception:
                if fallback is None:
                    raise
                done = []
                for part in fallback():
                    try:
                        done.append((part, _forecast_parts(model, [part], seed)[0]))
                    except Exception as exc:  # this proposal only: record and go on
                        missing.append(
                            {"issues": [int(i) for i in part[0]], "reason": _reason(exc)}
                        )
                if not done:
                    raise
            for (index, _), out in done:
                out = np.asarray(out, dtype=float)
                if out.shape != (1, len(index)):
                    return (
                        None,
                        f"forecast has shape {out.shape}, expected (1, {len(index)})",
                        {},
                        [],
                        [],
                    )
                pred[index] = out[0]
    except Exception as exc:  # a peer's model may not handle this data: record and go on
        return None, _reason(exc), {}, [], []
    left_out = np.zeros(n_issues, dtype=bool)
    for m in missing:
        left_out[m["issues"]] = True
    bad = int((~np.isfinite(pred) & ~left_out).sum())
    if bad:
        return None, f"non-finite forecast on {bad} of {n_issues} issues", {}, [], []
    notes = sorted({str(w.message) for w in caught})
    return pred, None, model.describe(), notes, missing


def _issue_parts(
    data: DEUData, capability: np.ndarray, blank_salience: Literal["exclude", "issue_mean"]
) -> list[tuple[np.ndarray, ScenarioArrays]]:
    return [
        (idx, data.subset(idx).arrays(capability[idx], blank_salience=blank_salience))
        for idx in np.arange(data.n_issues)[:, None]
    ]


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


#: Central intervals scored in the distribution columns, as coverage probabilities.
LEVELS: tuple[float, ...] = (0.5, 0.8, 0.9)
#: Folds and split seed of the cross-validated error pool that dresses a point forecast.
DRESS_FOLDS = 10
DRESS_SEED = 0


def dressed_scores(
    pred: np.ndarray,
    outcome: np.ndarray,
    groups: np.ndarray,
    lo: float = 0.0,
    hi: float = 100.0,
) -> dict[str, np.ndarray]:
    """Per-issue interval bounds, mid-PIT and CRPS of a point forecast dressed with its errors.

    The issues are split into :data:`DRESS_FOLDS` folds of whole proposals
    (:func:`group_kfold`, seed :data:`DRESS_SEED`). Each issue's predictive distribution is its
    forecast plus every error the same forecaster made on the other folds' issues (its own
    cross-validated error distribution), clipped to ``lo..hi``. Returns ``lo50``/``hi50`` ...
    (per :data:`LEVELS`), ``pit`` and ``crps`` (in scale units), each (D,).
    """
    from detente.models.slot2 import empirical_crps  # numpy only; avoids an import cycle

    folds = group_kfold(groups, DRESS_FOLDS, np.random.default_rng(DRESS_SEED))
    resid = outcome - pred
    out = {k: np.empty_like(pred) for k in ("pit", "crps")}
    for level in LEVELS:
        out[f"lo{round(100 * level)}"] = np.empty_like(pred)
        out[f"hi{round(100 * level)}"] = np.empty_like(pred)
    for f in np.unique(folds):
        te = folds == f
        samples = np.clip(pred[te, None] + resid[None, ~te], lo, hi)
        y = outcome[te]
        out["crps"][te] = empirical_crps(samples, y)
        out["pit"][te] = (samples < y[:, None]).mean(axis=1) + 0.5 * (samples == y[:, None]).mean(
            axis=1
        )
        for level in LEVELS:
            q = np.percentile(samples, [50 * (1 - level), 50 * (1 + level)], axis=1)
            out[f"lo{round(100 * level)}"][te] = q[0]
            out[f"hi{round(100 * level)}"][te] = q[1]
    return out


def distribution_metrics(scores: dict[str, np.ndarray], outcome: np.ndarray) -> dict[str, Any]:
    """Coverage of the central intervals, a 10-bin PIT histogram and the mean CRPS."""
    cover = {}
    for level in LEVELS:
        tag = round(100 * level)
        inside = (scores[f"lo{tag}"] <= outcome) & (outcome <= scores[f"hi{tag}"])
        cover[str(level)] = float(inside.mean())
    hist = np.histogram(np.clip(scores["pit"], 0, 1), bins=10, range=(0, 1))[0]
    return {
        "coverage": cover,
        "pit_histogram": [int(h) for h in hist],
        "crps": float(np.mean(scores["crps"])),
    }


def _own_distribution(
    name: str, arrays: ScenarioArrays, outcome: np.ndarray
) -> dict[str, np.ndarray] | None:
    """A model's own predictive distribution on every issue, where it has one (slot2)."""
    opts = name.partition(":")[2]
    model = get_model(name) if not opts else _make_model(name)
    predictive = getattr(model, "predictive", None)
    if predictive is None:
        return None
    try:
        got = predictive(arrays, outcome)
    except ValueError:  # e.g. detente:variant=v1 has no distribution
        return None
    return {k: np.asarray(v)[0] for k, v in got.items()}


def run_backtest(
    data: DEUData,
    *,
    models: Sequence[str] | None = None,
    capabilities: Sequence[str] = CAPABILITIES,
    seed: int = DEFAULT_SEED,
    n_boot: int = 2000,
    resample: Literal["proposal", "issue"] = "proposal",
    blank_salience: Literal["exclude", "issue_mean"] = "exclude",
    batch: Literal["auto", "all", "proposal"] = "auto",
) -> dict[str, Any]:
    """Score models x capability conventions on a DEU file's kept issues.

    Parameters
    ----------
    data
        Loaded DEU data (:func:`detente.io.deu.load_deu`).
    models
        Registered model names; None = every registered model.
    capabilities
        Capability conventions (:data:`detente.analyses.power.CAPABILITIES`).
    seed
        Seed of the bootstrap generator (and of the generator passed to models).
    n_boot
        Bootstrap draws.
    resample
        Bootstrap clusters: whole proposals (default) or single issues.
    blank_salience
        Passed to :meth:`DEUData.arrays`.
    batch
        ``"all"``: one call per model with every issue on the issue axis (fast; right for
        models that treat issues independently). ``"proposal"``: one call per proposal, so
        that models linking issues (vote trading, packages) only link issues decided together.

    Returns
    -------
    dict
        ``data`` (filter summary), ``settings``, ``results`` (one row per model and
        capability with metrics, bootstrap CI and breakdowns), ``skipped`` (model, capability,
        reason), ``models`` (describe() of each model run) and ``predictions`` (per issue).
    """
    started = time.perf_counter()
    names = list(registry()) if models is None else list(models)
    known = registry()
    for n in names:  # a name may carry options: "nbs:disagreement=far"
        if n.partition(":")[0] not in known:
            raise KeyError(f"unknown model {n!r}; registered: {', '.join(known)}")
    for c in capabilities:
        if c not in CAPABILITIES:
            raise KeyError(f"unknown capability convention {c!r}; one of {', '.join(CAPABILITIES)}")
    outcome = data.outcome
    groups = data.proposal_groups()
    rng = np.random.default_rng(seed)
    w, member = bootstrap_weights(groups, n_boot, rng, resample)
    meta = {b: data.column(b).astype(str) for b in BREAKDOWNS}

    results: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    model_warnings: list[dict[str, str]] = []
    described: dict[str, dict] = {}
    columns: dict[str, list[float]] = {}
    for cap in capabilities:
        capability = deu_capabilities(data, cap)
        by_proposal = [
            (idx, data.subset(idx).arrays(capability[idx], blank_salience=blank_salience))
            for idx in (np.flatnonzero(groups == g) for g in np.unique(groups))
        ]
        everything = [
            (np.arange(data.n_issues), data.arrays(capability, blank_salience=blank_salience))
        ]
        # built only when a model fails on the whole batch, and then once per convention
        per_issue = functools.cache(
            functools.partial(_issue_parts, data, capability, blank_salience)
        )
        preds: dict[str, np.ndarray] = {}
        not_forecast: dict[str, list[dict[str, Any]]] = {}
        run_names = names if BASELINE in names else [*names, BASELINE]
        for name in run_names:
            # models that bargain across issues see one proposal at a time (its issues are
            # decided together); the others forecast every issue in one batched call
            links = getattr(known[name.partition(":")[0]], "links_issues", False)
            joint = batch == "proposal" or (batch == "auto" and links)
            parts = by_proposal if joint else everything
            # issue by issue, so that one issue a model cannot take costs only itself
            fallback = by_proposal.copy if joint else per_issue
            pred, reason, desc, notes, missing = _forecast(
                name, parts, data.n_issues, seed, fallback=fallback
            )
            if pred is None:
                skipped.append({"model": name, "capability": cap, "reason": str(reason)})
                continue
            preds[name] = pred
            if missing:
                not_forecast[name] = missing
            described.setdefault(name, desc)
            for note in notes:
                model_warnings.append({"model": name, "capability": cap, "warning": note})
        base = preds.get(BASELINE)
        arrays_all = everything[0][1]
        scale = (float(np.min(arrays_all.scale_min)), float(np.max(arrays_all.scale_max)))
        base_dist = None
        if base is not None:
            base_dist = dressed_scores(base, outcome, groups, *scale)
        for name in names:
            if name not in preds:
                continue
            pred = preds[name]
            # a model that could not forecast some proposals is scored on the rest, and so is
            # the compromise model it is compared with (the comparison stays paired)
            keep = np.isfinite(pred)
            err = np.abs(pred - outcome)[keep]
            row: dict[str, Any] = {
                "model": name,
                "capability": cap,
                **error_metrics(pred[keep], outcome[keep]),
            }
            if not keep.all():
                row["not_forecast"] = not_forecast[name]
            if base is not None:
                err_base = np.abs(base - outcome)[keep]
                draws = bootstrap_mae_difference(err, err_base, w, member[keep])
                diff = float(err.mean() - err_base.mean())
                lo, hi = np.percentile(draws, [2.5, 97.5])
                row["vs_compromise"] = {
                    "mae_difference": diff,
                    "relative": diff / float(err_base.mean()),
                    "ci95": [float(lo), float(hi)],
                    "excludes_zero": bool(hi < 0 or lo > 0),
                }
            own = _own_distribution(name, arrays_all, outcome) if keep.all() else None
            if own is not None:
                dist = distribution_metrics(own, outcome)
                dist["source"] = "the model's own predictive distribution"
            elif keep.all():
                dist = distribution_metrics(dressed_scores(pred, outcome, groups, *scale), outcome)
                dist["source"] = "the forecast dressed with its own cross-validated errors"
            else:
                dist = None
            if dist is not None:
                if base_dist is not None:
                    dist["crps_dressed_compromise"] = float(np.mean(base_dist["crps"]))
                row["distribution"] = dist
            row["breakdown"] = {
                b: {
                    str(level): error_metrics(
                        pred[keep & (meta[b] == level)], outcome[keep & (meta[b] == level)]
                    )
                    for level in sorted(set(meta[b]))
                }
                for b in BREAKDOWNS
            }
            results.append(row)
            columns[f"{name}@{cap}"] = [float(x) if np.isfinite(x) else None for x in pred]

    return {
        "data": data.summary(),
        "settings": {
            "seed": seed,
            "n_boot": n_boot,
            "resample": resample,
            "blank_salience": blank_salience,
            "batch": batch,
            "baseline": f"{BASELINE} (same capability convention)",
            "capabilities": list(capabilities),
            "models_requested": names,
        },
        "models": described,
        "results": results,
        "skipped": skipped,
        "warnings": model_warnings,
        "predictions": {
            "issue": list(data.issue_ids),
            "proposal": [i.proposal for i in data.issues],
            "era": meta["era"].tolist(),
            "procedure": meta["procedure"].tolist(),
            "voting_rule": meta["voting_rule"].tolist(),
            "reference_point": [None if np.isnan(x) else float(x) for x in data.reference_point],
            "outcome": [float(x) for x in outcome],
            "forecasts": columns,
        },
        "seconds": round(time.perf_counter() - started, 3),
    }


def predictions_csv(result: dict[str, Any]) -> str:
    """Per-issue predictions of a :func:`run_backtest` result as CSV text (one row per issue)."""
    p = result["predictions"]
    fixed = ["issue", "proposal", "era", "procedure", "voting_rule", "reference_point", "outcome"]
    forecast_cols = list(p["forecasts"])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fixed + forecast_cols)
    for i in range(len(p["issue"])):
        row = [p[c][i] for c in fixed]
        row = ["" if v is None else v for v in row]
        values = [p["forecasts"][c][i] for c in forecast_cols]
        writer.writerow(row + ["" if v is None else f"{v:.4f}" for v in values])
    return buf.getvalue()


def group_kfold(groups: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Fold index per issue: whole groups (proposals) dealt round-robin after a seeded shuffle.

    >>> group_kfold(np.array([0, 0, 1, 2, 2, 3]), 2, np.random.default_rng(0)).tolist()
    [1, 1, 0, 0, 0, 1]
    """
    _, member = np.unique(groups, return_inverse=True)
    g = int(member.max()) + 1
    fold_of_group = np.empty(g, dtype=int)
    fold_of_group[rng.permutation(g)] = np.arange(g) % k
    return fold_of_group[member]
