"""Crisis analyses against the reference vectors of models.md sections B and C.

Every expected number below is quoted from /work/shared/reference/models.md (section and
table named in each test) or, where stated, computed independently in the test with
scipy.stats and scipy.optimize (a different code path from the engine's grid + golden-section
solver and its hand-written CDFs).
"""

from __future__ import annotations

import json
from dataclasses import fields, replace

import numpy as np
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from typer.testing import CliRunner

from detente import api
from detente.analyses.crisis import (
    CrisisOptions,
    achievement_gap,
    analyse_crisis,
    audience_cost,
    audience_range,
    audience_threshold,
    bargaining_range,
    belief_cdf,
    brinkmanship_risk,
    costly_signal,
    crisis_range,
    escalation_probability,
    nbs_pie_split,
    optimal_offer,
    optimal_offer_uniform,
    preventive_war,
    range_is_empty,
    war_probability,
)
from detente.analyses.crisis_report import crisis_report
from detente.analyses.montecarlo import run_montecarlo
from detente.arrays import ScenarioArrays
from detente.commands import crisis as command
from detente.errors import InputError
from detente.outputs.crisis_text import summary_text
from detente.scenario import Loaded
from detente.scenario.crisis import CostBelief, PublicStakes, compile_crisis, scenario_arrays
from detente.scenario.schema import Scenario

# ------------------------------------------------------------------------------------------
# B.1 Bargaining range


def test_b1_range():
    # models.md B.1: p = 0.6, c_A = 0.1, c_B = 0.15 -> [0.50, 0.75]
    lo, hi = bargaining_range(0.6, 0.1, 0.15)
    assert (lo, hi) == pytest.approx((0.50, 0.75))
    assert not range_is_empty(lo, hi)


def test_b1_batched():
    lo, hi = bargaining_range(np.array([0.6, 0.3]), np.array([0.1, 0.2]), np.array([0.15, 0.0]))
    np.testing.assert_allclose(lo, [0.5, 0.1])
    np.testing.assert_allclose(hi, [0.75, 0.3])


XS = np.linspace(-3.0, 4.0, 70_001)  # shares of the pie for A, step 1e-4 (beyond 0..1 on purpose)


def _war_lottery(p_win: float, cost: float) -> float:
    """Expected utility of war for a side that takes the whole pie with probability p_win and
    nothing otherwise, less its cost (risk-neutral, Fearon 1995)."""
    outcomes = [(p_win, 1.0), (1.0 - p_win, 0.0)]
    return sum(prob * share for prob, share in outcomes) - cost


@settings(max_examples=80, deadline=None)
@given(p=st.floats(0, 1), c_a=st.floats(1e-3, 1.5), c_b=st.floats(1e-3, 1.5))
def test_property_range_is_where_both_prefer_a_deal_to_their_war_lottery(p, c_a, c_b):
    """B.1 derived, not restated: on a grid of A's shares x, keep those where A's x beats its war
    lottery and B's 1 - x beats its own (B wins with probability 1 - p); the ends of that set
    are bargaining_range's to grid resolution, and its width is c_a + c_b (costs > 0 as in
    models.md B.1, so the set is wider than the grid step)."""
    war_a, war_b = _war_lottery(p, c_a), _war_lottery(1.0 - p, c_b)
    both = XS[(XS >= war_a) & (1.0 - XS >= war_b)]
    lo, hi = bargaining_range(p, c_a, c_b)
    assert float(lo) == pytest.approx(both.min(), abs=1.01e-4)
    assert float(hi) == pytest.approx(both.max(), abs=1.01e-4)
    assert both.max() - both.min() == pytest.approx(c_a + c_b, abs=2.1e-4)


@settings(max_examples=80, deadline=None)
@given(
    p_b=st.floats(0, 1),
    c_b=st.floats(0, 1),
    c_a=st.floats(0, 1),
    d=st.floats(0, 1),
    a=st.floats(0, 5),
)
def test_property_audience_range_is_where_b_prefers_the_deal_counting_its_audience(
    p_b, c_b, c_a, d, a
):
    """C.1 by a grid: B's utility of its share x is x - a max(0, d - x) (Fearon 1994), its war
    lottery p_b - c_b; the smallest grid share B accepts is audience_range's low end, and A's
    largest concession is where 1 - x meets A's war lottery."""
    war_b, war_a = _war_lottery(p_b, c_b), _war_lottery(1.0 - p_b, c_a)
    ok_b = XS[XS - a * np.maximum(0.0, d - XS) >= war_b]
    ok_a = XS[1.0 - XS >= war_a]
    lo, hi = audience_range(p_b, c_b, c_a, d, a)
    assert float(lo) == pytest.approx(ok_b.min(), abs=1.01e-4)
    assert float(hi) == pytest.approx(ok_a.max(), abs=1.01e-4)


def test_range_with_costless_war_is_the_single_share_p():
    """With c_a = c_b = 0 both sides are indifferent at x = p and nowhere else: the range is the
    point [p, p], which is not empty (the share p is acceptable to both, B.1)."""
    lo, hi = bargaining_range(0.3, 0.0, 0.0)
    war_a, war_b = _war_lottery(0.3, 0.0), _war_lottery(0.7, 0.0)
    assert 0.3 >= war_a and 1.0 - 0.3 >= war_b  # acceptable to both
    assert float(lo) == float(hi) == 0.3
    assert not range_is_empty(lo, hi)
    assert range_is_empty(0.3, 0.3 - 1e-9)


@settings(max_examples=40, deadline=None)
@given(
    a_b=st.floats(0, 3),
    a_c=st.floats(0, 3),
    d_b=st.floats(0, 100),
    d_c=st.floats(0, 100),
)
def test_property_crisis_range_high_end_is_the_least_willing_target(a_b, a_c, d_b, d_c):
    """Two targets B and C (each with its own public demand and audience cost, C.1) must both
    accept: on a grid of the challenger's shares x, target t accepts iff its share 1 - x less
    a_t max(0, D_t - (1 - x)) is at least its war lottery (1 - p) - c_T, with D_t = d_t / 100
    its demanded share. The range's high end is the largest x both accept."""
    doc = one_issue(p_win=0.5, cost_challenger=0.1, cost_target=0.15).model_dump(exclude_none=True)
    doc["actors"].append({"id": "C", "capability": 1})
    doc["stances"].append({"actor": "C", "issue": "x", "position": 100, "salience": 100})
    doc["crisis"]["targets"] = ["B", "C"]
    for idx, (actor, a, d) in enumerate((("B", a_b, d_b), ("C", a_c, d_c)), start=1):
        doc["actors"][idx]["audience_sensitivity"] = a
        doc["stances"][idx].update(demand=d, publicity=1)
        assert doc["actors"][idx]["id"] == actor
    _, hi = crisis_range(compile_crisis(Scenario.model_validate(doc)))
    share_t = 1.0 - XS
    ok = np.ones_like(XS, dtype=bool)
    for a, d in ((a_b, d_b), (a_c, d_c)):
        ok &= share_t - a * np.maximum(0.0, d / 100 - share_t) >= _war_lottery(0.5, 0.15)
    assert float(hi[0]) == pytest.approx(XS[ok].max(), abs=1.01e-4)


