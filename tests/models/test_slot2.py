"""The slot forecaster v2 (``detente:variant=slot2``): formula, monotonicity, distributions.

No data file needed: these run on hand-made and random scenarios.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.arrays import ScenarioArrays
from detente.models import get_model, slot2
from tests.models.conformance import ModelConformance

GRID_VALUES = (0.0, 10.0, 25.0, 40.0, 50.0, 60.0, 75.0, 90.0, 100.0)


def table(x, sal, cap, ids=None, unanimity=None) -> ScenarioArrays:
    a = ScenarioArrays.from_table(
        [[v] for v in x], [[s] for s in sal], list(cap), actor_ids=ids or None
    )
    if unanimity is not None:
        a.extras["unanimity"] = np.array([unanimity], dtype=float)
    return a


def hand_terms(x, parl=None, com=None):
    """The compromise-stage terms of the documented model, by hand (positions on 0..1)."""
    n = len(x)
    plain = sum(x) / n
    distinct = []
    for v in x:
        if not any(abs(v - u) < 0.005 for u in distinct):
            distinct.append(v)
    modal = max(sum(abs(u - v) < 0.005 for u in x) for v in x)
    both = parl is not None and com is not None and abs(x[parl] - x[com]) < 0.005
    return {
        "compromise_log_positions": np.log(len(distinct)),
        "compromise_log_actors": np.log(n),
        "compromise_spread": sum(abs(v - plain) for v in x) / n,
        "compromise_range": max(x) - min(x),
        "compromise_modal_share": modal / n,
        "compromise_commission_parliament": float(both),
        "compromise_centre_offset": abs(plain - 0.5),
    }


def hand_probabilities(x, w, coef, parl=None, unan=0.0, com=None):
    """The documented v2 slot model with plain Python loops (positions on 0..1)."""
    n = len(x)
    c = sum(wi * xi for wi, xi in zip(w, x, strict=True)) / sum(w)
    plain = sum(x) / n
    slots, logits = [], []
    for i in range(n):
        at = [j for j in range(n) if abs(x[j] - x[i]) < 0.005]
        share = max(sum(w[j] for j in at) / sum(w), slot2.SUPPORT_FLOOR)
        z = (
            coef["distance"] * abs(x[i] - plain)
            + coef["support"] * np.log(share)
            + coef["count"] * len(at) / n
            + coef["parliament"] * (i == parl)
            - np.log(len(at))
        )
        slots.append(x[i])
        logits.append(z)
    # two stages: the compromise by a logistic of weight-free terms, the held positions share
    # the rest
    terms = hand_terms(x, parl, com)
    u = coef["compromise"] + coef["compromise_unanimity"] * unan
    u += sum(coef[t] * v for t, v in terms.items())
    pc = 1.0 / (1.0 + np.exp(-u))
    e = np.exp(np.array(logits) - max(logits))
    return np.array([*slots, c]), np.array([*((1 - pc) * e / e.sum()), pc])


@pytest.mark.parametrize("which", ["shipped", "every term"])
def test_matches_the_documented_formula(which):
    x = [0.0, 0.4, 0.4, 1.0, 0.7]
    sal = [0.5, 1.0, 0.25, 1.0, 1.0]
    cap = [2.0, 2.0, 2.0, 3.0, 1.0]
    w = [s * c for s, c in zip(sal, cap, strict=True)]
    coef = dict(slot2.COEFFICIENTS)
    if which == "every term":  # the candidates the shipped fit left at 0, by hand too
        coef.update({t: 0.3 * (i + 1) for i, t in enumerate(slot2.COMPROMISE_CANDIDATES)})
    for unan in (0.0, 1.0):
        a = table([100 * v for v in x], sal, cap, ids=["a", "com", "c", "d", "ep"], unanimity=unan)
        slots, p = slot2.slot2_predict(a, coef)
        hs, hp = hand_probabilities(x, w, coef, parl=4, unan=unan, com=1)
        np.testing.assert_allclose(slots[0, 0], hs, atol=1e-12)
        np.testing.assert_allclose(p[0, 0], hp, atol=1e-12)
        # the forecast is the median of the slot probabilities
        order = np.argsort(hs, kind="stable")
        cum = np.cumsum(hp[order])
        expected = hs[order][np.argmax(cum >= 0.5 - 1e-12)]
        got = a.from_normalised(slot2.weighted_median(slots, p))[0, 0]
        assert got == pytest.approx(100 * expected, abs=1e-9)
        if which == "shipped":
            m = get_model("detente", variant="slot2")
            assert m.forecast(a, np.random.default_rng(0))[0, 0] == got


def test_commission_and_parliament_term_needs_both_at_one_position():
    x = [0.0, 0.4, 0.4, 1.0]
    coef = {**slot2.COEFFICIENTS, "compromise_commission_parliament": 5.0}
    together = table([100 * v for v in x], [1.0] * 4, [1.0] * 4, ids=["a", "com", "ep", "d"])
    apart = table([100 * v for v in x], [1.0] * 4, [1.0] * 4, ids=["com", "a", "ep", "d"])
    p_together = slot2.slot2_predict(together, coef)[1][0, 0, -1]
    p_apart = slot2.slot2_predict(apart, coef)[1][0, 0, -1]
    assert p_together > p_apart
    assert p_apart == pytest.approx(slot2.slot2_predict(apart, slot2.COEFFICIENTS)[1][0, 0, -1])


def test_describe_records_every_fitted_number_and_the_domain():
    d = get_model("detente", variant="slot2").describe()
    assert d["options"]["variant"] == "slot2"
    for name in slot2.FEATURES:
        assert d["fitted"][name] == slot2.COEFFICIENTS[name]
    assert d["fitted"]["compromise_terms"] == ["compromise_log_positions"]
    chosen = {*slot2.BASE_FEATURES, *slot2.COMPROMISE_TERMS}
    assert all(slot2.COEFFICIENTS[f] == 0.0 for f in slot2.FEATURES if f not in chosen)
    assert d["fitted"]["smoothing"] == slot2.SMOOTHING
    assert d["fitted"]["interval_tails"] == slot2.INTERVAL_TAILS
    assert d["fitted"]["ridge"] == 1e-3 and d["fitted"]["target_scale"] == 2.0
    assert d["fitted"]["training"]["issues"] == 238
    assert d["domain"].startswith("EU legislation")
    assert np.isfinite(d["validated_error"]["mae"]) and d["validated_error"]["scale"] == "0-100"
    # slot2 is the default (monotone; docs/validation.md); v1 keeps its documented keys
    assert get_model("detente").describe()["options"]["variant"] == "slot2"
    v1 = get_model("detente", variant="v1").describe()
    assert v1["options"]["variant"] == "v1" and "domain" in v1 and "mae" in v1["validated_error"]
    # the first slot2, without compromise-stage terms, stays reachable
    base = get_model("detente", variant="slot2_base").describe()
    assert base["fitted"]["compromise"] == slot2.BASE_COEFFICIENTS["compromise"]
    assert base["fitted"]["compromise_log_positions"] == 0.0
    assert base["validated_error"]["ratio_to_compromise"] == 0.946


def test_options_are_checked():
    with pytest.raises(ValueError, match="variant='v1'"):
        get_model("detente", variant="slot2", status_quo="slot")
    with pytest.raises(ValueError, match="needs variant='slot2'"):
        get_model("detente", variant="v1", fit="model.json")
    # a fit file alone implies the slot2 variant
    assert get_model("detente", fit="model.json").options.variant == "slot2"


def test_fit_file_is_used_and_checked(tmp_path):
    coef = {**slot2.COEFFICIENTS, "parliament": 50.0}  # the EP's slot takes all the mass
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"coefficients": coef, "smoothing": 2.0, "domain": "test"}))
    m = get_model("detente", variant="slot2", fit=str(path))
    a = table([0.0, 40.0, 100.0], [1.0] * 3, [1.0] * 3, ids=["a", "b", "ep"])
    assert m.forecast(a, np.random.default_rng(0))[0, 0] == pytest.approx(100.0)
    assert m.describe()["domain"] == "test" and m.describe()["fitted"]["smoothing"] == 2.0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"coefficients": {**coef, "support": -1.0}, "smoothing": 1.0}))
    with pytest.raises(ValueError, match="must be >= 0"):
        get_model("detente", variant="slot2", fit=str(bad)).forecast(a, np.random.default_rng(0))


def test_unanimity_and_same_positions():
    a = table([30.0, 30.0, 30.0], [1.0] * 3, [1.0, 2.0, 3.0])
    m = get_model("detente", variant="slot2")
    assert m.forecast(a, np.random.default_rng(0))[0, 0] == pytest.approx(30.0)
    s = m.predictive(a)
    assert s["lo90"][0, 0] <= 30.0 <= s["hi90"][0, 0]


def test_predictive_summary_is_ordered_and_crps_matches_a_direct_integral():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, size=(7, 4))
    a = ScenarioArrays.from_table(x, rng.uniform(0.1, 1, (7, 4)), rng.uniform(1, 5, 7))
    y = rng.uniform(0, 100, 4)
    s = get_model("detente", variant="slot2").predictive(a, outcome=y)
    for lo, hi in (("lo90", "lo80"), ("lo80", "lo50"), ("lo50", "median")):
        assert np.all(s[lo] <= s[hi])
    for lo, hi in (("median", "hi50"), ("hi50", "hi80"), ("hi80", "hi90")):
        assert np.all(s[lo] <= s[hi])
    # CRPS by the integral of (F(t) - 1{t >= y})^2 on a fine grid of the step CDF
    slots, p = slot2.slot2_predict(a, slot2.COEFFICIENTS)
    mass = slot2.grid_distribution(slots, p, slot2.SMOOTHING / 100)
    g = slot2.grid()
    t = np.linspace(0, 1, 200_001)
    for d in range(4):
        cdf = np.concatenate([[0.0], mass[0, d].cumsum()])[np.searchsorted(g, t, side="right")]
        direct = np.trapezoid((cdf - (t >= y[d] / 100)) ** 2, t) * 100
        assert s["crps"][0, d] == pytest.approx(direct, abs=2e-3)


def test_empirical_crps_by_hand():
    # two samples 0 and 1, outcome 0: E|X-y| = 0.5, E|X-X'| = 0.5 -> 0.25
    assert slot2.empirical_crps(np.array([[0.0, 1.0]]), np.array([0.0]))[0] == pytest.approx(0.25)
    assert slot2.grid_crps(np.eye(slot2.GRID_POINTS)[:1], np.array([0.5]))[0] == pytest.approx(0.5)


# --- monotonicity (issue 17): more capability or salience behind a position never pulls the
# forecast away from it, for the shipped coefficients and for any with support >= 0


@st.composite
def scenarios(draw):
    n = draw(st.integers(3, 8))
    d = draw(st.integers(1, 3))
    # a coarse grid of positions makes shared slots (and ties) common; with ``jitter`` some
    # positions sit within the 0.5-point merge tolerance of each other
    jitter = draw(st.booleans())
    shifts = (0.0, 0.2, -0.3, 0.45) if jitter else (0.0,)
    pos = [
        [
            min(100.0, max(0.0, draw(st.sampled_from(GRID_VALUES)) + draw(st.sampled_from(shifts))))
            for _ in range(d)
        ]
        for _ in range(n)
    ]
    sal = [[draw(st.floats(0.0, 1.0)) for _ in range(d)] for _ in range(n)]
    cap = [draw(st.floats(0.01, 100.0)) for _ in range(n)]
    unan = [draw(st.booleans()) for _ in range(d)]
    ep = draw(st.booleans())
    com = draw(st.booleans())
    ids = ["com" if com else "a0"] + [f"a{i}" for i in range(1, n - 1)]
    ids += ["ep" if ep else f"a{n - 1}"]
    a = ScenarioArrays.from_table(pos, sal, cap, actor_ids=ids)
    a.extras["unanimity"] = np.array(unan, dtype=float)
    actor = draw(st.integers(0, n - 1))
    factor = draw(st.floats(1.01, 20.0))
    what = draw(st.sampled_from(["capability", "salience"]))
    coef = draw(
        st.one_of(
            st.just(dict(slot2.COEFFICIENTS)),
            st.just(dict(slot2.BASE_COEFFICIENTS)),
            st.fixed_dictionaries(
                {f: st.floats(0.0 if f == "support" else -20.0, 20.0) for f in slot2.FEATURES}
            ),
        )
    )
    return a, actor, factor, what, coef, jitter


def _forecast(a: ScenarioArrays, coef) -> np.ndarray:
    slots, p = slot2.slot2_predict(a, coef)
    return a.from_normalised(slot2.weighted_median(slots, p))[0]


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_more_weight_never_pulls_the_forecast_away(case):
    a, actor, factor, what, coef, jitter = case
    before = _forecast(a, coef)
    grown = getattr(a, what).copy()
    grown[:, actor] = np.minimum(grown[:, actor] * factor, 1.0 if what == "salience" else np.inf)
    from dataclasses import replace

    after = _forecast(replace(a, **{what: grown}), coef)
    x = a.position[0, actor]
    # positions within 0.5 points share support: the forecast may end on one of them, so it
    # may stay up to 0.5 points from x on the far side (exact when positions are apart)
    slack = 100 * slot2.SAME_POSITION if jitter else 0.0
    allowed = np.maximum(np.abs(before - x), slack)
    assert np.all(np.abs(after - x) <= allowed + 1e-9), (before, after, x)


def test_v1_is_not_monotone_but_slot2_is():
    """The property that motivated slot2: v1's negative support weight moves its forecast away
    from an actor that gains capability (here actor 0 at 60, capability x 1.25); slot2's
    forecast never moves away."""
    x = [[60.0], [0.0], [50.0], [60.0]]
    sal = [[0.48], [0.66], [1.0], [0.95]]
    cap = [4.67, 2.48, 4.8, 2.75]
    base = ScenarioArrays.from_table(x, sal, cap)
    more = ScenarioArrays.from_table(x, sal, [cap[0] * 1.25, *cap[1:]])
    rng = np.random.default_rng(0)
    v1 = get_model("detente", variant="v1")
    assert abs(v1.forecast(more, rng)[0, 0] - 60) > abs(v1.forecast(base, rng)[0, 0] - 60) + 0.5
    s2 = get_model("detente", variant="slot2")
    assert abs(s2.forecast(more, rng)[0, 0] - 60) <= abs(s2.forecast(base, rng)[0, 0] - 60)


class TestConformanceSlot2(ModelConformance):
    """The generic model properties hold for the slot2 variant too."""

    model = "detente"
    options: ClassVar[dict[str, Any]] = {"variant": "slot2"}


class TestConformanceSlot2Base(ModelConformance):
    """... and for the first slot2 (no compromise-stage terms)."""

    model = "detente"
    options: ClassVar[dict[str, Any]] = {"variant": "slot2_base"}


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 9),
    digits=st.integers(0, 3),
)
def test_shared_positions_are_the_pairs_sums_bit_for_bit(seed, n, digits):
    """The one-actor-at-a-time sums give the (S, N, N, D) pairs' reduction, bit for bit, with
    many exactly shared and nearly shared positions, absent actors and zero weights."""
    from detente.models.slot2 import SAME_POSITION, _shared_positions

    rng = np.random.default_rng(seed)
    x = np.round(rng.random((7, n, 4)), digits) + rng.choice([0.0, 0.004, 0.006], (7, n, 4))
    mask = rng.random((7, n, 4)) > 0.25
    w = rng.random((7, n, 4)) * (rng.random((7, n, 4)) > 0.2)
    with np.errstate(invalid="ignore"):
        share = w / w.sum(axis=1, keepdims=True)  # NaN where nobody weighs: kept as NaN
    pairs = (np.abs(x[:, :, None, :] - x[:, None, :, :]) < SAME_POSITION) & (
        mask[:, :, None, :] & mask[:, None, :, :]
    )
    held, count = _shared_positions(x, mask, share)
    want = (pairs * share[:, None, :, :]).sum(axis=2)
    assert held.tobytes() == want.tobytes()
    assert np.array_equal(count, pairs.sum(axis=2)) and count.dtype == pairs.sum(axis=2).dtype
