"""Win-sets and ratification votes against models.md section D and independent computations.

Sources of the expected numbers:
- models.md D.2 (Senate 1..100, NATO unanimity) and D.3 (2-D unanimity example);
- hand arithmetic written out next to each assertion (durable value, forum forecasts, utilities);
- the binomial tail P(#yes >= q) for iid members (models.md D.4), via scipy.stats.binom;
- scipy's SLSQP solver and the closed-form projection onto a circle for nearest packages.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.stats import binom

from detente.analyses.ratification import (
    ForumOptions,
    approvals,
    body_winset_1d,
    durable_value,
    form_passes,
    form_votes,
    forum_forecast,
    margins,
    nearest_ratifiable,
    passes,
    pivot,
    ratification_probability,
    sample_winset,
    spatial_utility,
    to_win_over,
    vote_margin,
    winset_1d,
    winset_box,
    yes_counts,
)
from detente.models import get_model
from detente.scenario.ratification import CompiledBody, compile_ratification
from detente.scenario.schema import Scenario
from tests.ratification_scenario import doc, point_arrays, scenario

# models.md D.2: Senate, ideal points 1..100, SQ = 30, q = 67
SENATE = CompiledBody.from_points(np.arange(1.0, 101.0), 30.0, 67, id="senate")
# models.md D.2: NATO unanimity, 30 members at 10, 12, ..., 68, SQ = 5
NATO = CompiledBody.from_points(np.arange(10.0, 69.0, 2.0), 5.0, 30, id="nato")
# models.md D.3: 3-member unanimity, weights (1,1), (1,1), (2,0.5), SQ = (10, 10)
TRIO = CompiledBody.from_points(
    [[20.0, 80.0], [50.0, 50.0], [80.0, 70.0]],
    [10.0, 10.0],
    3,
    weight=[[1.0, 1.0], [1.0, 1.0], [2.0, 0.5]],
    id="trio",
)
LO1, HI1 = np.array([0.0]), np.array([100.0])
LO2, HI2 = np.zeros(2), np.full(2, 100.0)


def _x(*values: float) -> np.ndarray:
    """1-D packages as (1, K, 1)."""
    return np.array(values, dtype=float)[None, :, None]


# ------------------------------------------------------------------ models.md D.2, D.3 vectors


def test_senate_yes_counts():
    x = _x(35, 37.9, 38, 25)
    np.testing.assert_array_equal(yes_counts(x, SENATE), [[68, 67, 66, 27]])
    np.testing.assert_array_equal(passes(x, SENATE), [[True, True, False, False]])
    np.testing.assert_array_equal(vote_margin(x, SENATE), [[1, 0, -1, -40]])


def test_senate_win_set_and_gridlock_closed_form():
    w = body_winset_1d(SENATE, 0)
    assert np.isnan(w.left_low[0]) and w.right_high[0] == 38.0  # W = (30, 38)
    assert (w.low[0], w.high[0]) == (30.0, 38.0)
    assert (w.gridlock_low[0], w.gridlock_high[0]) == (34.0, 67.0)  # gridlock [34, 67]
    np.testing.assert_array_equal(
        w.contains(np.array([[30.0, 30.1, 37.9, 38.0, 25.0]])), [[False, True, True, False, False]]
    )


def test_senate_pivots():
    # moving right the pivot is z_(34) = 34; moving left it is z_(67) = 67 (models.md D.2)
    piv = pivot(_x(35, 37.9, 25), SENATE)[0]
    assert [SENATE.ideal[0, k, 0] for k in piv] == [34.0, 34.0, 67.0]


def test_senate_members_to_win_over():
    win = to_win_over(_x(38, 25, 35), SENATE)[0]
    # x = 38: one vote short; member 34 is indifferent (|38-34| = |30-34|) and must be won over
    np.testing.assert_array_equal(np.flatnonzero(win[0]) + 1, [34])
    # x = 25: 27 yes, 40 short; the next 40 members by ideal point: 28 .. 67
    np.testing.assert_array_equal(np.flatnonzero(win[1]) + 1, np.arange(28, 68))
    assert not win[2].any()  # x = 35 passes


def test_nato_unanimity():
    w = body_winset_1d(NATO, 0)
    assert NATO.n_members == 30
    assert (w.low[0], w.high[0]) == (5.0, 15.0)  # W = (5, 15)
    np.testing.assert_array_equal(passes(_x(14, 15), NATO), [[True, False]])
    # x = 15 fails through the member at 10 alone: 29 yes
    np.testing.assert_array_equal(yes_counts(_x(15), NATO), [[29]])


def test_two_dimensional_unanimity_example():
    x = np.array([[[40.0, 40.0], [30.0, 60.0], [50.0, 30.0], [60.0, 20.0]]])
    ok = approvals(x, TRIO)[0]
    assert ok[:3].all()  # approved by all
    np.testing.assert_array_equal(ok[3], [False, True, True])  # vetoed by member 1
    np.testing.assert_array_equal(passes(x, TRIO), [[True, True, True, False]])


def test_ties_yes_option_flips_the_indifferent_member():
    senate_yes = CompiledBody.from_points(np.arange(1.0, 101.0), 30.0, 67, ties="yes")
    # at x = 38 member 34 is indifferent: 66 yes when ties vote no, 67 when they vote yes
    np.testing.assert_array_equal(yes_counts(_x(38), senate_yes), [[67]])
    w = body_winset_1d(senate_yes, 0)
    assert w.closed and (w.low[0], w.high[0]) == (30.0, 38.0)
    np.testing.assert_array_equal(w.contains(np.array([[30.0, 38.0, 38.1]])), [[True, True, False]])


def test_batched_samples_match_one_by_one():
    rng = np.random.default_rng(0)
    ideal = rng.uniform(0, 100, (5, 12, 3))
    body = CompiledBody.from_points(
        ideal, rng.uniform(0, 100, (5, 3)), 7, weight=rng.uniform(0, 2, (5, 12, 3))
    )
    x = rng.uniform(0, 100, (5, 9, 3))
    together = yes_counts(x, body)
    for s in range(5):
        one = CompiledBody.from_points(ideal[s], body.reversion[s], 7, weight=body.weight[s])
        np.testing.assert_array_equal(together[s], yes_counts(x[s : s + 1], one)[0])


# ------------------------------------------------------------------------ forms and bodies


def test_form_votes_blocking_body_and_shortfall():
    comp = compile_ratification(scenario())
    treaty = comp.form_bodies("treaty")
    x = comp.packages  # (1, 3, D): russia-draft, compromise, status-quo
    v = form_votes(x, treaty)
    assert v.body_ids == ("senate", "duma")
    np.testing.assert_array_equal(v.needed, [67, 226])
    # russia-draft (enlargement 0): no senator prefers 0 to 100 (democrats at 80, republicans
    # at 95); every Duma member does. Compromise (92) is inside both blocs' preferred sets.
    np.testing.assert_array_equal(v.yes[0], [[0, 450], [100, 450], [0, 0]])
    np.testing.assert_array_equal(v.ratified[0], [False, True, False])
    # status quo: both bodies get 0 votes; the Duma (226 short) blocks more than the Senate (67)
    np.testing.assert_array_equal(v.blocking[0], [0, -1, 1])
    np.testing.assert_array_equal(v.short[0], [67, 0, 226])


def test_senate_of_the_fixture_needs_republicans_for_a_mean_forecast():
    comp = compile_ratification(scenario())
    senate = comp.body("senate")
    x = np.array([[70.0, 0.0]])  # enlargement 70: democrats yes (|70-80| < 20), republicans no
    assert int(yes_counts(x, senate)[0]) == 50
    win = to_win_over(x, senate)[0]
    assert win.sum() == 17 and all(
        senate.member_bloc[k] == "republicans" for k in np.flatnonzero(win)
    )


def test_form_without_bodies_needs_no_vote():
    v = form_votes(np.array([[1.0, 2.0]]), [])
    assert v.ratified.tolist() == [True] and v.blocking.tolist() == [-1]


def test_members_without_weight_on_an_issue_are_indifferent_to_it():
    # the executive weighs both issues; the Senate only enlargement: legal form moves nobody there
    comp = compile_ratification(scenario())
    senate = comp.body("senate")
    m = margins(np.array([[92.0, 0.0], [92.0, 100.0]]), senate)[0]
    np.testing.assert_array_equal(m[0], m[1])


# ---------------------------------------------------------------------- probability (D.4)


def test_probability_of_ratification_matches_the_binomial_tail():
    # 9 members z_k ~ N(60, 20^2), SQ = 30, x = 50: a member approves iff z_k > 40, with
    # p = Phi(1) = 0.841345; ratified iff at least 7 approve: P = binom.sf(6, 9, p).
    d = doc()
    d["issues"][0]["status_quo"] = 30
    d["bodies"] = [
        {
            "id": "house",
            "threshold": 7,
            "blocs": [{"id": "b", "count": 9, "ideal": {"enlargement": 60}, "spread": 20}],
        }
    ]
    d["forms"] = [{"id": "law", "ratified_by": ["house"]}]
    d["forums"], d["proposals"] = [], []
    mc = compile_ratification(
        Scenario.model_validate(d), samples=20000, rng=np.random.default_rng(11)
    )
    p, se = ratification_probability(np.array([[50.0, 0.0]]), mc.form_bodies("law"))
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))  # Phi(1)
    expected = sum(math.comb(9, k) * phi1**k * (1 - phi1) ** (9 - k) for k in range(7, 10))
    assert expected == pytest.approx(binom.sf(6, 9, phi1), abs=1e-12)
    assert abs(float(p) - expected) < 4 * float(se)
    assert 0.002 < float(se) < 0.003


# ----------------------------------------------------------------- multi-D win-set sampling


def test_winset_box_is_exact_in_one_dimension():
    assert winset_box([SENATE], LO1, HI1) == (np.array([[30.0]]), np.array([[38.0]]))
    assert winset_box([NATO], LO1, HI1) == (np.array([[5.0]]), np.array([[15.0]]))


def test_sampled_share_matches_the_interval_length():
    ws = sample_winset([NATO], LO1, HI1, 1000, np.random.default_rng(0))
    assert ws.inside.all()  # the box is the win-set itself
    np.testing.assert_allclose(ws.share, [0.10])  # (15 - 5) / 100


def test_sampled_share_matches_a_grid_count_in_two_dimensions():
    g = np.linspace(0.125, 99.875, 400)
    grid = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(1, -1, 2)
    on_grid = passes(grid, TRIO).mean()
    ws = sample_winset([TRIO], LO2, HI2, 40000, np.random.default_rng(1))
    assert abs(ws.share[0] - on_grid) < 0.01
    assert form_passes(ws.points[0][ws.inside[0]][None], [TRIO]).all()


def test_empty_win_set_samples_nothing():
    # q = 2 with one member at the status quo: at most one member can ever say yes
    body = CompiledBody.from_points([[30.0, 30.0], [10.0, 10.0]], [10.0, 10.0], 2)
    ws = sample_winset([body], LO2, HI2, 100, np.random.default_rng(0))
    assert not ws.inside.any() and ws.share[0] == 0


# ------------------------------------------------------------------------ nearest package


def test_nearest_ratifiable_in_one_dimension_is_the_win_set_edge():
    near = nearest_ratifiable(np.array([[50.0]]), [SENATE], LO1, HI1, np.random.default_rng(0))
    assert near.found[0] and passes(near.package[None], SENATE).all()
    np.testing.assert_allclose(near.package, [[38.0]], atol=1e-6)  # W = (30, 38)
    np.testing.assert_allclose(near.distance, [0.12], atol=1e-8)


def test_nearest_ratifiable_returns_a_package_that_already_passes():
    near = nearest_ratifiable(np.array([40.0, 40.0]), [TRIO], LO2, HI2, np.random.default_rng(0))
    np.testing.assert_array_equal(near.package, [[40.0, 40.0]])
    assert near.distance[0] == 0


def test_nearest_ratifiable_matches_slsqp_on_the_unanimity_example():
    y = np.array([60.0, 20.0])  # vetoed by member 1 (models.md D.3)
    near = nearest_ratifiable(y, [TRIO], LO2, HI2, np.random.default_rng(5))
    cons = [
        {
            "type": "ineq",
            "fun": lambda v, k=k: (
                np.sum(TRIO.weight[0, k] * (TRIO.reversion[0] - TRIO.ideal[0, k]) ** 2)
                - np.sum(TRIO.weight[0, k] * (v - TRIO.ideal[0, k]) ** 2)
            ),
        }
        for k in range(3)
    ]
    ref = minimize(
        lambda v: np.sum(((v - y) / 100) ** 2),
        [40.0, 40.0],
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-14},
    )
    assert ref.success
    np.testing.assert_allclose(near.distance[0], math.sqrt(ref.fun), atol=1e-6)
    np.testing.assert_allclose(near.package[0], ref.x, atol=5e-3)  # the optimum is flat
    assert passes(near.package, TRIO).all()


def test_nearest_package_for_the_declaration_is_the_projection_on_the_executives_circle():
    # one member, ideal (85, 30), reversion (100, 0): it approves inside the circle of radius
    # sqrt(15^2 + 30^2) around (85, 30); from (0, 100) the nearest point of it lies on the line
    # to the centre: (85, 30) + r (-85, 70) / sqrt(85^2 + 70^2).
    comp = compile_ratification(scenario())
    y = comp.package("russia-draft")
    near = nearest_ratifiable(
        y, comp.form_bodies("declaration"), comp.scale_min, comp.scale_max, np.random.default_rng(2)
    )
    r = math.hypot(15, 30)
    u = np.array([-85.0, 70.0]) / math.hypot(85, 70)
    np.testing.assert_allclose(near.package[0], np.array([85.0, 30.0]) + r * u, atol=1e-3)
    np.testing.assert_allclose(near.distance[0], (math.hypot(85, 70) - r) / 100, atol=1e-7)


def test_nearest_keeps_issues_no_body_weighs():
    comp = compile_ratification(scenario())
    y = comp.package("russia-draft")  # (0, 100); the treaty's bodies weigh enlargement only
    near = nearest_ratifiable(
        y,
        comp.form_bodies("treaty"),
        comp.scale_min,
        comp.scale_max,
        np.random.default_rng(0),
        candidates=128,
        rounds=4,
    )
    np.testing.assert_allclose(near.package[0], [90.0, 100.0], atol=1e-6)  # republicans: > 90


# ----------------------------------------------------------- durable value and utilities


def test_durable_value():
    # h = 0.01, T = 20: 0.99^20 = 0.8179069376; u(x) = 0.8, u(SQ) = 0.3:
    # 0.8 * 0.8179069376 + 0.3 * 0.1820930624 = 0.7089534688
    assert float(durable_value(0.8, 0.3, 0.01, 20)) == pytest.approx(0.7089534688, abs=1e-10)
    # a declaration with h = 0.05 over 20 years keeps 0.95^20 = 0.3584859224 of the gain
    assert float(durable_value(1.0, 0.0, 0.05, 20)) == pytest.approx(0.3584859224, abs=1e-10)
    np.testing.assert_allclose(durable_value(np.array([1.0, 0.5]), 0.5, 0.0, 20), [1.0, 0.5])


def test_spatial_utility_of_the_russian_draft():
    arrays = point_arrays(scenario())
    u = spatial_utility(arrays, np.array([[0.0, 100.0]]))[0]
    # RUS at (5, 100), saliences (0.95, 0.9): 1 - (0.95 * 0.05 + 0.9 * 0) / 1.85 = 0.97432432
    assert u[0] == pytest.approx(0.9743243243, abs=1e-9)
    # USA at (90, 20), saliences (0.8, 0.5): 1 - (0.8 * 0.9 + 0.5 * 0.8) / 1.3 = 0.13846154
    assert u[1] == pytest.approx(0.1384615385, abs=1e-9)
    q = spatial_utility(arrays, np.array([[0.0, 100.0]]), "quadratic")[0]
    assert q[1] == pytest.approx(1 - (0.8 * 0.81 + 0.5 * 0.64) / 1.3, abs=1e-12)


# ----------------------------------------------------------------------------------- forums


def test_forum_forecast_excludes_outsiders():
    arrays = point_arrays(scenario())
    comp = compile_ratification(scenario())
    model = get_model("compromise")
    rng = np.random.default_rng(0)
    full = model.forecast(arrays, rng)[0]
    # capability x salience on enlargement: RUS 28.5, USA 80, DEU 24, POL 18
    assert full[0] == pytest.approx(10582.5 / 150.5)  # 70.3156
    concert = forum_forecast(arrays, comp.forums[1], model, rng)[0]
    assert concert[0] == pytest.approx(8782.5 / 132.5)  # without POL: 66.2830
    # legal form, without POL: (27 * 100 + 50 * 20 + 16 * 40) / 93
    assert concert[1] == pytest.approx(4340 / 93)


def test_forum_forecast_discounts_outsiders():
    arrays = point_arrays(scenario())
    model = get_model("compromise")
    opts = ForumOptions(outsiders="discounted", discount=0.5)
    out = forum_forecast(arrays, ["RUS", "USA", "DEU"], model, np.random.default_rng(0), opts)[0]
    assert out[0] == pytest.approx((8782.5 + 9 * 100) / 141.5)  # POL weight 18 -> 9: 68.4276
    same = forum_forecast(
        arrays,
        ["RUS", "USA", "DEU"],
        model,
        np.random.default_rng(0),
        ForumOptions(outsiders="discounted", discount=1.0),
    )
    np.testing.assert_allclose(same, model.forecast(arrays, np.random.default_rng(0)))
    assert opts.model_dump() == {"outsiders": "discounted", "discount": 0.5}


def test_forum_with_unknown_actor_is_refused():
    arrays = point_arrays(scenario())
    with pytest.raises(KeyError, match="CHN"):
        forum_forecast(arrays, ["RUS", "CHN"], get_model("mean"), np.random.default_rng(0))


# ------------------------------------------------------------------ properties (hypothesis)

coords = st.floats(0, 100, allow_nan=False, allow_infinity=False)
ideals_1d = st.lists(coords, min_size=1, max_size=12)


def _body_2d(
    points: list[tuple[float, float]],
    sq: tuple[float, float],
    q: int,
    wts: list[tuple[float, float]] | None = None,
) -> CompiledBody:
    return CompiledBody.from_points(
        np.array(points), np.array(sq), q, weight=None if wts is None else np.array(wts)
    )


@st.composite
def bodies_2d(draw, min_members=1, max_members=8):
    n = draw(st.integers(min_members, max_members))
    pts = draw(st.lists(st.tuples(coords, coords), min_size=n, max_size=n))
    wts = draw(st.lists(st.tuples(st.floats(0, 3), st.floats(0.1, 3)), min_size=n, max_size=n))
    sq = draw(st.tuples(coords, coords))
    q = draw(st.integers(1, n))
    return pts, wts, sq, q


PROBE = np.random.default_rng(123).uniform(0, 100, (1, 400, 2))


# A grid of packages and each member's vote computed here, member by member, from the spatial
# rule of models.md D.1 (approve iff the weighted squared distance to x is strictly below the
# one to the status quo). Grid points within 1e-9 of a member's indifference are left out: the
# module treats those as ties by a relative tolerance, which this count does not model.
GRID = np.stack(np.meshgrid(np.linspace(0, 100, 41), np.linspace(0, 100, 41)), -1).reshape(-1, 2)


def _member_votes(
    pts: list[tuple[float, float]], wts: list[tuple[float, float]], sq: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Each member's vote on every GRID package, (M, K) bool, and which packages are clear of
    every member's indifference (K,) bool; a plain loop over members."""
    votes, clear = [], np.ones(len(GRID), dtype=bool)
    for (z1, z2), (w1, w2) in zip(pts, wts, strict=True):
        to_x = w1 * (GRID[:, 0] - z1) ** 2 + w2 * (GRID[:, 1] - z2) ** 2
        to_sq = w1 * (sq[0] - z1) ** 2 + w2 * (sq[1] - z2) ** 2
        votes.append(to_x < to_sq)
        clear &= np.abs(to_sq - to_x) > 1e-9 * (1.0 + to_x + to_sq)
    return np.array(votes), clear