# ------------------------------------------------------------------------------------------
# B.2 Private information


def test_b2_uniform_closed_form():
    # models.md B.2: p = 0.5, c_A = 0.1, c_bar = 0.3 -> x* = 0.6, Pr(war) = 1/3, EU_A = 0.5333
    o = optimal_offer_uniform(0.5, 0.1, 0.0, 0.3)
    assert float(o.x) == pytest.approx(0.6)
    assert float(o.p_war) == pytest.approx(1 / 3)
    assert float(o.utility) == pytest.approx(0.5333, abs=5e-5)


def test_b2_uniform_no_war_when_war_is_costly_for_the_proposer():
    # models.md B.2: if c_A >= c_bar, A offers x = p and there is no war
    o = optimal_offer_uniform(0.5, 0.4, 0.0, 0.3)
    assert float(o.x) == pytest.approx(0.5)
    assert float(o.p_war) == 0.0


def test_b2_numeric_solver_reproduces_uniform_closed_form():
    p = np.array([0.5, 0.3, 0.7, 0.5])
    c_a = np.array([0.1, 0.05, 0.2, 0.4])
    belief = CostBelief.uniform(np.zeros(4), np.array([0.3, 0.5, 0.25, 0.3]))
    num = optimal_offer(p, c_a, belief)
    closed = optimal_offer_uniform(p, c_a, 0.0, belief.params["high"])
    np.testing.assert_allclose(num.x, closed.x, atol=1e-7)
    np.testing.assert_allclose(num.p_war, closed.p_war, atol=1e-6)
    np.testing.assert_allclose(num.utility, closed.utility, atol=1e-10)
    # sample 0 is the B.2 test
    assert num.x[0] == pytest.approx(0.6, abs=1e-7)


def test_b2_normal_truncated():
    # models.md B.2: c_B ~ N(0.15, 0.05) truncated at 0 (p = 0.5, c_A = 0.1 as in the uniform
    # test) -> x* = 0.5955, Pr(war) = 0.1368, EU_A = 0.5688
    o = optimal_offer(0.5, 0.1, CostBelief.normal(np.array([0.15]), np.array([0.05])))
    assert o.x[0] == pytest.approx(0.5955, abs=5e-5)
    assert o.p_war[0] == pytest.approx(0.1368, abs=5e-5)
    assert o.utility[0] == pytest.approx(0.5688, abs=5e-5)


def _scipy_offer(p: float, c_a: float, dist, upper: float) -> tuple[float, float]:
    """Independent solve: scipy.stats CDF, dense grid then bounded Brent refinement."""

    def neg_eu(x):
        f = dist.cdf(x - p)
        return -(x * (1 - f) + (p - c_a) * f)

    xs = np.linspace(p, min(1.0, p + upper), 20001)
    k = int(np.argmin(neg_eu(xs)))
    lo, hi = xs[max(k - 1, 0)], xs[min(k + 1, len(xs) - 1)]
    res = optimize.minimize_scalar(
        neg_eu, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
    )
    return float(res.x), float(-res.fun)


@pytest.mark.parametrize(
    ("belief", "dist", "upper"),
    [
        (
            CostBelief(
                "triangular",
                {"low": np.array([0.0]), "mode": np.array([0.1]), "high": np.array([0.4])},
            ),
            stats.triang(c=0.25, loc=0.0, scale=0.4),
            0.4,
        ),
        (
            CostBelief(
                "beta",
                {
                    "alpha": np.array([2.0]),
                    "beta": np.array([5.0]),
                    "low": np.array([0.0]),
                    "high": np.array([0.6]),
                },
            ),
            stats.beta(2.0, 5.0, loc=0.0, scale=0.6),
            0.6,
        ),
        (
            CostBelief.normal(np.array([0.2]), np.array([0.08])),
            stats.truncnorm(a=-0.2 / 0.08, b=np.inf, loc=0.2, scale=0.08),
            1.0,
        ),
    ],
    ids=["triangular", "beta", "normal"],
)
def test_b2_numeric_offer_matches_scipy(belief, dist, upper):
    p, c_a = 0.45, 0.12
    x_ref, eu_ref = _scipy_offer(p, c_a, dist, upper)
    o = optimal_offer(p, c_a, belief)
    assert o.x[0] == pytest.approx(x_ref, abs=2e-6)
    assert o.utility[0] == pytest.approx(eu_ref, abs=1e-10)
    assert o.p_war[0] == pytest.approx(dist.cdf(x_ref - p), abs=1e-5)
    # the CDFs themselves agree with scipy.stats
    c = np.linspace(-0.1, 1.0, 45)[None, :]
    np.testing.assert_allclose(belief_cdf(belief, c)[0], dist.cdf(c[0]), atol=1e-12)


def test_b2_censored_normal_is_an_option():
    b = CostBelief.normal(np.array([0.05]), np.array([0.1]))
    c = np.array([[0.0001, 0.1, 0.2]])
    np.testing.assert_allclose(
        belief_cdf(b, c, "censored")[0], stats.norm(0.05, 0.1).cdf(c[0]), atol=1e-12
    )
    assert optimal_offer(0.5, 0.1, b, normal="censored").x[0] != pytest.approx(
        optimal_offer(0.5, 0.1, b, normal="truncated").x[0], abs=1e-4
    )


def test_b2_batch_equals_one_by_one():
    means = np.array([0.15, 0.3, 0.05, 0.2])
    sds = np.array([0.05, 0.1, 0.02, 0.15])
    p = np.array([0.5, 0.4, 0.6, 0.55])
    together = optimal_offer(p, 0.1, CostBelief.normal(means, sds))
    for i in range(4):
        alone = optimal_offer(
            p[i : i + 1], 0.1, CostBelief.normal(means[i : i + 1], sds[i : i + 1])
        )
        assert together.x[i] == pytest.approx(alone.x[0], abs=1e-12)


