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
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize

from detente.analyses.backtest import (
    bootstrap_mae_difference,
    bootstrap_weights,
    error_metrics,
    group_kfold,
)
from detente.analyses.power import deu_capabilities
from detente.io.deu import DEUData
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
    }
