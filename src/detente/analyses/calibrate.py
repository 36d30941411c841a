"""Fitting and cross-validating the detente forecaster on the DEU training data.

:func:`fit_detente` finds the slot coefficients of :mod:`detente.models.detente_model`. It
minimises the mean expected absolute error of the slot choice,
``mean_issues sum_slots p_slot |slot - outcome|``, plus ``RIDGE * |coef|**2``, with Powell's
method from zero. The objective is not convex, so a fixed start and method keep the fit
reproducible.

:func:`cross_validate_detente` refits inside each fold of a grouped K-fold split (whole
proposals; :func:`detente.analyses.backtest.group_kfold`). It scores the held-out proposals
against the compromise model (nothing to fit) and bootstraps the paired MAE difference over
proposals.

The v2 forecaster (:mod:`detente.models.slot2`) has its own convex fit (:func:`fit_slot2`),
cross-validation with predictive-distribution scores (:func:`cross_validate_slot2`), and
leave-one-era-out (:func:`leave_one_era_out`, for both variants). :func:`validation_report`
gathers them with a power table for docs/validation.md and ``detente backtest deu --cv``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from detente.analyses.backtest import (
    bootstrap_mae_difference,
    bootstrap_weights,
    distribution_metrics,
    dressed_scores,
    error_metrics,
    group_kfold,
)
from detente.analyses.power import deu_capabilities
from detente.io.deu import DecidedCases, DEUData
from detente.models import slot2
from detente.models.central import actor_weights, weighted_mean
from detente.models.detente_model import FEATURES, slot_features, slot_probabilities

#: Ridge penalty on the coefficients, in scale points of expected absolute error.
RIDGE = 1e-3


def _design(data: DEUData, capability: str, status_quo: Literal["ignore", "slot"]):
    arrays = data.arrays(deu_capabilities(data, capability))
    with warnings.catch_warnings():  # the status quo is unknown on some DEU issues: expected
        warnings.simplefilter("ignore", UserWarning)
        slots, feats, offset, valid = slot_features(arrays, status_quo=status_quo)
    # issues first: (D, K, F), (D, K)
    return (
        arrays,
        np.moveaxis(slots[0], -1, 0) * 100.0,
        np.moveaxis(feats[0], 1, 0),
        offset[0].T,
        valid[0].T,
    )


def _fit(slots, feats, offset, valid, y) -> np.ndarray:
    def loss(coef: np.ndarray) -> float:
        p = slot_probabilities(feats, offset, valid, coef)
        return float((p * np.abs(slots - y[:, None])).sum(axis=1).mean() + RIDGE * coef @ coef)

    res = minimize(
        loss,
        np.zeros(feats.shape[-1]),
        method="Powell",
        options={"maxiter": 4000, "xtol": 1e-3, "ftol": 1e-5},
    )
    return res.x


def _predict(slots, feats, offset, valid, coef) -> np.ndarray:
    return (slot_probabilities(feats, offset, valid, coef) * slots).sum(axis=1)


def fit_detente(
    data: DEUData,
    *,
    capability: str = "treaty",
    status_quo: Literal["ignore", "slot"] = "ignore",
) -> dict[str, Any]:
    """Fit the detente coefficients on all kept issues of ``data``.

    Returns the coefficients by feature name (plus ``status_quo`` for the slot variant) and
    the in-sample MAE of the detente and compromise forecasts.
    """
    arrays, slots, feats, offset, valid = _design(data, capability, status_quo)
    y = data.outcome
    coef = _fit(slots, feats, offset, valid, y)
    names = [*FEATURES, "status_quo"] if status_quo == "slot" else list(FEATURES)
    base = weighted_mean(arrays.position, actor_weights(arrays, "capability_salience"))[0]
    return {
        "coefficients": dict(zip(names, (float(c) for c in coef), strict=True)),
        "mae": float(np.abs(_predict(slots, feats, offset, valid, coef) - y).mean()),
        "compromise_mae": float(np.abs(base - y).mean()),
    }


def cross_validate_detente(
    data: DEUData,
    *,
    k: int = 10,
    seed: int = 0,
    capability: str = "treaty",
    status_quo: Literal["ignore", "slot"] = "ignore",
    n_boot: int = 2000,
) -> dict[str, Any]:
    """Nested grouped K-fold cross-validation of detente against the compromise model.

    Folds hold whole proposals (``group_kfold`` with ``default_rng(seed)``). The coefficients
    are refitted on the training proposals of every fold. The paired bootstrap over proposals
    (``default_rng(seed + 1)``) gives the 95 % CI of the out-of-fold MAE difference
    detente - compromise.
    """
    arrays, slots, feats, offset, valid = _design(data, capability, status_quo)
    y = data.outcome
    groups = data.proposal_groups()
    base = weighted_mean(arrays.position, actor_weights(arrays, "capability_salience"))[0]
    folds = group_kfold(groups, k, np.random.default_rng(seed))
    oof = np.empty_like(y)
    for f in range(k):  # one fit per fold
        test = folds == f
        train = ~test
        coef = _fit(slots[train], feats[train], offset[train], valid[train], y[train])
        oof[test] = _predict(slots[test], feats[test], offset[test], valid[test], coef)
    w, member = bootstrap_weights(groups, n_boot, np.random.default_rng(seed + 1))
    e_det, e_base = np.abs(oof - y), np.abs(base - y)
    draws = bootstrap_mae_difference(e_det, e_base, w, member)
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return {
        "seed": seed,
        "folds": k,
        "capability": capability,
        "status_quo": status_quo,
        "detente": error_metrics(oof, y),
        "compromise": error_metrics(base, y),
        "mae_difference": float(e_det.mean() - e_base.mean()),
        "relative": float(e_det.mean() / e_base.mean() - 1.0),
        "ci95": [float(lo), float(hi)],
        "excludes_zero": bool(hi < 0 or lo > 0),
        # v1 gives a point: dressed with the out-of-fold errors of the other proposals
        "distribution": distribution_metrics(dressed_scores(oof, y, groups), y),
    }


# --- the slot forecaster v2 (detente.models.slot2) -------------------------------------------

#: Ridge penalty of the v2 fit (per issue, on the mean cross-entropy).
SLOT2_RIDGE = slot2.RIDGE
#: Scale of the soft targets exp(-|slot - outcome| / scale), in points of a 0-100 scale.
SLOT2_TARGET_SCALE = slot2.TARGET_SCALE
#: Laplace kernel scales (points) among which cross-validated CRPS picks the smoothing.
SMOOTHING_GRID: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0)
#: Folds of the inner cross-validation that picks the smoothing.
INNER_FOLDS = 5
#: Seed of the inner fold split (the fit itself uses no randomness).
INNER_SEED = 0


def slot2_design(data: DEUData | DecidedCases, capability: str = "treaty"):
    """Slots (D, K) on 0..1, features (D, K, F), offsets and validity (D, K) of every issue.

    DEU data take the named capability convention; decided cases in detente's own layout
    (:class:`detente.io.deu.DecidedCases`) carry their capabilities, and ``capability`` is
    not used.
    """
    if isinstance(data, DecidedCases):
        arrays = data.arrays()
    else:
        arrays = data.arrays(deu_capabilities(data, capability))
    slots, feats, offset, valid = slot2.slot2_features(arrays)
    return arrays, slots[0].T, np.moveaxis(feats[0], 1, 0), offset[0].T, valid[0].T


def _soft_targets(slots, y01, offset, valid, scale: float) -> np.ndarray:
    # a slot held by m actors is m entries with offset -log m: its target mass is split alike
    z = np.where(valid, -np.abs(slots - y01[:, None]) / scale + offset, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def slot2_objective(coef, feats, offset, valid, targets, ridge: float):
    """Soft-target cross-entropy (mean over issues) + ridge, and its gradient. Convex in coef.

    The last slot is the compromise: its stage is a logistic regression and the held
    positions' a multinomial logit (:func:`detente.models.slot2.slot_probabilities`), each
    convex in its own coefficients.
    """
    z = feats @ coef
    za = np.where(valid[:, :-1], z[:, :-1] + offset[:, :-1], -np.inf)
    m = za.max(axis=1, keepdims=True)
    e = np.exp(za - m)
    tot = e.sum(axis=1, keepdims=True)
    share = e / tot
    lse = m[:, 0] + np.log(tot[:, 0])
    t_pos, t_c = targets[:, :-1], targets[:, -1]
    u = z[:, -1]
    # -log sigma(u) = logaddexp(0, -u); -log(1 - sigma(u)) = logaddexp(0, u)
    nll = (
        t_c * np.logaddexp(0.0, -u)
        + (1.0 - t_c) * np.logaddexp(0.0, u)
        + t_pos.sum(axis=1) * lse
        - (t_pos * np.where(valid[:, :-1], za, 0.0)).sum(axis=1)
    )
    g_slot = np.concatenate(
        [t_pos.sum(axis=1, keepdims=True) * share - t_pos, (expit(u) - t_c)[:, None]], axis=1
    )
    n = len(targets)
    value = float(nll.mean() + ridge * coef @ coef)
    grad = (g_slot[..., None] * feats).sum(axis=(0, 1)) / n + 2.0 * ridge * coef
    return value, grad


def slot2_hessian(
    coef: np.ndarray,
    feats: np.ndarray,
    offset: np.ndarray,
    valid: np.ndarray,
    targets: np.ndarray,
    ridge: float,
) -> np.ndarray:
    """Hessian of :func:`slot2_objective` (F, F): positive definite (convex stages + ridge).

    Logistic stage: ``sigma (1 - sigma) f_c f_c^T``; multinomial stage: the targets' mass on
    the held positions times the covariance of the features under the softmax.
    """
    z = feats @ coef
    za = np.where(valid[:, :-1], z[:, :-1] + offset[:, :-1], -np.inf)
    e = np.exp(za - za.max(axis=1, keepdims=True))
    share = e / e.sum(axis=1, keepdims=True)
    fa = feats[:, :-1, :]
    mean_f = np.einsum("dk,dkf->df", share, fa)
    second = np.einsum("dk,dkf,dkg->dfg", share, fa, fa)
    mass = targets[:, :-1].sum(axis=1)
    pc = expit(z[:, -1])
    fc = feats[:, -1, :]
    h = np.einsum("d,dfg->fg", mass, second - mean_f[:, :, None] * mean_f[:, None, :])
    h += np.einsum("d,df,dg->fg", pc * (1.0 - pc), fc, fc)
    return h / len(targets) + 2.0 * ridge * np.eye(len(coef))


def newton_bounded(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    hess: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    lower: np.ndarray,
    *,
    tol: float = 1e-12,
    max_iter: int = 200,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Damped projected Newton for a smooth convex function with lower bounds.

    ``fun(x) -> (value, gradient)``, ``hess(x) -> (F, F)``; ``lower`` is (F,) with ``-inf``
    for free coordinates. Coordinates at their bound whose gradient pushes outwards are held
    there; the rest take a Newton step, halved until the value decreases (Armijo) and
    projected onto the bounds. Deterministic and derivative-based: convex objectives reach
    the same optimum from any feasible start. Returns ``(x, report)``.
    """
    x = np.maximum(np.asarray(x0, dtype=float), lower)
    value, grad = fun(x)
    it = 0
    while it < max_iter:
        it += 1
        active = (x <= lower) & (grad > 0)
        free = ~active
        pg = np.where(active, 0.0, grad)
        if np.max(np.abs(pg)) < tol:
            break
        step = np.zeros_like(x)
        step[free] = -np.linalg.solve(hess(x)[np.ix_(free, free)], grad[free])
        t = 1.0
        while True:
            cand = np.maximum(x + t * step, lower)
            cv, cg = fun(cand)
            if cv <= value + 1e-4 * grad @ (cand - x) or t < 1e-12:
                break
            t *= 0.5
        done = value - cv < 1e-16 and np.max(np.abs(cand - x)) < 1e-14
        x, value, grad = cand, cv, cg
        if done:
            break
    pg = np.where((x <= lower) & (grad > 0), 0.0, grad)
    return x, {
        "objective": float(value),
        "iterations": it,
        "projected_gradient": float(np.max(np.abs(pg))),
        "ok": bool(np.max(np.abs(pg)) < 1e-8),
    }