def _coalition_win_set(votes: np.ndarray, q: int) -> np.ndarray:
    """Tsebelis (2002): a q-majority's win-set is the union, over coalitions of q members, of the
    intersection of their preferred-to-SQ sets; (K,) bool by enumerating the coalitions."""
    out = np.zeros(votes.shape[1], dtype=bool)
    for coalition in itertools.combinations(range(votes.shape[0]), q):
        out |= votes[list(coalition)].all(axis=0)
    return out


@settings(max_examples=60, deadline=None)
@given(bodies_2d(), st.tuples(coords, coords), st.floats(0.1, 3), st.floats(0.1, 3))
def test_adding_a_veto_player_never_enlarges_the_win_set(b, veto, w1, w2):
    """The form's win-set with and without a veto player equals the count of members' votes
    (a body passes iff >= q of its members approve; the form iff every body passes; Tsebelis
    2002), and by that count the veto player can only remove packages."""
    pts, wts, sq, q = b
    votes, clear = _member_votes(pts, wts, sq)
    veto_vote, clear_v = _member_votes([veto], [(w1, w2)], sq)
    clear &= clear_v
    before = votes.sum(axis=0) >= q
    after = before & veto_vote[0]
    x = GRID[None]
    body = _body_2d(pts, sq, q, wts)
    veto_player = _body_2d([veto], sq, 1, [(w1, w2)])
    np.testing.assert_array_equal(form_passes(x, [body])[0][clear], before[clear])
    np.testing.assert_array_equal(form_passes(x, [body, veto_player])[0][clear], after[clear])
    np.testing.assert_array_equal(form_passes(x, [veto_player, body])[0][clear], after[clear])
    assert not (after & ~before).any()
    # the same veto player as one more member of a unanimity body
    una_plus = _body_2d([*pts, veto], sq, len(pts) + 1, [*wts, (w1, w2)])
    all_yes = votes.all(axis=0) & veto_vote[0]
    np.testing.assert_array_equal(passes(x, una_plus)[0][clear], all_yes[clear])