def test_b2_point_belief_is_complete_information():
    # a known cost: offer exactly the responder's reservation, no war (B.1 upper end)
    o = optimal_offer(0.6, 0.1, CostBelief.point(np.array([0.15])))
    assert o.x[0] == pytest.approx(0.75)
    assert o.p_war[0] == 0.0


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["uniform", "normal", "triangular", "beta"]),
    p=st.floats(0.05, 0.95),
    xs=st.lists(st.floats(0, 1), min_size=2, max_size=12),
    a=st.floats(0.0, 0.4),
    b=st.floats(0.01, 0.6),
)
def test_property_war_probability_monotone_in_offer(kind, p, xs, a, b):
    if kind == "uniform":
        belief = CostBelief.uniform(np.array([a]), np.array([a + b]))
    elif kind == "normal":
        belief = CostBelief.normal(np.array([a]), np.array([b]))
    elif kind == "triangular":
        belief = CostBelief(
            "triangular",
            {"low": np.array([a]), "mode": np.array([a + b / 3]), "high": np.array([a + b])},
        )
    else:
        belief = CostBelief(
            "beta",
            {
                "alpha": np.array([2.0]),
                "beta": np.array([1 + 10 * b]),
                "low": np.array([a]),
                "high": np.array([a + b]),
            },
        )
    x = np.sort(np.array(xs))[None, :]
    war = war_probability(x, p, belief)[0]
    assert np.all(np.diff(war) >= -1e-12)
    assert np.all((war >= 0) & (war <= 1))


# ------------------------------------------------------------------------------------------
# B.2 with C.1: the optimal offer at its closed forms (issue 18, item 5)


def _uniform_closed_form(p, c_a, lo, hi):
    """x* = min(1, p + clip((hi - c_a)/2, lo, hi)) for c ~ U[lo, hi] (derivation below)."""
    return min(1.0, p + min(max((hi - c_a) / 2.0, lo), hi))


@settings(max_examples=80, deadline=None)
@given(
    p=st.floats(0.0, 1.0),
    c_a=st.floats(0.0, 0.6),
    lo=st.floats(0.0, 0.5),
    width=st.floats(0.01, 0.8),
)
def test_property_uniform_offer_equals_closed_form(p, c_a, lo, width):
    """Uniform belief, no audience cost: both solvers equal the hand-derived closed form.

    Fearon (1995, IO 49(3), sec. "Private information") and models.md B.2: the responder
    accepts x iff its cost c >= y = x - p, so Pr(war) = F(y) and, with F uniform on
    [lo, hi] (w = hi - lo), for y in [lo, hi]

        EU(y) = p + y - (y + c_a)(y - lo)/w,   EU'(y) = 1 - (2y + c_a - lo)/w,

    concave with stationary point y = (w + lo - c_a)/2 = (hi - c_a)/2. Below lo nobody fights
    and EU = p + y rises; above hi war is certain and EU = p - c_a is flat. So
    y* = clip((hi - c_a)/2, lo, hi); for lo = 0 this is B.2's x* = p + (c_bar - c_a)/2 and
    x* = p when c_a >= c_bar. The pie caps the share: a concave EU restricted to y <= 1 - p
    peaks at min(y*, 1 - p), i.e. x* = min(1, p + y*). Then Pr(war) = clip((x* - p - lo)/w, 0, 1).
    """
    hi = lo + width
    x = _uniform_closed_form(p, c_a, lo, hi)
    war = min(max((x - p - lo) / width, 0.0), 1.0)
    eu = x * (1 - war) + (p - c_a) * war
    closed = optimal_offer_uniform(p, c_a, lo, hi)
    num = optimal_offer(np.array([p]), c_a, CostBelief.uniform(np.array([lo]), np.array([hi])))
    for o in (closed, num):
        assert float(np.ravel(o.x)[0]) == pytest.approx(x, abs=1e-7)
        assert float(np.ravel(o.p_war)[0]) == pytest.approx(war, abs=1e-6)
        assert float(np.ravel(o.utility)[0]) == pytest.approx(eu, abs=1e-10)


def _point_closed_form(p, v, a, e):
    """The best accepted share against a known cost v with one audience term (see below)."""
    x = p + v if p + v <= e else (p + v + a * e) / (1.0 + a)
    return x


@settings(max_examples=100, deadline=None)
@given(
    p=st.floats(0.0, 1.0),
    c_a=st.floats(0.0, 0.6),
    v=st.floats(0.0, 0.6),
    a=st.floats(0.0, 3.0),
    e=st.floats(0.0, 1.0),
    audience=st.booleans(),
)
def test_property_point_offer_equals_closed_form(p, c_a, v, a, e, audience):
    """Point belief (complete information), with and without an audience cost.

    Fearon (1995), B.1/B.2 of models.md: a responder whose cost v is known accepts x iff
    v >= x - p. With the responder's hands tied by a public demand (Fearon 1994; models.md
    C.1: a responder demanding 1 - e of the pie pays a per unit it concedes beyond that, i.e.
    a * max(0, x - e) in the proposer's share x) it accepts iff v >= x - p + a max(0, x - e).
    Solving for the largest such x:

    - if p + v <= e the kink is not reached: x_acc = p + v (B.1's upper end);
    - otherwise x - p + a(x - e) <= v gives x_acc = (p + v + a e)/(1 + a), which is > e.

    The share is capped at 1. An accepted offer is worth x_acc; any larger one is rejected and
    worth the war payoff p - c_a; the proposer takes the better (peace on a tie), so
    EU* = max(min(1, x_acc), p - c_a) where war is available (x_acc < 1), with Pr(war) 0 or 1.
    Without audience costs (a = 0) this is x* = min(1, p + v) and no war.
    """
    if not audience:
        a = 0.0
    x_acc = _point_closed_form(p, v, a, e)
    kwargs = {"audience": np.array([[a]]), "edge": np.array([[e]])} if audience else {}
    o = optimal_offer(np.array([p]), c_a, CostBelief.point(np.array([v])), **kwargs)
    if min(1.0, x_acc) >= p - c_a - 1e-12 or x_acc >= 1.0:  # a tie (to rounding): peace
        assert o.x[0] == pytest.approx(min(1.0, x_acc), abs=1e-12)
        assert o.p_war[0] == 0.0
        assert o.utility[0] == pytest.approx(min(1.0, x_acc), abs=1e-12)
    else:  # fighting beats the best acceptable offer
        assert o.p_war[0] == 1.0
        assert o.utility[0] == pytest.approx(p - c_a, abs=1e-12)
    if not audience:
        assert o.x[0] == pytest.approx(min(1.0, p + v), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    p=st.floats(0.0, 1.0),
    v=st.floats(0.0, 0.6),
    a=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=4),
    e=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
)
def test_property_point_offer_is_the_acceptance_boundary_with_several_responders(p, v, a, e):
    """Several targets respond: each term t ties hands at its own edge e_t and the responder
    accepts iff v >= x - p + max_t a_t max(0, x - e_t), i.e. iff every single-term condition
    holds, so x* = min over t of the single-term closed form. War costs the proposer
    c_a = 1.5 > p, so its war payoff p - c_a < 0 <= x*: it never prefers to fight."""
    aa, ee = np.array([a]), np.array([e[: len(a)]])
    x_star = min([p + v] + [_point_closed_form(p, v, ai, ei) for ai, ei in zip(a, e, strict=False)])
    o = optimal_offer(np.array([p]), 1.5, CostBelief.point(np.array([v])), audience=aa, edge=ee)
    assert o.x[0] == pytest.approx(min(1.0, x_star), abs=1e-12)
    assert o.p_war[0] == 0.0
    if x_star < 1.0 - 1e-9:  # one step beyond is rejected
        beyond = war_probability(
            o.x + 1e-9, p, CostBelief.point(np.array([v])), audience=aa, edge=ee
        )
        assert beyond[0] == 1.0