def fit_slot2_coefficients(
    slots: np.ndarray,
    feats: np.ndarray,
    offset: np.ndarray,
    valid: np.ndarray,
    y: np.ndarray,
    *,
    ridge: float = SLOT2_RIDGE,
    target_scale: float = SLOT2_TARGET_SCALE,
    start: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    active: Sequence[str] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit A: projected Newton on the convex soft-target cross-entropy, ``support`` >= 0.

    ``y`` are outcomes on 0..100, ``slots`` on 0..1. ``sample_weight`` (D,) counts each issue
    that many times (a bootstrap resample); the mean is over the counted issues. The columns of
    ``feats`` are the first F of :data:`detente.models.slot2.FEATURES`; only those named in
    ``active`` (default :data:`detente.models.slot2.BASE_FEATURES`, the first slot2) are fitted,
    the others stay exactly 0. Returns the coefficients (F,) and the optimiser's report
    (objective, iterations, projected gradient).
    """
    names = slot2.FEATURES[: feats.shape[-1]]
    use = set(slot2.BASE_FEATURES if active is None else active)
    cols = [i for i, f in enumerate(names) if f in use]
    targets = _soft_targets(slots, y / 100.0, offset, valid, target_scale / 100.0)
    f_act = feats[..., cols]
    if sample_weight is not None:  # whole counts: each issue repeated that many times
        idx = np.repeat(np.arange(len(y)), np.asarray(sample_weight, dtype=int))
        targets, f_act, offset, valid = targets[idx], f_act[idx], offset[idx], valid[idx]
    lower = np.array(
        [
            -np.inf if slot2.LOWER_BOUNDS[names[i]] is None else slot2.LOWER_BOUNDS[names[i]]
            for i in cols
        ]
    )
    x0 = np.zeros(len(cols)) if start is None else np.asarray(start, dtype=float)[cols]
    coef, report = newton_bounded(
        lambda c: slot2_objective(c, f_act, offset, valid, targets, ridge),
        lambda c: slot2_hessian(c, f_act, offset, valid, targets, ridge),
        x0,
        lower,
    )
    full = np.zeros(feats.shape[-1])
    full[cols] = coef
    return full, report


#: Inner-CV forward selection of the compromise-stage terms (:func:`select_compromise_terms`):
#: a term enters while it lowers the inner out-of-fold MAE by at least this many points ...
SELECT_MIN_GAIN = 0.05
#: ... up to this many terms, ...
SELECT_MAX_TERMS = 3
#: ... averaged over this many inner split seeds (0, 1, ...).
SELECT_REPEATS = 2


def select_compromise_terms(
    slots: np.ndarray,
    feats: np.ndarray,
    offset: np.ndarray,
    valid: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
) -> tuple[str, ...]:
    """Forward selection of :data:`detente.models.slot2.COMPROMISE_CANDIDATES` by inner CV.

    Starting from :data:`detente.models.slot2.BASE_FEATURES`, each round adds the candidate
    whose fit gives the lowest out-of-fold MAE of the slot median in a grouped
    :data:`INNER_FOLDS`-fold CV of these issues (repeated over :data:`SELECT_REPEATS` split
    seeds), while it improves that MAE by at least :data:`SELECT_MIN_GAIN` points, up to
    :data:`SELECT_MAX_TERMS` terms. Deterministic: the inner splits use seeds 0, 1, ...
    Returns the chosen terms in the order they entered.
    """
    inners = [
        group_kfold(groups, INNER_FOLDS, np.random.default_rng(r)) for r in range(SELECT_REPEATS)
    ]
    # The objective is a sum of the compromise stage's logistic loss and the positions'
    # multinomial loss (and the ridge is a sum over coefficients), so the positions' optimum
    # does not depend on the compromise-stage terms: it is fitted once per inner fold, and each
    # candidate set refits the small logistic stage only.
    names = slot2.FEATURES[: feats.shape[-1]]
    stage = [i for i, f in enumerate(names) if f.startswith("compromise")]
    folds = []
    for inner in inners:
        for j in range(INNER_FOLDS):
            te, tr = inner == j, inner != j
            base, _ = fit_slot2_coefficients(slots[tr], feats[tr], offset[tr], valid[tr], y[tr])
            t = _soft_targets(
                slots[tr], y[tr] / 100.0, offset[tr], valid[tr], SLOT2_TARGET_SCALE / 100.0
            )[:, -1]
            folds.append((te, base, feats[tr][:, -1, :], t))

    def inner_mae(terms: tuple[str, ...]) -> float:
        use = [i for i in stage if names[i] in {*slot2.BASE_FEATURES, *terms}]
        total = 0.0
        for te, base, fc_all, t in folds:
            fc = fc_all[:, use]
            n = len(t)

            def fun(c, fc=fc, t=t, n=n):
                u = fc @ c
                value = (t * np.logaddexp(0.0, -u) + (1.0 - t) * np.logaddexp(0.0, u)).mean()
                grad = fc.T @ (expit(u) - t) / n + 2.0 * SLOT2_RIDGE * c
                return float(value + SLOT2_RIDGE * c @ c), grad

            def hess(c, fc=fc, n=n):
                p = expit(fc @ c)
                return (fc * (p * (1.0 - p))[:, None]).T @ fc / n + 2.0 * SLOT2_RIDGE * np.eye(
                    len(c)
                )

            c, _ = newton_bounded(fun, hess, np.zeros(len(use)), np.full(len(use), -np.inf))
            coef = base.copy()
            coef[stage] = 0.0
            coef[use] = c
            pred = _slot2_medians(slots[te], feats[te], offset[te], valid[te], coef)
            total += float(np.abs(pred - y[te]).sum())
        return total / (len(y) * len(inners))

    chosen: tuple[str, ...] = ()
    best = inner_mae(chosen)
    for _ in range(SELECT_MAX_TERMS):
        scored = sorted(
            (inner_mae((*chosen, c)), c) for c in slot2.COMPROMISE_CANDIDATES if c not in chosen
        )
        if not scored or best - scored[0][0] < SELECT_MIN_GAIN:
            break
        best, pick = scored[0]
        chosen = (*chosen, pick)
    return chosen


def _slot2_probs(feats, offset, valid, coef) -> np.ndarray:
    return slot2.slot_probabilities(feats, offset, valid, coef)


def _slot2_medians(slots, feats, offset, valid, coef) -> np.ndarray:
    """Point forecasts on 0..100 (the slot median)."""
    return 100.0 * slot2.weighted_median(slots, _slot2_probs(feats, offset, valid, coef))


def choose_distribution(
    slots,
    feats,
    offset,
    valid,
    y,
    groups,
    *,
    seed: int = INNER_SEED,
    active: Sequence[str] | None = None,
) -> tuple[float, dict[str, float]]:
    """Smoothing and interval tails of the predictive distribution, by an inner grouped CV.

    The Laplace scale (points) is the one with the lowest mean CRPS of the inner out-of-fold
    distributions. For each level L of :data:`detente.models.slot2.INTERVALS` the tail t is the
    widest-tail (narrowest) choice on a 0.005 grid whose interval [q(t), q(1 - t)] still covers
    at least L of the inner out-of-fold outcomes: a recalibration of the nominal levels.
    ``active`` names the fitted features (:func:`fit_slot2_coefficients`).
    """
    folds = group_kfold(groups, INNER_FOLDS, np.random.default_rng(seed))
    prob = np.zeros_like(slots)
    for f in range(INNER_FOLDS):
        te = folds == f
        coef, _ = fit_slot2_coefficients(
            slots[~te], feats[~te], offset[~te], valid[~te], y[~te], active=active
        )
        prob[te] = _slot2_probs(feats[te], offset[te], valid[te], coef)
    masses = [slot2.grid_distribution(slots, prob, b / 100.0) for b in SMOOTHING_GRID]
    scores = [float(slot2.grid_crps(m, y / 100.0).mean()) for m in masses]
    best = int(np.argmin(scores))
    mass = masses[best]
    tails = {}
    for level in slot2.INTERVALS:
        chosen = 0.0
        for t in np.arange(0.005, 0.5, 0.005):
            lo = 100.0 * slot2.grid_quantile(mass, t)
            hi = 100.0 * slot2.grid_quantile(mass, 1.0 - t)
            if ((lo <= y) & (y <= hi)).mean() < level:
                break
            chosen = float(round(t, 3))
        tails[str(level)] = chosen
    return float(SMOOTHING_GRID[best]), tails


def fit_slot2(
    data: DEUData | DecidedCases,
    *,
    capability: str = "treaty",
    variant: Literal["slot2", "slot2_base"] = "slot2",
) -> dict[str, Any]:
    """Fit the v2 slot forecaster on all kept issues of ``data``: everything a model file holds.

    ``variant="slot2"`` first chooses the compromise-stage terms by an inner grouped CV
    (:func:`select_compromise_terms`), then fits them with the base features;
    ``"slot2_base"`` fits :data:`detente.models.slot2.BASE_FEATURES` only (the first slot2).
    Deterministic: the same file gives the same numbers byte for byte (projected Newton from
    zero on a convex objective; the selection's and the smoothing's inner folds use fixed
    seeds).
    """
    arrays, slots, feats, offset, valid = slot2_design(data, capability)
    y = data.outcome
    groups = data.proposal_groups()
    terms = (
        select_compromise_terms(slots, feats, offset, valid, y, groups)
        if variant == "slot2"
        else ()
    )
    active = (*slot2.BASE_FEATURES, *terms)
    coef, report = fit_slot2_coefficients(slots, feats, offset, valid, y, active=active)
    smoothing, tails = choose_distribution(slots, feats, offset, valid, y, groups, active=active)
    pred = _slot2_medians(slots, feats, offset, valid, coef)
    base = weighted_mean(arrays.position, actor_weights(arrays, "capability_salience"))[0]
    return {
        "variant": variant,
        "coefficients": dict(zip(slot2.FEATURES, (float(c) for c in coef), strict=True)),
        "compromise_terms": list(terms),
        "smoothing": smoothing,
        "interval_tails": tails,
        "ridge": SLOT2_RIDGE,
        "target_scale": SLOT2_TARGET_SCALE,
        "training": {
            "source": Path(data.source).name,
            "issues": data.n_issues,
            "capability": (
                "as given in the file" if isinstance(data, DecidedCases) else capability
            ),
            "mae": float(np.abs(pred - y).mean()),
            "compromise_mae": float(np.abs(base - y).mean()),
            "optimiser": report,
        },
    }


def dressed_compromise(base_test, base_train, y_train) -> np.ndarray:
    """Samples (D_test, M) of the compromise dressed with its training errors, clipped to 0..100."""
    resid = y_train - base_train
    return np.clip(base_test[:, None] + resid[None, :], 0.0, 100.0)


def laplace_coverage(pred: np.ndarray, y: np.ndarray, mae: float) -> dict[str, float]:
    """Coverage of the central intervals of ``pred`` + Laplace noise with mean absolute ``mae``.

    This is the model error that Monte Carlo runs add to a model declaring a
    ``validated_error`` (:func:`detente.analyses.montecarlo.with_model_error`): the L interval
    is ``pred +- mae * log(1 / (1 - L))``. Clipping to the scale changes no outcome's coverage.
    """
    err = np.abs(np.asarray(y) - np.asarray(pred))
    return {
        str(level): float((err <= -mae * np.log(1.0 - level)).mean()) for level in slot2.INTERVALS
    }


def _distribution_scores(mass, y, lo_hi) -> dict[str, Any]:
    """Coverage of the central intervals, a 10-bin PIT histogram and mean CRPS (points)."""
    y01 = y / 100.0
    cum = mass.cumsum(axis=-1)
    g = slot2.grid()
    at = np.clip(np.searchsorted(g, y01, side="right") - 1, 0, len(g) - 1)
    below = np.take_along_axis(cum, at[:, None], -1)[:, 0]
    point = np.take_along_axis(mass, at[:, None], -1)[:, 0]
    pit = below - 0.5 * point  # mid-PIT: a point mass at the outcome counts half
    hist = np.histogram(np.clip(pit, 0, 1), bins=10, range=(0, 1))[0]
    return {
        "coverage": {
            str(level): float(((lo <= y) & (y <= hi)).mean()) for level, (lo, hi) in lo_hi.items()
        },
        "pit_histogram": [int(h) for h in hist],
        "crps": float(100.0 * slot2.grid_crps(mass, y01).mean()),
    }


def _sample_scores(samples, y) -> dict[str, Any]:
    out = {"coverage": {}, "crps": float(slot2.empirical_crps(samples, y).mean())}
    for level in slot2.INTERVALS:
        lo, hi = np.percentile(samples, [50 * (1 - level), 50 * (1 + level)], axis=1)
        out["coverage"][str(level)] = float(((lo <= y) & (y <= hi)).mean())
    pit = (samples < y[:, None]).mean(axis=1) + 0.5 * (samples == y[:, None]).mean(axis=1)
    out["pit_histogram"] = [int(h) for h in np.histogram(pit, bins=10, range=(0, 1))[0]]
    return out


def _oof_slot2(slots, feats, offset, valid, y, groups, folds, smoothing: bool, select: bool):
    """Out-of-fold slot2 medians, grid distributions, intervals and fitted numbers per fold.

    With ``select`` the compromise-stage terms are chosen inside every training fold
    (:func:`select_compromise_terms`); without, only the base features are fitted.
    """
    pred = np.empty_like(y)
    mass = np.zeros((len(y), slot2.GRID_POINTS))
    lo = {level: np.empty_like(y) for level in slot2.INTERVALS}
    hi = {level: np.empty_like(y) for level in slot2.INTERVALS}
    fitted = []
    for f in np.unique(folds):
        te = folds == f
        tr = ~te
        terms = (
            select_compromise_terms(slots[tr], feats[tr], offset[tr], valid[tr], y[tr], groups[tr])
            if select
            else ()
        )
        active = (*slot2.BASE_FEATURES, *terms)
        coef, _ = fit_slot2_coefficients(
            slots[tr], feats[tr], offset[tr], valid[tr], y[tr], active=active
        )
        b, tails = (
            choose_distribution(
                slots[tr], feats[tr], offset[tr], valid[tr], y[tr], groups[tr], active=active
            )
            if smoothing
            else (slot2.SMOOTHING, dict(slot2.INTERVAL_TAILS))
        )
        p = _slot2_probs(feats[te], offset[te], valid[te], coef)
        pred[te] = 100.0 * slot2.weighted_median(slots[te], p)
        m = slot2.grid_distribution(slots[te], p, b / 100.0)
        mass[te] = m
        for level in slot2.INTERVALS:
            t = tails[str(level)]
            lo[level][te] = 100.0 * slot2.grid_quantile(m, t)
            hi[level][te] = 100.0 * slot2.grid_quantile(m, 1.0 - t)
        fitted.append(
            {
                "compromise_terms": list(terms),
                "coefficients": coef.tolist(),
                "smoothing": b,
                "interval_tails": tails,
            }
        )
    return pred, mass, {level: (lo[level], hi[level]) for level in slot2.INTERVALS}, fitted


def _compare(pred, base, y, groups, seed: int, n_boot: int) -> dict[str, Any]:
    w, member = bootstrap_weights(groups, n_boot, np.random.default_rng(seed))
    e, eb = np.abs(pred - y), np.abs(base - y)
    draws = bootstrap_mae_difference(e, eb, w, member)
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return {
        "mae": float(e.mean()),
        "compromise_mae": float(eb.mean()),
        "ratio": float(e.mean() / eb.mean()),
        "mae_difference": float(e.mean() - eb.mean()),
        "ci95": [float(lo), float(hi)],
        "excludes_zero": bool(hi < 0 or lo > 0),
    }


def cross_validate_slot2(
    data: DEUData | DecidedCases,
    *,
    k: int = 10,
    seed: int = 0,
    capability: str = "treaty",
    n_boot: int = 2000,
    smoothing: bool = True,
    variant: Literal["slot2", "slot2_base"] = "slot2",
) -> dict[str, Any]:
    """Grouped K-fold CV of the v2 forecaster: point accuracy and the predictive distribution.

    ``variant="slot2"`` chooses the compromise-stage terms inside every training fold (nested);
    ``"slot2_base"`` fits the base features only.

    Folds hold whole proposals (``group_kfold`` with ``default_rng(seed)``); the coefficients
    and (with ``smoothing``) the kernel scale are refitted inside every training fold, the
    scale by an inner grouped CV on that fold only. The compromise model is scored on the same
    issues, and dressed with its own training-fold errors for the distributional comparison.
    """
    arrays, slots, feats, offset, valid = slot2_design(data, capability)
    y = data.outcome
    groups = data.proposal_groups()
    base = weighted_mean(arrays.position, actor_weights(arrays, "capability_salience"))[0]
    folds = group_kfold(groups, k, np.random.default_rng(seed))
    pred, mass, lo_hi, fitted = _oof_slot2(
        slots, feats, offset, valid, y, groups, folds, smoothing, variant == "slot2"
    )
    dressed_scores = []  # per fold: the compromise dressed with that fold's training errors
    crps_base = np.empty_like(y)
    for f in range(k):
        te = folds == f
        samples = dressed_compromise(base[te], base[~te], y[~te])
        crps_base[te] = slot2.empirical_crps(samples, y[te])
        dressed_scores.append(samples)
    dist = _distribution_scores(mass, y, lo_hi)
    dist["monte_carlo_coverage"] = laplace_coverage(pred, y, slot2.VALIDATED_ERROR["mae"])
    # the dressed compromise's coverage and PIT, fold by fold (sample counts differ by fold)
    cover = {str(level): 0.0 for level in slot2.INTERVALS}
    pit_hist = np.zeros(10, dtype=int)
    for f, samples in zip(range(k), dressed_scores, strict=True):
        te = folds == f
        sc = _sample_scores(samples, y[te])
        for key in cover:
            cover[key] += sc["coverage"][key] * te.sum() / len(y)
        pit_hist += np.array(sc["pit_histogram"])
    return {
        "seed": seed,
        "folds": k,
        "capability": capability,
        "variant": variant,
        **_compare(pred, base, y, groups, seed + 1, n_boot),
        "distribution": {
            **dist,
            "crps_dressed_compromise": float(crps_base.mean()),
            "dressed_compromise": {"coverage": cover, "pit_histogram": pit_hist.tolist()},
        },
        "fitted_per_fold": fitted,
        "oof": pred.tolist(),
    }


def leave_one_era_out(
    data: DEUData,
    *,
    variant: Literal["v1", "slot2", "slot2_base"] = "slot2",
    capability: str = "treaty",
    n_boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Train on two DEU eras, test on the third; per era and pooled with a bootstrap CI.

    The pooled comparison concatenates the three held-out eras' forecasts (every issue is
    forecast once, by a fit that never saw its era) and bootstraps proposals.
    """
    era = data.column("era").astype(str)
    groups = data.proposal_groups()
    y = data.outcome
    pred = np.empty_like(y)
    if variant != "v1":
        arrays, slots, feats, offset, valid = slot2_design(data, capability)
    else:
        arrays, slots, feats, offset, valid = _design(data, capability, "ignore")
    base = weighted_mean(arrays.position, actor_weights(arrays, "capability_salience"))[0]
    per_era = {}
    for e in sorted(set(era)):
        te = era == e
        tr = ~te
        if variant != "v1":
            terms = (
                select_compromise_terms(
                    slots[tr], feats[tr], offset[tr], valid[tr], y[tr], groups[tr]
                )
                if variant == "slot2"
                else ()
            )
            coef, _ = fit_slot2_coefficients(
                slots[tr],
                feats[tr],
                offset[tr],
                valid[tr],
                y[tr],
                active=(*slot2.BASE_FEATURES, *terms),
            )
            pred[te] = _slot2_medians(slots[te], feats[te], offset[te], valid[te], coef)
        else:
            coef = _fit(slots[tr], feats[tr], offset[tr], valid[tr], y[tr])
            pred[te] = _predict(slots[te], feats[te], offset[te], valid[te], coef)
        cmp = _compare(pred[te], base[te], y[te], groups[te], seed, n_boot)
        per_era[e] = {
            "issues": int(te.sum()),
            "proposals": len(set(groups[te].tolist())),
            "mae": cmp["mae"],
            "compromise_mae": cmp["compromise_mae"],
            "ratio": cmp["ratio"],
            "ci95": cmp["ci95"],
        }
    return {
        "variant": variant,
        "eras": per_era,
        "pooled": _compare(pred, base, y, groups, seed, n_boot),
    }


# --- fit B, bagging and shrinkage (issue 21's recipe), measured side by side ----------------

#: Pseudo-Huber scale of fit B, on 0..1 of the scale (10 points of 100).
PSEUDO_HUBER_DELTA = 0.10
#: Proposal-bootstrap resamples of the bagged forecasts.
BAGS = 21
#: Ridge penalties of fit A among which the inner grouped CV chooses (``a_median_nested_ridge``).
RIDGE_GRID: tuple[float, ...] = (1e-3, 3e-3, 1e-2, 2e-2, 3e-2)
#: Shrinkage factors toward the compromise among which the inner grouped CV chooses.
SHRINK_GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.5)