@settings(max_examples=60, deadline=None)
@given(bodies_2d(min_members=2, max_members=6))
def test_raising_the_threshold_never_enlarges_the_win_set(b):
    """For every threshold q the body's win-set equals the union of its q-member coalitions'
    win-sets (enumerated), and those sets shrink as q rises."""
    pts, wts, sq, _ = b
    votes, clear = _member_votes(pts, wts, sq)
    previous = np.ones(len(GRID), dtype=bool)
    for q in range(1, len(pts) + 1):
        expected = _coalition_win_set(votes, q)
        got = passes(GRID[None], _body_2d(pts, sq, q, wts))[0]
        np.testing.assert_array_equal(got[clear], expected[clear])
        assert not (expected & ~previous).any()
        previous = expected


@settings(max_examples=60, deadline=None)
@given(bodies_2d())
def test_status_quo_is_never_in_its_own_win_set(b):
    pts, wts, sq, q = b
    body = _body_2d(pts, sq, q, wts)
    assert not passes(np.array([[sq]]), body).any()
    assert yes_counts(np.array([[sq]]), body).item() == 0


@settings(max_examples=60, deadline=None)
@given(bodies_2d(max_members=6))
def test_unanimity_win_set_lies_in_every_q_majority_win_set(b):
    """The unanimity win-set is the intersection of every member's preferred-to-SQ set (its
    weighted circle or ellipse through SQ, models.md D.1/D.3), computed member by member; the
    module's win-set equals it, and it lies in the q-majority win-set of the coalition count."""
    pts, wts, sq, q = b
    votes, clear = _member_votes(pts, wts, sq)
    inside_all = np.ones(len(GRID), dtype=bool)
    for v in votes:
        inside_all &= v
    una = passes(GRID[None], _body_2d(pts, sq, len(pts), wts))[0]
    np.testing.assert_array_equal(una[clear], inside_all[clear])
    q_set = _coalition_win_set(votes, q)
    np.testing.assert_array_equal(
        passes(GRID[None], _body_2d(pts, sq, q, wts))[0][clear], q_set[clear]
    )
    assert not (inside_all & ~q_set).any()


