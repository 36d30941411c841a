"""Fitting and validating the slot forecaster v2 on the DEU training file (issue 21).

The figures pinned here are the ones docs/validation.md reports (split seed 0; the 20-seed
tables come from ``benchmarks/forecaster_v2.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.analyses.calibrate import (
    cross_validate_slot2,
    fit_slot2,
    fit_slot2_coefficients,
    leave_one_era_out,
    slot2_design,
    slot2_objective,
)
from detente.io.deu import load_deu
from detente.models import slot2

from .test_backtest import train_path


@pytest.fixture(scope="module")
def data():
    return load_deu(train_path())


@pytest.fixture(scope="module")
def design(data):
    return slot2_design(data)[1:]


@pytest.fixture(scope="module")
def base_design(design):
    """The design with the base features only (the first slot2)."""
    slots, feats, offset, valid = design
    return slots, feats[..., : len(slot2.BASE_FEATURES)], offset, valid


@pytest.mark.parametrize(
    "active",
    [slot2.BASE_FEATURES + slot2.COMPROMISE_TERMS, slot2.FEATURES],
    ids=["shipped terms", "every candidate"],
)
def test_fit_reaches_the_same_optimum_from_five_random_starts(data, design, active):
    slots, feats, offset, valid = design
    y = data.outcome
    ref, report = fit_slot2_coefficients(slots, feats, offset, valid, y, active=active)
    assert report["ok"]
    unused = [i for i, f in enumerate(slot2.FEATURES) if f not in active]
    assert np.all(ref[unused] == 0.0)
    rng = np.random.default_rng(2026)
    for _ in range(5):
        start = rng.normal(0.0, 5.0, size=len(slot2.FEATURES))
        start[slot2.FEATURES.index("support")] = abs(start[1])  # a feasible start
        coef, rep = fit_slot2_coefficients(
            slots, feats, offset, valid, y, start=start, active=active
        )
        np.testing.assert_allclose(coef, ref, atol=1e-5)
        assert rep["objective"] == pytest.approx(report["objective"], abs=1e-10)


def test_objective_gradient_matches_finite_differences(data, design):
    slots, feats, offset, valid = design
    from detente.analyses.calibrate import _soft_targets

    t = _soft_targets(slots, data.outcome / 100, offset, valid, 0.02)
    coef = np.resize([-1.0, 0.2, 0.1, -0.5, 0.3, 0.4, -0.6], len(slot2.FEATURES))
    _, g = slot2_objective(coef, feats, offset, valid, t, 1e-3)
    for j in range(len(coef)):
        e = np.zeros_like(coef)
        e[j] = 1e-6
        up, _ = slot2_objective(coef + e, feats, offset, valid, t, 1e-3)
        dn, _ = slot2_objective(coef - e, feats, offset, valid, t, 1e-3)
        assert g[j] == pytest.approx((up - dn) / 2e-6, abs=1e-6)


def test_hessian_matches_finite_differences_of_the_gradient(data, design):
    from detente.analyses.calibrate import _soft_targets, slot2_hessian

    slots, feats, offset, valid = design
    t = _soft_targets(slots, data.outcome / 100, offset, valid, 0.02)
    coef = np.resize([-1.0, 0.2, 0.1, -0.5, 0.3, 0.4, -0.6], len(slot2.FEATURES))
    h = slot2_hessian(coef, feats, offset, valid, t, 1e-3)
    for j in range(len(coef)):
        e = np.zeros_like(coef)
        e[j] = 1e-6
        up = slot2_objective(coef + e, feats, offset, valid, t, 1e-3)[1]
        dn = slot2_objective(coef - e, feats, offset, valid, t, 1e-3)[1]
        np.testing.assert_allclose(h[:, j], (up - dn) / 2e-6, atol=1e-6)
    assert np.all(np.linalg.eigvalsh(h) > 0)


def test_refit_reproduces_the_shipped_constants(data):
    fit = fit_slot2(data)
    assert fit["coefficients"] == pytest.approx(slot2.COEFFICIENTS, abs=1e-9)
    assert fit["compromise_terms"] == list(slot2.COMPROMISE_TERMS)
    assert fit["coefficients"]["support"] >= 0
    assert fit["smoothing"] == slot2.SMOOTHING
    assert fit["interval_tails"] == slot2.INTERVAL_TAILS
    assert round(fit["training"]["mae"], 2) == slot2.TRAINING["mae"] == 21.13
    assert round(fit["training"]["compromise_mae"], 2) == slot2.TRAINING["compromise_mae"]
    assert fit == fit_slot2(data)  # byte for byte: no randomness in the fit


def test_cross_validation_seed_0(data):
    r = cross_validate_slot2(data, seed=0)
    assert round(r["compromise_mae"], 2) == 23.19
    assert round(r["mae"], 2) == 21.82
    assert round(r["ratio"], 3) == 0.941 and not r["excludes_zero"]
    # the compromise-stage terms are chosen inside every training fold (nested)
    terms = [tuple(f["compromise_terms"]) for f in r["fitted_per_fold"]]
    assert len(terms) == 10 and ("compromise_log_positions",) in terms
    d = r["distribution"]
    assert d["crps"] < d["crps_dressed_compromise"]
    assert sum(d["pit_histogram"]) == 238
    assert 0.45 <= d["coverage"]["0.5"] <= 0.55
    assert 0.75 <= d["coverage"]["0.8"] <= 0.85


def test_leave_one_era_out(data):
    r = leave_one_era_out(data)
    assert set(r["eras"]) == {"DEU I", "DEU II", "DEU III"}
    assert sum(e["issues"] for e in r["eras"].values()) == 238
    p = r["pooled"]
    assert round(p["ratio"], 3) == 0.950 and p["ci95"][0] < 0 < p["ci95"][1]
    base = leave_one_era_out(data, variant="slot2_base")["pooled"]
    assert round(base["ratio"], 3) == 0.949


def test_refit_of_the_base_variant_reproduces_its_constants(data):
    fit = fit_slot2(data, variant="slot2_base")
    assert fit["compromise_terms"] == []
    base = {f: fit["coefficients"][f] for f in slot2.BASE_FEATURES}
    assert base == pytest.approx(slot2.BASE_COEFFICIENTS, abs=1e-9)
    assert fit["interval_tails"] == slot2.BASE_INTERVAL_TAILS


def test_selection_is_deterministic_and_weight_free(data, design):
    from detente.analyses.calibrate import select_compromise_terms

    slots, feats, offset, valid = design
    groups = data.proposal_groups()
    terms = select_compromise_terms(slots, feats, offset, valid, data.outcome, groups)
    assert terms == slot2.COMPROMISE_TERMS
    # the candidates sit on the compromise slot only and do not depend on the weights
    cand = [slot2.FEATURES.index(c) for c in slot2.COMPROMISE_CANDIDATES]
    assert np.all(feats[:, :-1, cand] == 0.0)
    from detente.analyses.power import deu_capabilities

    other = slot2.slot2_features(data.arrays(deu_capabilities(data, "equal")))[1][0]
    np.testing.assert_array_equal(np.moveaxis(other, 1, 0)[..., cand], feats[..., cand])


def test_fit_b_gradient_and_the_same_optimum_from_five_random_starts(data, base_design):
    """Fit B (pseudo-Huber of the predictive mean): not convex, but one optimum here."""
    from detente.analyses.calibrate import fit_slot2_mean, slot2_mean_and_jacobian

    slots, feats, offset, valid = base_design
    coef = np.array([-1.0, 0.2, 0.1, -0.5, 0.3, 0.4])
    _, jac = slot2_mean_and_jacobian(coef, slots, feats, offset, valid)
    for j in range(len(coef)):
        e = np.zeros_like(coef)
        e[j] = 1e-6
        up = slot2_mean_and_jacobian(coef + e, slots, feats, offset, valid)[0]
        dn = slot2_mean_and_jacobian(coef - e, slots, feats, offset, valid)[0]
        np.testing.assert_allclose(jac[:, j], (up - dn) / 2e-6, atol=1e-6)
    a, _ = fit_slot2_coefficients(slots, feats, offset, valid, data.outcome)
    ref, report = fit_slot2_mean(slots, feats, offset, valid, data.outcome, start=a)
    assert report["ok"]
    rng = np.random.default_rng(2026)
    for _ in range(5):
        start = rng.normal(0.0, 5.0, size=len(slot2.BASE_FEATURES))
        start[slot2.FEATURES.index("support")] = abs(start[1])
        coef, _ = fit_slot2_mean(slots, feats, offset, valid, data.outcome, start=start)
        np.testing.assert_allclose(coef, ref, atol=1e-5)


def test_bagging_and_shrinkage_run_inside_the_folds(data):
    from detente.analyses.calibrate import compare_combinations

    r = compare_combinations(data, seeds=1, bags=2, n_boot=200)
    s = r["summary"]
    assert s["a_median"]["mean_ratio"] == pytest.approx(0.9495, abs=1e-4)
    monotone = {n for n, v in s.items() if v["monotone"]}
    assert monotone == {"a_median", "a_median_nested_ridge", "bagged_mixture_median"}
    assert len(r["shrinkage_chosen"]) == 10