def test_issue_18_example_point_belief_with_the_responders_audience_cost():
    """Issue 18: p = 0.5, c_C = 0.1 (known), c_T = 0.15, the challenger's a = 0.175 with a full
    public demand (e = 0). The target offers the x solving 0.1 >= x - 0.5 + 0.175x, i.e.
    x = 0.6/1.175, and there is no war (the old bounded search returned 0.6 and war)."""
    belief = CostBelief.point(np.array([0.1]))
    o = optimal_offer(0.5, 0.15, belief, audience=np.array([[0.175]]), edge=np.array([[0.0]]))
    assert o.x[0] == pytest.approx(0.6 / 1.175, abs=1e-12)
    assert o.p_war[0] == 0.0
    # the same through a scenario: stakes 3:1, lambda 0.2, publicity 1 and 0.5 on the two
    # issues -> a = 0.2 (0.75 + 0.125) = 0.175; demands at the challenger's ideal -> share 1
    doc = one_issue(proposer="B", p_win=0.5, cost_challenger=0.1, cost_target=0.15).model_dump(
        exclude_none=True
    )
    doc["issues"].append({"id": "y", "status_quo": 100})
    doc["stances"] += [
        {"actor": "A", "issue": "y", "position": 0, "salience": 100},
        {"actor": "B", "issue": "y", "position": 100, "salience": 100},
    ]
    doc["crisis"]["stakes"] = {"x": 3, "y": 1}
    doc["actors"][0]["audience_sensitivity"] = 0.2
    doc["stances"][0].update(demand=0, publicity=1)
    doc["stances"][2].update(demand=0, publicity=0.5)
    sc = Scenario.model_validate(doc)
    cr = compile_crisis(sc)
    assert cr.audience_challenger[0] == pytest.approx(0.175)
    res = analyse_crisis(cr, scenario_arrays(sc), {})
    assert res["offer"]["proposer_share"][0] == pytest.approx(0.6 / 1.175, abs=1e-12)
    assert res["offer"]["challenger_share"][0] == pytest.approx(1 - 0.6 / 1.175, abs=1e-12)
    assert res["offer"]["p_war"][0] == 0.0


def _eu_uniform_with_audience(x, p, c_a, lo, hi, a, e):
    """EU(x) = x (1 - F) + (p - c_a) F with F = clip((y - lo)/(hi - lo)), y = x - p + a(x - e)+."""
    y = x - p + a * np.maximum(0.0, x - e)
    f = np.clip((y - lo) / (hi - lo), 0.0, 1.0)
    return x * (1 - f) + (p - c_a) * f


@settings(max_examples=80, deadline=None)
@given(
    p=st.floats(0.0, 1.0),
    c_a=st.floats(0.0, 0.6),
    lo=st.floats(0.0, 0.5),
    width=st.floats(0.02, 0.8),
    a=st.floats(0.0, 3.0),
    e=st.floats(0.0, 1.0),
)
def test_property_uniform_offer_with_audience_cost_equals_closed_form(p, c_a, lo, width, a, e):
    """Uniform belief with one audience term: the numeric offer equals the closed form.

    Fearon (1995) with Fearon (1994), models.md B.2 and C.1: the responder accepts x iff
    c >= y(x) = x - p + a max(0, x - e). y is piecewise linear: y = s x - q with (s, q) =
    (1, p) for x <= e and (1 + a, p + a e) above. Where the belief has mass (lo <= y <= hi,
    w = hi - lo) the utility on a piece is the quadratic

        EU(x) = x - (x - p + c_a)(s x - q - lo)/w,

    whose stationary point solves 1 - [(s x - q - lo) + s (x - p + c_a)]/w = 0:

        x_s = (hi + q + s (p - c_a)) / (2 s)     (a = 0: x = p + (hi - c_a)/2, as in B.2).

    Below y^-1(lo) EU = x rises; above y^-1(hi) EU = p - c_a is flat. EU is continuous, so
    its maximum on [0, 1] lies at a piece boundary (0, 1, e, y^-1(lo), y^-1(hi), where
    y^-1(c) = p + c if p + c <= e else (p + c + a e)/(1 + a)) or at a stationary point; the
    closed form is the best of these candidates.
    """
    hi = lo + width

    def inv(c):
        return p + c if p + c <= e else (p + c + a * e) / (1 + a)

    cands = [0.0, 1.0, e, inv(lo), inv(hi)]
    for s, q in ((1.0, p), (1.0 + a, p + a * e)):
        cands.append((hi + q + s * (p - c_a)) / (2 * s))
    cands = np.clip(np.array(cands), 0.0, 1.0)
    vals = _eu_uniform_with_audience(cands, p, c_a, lo, hi, a, e)
    eu_star = float(vals.max())
    o = optimal_offer(
        np.array([p]),
        c_a,
        CostBelief.uniform(np.array([lo]), np.array([hi])),
        audience=np.array([[a]]),
        edge=np.array([[e]]),
    )
    assert o.utility[0] == pytest.approx(eu_star, abs=1e-10)
    assert o.utility[0] == pytest.approx(
        float(_eu_uniform_with_audience(o.x[0], p, c_a, lo, hi, a, e)), abs=1e-12
    )
    if eu_star > p - c_a + 1e-6:  # peace is strictly better: the maximiser is unique
        assert o.x[0] == pytest.approx(float(cands[int(vals.argmax())]), abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["normal", "triangular"]),
    p=st.floats(0.05, 0.95),
    c_a=st.floats(0.0, 0.5),
    m=st.floats(0.0, 0.4),
    s=st.floats(0.02, 0.3),
    a=st.floats(0.0, 2.0),
    e=st.floats(0.0, 1.0),
)
def test_property_offer_with_audience_cost_matches_brute_force(kind, p, c_a, m, s, a, e):
    """Normal (truncated at 0) and triangular beliefs with an audience cost: the engine's offer
    is as good as the best of 200 001 offers on [0, 1], each scored with scipy.stats' CDF and
    the acceptance rule c >= x - p + a max(0, x - e) written here (models.md B.2, C.1)."""
    if kind == "normal":
        belief = CostBelief.normal(np.array([m]), np.array([s]))
        dist = stats.truncnorm(a=-m / s, b=np.inf, loc=m, scale=s)
    else:
        belief = CostBelief(
            "triangular",
            {"low": np.array([m]), "mode": np.array([m + s / 3]), "high": np.array([m + s])},
        )
        dist = stats.triang(c=1 / 3, loc=m, scale=s)

    def eu(x):
        f = dist.cdf(x - p + a * np.maximum(0.0, x - e))
        return x * (1 - f) + (p - c_a) * f

    xs = np.linspace(0.0, 1.0, 200_001)
    vals = eu(xs)
    o = optimal_offer(np.array([p]), c_a, belief, audience=np.array([[a]]), edge=np.array([[e]]))
    assert o.utility[0] >= vals.max() - 1e-9
    assert o.utility[0] == pytest.approx(float(eu(o.x[0])), abs=1e-9)
    if vals.max() > p - c_a + 1e-4:  # a peaceful optimum: the offer is near the grid's best
        assert o.x[0] == pytest.approx(float(xs[vals.argmax()]), abs=2e-3)