@settings(max_examples=60, deadline=None)
@given(bodies_2d())
def test_box_holds_the_whole_win_set(b):
    pts, wts, sq, q = b
    body = _body_2d(pts, sq, q, wts)
    low, high = winset_box([body], LO2, HI2)
    inside = passes(PROBE, body)[0]
    pts_in = PROBE[0][inside]
    assert (pts_in >= low[0] - 1e-9).all() and (pts_in <= high[0] + 1e-9).all()


@settings(max_examples=100, deadline=None)
@given(ideals_1d, coords, st.data(), st.sampled_from(["no", "yes"]))
def test_closed_form_1d_agrees_with_counting_votes(z, sq, data, ties):
    n = len(z)
    q = data.draw(st.integers(1, n))
    weight = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.5]), min_size=n, max_size=n)))
    body = CompiledBody.from_points(np.array(z), sq, q, weight=weight[:, None], ties=ties)
    w = body_winset_1d(body, 0)
    xs = np.linspace(-50, 150, 801)
    # stay off the boundaries, where the closed form and the tie tolerance legitimately differ
    edges = np.concatenate([[sq], 2 * np.array(z) - sq])
    xs = xs[np.min(np.abs(xs[:, None] - edges[None]), axis=1) > 1e-6]
    np.testing.assert_array_equal(w.contains(xs[None]), passes(xs[None, :, None], body))