def slot2_mean_and_jacobian(
    coef: np.ndarray, slots: np.ndarray, feats: np.ndarray, offset: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Predictive mean (D,) on 0..1 of the slot probabilities and its Jacobian (D, F).

    The mean is ``pc c + (1 - pc) sum_j share_j s_j`` (compromise stage ``pc``, positions'
    softmax ``share``; :func:`detente.models.slot2.slot_probabilities`).
    """
    z = feats @ coef
    za = np.where(valid[:, :-1], z[:, :-1] + offset[:, :-1], -np.inf)
    e = np.exp(za - za.max(axis=1, keepdims=True))
    share = e / e.sum(axis=1, keepdims=True)
    pc = expit(z[:, -1])
    held = np.where(valid[:, :-1], slots[:, :-1], 0.0)
    m_pos = (share * held).sum(axis=1)
    c = slots[:, -1]
    mean = pc * c + (1.0 - pc) * m_pos
    jac = (pc * (1.0 - pc) * (c - m_pos))[:, None] * feats[:, -1, :] + (1.0 - pc)[
        :, None
    ] * np.einsum("dk,dkf->df", share * (held - m_pos[:, None]), feats[:, :-1, :])
    return mean, jac


def fit_slot2_mean(
    slots: np.ndarray,
    feats: np.ndarray,
    offset: np.ndarray,
    valid: np.ndarray,
    y: np.ndarray,
    *,
    start: np.ndarray,
    delta: float = PSEUDO_HUBER_DELTA,
    ridge: float = SLOT2_RIDGE,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit B: the pseudo-Huber loss of the predictive mean plus a ridge, ``support`` >= 0.

    ``mean_d delta^2 (sqrt(1 + ((m_d - y_d) / delta)^2) - 1) + ridge |coef|^2`` with ``y`` on
    0..100 (rescaled to 0..1). Not convex: it is solved by
    :func:`newton_bounded` with the Gauss-Newton matrix ``J^T diag(psi') J`` (positive
    definite, so every step descends), from ``start`` (fit A's optimum in the experiments),
    so it needs no derivative-free optimiser but reaches a local optimum only.
    """
    y01 = np.asarray(y, dtype=float) / 100.0
    n = len(y01)

    def fun(c):
        m, jac = slot2_mean_and_jacobian(c, slots, feats, offset, valid)
        r = m - y01
        q = np.sqrt(1.0 + (r / delta) ** 2)
        return float((delta**2 * (q - 1.0)).mean() + ridge * c @ c), (r / q) @ jac / n + (
            2.0 * ridge * c
        )

    def gauss_newton(c):
        m, jac = slot2_mean_and_jacobian(c, slots, feats, offset, valid)
        w = (1.0 + ((m - y01) / delta) ** 2) ** -1.5
        return (jac * w[:, None]).T @ jac / n + 2.0 * ridge * np.eye(len(c))

    names = slot2.FEATURES[: feats.shape[-1]]
    lower = np.array([-np.inf if slot2.LOWER_BOUNDS[f] is None else 0.0 for f in names])
    return newton_bounded(fun, gauss_newton, start, lower, tol=1e-10, max_iter=300)


def _mixture_median(slots: np.ndarray, probs: list[np.ndarray]) -> np.ndarray:
    """Median (D,) of the equal mixture of several slot distributions (each (D, K))."""
    return slot2.weighted_median(
        np.concatenate([slots] * len(probs), axis=1),
        np.concatenate(probs, axis=1) / len(probs),
    )


def _combination_forecasts(
    design: list[np.ndarray],
    y: np.ndarray,
    groups: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    *,
    bags: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Every candidate read-out (0..100) on ``test`` from fits on ``train`` (bool masks)."""
    slots, feats, offset, valid = design
    tr = [a[train] for a in design]
    a, _ = fit_slot2_coefficients(*tr, y[train])
    b, _ = fit_slot2_mean(*tr, y[train], start=a)
    te = (feats[test], offset[test], valid[test])
    pa, pb = _slot2_probs(*te, a), _slot2_probs(*te, b)
    a_med = 100.0 * slot2.weighted_median(slots[test], pa)
    b_mean = 100.0 * (pb * slots[test]).sum(axis=1)
    out = {"a_median": a_med, "b_mean": b_mean, "average": (a_med + b_mean) / 2.0}
    if bags:
        _, member = np.unique(groups[train], return_inverse=True)
        g = int(member.max()) + 1
        probs, meds, means = [], [], []
        for _ in range(bags):
            count = rng.multinomial(g, np.full(g, 1.0 / g))[member]
            idx = np.repeat(np.arange(int(train.sum())), count)
            rs = [x[idx] for x in tr]
            ab, _ = fit_slot2_coefficients(*tr, y[train], sample_weight=count)
            bb, _ = fit_slot2_mean(*rs, y[train][idx], start=ab)
            p = _slot2_probs(*te, ab)
            probs.append(p)
            meds.append(100.0 * slot2.weighted_median(slots[test], p))
            means.append(100.0 * (_slot2_probs(*te, bb) * slots[test]).sum(axis=1))
        out["bagged_average"] = (np.mean(meds, axis=0) + np.mean(means, axis=0)) / 2.0
        out["bagged_mean_of_medians"] = np.mean(meds, axis=0)
        out["bagged_mixture_median"] = 100.0 * _mixture_median(slots[test], probs)
    return out


def _ridge_medians(
    design: list[np.ndarray], y: np.ndarray, train: np.ndarray, test: np.ndarray, ridge: float
) -> np.ndarray:
    """A's median (0..100) on ``test`` from a fit on ``train`` with the given ridge."""
    slots, feats, offset, valid = design
    coef, _ = fit_slot2_coefficients(
        slots[train], feats[train], offset[train], valid[train], y[train], ridge=ridge
    )
    return _slot2_medians(slots[test], feats[test], offset[test], valid[test], coef)


#: What each read-out of :func:`compare_combinations` is, and whether it keeps the forecast
#: monotone in capability and salience (issue 17).
COMBINATIONS: dict[str, tuple[str, bool]] = {
    "a_median": ("fit A, median of the slot probabilities (slot2_base)", True),
    "b_mean": ("fit B, mean of the slot probabilities", False),
    "average": ("average of A's median and B's mean (the issue's recipe)", False),
    "average_shrunk": ("the average, shrunk toward the compromise (nested CV)", False),
    "a_median_shrunk": ("A's median, shrunk toward the compromise (nested CV)", False),
    "a_median_nested_ridge": ("A's median, A's ridge chosen by nested CV", True),
    "bagged_average": ("the average, bagged over proposal bootstraps", False),
    "bagged_mean_of_medians": ("mean of the bagged A medians", False),
    "bagged_mixture_median": ("median of the mixture of the bagged A distributions", True),
}


def compare_combinations(
    data: DEUData,
    *,
    seeds: int = 20,
    k: int = 10,
    bags: int = BAGS,
    capability: str = "treaty",
    n_boot: int = 2000,
) -> dict[str, Any]:
    """Grouped K-fold CV over ``seeds`` split seeds of every read-out in :data:`COMBINATIONS`.

    Fits A and B, the bagging (``bags`` proposal-bootstrap resamples of the training fold,
    generator ``default_rng([seed, fold])``) and the shrinkage factor (the one of
    :data:`SHRINK_GRID` with the lowest MAE in an inner grouped CV on the training fold,
    :data:`INNER_FOLDS` folds; likewise A's ridge among :data:`RIDGE_GRID`) are all refitted
    inside every outer training fold. Per read-out:
    the mean ratio to the compromise model, how many seeds' CIs exclude zero, and the paired
    MAE difference from ``a_median``.
    """
    arrays, *design = slot2_design(data, capability)
    # the read-outs of the issue's recipe, measured on the base features (the first slot2)
    design[1] = design[1][..., : len(slot2.BASE_FEATURES)]
    y = data.outcome
    groups = data.proposal_groups()
    base = weighted_mean(arrays.position, actor_weights(arrays, "capability_salience"))[0]
    names = [n for n in COMBINATIONS if bags or not n.startswith("bagged")]
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    chosen: list[dict[str, float]] = []
    for seed in range(seeds):
        folds = group_kfold(groups, k, np.random.default_rng(seed))
        oof = {name: np.empty_like(y) for name in names}
        for f in range(k):
            te, tr = folds == f, folds != f
            rng = np.random.default_rng([seed, f])
            for name, v in _combination_forecasts(
                design, y, groups, tr, te, bags=bags, rng=rng
            ).items():
                oof[name][te] = v
            # the shrinkage factor: inner grouped CV on the training fold only
            inner = group_kfold(groups[tr], INNER_FOLDS, np.random.default_rng(INNER_SEED))
            idx = np.flatnonzero(tr)
            in_oof = {"average": np.empty(len(idx)), "a_median": np.empty(len(idx))}
            by_ridge = np.empty((len(RIDGE_GRID), len(idx)))
            for j in range(INNER_FOLDS):
                itr = np.zeros_like(tr)
                itr[idx[inner != j]] = True
                ite = np.zeros_like(tr)
                ite[idx[inner == j]] = True
                got = _combination_forecasts(design, y, groups, itr, ite, bags=0, rng=rng)
                for key in in_oof:
                    in_oof[key][inner == j] = got[key]
                for r, ridge in enumerate(RIDGE_GRID):
                    by_ridge[r, inner == j] = _ridge_medians(design, y, itr, ite, ridge)
            ridge = RIDGE_GRID[int(np.argmin(np.abs(by_ridge - y[tr]).mean(axis=1)))]
            oof["a_median_nested_ridge"][te] = _ridge_medians(design, y, tr, te, ridge)
            pick = {}
            for key in in_oof:
                maes = [
                    np.abs((1 - lam) * in_oof[key] + lam * base[tr] - y[tr]).mean()
                    for lam in SHRINK_GRID
                ]
                pick[key] = SHRINK_GRID[int(np.argmin(maes))]
                oof[f"{key}_shrunk"][te] = (1 - pick[key]) * oof[key][te] + pick[key] * base[te]
            chosen.append({"seed": seed, "fold": f, **pick, "ridge": ridge})
        for name in names:
            row = _compare(oof[name], base, y, groups, seed + 1, n_boot)
            row["vs_a_median"] = float(
                np.abs(oof[name] - y).mean() - np.abs(oof["a_median"] - y).mean()
            )
            rows[name].append(row)
    summary = {
        name: {
            "description": COMBINATIONS[name][0],
            "monotone": COMBINATIONS[name][1],
            "mean_ratio": float(np.mean([r["ratio"] for r in rows[name]])),
            "excludes_zero": int(sum(r["excludes_zero"] for r in rows[name])),
            "mean_difference_vs_a_median": float(np.mean([r["vs_a_median"] for r in rows[name]])),
            "seeds_better_than_a_median": int(sum(r["vs_a_median"] < 0 for r in rows[name])),
        }
        for name in names
    }
    return {
        "seeds": seeds,
        "bags": bags,
        "pseudo_huber_delta": PSEUDO_HUBER_DELTA,
        "shrink_grid": list(SHRINK_GRID),
        "summary": summary,
        "shrinkage_chosen": chosen,
        "per_seed": {name: [r["ratio"] for r in rows[name]] for name in names},
    }


# --- the validation report (docs/validation.md; `detente backtest deu --cv`) -----------------

#: Ratio thresholds and held-out sizes (proposals) of the power table.
POWER_THRESHOLDS: tuple[float, ...] = (0.90, 0.93, 0.96, 1.00)
POWER_SIZES: tuple[int, ...] = (20, 40, 95)
POWER_DRAWS = 20_000
POWER_SEED = 12_345


def power_table(
    pred: np.ndarray, base: np.ndarray, y: np.ndarray, groups: np.ndarray
) -> list[dict[str, Any]]:
    """How often a held-out set of n proposals shows a ratio at or below each threshold.

    Held-out sets are drawn with replacement from the proposals, with the given out-of-fold
    errors: what a test of that size can show when the true ratio is the one measured here.
    """
    _, member = np.unique(groups, return_inverse=True)
    g = int(member.max()) + 1
    e = np.bincount(member, weights=np.abs(pred - y), minlength=g)
    eb = np.bincount(member, weights=np.abs(base - y), minlength=g)
    rng = np.random.default_rng(POWER_SEED)
    rows = []
    for size in POWER_SIZES:
        pick = rng.integers(0, g, size=(POWER_DRAWS, size))
        ratio = e[pick].sum(axis=1) / eb[pick].sum(axis=1)
        lo, hi = np.percentile(ratio, [5, 95])
        rows.append(
            {
                "proposals": size,
                "p_at_or_below": {f"{t:.2f}": float((ratio <= t).mean()) for t in POWER_THRESHOLDS},
                "ratio_5_95": [float(lo), float(hi)],
            }
        )
    return rows


def validation_report(
    data: DEUData, *, seeds: int = 20, n_boot: int = 2000, bags: int = BAGS
) -> dict[str, Any]:
    """Grouped CV over ``seeds`` split seeds (v1, slot2, slot2_base), leave-one-era-out, power.

    slot2 chooses its compromise-stage terms inside every training fold (nested); slot2_base
    (the base features only) is scored on its point forecasts.

    ``combinations`` holds :func:`compare_combinations` over the same seeds (fit B, bagging
    with ``bags`` resamples and the nested shrinkage; ``bags=0`` leaves out the bagged rows).
    """
    cv = []
    for seed in range(seeds):
        v1 = cross_validate_detente(data, seed=seed, n_boot=n_boot)
        s2 = cross_validate_slot2(data, seed=seed, n_boot=n_boot)
        base2 = cross_validate_slot2(
            data, seed=seed, n_boot=n_boot, smoothing=False, variant="slot2_base"
        )
        base2.pop("distribution")
        cv.append({"seed": seed, "v1": v1, "slot2": s2, "slot2_base": base2})
    arrays = slot2_design(data)[0]
    base = weighted_mean(arrays.position, actor_weights(arrays, "capability_salience"))[0]
    return {
        "fit": fit_slot2(data),
        "cv": cv,
        "loeo": {
            v: leave_one_era_out(data, variant=v, n_boot=n_boot)
            for v in ("v1", "slot2_base", "slot2")
        },
        "combinations": compare_combinations(data, seeds=seeds, bags=bags, n_boot=n_boot),
        "power": power_table(
            np.array(cv[0]["slot2"]["oof"]), base, data.outcome, data.proposal_groups()
        ),
    }


def _v1_distribution_line(cv: list[dict[str, Any]]) -> list[str]:
    """v1's dressed out-of-fold distribution, averaged over the seeds (absent in old reports)."""
    dists = [row["v1"]["distribution"] for row in cv if "distribution" in row["v1"]]
    if not dists:
        return []
    cover = " / ".join(
        f"{100 * np.mean([d['coverage'][k] for d in dists]):.1f}%" for k in ("0.5", "0.8", "0.9")
    )
    return [
        f"v1 (a point forecast, dressed with the out-of-fold errors of the other proposals): "
        f"coverage 50/80/90 {cover}; mean CRPS {np.mean([d['crps'] for d in dists]):.2f}."
    ]


def validation_markdown(report: dict[str, Any]) -> str:
    """The report of :func:`validation_report` as the markdown tables of docs/validation.md."""
    out = ["## Grouped 10-fold CV (treaty capabilities): ratio to the compromise model", ""]
    out += [
        "| seed | v1 ratio | v1 95% CI | slot2_base ratio | slot2_base 95% CI | slot2 MAE "
        "| slot2 ratio | slot2 95% CI |",
        "|---|---|---|---|---|---|---|---|",
    ]
    v1r, s2r, v1x, s2x = [], [], 0, 0
    b2r = [r["slot2_base"]["ratio"] for r in report["cv"] if "slot2_base" in r]
    b2x = sum(r["slot2_base"]["excludes_zero"] for r in report["cv"] if "slot2_base" in r)
    for row in report["cv"]:
        v1, s2 = row["v1"], row["slot2"]
        v1r.append(1.0 + v1["relative"])
        s2r.append(s2["ratio"])
        v1x += v1["excludes_zero"]
        s2x += s2["excludes_zero"]
        b2 = row.get("slot2_base")
        b2_cells = (
            f"{b2['ratio']:.3f} | {b2['ci95'][0]:+.2f} to {b2['ci95'][1]:+.2f}" if b2 else "- | -"
        )
        out.append(
            f"| {row['seed']} | {1 + v1['relative']:.3f} | {v1['ci95'][0]:+.2f} to "
            f"{v1['ci95'][1]:+.2f} | {b2_cells} | {s2['mae']:.2f} | {s2['ratio']:.3f} | "
            f"{s2['ci95'][0]:+.2f} to {s2['ci95'][1]:+.2f} |"
        )
    n = len(report["cv"])
    s2_mae = np.mean([r["slot2"]["mae"] for r in report["cv"]])
    out += [
        "",
        f"v1: mean ratio {np.mean(v1r):.3f} (range {min(v1r):.3f} to {max(v1r):.3f}); the CI "
        f"excludes zero in {v1x} of {n} seeds.",
        *(
            [
                f"slot2_base: mean ratio {np.mean(b2r):.3f} (range {min(b2r):.3f} to "
                f"{max(b2r):.3f}); the CI excludes zero in {b2x} of {n} seeds."
            ]
            if b2r
            else []
        ),
        f"slot2: mean ratio {np.mean(s2r):.3f} (range {min(s2r):.3f} to {max(s2r):.3f}); the "
        f"CI excludes zero in {s2x} of {n} seeds; mean out-of-fold MAE {s2_mae:.2f}.",
        "",
        "## slot2 predictive distribution, out of fold",
        "",
        "| seed | cover 50% | cover 80% | cover 90% | CRPS | CRPS dressed compromise |",
        "|---|---|---|---|---|---|",
    ]
    pit = np.zeros(10, dtype=int)
    pit_base = np.zeros(10, dtype=int)
    for row in report["cv"]:
        d = row["slot2"]["distribution"]
        c = d["coverage"]
        pit += np.array(d["pit_histogram"])
        pit_base += np.array(d["dressed_compromise"]["pit_histogram"])
        out.append(
            f"| {row['seed']} | {100 * c['0.5']:.1f}% | {100 * c['0.8']:.1f}% | "
            f"{100 * c['0.9']:.1f}% | {d['crps']:.2f} | {d['crps_dressed_compromise']:.2f} |"
        )

    def mean_cover(key: str, dressed: bool) -> str:
        vals = [
            (
                r["slot2"]["distribution"]["dressed_compromise"]
                if dressed
                else r["slot2"]["distribution"]
            )["coverage"][key]
            for r in report["cv"]
        ]
        return f"{100 * np.mean(vals):.1f}%"

    crps = np.mean([r["slot2"]["distribution"]["crps"] for r in report["cv"]])
    crps_base = np.mean(
        [r["slot2"]["distribution"]["crps_dressed_compromise"] for r in report["cv"]]
    )
    out += [
        "",
        "mean coverage 50/80/90: slot2 "
        + " / ".join(mean_cover(k, False) for k in ("0.5", "0.8", "0.9"))
        + "; dressed compromise "
        + " / ".join(mean_cover(k, True) for k in ("0.5", "0.8", "0.9"))
        + ".",
        f"mean CRPS: slot2 {crps:.2f}, dressed compromise {crps_base:.2f} (points).",
        "Monte Carlo model error (the slot2 median plus Laplace noise with the declared "
        f"validated MAE {slot2.VALIDATED_ERROR['mae']:.2f}) covers "
        + " / ".join(
            f"{100 * np.mean([r['slot2']['distribution']['monte_carlo_coverage'][k] for r in report['cv']]):.1f}%"  # noqa: E501
            for k in ("0.5", "0.8", "0.9")
        )
        + " at 50/80/90 %.",
        f"PIT histogram (10 bins, all seeds pooled): slot2 {pit.tolist()}; dressed compromise "
        f"{pit_base.tolist()}.",
        *_v1_distribution_line(report["cv"]),
        "",
        "## Leave one era out",
        "",
        "| variant | era | issues | MAE | compromise MAE | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for variant, lo in report["loeo"].items():
        for era, r in lo["eras"].items():
            ci = r.get("ci95")
            ci_text = "" if ci is None else f" (95% CI {ci[0]:+.2f} to {ci[1]:+.2f})"
            out.append(
                f"| {variant} | {era} | {r['issues']} | {r['mae']:.2f} | "
                f"{r['compromise_mae']:.2f} | {r['ratio']:.3f}{ci_text} |"
            )
        p = lo["pooled"]
        out.append(
            f"| {variant} | pooled | {sum(r['issues'] for r in lo['eras'].values())} | "
            f"{p['mae']:.2f} | {p['compromise_mae']:.2f} | {p['ratio']:.3f} (95% CI of the "
            f"difference {p['ci95'][0]:+.2f} to {p['ci95'][1]:+.2f}) |"
        )
    comb = report.get("combinations")
    if comb:
        out += [
            "",
            f"## Fit B, bagging and shrinkage ({comb['seeds']} split seeds, {comb['bags']} bags, "
            f"pseudo-Huber scale {100 * comb['pseudo_huber_delta']:g} points)",
            "",
            "| read-out | monotone | mean ratio | CI excludes zero | MAE vs A's median | "
            "seeds better than A's median |",
            "|---|---|---|---|---|---|",
        ]
        for name, r in comb["summary"].items():
            out.append(
                f"| {r['description']} (`{name}`) | {'yes' if r['monotone'] else 'no'} | "
                f"{r['mean_ratio']:.3f} | {r['excludes_zero']} of {comb['seeds']} | "
                f"{r['mean_difference_vs_a_median']:+.2f} | "
                f"{r['seeds_better_than_a_median']} of {comb['seeds']} |"
            )
        picks = [c["a_median"] for c in comb["shrinkage_chosen"]]
        ridges = [c["ridge"] for c in comb["shrinkage_chosen"]]
        out += [
            "",
            f"Shrinkage factor chosen for A's median by the inner CV: 0 in "
            f"{sum(p == 0 for p in picks)} of {len(picks)} outer folds. Ridge chosen for A: "
            + ", ".join(f"{r:g} in {ridges.count(r)}" for r in sorted(set(ridges)))
            + f" of {len(ridges)} outer folds.",
        ]
    out += [
        "",
        "## Power: what a held-out set of n proposals can show (slot2, seed-0 out-of-fold errors)",
        "",
        "| proposals | "
        + " | ".join(f"P(ratio <= {t:.2f})" for t in POWER_THRESHOLDS)
        + " | ratio 5% to 95% |",
        "|---" * (len(POWER_THRESHOLDS) + 2) + "|",
    ]
    for row in report["power"]:
        cells = " | ".join(f"{100 * v:.0f}%" for v in row["p_at_or_below"].values())
        lo, hi = row["ratio_5_95"]
        out.append(f"| {row['proposals']} | {cells} | {lo:.3f} to {hi:.3f} |")
    return "\n".join(out)