# ------------------------------------------------------------------------------------------
# B.3 Costly signals


def test_b3_sunk_cost_signal():
    # models.md B.3: V = 2, p = 0.6, c_B = 0.3, c_A = 0.6, k = 0.05 per month
    # -> v_f = 0.5, K* = 0.2, t* = 4 months, pi = 0.8333 = 1/1.2, bluffers among mobilisers 1/6
    s = costly_signal(2.0, 0.6, 0.3, 0.6, 0.05, months=np.array([0.0, 3.9, 4.0, 12.0]))
    assert float(s.v_fight) == pytest.approx(0.5)
    assert float(s.k_star) == pytest.approx(0.2)
    assert float(s.months_needed) == pytest.approx(4.0)
    assert float(s.pi_star) == pytest.approx(1 / 1.2)
    assert float(s.needed) == pytest.approx(1 / 1.2)
    assert float(s.bluffers) == pytest.approx(1 / 6)
    assert bool(s.possible)
    assert s.credible_now.tolist() == [False, False, True, True]
    np.testing.assert_allclose(s.months_left, [4.0, 0.1, 0.0, 0.0], atol=1e-12)
    # pi(K) at the sunk cost so far: 1.5/2 at 0 months, 1.5/1.8 at 4, 1 once K >= v_f
    np.testing.assert_allclose(s.pi_now, [0.75, 1.5 / (2 - 0.195), 1.5 / 1.8, 1.0])


def test_b3_no_credible_signal_when_resisting_is_always_worth_it():
    # p + c_A <= 1: A never concedes, whatever B sinks
    s = costly_signal(2.0, 0.6, 0.3, 0.3, 0.05, months=100)
    assert not bool(s.possible)
    assert np.isinf(s.k_star) and not bool(s.credible_now)


def test_b3_signal_needs_p_plus_c_a_strictly_above_one():
    """models.md B.3: a credible mobilisation "needs p + c_A > 1". At p + c_A = 1 exactly
    (0.6 + 0.4), A concedes only if every mobiliser fights, which no sunk cost below v_f
    achieves, so no signal is credible."""
    s = costly_signal(2.0, 0.6, 0.3, 0.4, 0.05, months=100)
    assert not bool(s.possible) and float(s.k_star) == np.inf and not bool(s.credible_now)


@given(
    v=st.floats(0.1, 5),
    p=st.floats(0.01, 1),
    c_b=st.floats(0, 2),
    c_a=st.floats(0, 2),
    k=st.floats(0, 0.5),
    t1=st.floats(0, 60),
    t2=st.floats(0, 60),
)
def test_property_longer_mobilisation_never_lowers_credibility(v, p, c_b, c_a, k, t1, t2):
    short, long_ = sorted((t1, t2))
    a = costly_signal(v, p, c_b, c_a, k, months=short)
    b = costly_signal(v, p, c_b, c_a, k, months=long_)
    assert b.pi_now >= a.pi_now - 1e-12
    assert bool(b.credible_now) or not bool(a.credible_now)


# ------------------------------------------------------------------------------------------
# B.4 Shifting power, B.5 brinkmanship


def test_b4_preventive_war():
    # models.md B.4: p0 = 0.6, p1 = 0.3, delta = 0.9, c_A = 0.5 -> 5.5 > 3.25 -> war; p1* = 0.55
    r = preventive_war(0.6, 0.3, 0.9, 0.5)
    assert float(r.war_value) == pytest.approx(5.5)
    assert float(r.peace_value) == pytest.approx(3.25)
    assert bool(r.war)
    assert float(r.p_future_critical) == pytest.approx(0.55)
    # war iff p1 < 0.55
    assert preventive_war(0.6, np.array([0.54, 0.56]), 0.9, 0.5).war.tolist() == [True, False]


def test_b4_no_preventive_war_when_indifferent():
    """models.md B.4: preventive war iff the war value *exceeds* the best peace. With
    delta = 0.5 and c = 0: war 0.75 / 0.5 = 1.5, peace 1 + 0.5 (0.5 / 0.5) = 1.5 (exact in
    binary): a tie, so no war."""
    r = preventive_war(0.75, 0.5, 0.5, 0.0)
    assert float(r.war_value) == float(r.peace_value) == 1.5
    assert not bool(r.war)


def test_b5_brinkmanship_accumulates_as_a_constant_hazard():
    # 1 - e^{-h t} with h = 0.03/month over 2 months = 0.0582355 (models.md B.5)
    assert float(brinkmanship_risk(0.03, 2.0)) == pytest.approx(1 - np.exp(-0.06), abs=1e-15)
    assert float(brinkmanship_risk(0.03, 2.0)) == pytest.approx(0.0582355, abs=1e-7)
    # memoryless: surviving 5 months = surviving 2 and then 3
    a, b, c = brinkmanship_risk(0.07, np.array([2.0, 3.0, 5.0]))
    assert c == pytest.approx(1 - (1 - a) * (1 - b))


# ------------------------------------------------------------------------------------------
# C. Audience costs