@settings(max_examples=60, deadline=None)
@given(ideals_1d, coords, coords)
def test_1d_win_set_shrinks_with_a_veto_player_and_excludes_the_status_quo(z, sq, extra):
    n = len(z)
    w = winset_1d(np.array(z), sq, n)
    w2 = winset_1d(np.array([*z, extra]), sq, n + 1)
    assert not w.contains(np.array([[sq]])).any()
    if not w2.empty[0]:
        assert w.low[0] <= w2.low[0] and w2.high[0] <= w.high[0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=9), st.integers(0, 10), st.data())
def test_1d_win_set_ends_match_a_vote_count_on_integer_ideals(z, sq, data):
    """Integer ideal points and status quo, so pivots often sit exactly at SQ: the closed form's
    ends, and whether it is empty, equal those of the packages a count of members' votes passes
    on a quarter-point grid (member k votes yes iff |x - z_k| < |SQ - z_k|; ties vote no, so a
    non-empty win-set is an open interval of width >= 2 on a side of SQ, with integer ends).

    Ties voting yes are left out: then every member approves SQ against itself, which the count
    passes but the closed form reports only when a pivot is on a side of SQ.
    """
    q = data.draw(st.integers(1, len(z)))
    w = winset_1d(np.array(z, dtype=float), float(sq), q)
    xs = np.arange(-12.0, 22.25, 0.25)
    yes = np.abs(xs[:, None] - np.array(z)[None]) < np.abs(sq - np.array(z))[None]
    ok = yes.sum(axis=1) >= q
    assert bool(w.empty[0]) is (not ok.any())
    if ok.any():  # open ends at integers: one grid step beyond the outermost passing packages
        assert float(w.low[0]) == xs[ok].min() - 0.25
        assert float(w.high[0]) == xs[ok].max() + 0.25
        np.testing.assert_array_equal(w.contains(xs[None])[0], ok)


def test_unknown_value_on_a_weighed_issue_means_no_and_elsewhere_nothing():
    comp = compile_ratification(scenario())
    x = np.array([[95.0, np.nan]])  # legal form unknown
    # the Senate weighs enlargement only: 100 yes as for (95, anything)
    assert int(yes_counts(x, comp.body("senate"))[0]) == 100
    # the executive weighs legal form: it cannot judge the package and votes no
    assert int(yes_counts(x, comp.body("president"))[0]) == 0


def test_vote_products_agree_with_distances_on_random_bodies():
    rng = np.random.default_rng(8)
    body = CompiledBody.from_points(
        rng.uniform(0, 100, (3, 40, 4)),
        rng.uniform(0, 100, (3, 4)),
        20,
        weight=rng.uniform(0, 2, (3, 40, 4)) * (rng.random((3, 40, 4)) > 0.3),
    )
    x = rng.uniform(0, 100, (3, 50, 4))
    z, w, r = body.ideal[:, None], body.weight[:, None], body.reversion[:, None, None]
    d_x = np.sqrt((w * (x[:, :, None] - z) ** 2).sum(-1))
    d_r = np.sqrt((w * (r - z) ** 2).sum(-1))
    np.testing.assert_array_equal(approvals(x, body), d_x < d_r)
    np.testing.assert_allclose(margins(x, body), d_r - d_x, atol=1e-9)