def test_c1_table_and_threshold():
    # models.md C.1: p_B = 0.4, c_B = 0.1, c_A = 0.1, d_B = 0.8
    lo, hi = audience_range(0.4, 0.1, 0.1, 0.8, np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(lo, [0.30, 0.4667, 0.55], atol=5e-5)
    np.testing.assert_allclose(hi, [0.50, 0.50, 0.50])
    assert range_is_empty(lo, hi).tolist() == [False, False, True]
    a_star = audience_threshold(0.4, 0.1, 0.1, 0.8)
    assert float(a_star) == pytest.approx(2 / 3)
    lo_star, hi_star = audience_range(0.4, 0.1, 0.1, 0.8, a_star)
    assert float(lo_star) == pytest.approx(float(hi_star))
    # a demand within A's maximum never empties the range
    assert np.isinf(audience_threshold(0.4, 0.1, 0.1, 0.45))


@given(
    p=st.floats(0, 1),
    c_b=st.floats(0, 1),
    c_a=st.floats(0, 1),
    d=st.floats(0, 1),
    a1=st.floats(0, 20),
    a2=st.floats(0, 20),
)
def test_property_larger_audience_cost_never_widens_the_range(p, c_b, c_a, d, a1, a2):
    small, large = sorted((a1, a2))
    lo_s, hi_s = audience_range(p, c_b, c_a, d, small)
    lo_l, hi_l = audience_range(p, c_b, c_a, d, large)
    assert hi_l - lo_l <= hi_s - lo_s + 1e-12
    assert lo_l >= p - c_b - 1e-12  # never below the war payoff


def test_c2_table():
    # models.md C.2: lambda = 1, pi = 0.8, kappa = 1.5
    ac = audience_cost(
        np.array([90.0, 90.0, 20.0]),
        np.array([40.0, 95.0, 60.0]),
        np.array([1, 1, -1]),
        0.8,
        1.0,
        1.5,
    )
    np.testing.assert_allclose(ac, [0.2828, 0.0, 0.2024], atol=5e-5)


def test_achievement_gap_and_victory_rules():
    # three actors on one 0-100 issue with status quo 50, the C.2 rows as demands; forecast
    # outcomes per actor differ, so run three one-issue forecasts and read each actor's row.
    arrays = ScenarioArrays.from_table(
        [[10.0], [90.0], [30.0]], [[1.0], [1.0], [1.0]], [1.0, 1.0, 1.0], status_quo=[50.0]
    )
    public = PublicStakes(
        demand=np.array([[[90.0], [90.0], [20.0]]]),
        publicity=np.full((1, 3, 1), 0.8),
        sensitivity=np.array([[1.0, 2.0, 1.0]]),
    )
    gaps = []
    for o, row in ((40.0, 0), (95.0, 1), (60.0, 2)):
        ach = achievement_gap(arrays, public, np.array([[o]]), kappa=1.5)
        gaps.append((ach.gap[0, row], ach.victory[0, row], ach.cost[0, row]))
    # C.2 scores 0.2828, 0, 0.2024; audience cost = lambda x score
    np.testing.assert_allclose([g[0] for g in gaps], [0.2828, 0.0, 0.2024], atol=5e-5)
    np.testing.assert_allclose([g[2] for g in gaps], [0.2828, 0.0, 0.2024], atol=5e-5)
    # no_retreat: 90 demanded, 50 before, 40 after -> retreat; 95 -> gain; 20 demanded, 60 after
    # a status quo of 50 -> retreat
    assert [bool(g[1]) for g in gaps] == [False, True, False]
    # a forecast between the status quo and the demand is a gain that can be sold at home
    ach = achievement_gap(arrays, public, np.array([[70.0]]), kappa=1.5)
    assert ach.victory[0].tolist() == [True, True, False]
    # gap_threshold rule: (20/100)^1.5 * 0.8 = 0.0716 <= 0.1 -> victory for actors 0 and 1;
    # actor 2 demanded 20 and gets 70: 0.8 * 0.5^1.5 = 0.2828 > 0.1
    ach = achievement_gap(arrays, public, np.array([[70.0]]), kappa=1.5, rule="gap_threshold")
    assert ach.victory[0].tolist() == [True, True, False]
    # private positions (publicity 0) can always declare victory
    quiet = PublicStakes(public.demand, np.zeros((1, 3, 1)), public.sensitivity)
    assert achievement_gap(arrays, quiet, np.array([[0.0]])).victory.all()


def test_nbs_pie_split():
    # models.md E.1: d_A = 0.2, d_B = 0.3, w = (2, 1) -> x_A = 0.5333
    x, ok = nbs_pie_split(0.2, 0.3, 2.0, 1.0)
    assert float(x) == pytest.approx(0.5333, abs=5e-5)
    assert bool(ok)
    # disagreement payoffs summing above the pie: no agreement
    assert not bool(nbs_pie_split(0.6, 0.5)[1])


def test_nbs_pie_split_with_zero_surplus_is_an_agreement():
    """models.md E.2: there is no agreement only if some d_i exceeds u_i(x) for every x. With
    d_A + d_B = 1 (0.4 + 0.6, exact) the split x_A = d_A gives each exactly its disagreement
    payoff, so an agreement exists, at that single point."""
    x, ok = nbs_pie_split(0.4, 0.6)
    assert bool(ok) and float(x) == 0.4


# ------------------------------------------------------------------------------------------
# The reference vectors through the whole scenario pipeline


def one_issue(**crisis) -> Scenario:
    """A challenger at 0 on one 0-100 issue, so its share of the pie is 1 - outcome/100."""
    doc = {
        "meta": {"title": "one issue"},
        "actors": [{"id": "A", "capability": 1}, {"id": "B", "capability": 1}],
        "issues": [{"id": "x", "status_quo": 100}],
        "stances": [
            {"actor": "A", "issue": "x", "position": 0, "salience": 100},
            {"actor": "B", "issue": "x", "position": 100, "salience": 100},
        ],
        "crisis": {"challenger": "A", "targets": ["B"], "stakes": {"x": 1}, **crisis},
    }
    return Scenario.model_validate(doc)


def test_pipeline_b1_and_b2_challenger_proposes():
    sc = one_issue(
        proposer="A", p_win=0.5, cost_challenger=0.1, cost_target=0.2, private_cost=[0, 0.3]
    )
    cr = compile_crisis(sc)
    lo, hi = crisis_range(cr)
    assert (lo[0], hi[0]) == pytest.approx((0.4, 0.7))
    res = analyse_crisis(cr, scenario_arrays(sc), {"at40": np.array([[40.0]])})
    # B.2 uniform: x* = 0.6, Pr(war) = 1/3, EU = 0.5333
    assert res["offer"]["challenger_share"][0] == pytest.approx(0.6)
    assert res["offer"]["p_war"][0] == pytest.approx(1 / 3)
    assert res["offer"]["proposer_utility"][0] == pytest.approx(0.5333, abs=5e-5)
    # outcome 40 gives A 0.6: the same rejection risk, no brinkmanship given
    assert res["models"]["at40"]["challenger_share"][0] == pytest.approx(0.6)
    assert res["models"]["at40"]["reject"][0] == pytest.approx(1 / 3)
    assert res["models"]["at40"]["escalation"][0] == pytest.approx(1 / 3)


def test_pipeline_target_proposes_is_the_mirror_image():
    sc = one_issue(
        proposer="B", p_win=0.5, cost_challenger=0.2, cost_target=0.1, private_cost=[0, 0.3]
    )
    res = analyse_crisis(compile_crisis(sc), scenario_arrays(sc), {})
    # B keeps 0.6 (B.2 uniform with B's p = 0.5 and c = 0.1), A gets 0.4
    assert res["offer"]["proposer_share"][0] == pytest.approx(0.6)
    assert res["offer"]["challenger_share"][0] == pytest.approx(0.4)
    assert res["offer"]["p_war"][0] == pytest.approx(1 / 3)


def test_pipeline_escalation_combines_rejection_and_brinkmanship():
    sc = one_issue(
        proposer="A",
        p_win=0.5,
        cost_challenger=0.1,
        cost_target=0.2,
        private_cost=[0, 0.3],
        deadline_months=2,
        brinkmanship={"hazard_per_month": 0.03},
    )
    cr = compile_crisis(sc)
    esc = escalation_probability(cr, np.array([0.6]))
    h = 1 - np.exp(-0.06)
    assert esc["brinkmanship"][0] == pytest.approx(h)
    assert esc["reject"][0] == pytest.approx(1 / 3)
    assert esc["escalation"][0] == pytest.approx(1 - (2 / 3) * (1 - h))


def test_pipeline_b3_b4_and_nbs():
    sc = one_issue(
        p_win=0.6,
        cost_challenger=0.3,
        cost_target=0.6,
        mobilisation={"cost_per_month": 0.05, "months": 4, "value_max": 2},
        power_shift={"p_future": 0.3, "discount": 0.9},
    )
    res = analyse_crisis(compile_crisis(sc), scenario_arrays(sc), {})
    sig = res["signal"]
    assert sig["k_star"][0] == pytest.approx(0.2)
    assert sig["months_needed"][0] == pytest.approx(4.0)
    assert bool(sig["credible_now"][0])
    # B.4 with p0 = 0.6, p1 = 0.3, delta = 0.9 and the challenger's cost 0.3:
    # war 0.6/0.1 - 0.3 = 5.7 vs peace 1 + 0.9 (3 - 0.3) = 3.43; p1* = (0.6 - 0.1*1.03)/0.9
    ps = res["power_shift"]
    assert ps["war_value"][0] == pytest.approx(5.7)
    assert ps["peace_value"][0] == pytest.approx(3.43)
    assert ps["critical_p_future"][0] == pytest.approx((0.6 - 0.103) / 0.9)
    assert bool(ps["preventive_war"][0])
    # NBS with war payoffs d_A = 0.6 - 0.3 = 0.3, d_B = 1 - 0.6 - 0.6 = -0.2 and equal
    # capabilities (E.1): 0.3 + 0.5 * (1 - 0.3 + 0.2) = 0.75
    assert res["nbs"]["challenger_share"][0] == pytest.approx(0.75)
    assert bool(res["nbs"]["agreement"][0])


def test_pipeline_power_shift_in_favour_of_the_challenger():
    # the targets decline: B's p falls from 0.6 to 0.3 when A's rises from 0.4 to 0.7
    sc = one_issue(
        p_win=0.4,
        cost_challenger=0.3,
        cost_target=0.5,
        power_shift={"p_future": 0.7, "discount": 0.9},
    )
    ps = analyse_crisis(compile_crisis(sc), scenario_arrays(sc), {})["power_shift"]
    assert not bool(ps["challenger_declines"][0])
    assert ps["war_value"][0] == pytest.approx(5.5)  # the B.4 vector, seen from B
    assert ps["critical_p_future"][0] == pytest.approx(1 - 0.55)


def test_pipeline_c1_with_public_demand():
    # C.1 through the scenario: A (as B in C.1) has p = 0.4, c = 0.1, the target's c = 0.1; its
    # public demand 20 on the 0-100 issue (ideal 0) is a share of 0.8; lambda x publicity = a
    def run(a: float) -> tuple[float, float]:
        doc = one_issue(p_win=0.4, cost_challenger=0.1, cost_target=0.1).model_dump(
            exclude_none=True
        )
        doc["actors"][0]["audience_sensitivity"] = a
        doc["stances"][0].update(demand=20, publicity=1)
        sc = Scenario.model_validate(doc)
        lo, hi = crisis_range(compile_crisis(sc))
        return float(lo[0]), float(hi[0])

    assert run(0.0) == pytest.approx((0.30, 0.50))
    assert run(0.5) == pytest.approx((0.4667, 0.50), abs=5e-5)
    lo, hi = run(1.0)
    assert lo == pytest.approx(0.55) and lo > hi
    # the option to ignore audience costs restores B.1
    doc = one_issue(p_win=0.4, cost_challenger=0.1, cost_target=0.1).model_dump(exclude_none=True)
    doc["actors"][0]["audience_sensitivity"] = 1.0
    doc["stances"][0].update(demand=20, publicity=1)
    cr = compile_crisis(Scenario.model_validate(doc))
    lo, hi = crisis_range(cr, CrisisOptions(audience_costs="ignore"))
    assert (lo[0], hi[0]) == pytest.approx((0.3, 0.5))


@settings(max_examples=40, deadline=None)
@given(
    # a scenario's numbers are 0 or at least 1e-12 in magnitude (issue 22's bound)
    a1=st.one_of(st.just(0.0), st.floats(1e-9, 10)),
    a2=st.one_of(st.just(0.0), st.floats(1e-9, 10)),
    d=st.one_of(st.just(0.0), st.floats(1e-9, 100)),
    pub=st.one_of(st.just(0.0), st.floats(1e-9, 1)),
)
def test_property_crisis_range_narrows_with_target_audience_cost(a1, a2, d, pub):
    def width(a: float) -> float:
        doc = one_issue(p_win=0.5, cost_challenger=0.1, cost_target=0.15).model_dump(
            exclude_none=True
        )
        doc["actors"][1]["audience_sensitivity"] = a
        doc["stances"][1].update(demand=d, publicity=pub)
        lo, hi = crisis_range(compile_crisis(Scenario.model_validate(doc)))
        return float(hi[0] - lo[0])

    small, large = sorted((a1, a2))
    assert width(large) <= width(small) + 1e-12
    assert width(0.0) == pytest.approx(0.25)  # c_A + c_B without audience costs


def test_monte_carlo_batch_equals_one_by_one():
    sc = one_issue(
        p_win=[0.4, 0.7],
        cost_challenger=[0.05, 0.2],
        cost_target=[0.05, 0.3],
        private_cost={"dist": "triangular", "low": 0, "mode": 0.1, "high": 0.4},
        deadline_months=3,
        brinkmanship={"hazard_per_month": [0.0, 0.05]},
    )
    arrays = scenario_arrays(sc, 6, np.random.default_rng(5))
    cr = compile_crisis(sc, arrays, 6, np.random.default_rng(6))
    fc = {"mid": np.full((6, 1), 50.0)}
    together = analyse_crisis(cr, arrays, fc)
    for i in range(6):
        sub = replace(
            cr,
            **{
                f.name: getattr(cr, f.name)[i : i + 1]
                for f in fields(cr)
                if isinstance(getattr(cr, f.name), np.ndarray)
            },
            belief=cr.belief.take(slice(i, i + 1)),
            public=PublicStakes(
                *(getattr(cr.public, k)[i : i + 1] for k in ("demand", "publicity", "sensitivity"))
            ),
        )
        alone = analyse_crisis(sub, arrays.take_samples(i), {"mid": fc["mid"][i : i + 1]})
        assert alone["offer"]["proposer_share"][0] == pytest.approx(
            together["offer"]["proposer_share"][i], abs=1e-12
        )
        assert alone["models"]["mid"]["escalation"][0] == pytest.approx(
            together["models"]["mid"]["escalation"][i], abs=1e-12
        )


# ------------------------------------------------------------------------------------------
# The command


def _crisis_scenario() -> Scenario:
    doc = one_issue(
        proposer="B",
        p_win=[0.5, 0.7],
        cost_challenger=[0.1, 0.3],
        cost_target=[0.1, 0.2],
        private_cost={"dist": "normal", "mean": 0.2, "sd": 0.08},
        mobilisation={"cost_per_month": 0.02, "months": 9, "value_max": 1.5},
        deadline_months=2,
        brinkmanship={"hazard_per_month": 0.03},
    ).model_dump(exclude_none=True)
    doc["actors"][1]["audience_sensitivity"] = 1
    doc["stances"][1].update(demand=100, publicity=1)
    return Scenario.model_validate(doc)


def test_report_text_and_json():
    sc = _crisis_scenario()
    rng = np.random.default_rng(0)
    # the intervals from 200 draws of the Monte Carlo engine, as detente crisis takes them
    mc = run_montecarlo(sc, 200, 0, keep_crisis=True)
    rep = crisis_report(sc, scenario_arrays(sc), rng, drawn=mc["crisis_draws"], drawn_samples=200)
    json.dumps(rep, allow_nan=False)  # strict JSON: no NaN or infinity
    # centres p = 0.6, c_A = 0.2, c_B = 0.15. A made no public demand: low end 0.6 - 0.2.
    # B demands 100 (A's share 0, B's 1) in public with a = 1: B's minimum is
    # (1 - 0.6 - 0.15 + 1 * 1)/(1 + 1) = 0.625 (C.1), so A gets at most 0.375: empty.
    assert rep["range"]["low"]["value"] == pytest.approx(0.6 - 0.2)
    assert rep["range"]["high"]["value"] == pytest.approx(0.375)
    assert rep["range"]["empty"]["value"] is True
    assert rep["audience"]["targets"]["B"]["a_star"]["value"] == pytest.approx(
        (0.2 + 0.15) / (1 - (0.4 + 0.2))  # C.1 a* seen from B: (c_A + c_B)/(d_B - (p_B + c_A))
    )
    esc = rep["offer"]["escalation"]
    assert esc["low"] <= esc["median"] <= esc["high"]
    assert rep["options"] == CrisisOptions().describe()
    # B defends the status quo (demand 100 = status quo) in public: any concession is a retreat
    assert rep["models"]["compromise"]["no_room_to_declare_victory"] == ["B"]
    text = summary_text(rep)
    assert "Fearon's range (a deal against war only, one shot): EMPTY" in text
    assert "A needs at least 0.40" in text
    assert "probability of escalation" in text and "90% interval" in text
    assert "no room to declare victory: B" in text


def test_report_without_crisis_section_is_an_input_error():
    doc = one_issue(p_win=0.5, cost_challenger=0.1, cost_target=0.1).model_dump(exclude_none=True)
    del doc["crisis"]
    sc = Scenario.model_validate(doc)
    with pytest.raises(InputError, match="no crisis section"):
        crisis_report(sc, scenario_arrays(sc), np.random.default_rng(0), source="f")


def test_command_function(monkeypatch):
    sc = _crisis_scenario()

    def fake_load(spec):  # stands in for reading demo.yaml: the command loads through the facade
        assert spec == "demo.yaml"
        return Loaded(scenario=sc, source=spec)

    monkeypatch.setattr(api, "load", fake_load)
    app = typer.Typer()
    app.command()(command.crisis)
    runner = CliRunner()
    out = runner.invoke(app, ["demo.yaml", "--samples", "100", "--seed", "4", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["samples"] == 100 and data["seed"] == 4
    again = runner.invoke(app, ["demo.yaml", "--samples", "100", "--seed", "4", "--json"])
    assert again.output == out.output  # same seed, same bytes
    text = runner.invoke(app, ["demo.yaml", "--samples", "0"])
    assert text.exit_code == 0
    assert text.output.startswith("Crisis: A against B")
    assert "interval" not in text.output.split("\n")[3]  # no draws, no intervals


def test_options_are_recorded_and_pie_zero_must_match_the_compile():
    sc = one_issue(p_win=0.5, cost_challenger=0.1, cost_target=0.1)
    res = analyse_crisis(compile_crisis(sc), scenario_arrays(sc), {})
    assert res["options"]["pie_zero"] == "scale"
    assert res["options"]["victory_rule"] == "gap_threshold"
    with pytest.raises(ValueError, match="pie_zero"):
        analyse_crisis(
            compile_crisis(sc), scenario_arrays(sc), {}, CrisisOptions(pie_zero="farthest")
        )


def test_summary_without_brinkmanship_says_so():
    sc = one_issue(
        proposer="A", p_win=0.5, cost_challenger=0.1, cost_target=0.2, private_cost=[0, 0.3]
    )
    rep = crisis_report(sc, scenario_arrays(sc), np.random.default_rng(0))
    assert rep["offer"]["escalation"]["value"] == pytest.approx(1 / 3)  # B.2 rejection only
    text = summary_text(rep)
    assert "probability of escalation is 33%" in text
    assert "no brinkmanship hazard" in text