def test_probability_for_a_two_bloc_senate_matches_the_exact_convolution():
    # models.md D.4 with two party blocs: 50 democrats z ~ N(80, 8^2), 50 republicans
    # z ~ N(90, 10^2), reversion 100, x = 78: a senator approves iff z < 89, so
    # p_D = Phi(9/8) and p_R = Phi(-1/10); P(D + R >= 67) for independent binomials.
    d = doc()
    d["bodies"][0]["blocs"] = [
        {"id": "democrats", "count": 50, "ideal": {"enlargement": 80}, "spread": 8},
        {"id": "republicans", "count": 50, "ideal": {"enlargement": 90}, "spread": 10},
    ]
    mc = compile_ratification(
        Scenario.model_validate(d), samples=20000, rng=np.random.default_rng(2021)
    )
    p, se = ratification_probability(np.array([[78.0, 0.0]]), [mc.body("senate")])

    def phi(v: float) -> float:
        return 0.5 * (1 + math.erf(v / math.sqrt(2)))

    def pmf(k: int, n: int, q: float) -> float:
        return math.comb(n, k) * q**k * (1 - q) ** (n - k)

    p_d, p_r = phi(9 / 8), phi(-1 / 10)
    expected = sum(
        pmf(i, 50, p_d) * pmf(j, 50, p_r) for i in range(51) for j in range(51) if i + j >= 67
    )
    assert 0.3 < expected < 0.6
    assert abs(float(p) - expected) < 4 * float(se)


@pytest.mark.parametrize("limit", [math.inf, 10.0])
@pytest.mark.parametrize("ties", ["no", "yes"])
def test_approvals_equal_the_exact_tie_rule(ties, limit):
    # approvals only computes the exact size of the terms near a tie; the votes must be those of
    # the rule written out with gains(), on packages that include exact and near ties
    import detente.analyses.ratification as ratification_mod
    from detente.analyses.ratification import gains

    rng = np.random.default_rng(3)
    s, m, d = 6, 40, 3
    ideal = np.round(rng.uniform(0, 10, (s, m, d)))
    weight = rng.integers(0, 3, (s, m, d)).astype(float)
    reversion = np.round(rng.uniform(0, 10, (s, d)))
    body = CompiledBody(
        id="b",
        ideal=ideal,
        weight=weight,
        reversion=reversion,
        threshold=20,
        ties=ties,
        ideal_limit=limit,  # ideal points lie on 0..10
    )
    x = np.round(rng.uniform(0, 10, (s, 5, d)))
    x[:, 0] = reversion  # every member indifferent
    x[:, 1] = 2 * ideal[:, 0] - reversion  # member 0's mirror image of the reversion
    x[:, 2] = reversion + 1e-13
    g, size = gains(x, body)
    tie = np.abs(g) <= ratification_mod.TIE_RTOL * size
    expected = (g > 0) | tie if ties == "yes" else (g > 0) & ~tie
    assert tie.any()
    np.testing.assert_array_equal(approvals(x, body), expected)
