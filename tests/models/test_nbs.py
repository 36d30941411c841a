"""Tests of the asymmetric, multi-issue Nash bargaining solution (detente.models.nbs).

Reference numbers are the models.md section E.1 test vectors (shared/reference/models.md), which
were computed independently of this code; the linkage examples are cross-checked against a
brute-force grid search done here, scored with the utility of models.md E.1 written out in the
test (``paper_utility``, checked against the module's ``utilities``); the Pareto property is
checked with certificates computed by SciPy (NNLS for quadratic loss, a HiGHS linear program for
linear loss) on the same written-out utility.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize, nnls

from detente.arrays import ScenarioArrays
from detente.models import get_model, nbs
from detente.models.nbs import nash_bargaining, utilities
from tests.models.conformance import ModelConformance, random_arrays

RNG = np.random.default_rng(0)

# models.md E.1: actors (c, s, z) = (1, 0.9, 10), (0.5, 0.5, 60), (0.8, 0.3, 90) on 0..100
E1_CAP = [1.0, 0.5, 0.8]
E1_SAL = [[0.9], [0.5], [0.3]]
E1_POS = [[10.0], [60.0], [90.0]]


def e1_arrays(sq: float) -> ScenarioArrays:
    return ScenarioArrays.from_table(E1_POS, E1_SAL, E1_CAP, status_quo=[sq])


# --- models.md E.1 vectors ------------------------------------------------------------------


def test_pie_split_e1():
    """E.1: d_A = 0.2, d_B = 0.3, w = (2, 1) -> x_A = d_A + 2/3 (1 - d_A - d_B) = 0.5333."""
    # one 0..1 pie issue, linear loss, salience 1: u_A = x - 1, u_B = -x, so d = share - 1
    sol = nash_bargaining(
        np.array([[[1.0], [0.0]]]),
        np.ones((1, 2, 1)),
        np.array([2.0, 1.0]),
        np.array([0.2 - 1.0, 0.3 - 1.0]),
        loss="linear",
    )
    assert sol.agreement[0]
    assert sol.x[0, 0] == pytest.approx(0.5333, abs=5e-5)
    assert sol.x[0, 0] == pytest.approx(0.2 + 2 / 3 * 0.5, abs=1e-8)
    # gains over disagreement: A gets 0.5333 - 0.2, B gets 0.4667 - 0.3
    np.testing.assert_allclose(sol.gains[0], [1 / 3, 1 / 6], atol=1e-8)


def test_pie_split_through_model_with_disagreement_payoffs():
    """The crisis-module route: war payoffs passed as a pure function of the arrays."""
    arrays = ScenarioArrays.from_table(
        [[100.0], [0.0]], [[1.0], [1.0]], [2.0, 1.0], status_quo=[50.0]
    )

    def war_payoffs(a: ScenarioArrays) -> np.ndarray:
        share = np.array([0.2, 0.3])  # p - c for A and for B (E.1 pie example)
        return np.broadcast_to(share - 1.0, (a.n_samples, a.n_actors))

    model = get_model(
        "nbs", loss="linear", disagreement="utilities", disagreement_payoffs=war_payoffs
    )
    sim = model.simulate(arrays, None, RNG)
    assert sim.agreement.all()
    assert sim.final[0, 0] == pytest.approx(53.333333, abs=1e-6)
    assert model.describe()["disagreement_payoffs"].endswith("war_payoffs")


def test_e1_weighted_mean_is_the_far_limit():
    """E.1: the compromise model gives 32.8058; the NBS tends to it as M grows (Achen 2006)."""
    a = e1_arrays(50.0)
    assert get_model("compromise").forecast(a, RNG)[0, 0] == pytest.approx(32.8058, abs=5e-5)
    far = get_model("nbs", disagreement="far", far_margin=1e10).forecast(a, RNG)[0, 0]
    assert far == pytest.approx(32.8058, abs=1e-4)
    # power = capability x salience counts salience twice: the limit is the c s^2 weighted
    # mean, (0.81*10 + 0.125*60 + 0.072*90) / 1.007 = 21.9265 (hand computation)
    twice = get_model(
        "nbs", disagreement="far", far_margin=1e10, power="capability_salience"
    ).forecast(a, RNG)[0, 0]
    assert twice == pytest.approx(22.08 / 1.007, abs=1e-4)


@pytest.mark.parametrize(
    ("sq", "margin", "expected", "agrees"),
    [
        (50.0, 1e3, 42.278, True),
        (50.0, 1e6, 32.827, True),
        (50.0, 0.0, 50.0, False),  # SQ between the ideal points: Pareto optimal, a veto
        (100.0, 0.0, 85.514, True),
        (0.0, 0.0, 13.690, True),
    ],
)
def test_e1_disagreement_margin_vectors(sq, margin, expected, agrees):
    """E.1: d_i = u_i(SQ) - M with M on the 0..100 utility scale, power = capability."""
    a = e1_arrays(sq)
    model = get_model("nbs", disagreement="far", far_margin=margin)
    sim = model.simulate(a, None, RNG)
    assert sim.final[0, 0] == pytest.approx(expected, abs=5e-4)
    assert bool(sim.agreement[0, 0]) is agrees
    if margin == 0.0:  # the plain status-quo disagreement point is the same problem
        sq_sim = get_model("nbs").simulate(a, None, RNG)
        np.testing.assert_allclose(sq_sim.final, sim.final, atol=1e-9)
        np.testing.assert_array_equal(sq_sim.agreement, sim.agreement)


def test_e1_margin_is_scale_free():
    """far_margin is on a 0..100 rescaling: the same scenario on a -1..1 scale gives 42.278."""
    a = ScenarioArrays.from_table(
        [[-0.8], [0.2], [0.8]], E1_SAL, E1_CAP, scale_min=-1.0, scale_max=1.0, status_quo=[0.0]
    )
    out = get_model("nbs", disagreement="far", far_margin=1e3).forecast(a, RNG)[0, 0]
    assert (out + 1) * 50 == pytest.approx(42.278, abs=5e-4)


def test_linear_loss_far_limit_is_the_weighted_median():
    """log(M + u) ~ u / M: with linear loss the far NBS maximises sum_i c_i u_i, which on one
    issue is the capability x salience weighted median (the 'median' model, Black 1948)."""
    rng = np.random.default_rng(5)
    pos = rng.uniform(0, 100, (6, 7, 1))
    sal = rng.uniform(0.1, 1.0, (6, 7, 1))
    cap = rng.uniform(0.5, 3.0, (6, 7, 1))
    a = ScenarioArrays.from_table(pos, sal, cap, status_quo=rng.uniform(0, 100, (6, 1)))
    nbs_out = get_model("nbs", loss="linear", disagreement="far").forecast(a, RNG)
    median = get_model("median").forecast(a, RNG)
    np.testing.assert_allclose(nbs_out, median, atol=1e-6)
    # E.1 actors: weights c s = 0.9, 0.25, 0.24, so actor 1 (at 10) holds a majority
    assert get_model("nbs", loss="linear", disagreement="far").forecast(e1_arrays(50.0), RNG)[
        0, 0
    ] == pytest.approx(10.0, abs=1e-6)


# --- no agreement ---------------------------------------------------------------------------


def test_no_agreement_is_reported_and_falls_back_visibly():
    """E.2: war payoffs d_A + d_B > 1 leave no bargaining range: no agreement."""
    arrays = ScenarioArrays.from_table(
        [[100.0], [0.0]], [[1.0], [1.0]], [1.0, 1.0], status_quo=[40.0]
    )

    def greedy(a: ScenarioArrays) -> np.ndarray:
        return np.broadcast_to(np.array([0.6, 0.5]) - 1.0, (a.n_samples, a.n_actors))

    model = get_model("nbs", loss="linear", disagreement="utilities", disagreement_payoffs=greedy)
    sim = model.simulate(arrays, None, RNG)
    assert not sim.agreement[0, 0]
    assert sim.final[0, 0] == 40.0  # the documented fallback: the status quo
    out = model.solve(arrays)
    assert np.isnan(out.gains).all()
    # without a status quo the fallback is NaN, never an invented number
    no_sq = ScenarioArrays.from_table([[100.0], [0.0]], [[1.0], [1.0]], [1.0, 1.0])
    assert np.isnan(model.forecast(no_sq, RNG)).all()
    # the pure function certifies the max-min gain (here 1 - 0.6 - 0.5 = -0.1 at best)
    sol = nash_bargaining(
        np.array([[[1.0], [0.0]]]), np.ones((1, 2, 1)), [1.0, 1.0], [-0.4, -0.5], loss="linear"
    )
    assert not sol.agreement[0]
    assert np.isnan(sol.x).all()
    assert -0.1 - 1e-12 <= sol.max_min_gain[0] <= 1e-9


def test_powerless_or_indifferent_actors_are_not_parties():
    """Documented convention: zero power or zero salience everywhere -> bystander, no veto."""
    base = get_model("nbs").simulate(e1_arrays(100.0), None, RNG)
    pos = [*E1_POS, [99.0], [100.0]]
    sal = [*E1_SAL, [1.0], [0.0]]
    cap = [*E1_CAP, 0.0, 1.0]  # actor 3 has no power, actor 4 no salience
    a = ScenarioArrays.from_table(pos, sal, cap, status_quo=[100.0])
    model = get_model("nbs")
    sim = model.simulate(a, None, RNG)
    # actor 3 would veto anything below ~100 and actor 4 anything at all (its gain is 0)
    assert sim.agreement.all()
    np.testing.assert_allclose(sim.final, base.final, atol=1e-9)
    gains = model.solve(a).gains
    assert np.isnan(gains[0, 3:]).all() and np.all(gains[0, :3] > 0)


def test_missing_status_quo_is_a_clear_error():
    a = ScenarioArrays.from_table(
        [[10.0, 1.0], [90.0, 2.0]],
        [[1.0, 1.0], [1.0, 1.0]],
        [1.0, 1.0],
        status_quo=[50.0, np.nan],
        issue_ids=["tariffs", "quotas"],
    )
    with pytest.raises(ValueError, match=r"status quo.*quotas"):
        get_model("nbs").forecast(a, RNG)
    with pytest.raises(ValueError, match=r"far_reference='worst'"):
        get_model("nbs", disagreement="far").forecast(a, RNG)
    out = get_model("nbs", disagreement="far", far_reference="worst").simulate(a, None, RNG)
    assert out.agreement.all() and np.isfinite(out.final).all()


def test_utilities_option_needs_the_function_and_only_then():
    with pytest.raises(ValueError, match="disagreement_payoffs"):
        get_model("nbs", disagreement="utilities")
    with pytest.raises(ValueError, match="only used"):
        get_model("nbs", disagreement_payoffs=lambda a: None)


def test_options_are_recorded():
    d = get_model("nbs", loss="linear", linkage="issue_by_issue").describe()
    assert d["options"]["loss"] == "linear"
    assert d["options"]["linkage"] == "issue_by_issue"
    assert d["options"]["far_margin"] == 1e6
    assert set(d["options"]) >= {"power", "disagreement", "far_reference", "agreement_tol"}


# --- multi-issue linkage, cross-checked by brute force --------------------------------------


def paper_utility(x, z, s, loss):
    """models.md E.1 written out here, independently of ``nbs.utilities``:
    ``u_i(x) = -sum_d s_id (x_d - z_id)^2`` (quadratic) or ``-sum_d s_id |x_d - z_id|`` (linear).

    ``x`` (K, D) packages, ``z`` and ``s`` (N, D) one problem's ideal points and saliences;
    returns (K, N), built actor by actor and issue by issue.
    """
    x, z, s = (np.asarray(v, dtype=float) for v in (x, z, s))
    out = np.zeros((x.shape[0], z.shape[0]))
    for i in range(z.shape[0]):
        for d in range(z.shape[1]):
            gap = x[:, d] - z[i, d]
            out[:, i] -= s[i, d] * (gap * gap if loss == "quadratic" else np.abs(gap))
    return out


@pytest.mark.parametrize("loss", ["quadratic", "linear"])
def test_module_utilities_equal_the_papers_formula(loss):
    rng = np.random.default_rng(4)
    z, s, x = rng.random((5, 3)), rng.random((5, 3)), rng.random((40, 3))
    got = utilities(x, np.broadcast_to(z, (40, 5, 3)), np.broadcast_to(s, (40, 5, 3)), loss)
    np.testing.assert_allclose(got, paper_utility(x, z, s, loss), rtol=0, atol=1e-12)


def grid_nbs(z, s, w, d, loss, coarse=401, fine=401):
    """Brute-force NBS over [0, 1]^D (D <= 2): coarse grid, then a fine grid around its best.

    Every grid point is scored with :func:`paper_utility` (not the module's ``utilities``).
    """
    dims = z.shape[1]

    def best(axes):
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dims)
        g = paper_utility(mesh, z, s, loss) - d
        ok = np.all(g > 0, axis=1)
        if not ok.any():
            return None
        f = np.where(ok, (w * np.log(np.where(g > 0, g, 1.0))).sum(axis=1), -np.inf)
        return mesh[np.argmax(f)]

    x = best([np.linspace(0, 1, coarse)] * dims)
    if x is None:
        return None
    h = 2.0 / (coarse - 1)
    return best([np.linspace(max(0, c - h), min(1, c + h), fine) for c in x])


LINK_POS = [[10.0, 20.0], [70.0, 90.0], [40.0, 60.0]]
LINK_SAL = [[0.9, 0.3], [0.2, 0.8], [0.5, 0.5]]
LINK_CAP = [1.0, 2.0, 1.5]
LINK_SQ = [95.0, 5.0]


@pytest.mark.parametrize("loss", ["quadratic", "linear"])
def test_joint_nbs_differs_from_issue_by_issue(loss):
    """Issue linkage: the joint NBS trades across issues; both versions match a grid search."""
    a = ScenarioArrays.from_table(LINK_POS, LINK_SAL, LINK_CAP, status_quo=LINK_SQ)
    joint = get_model("nbs", loss=loss).simulate(a, None, RNG)
    apart = get_model("nbs", loss=loss, linkage="issue_by_issue").simulate(a, None, RNG)
    assert joint.agreement.all() and apart.agreement.all()
    z, s = np.array(LINK_POS) / 100, np.array(LINK_SAL)
    w, sq = np.array(LINK_CAP), np.array(LINK_SQ) / 100
    d = paper_utility(sq[None], z, s, loss)[0]
    ref_joint = grid_nbs(z, s, w, d, loss) * 100
    np.testing.assert_allclose(joint.final[0], ref_joint, atol=2e-3)
    for j in range(2):
        dj = paper_utility(sq[None, j : j + 1], z[:, j : j + 1], s[:, j : j + 1], loss)[0]
        ref = grid_nbs(z[:, j : j + 1], s[:, j : j + 1], w, dj, loss)[0] * 100
        assert apart.final[0, j] == pytest.approx(ref, abs=2e-3)
    assert np.abs(joint.final - apart.final).min() > 10.0  # linkage matters here, a lot


@pytest.mark.parametrize("loss", ["quadratic", "linear"])
def test_linkage_creates_agreement_where_issues_alone_are_vetoed(loss):
    """Two actors, SQ between them on both issues: no deal issue by issue, a trade jointly."""
    pos, sal = [[0.0, 0.0], [100.0, 100.0]], [[0.9, 0.2], [0.2, 0.9]]
    a = ScenarioArrays.from_table(pos, sal, [1.0, 1.0], status_quo=[50.0, 50.0])
    apart = get_model("nbs", loss=loss, linkage="issue_by_issue").simulate(a, None, RNG)
    assert not apart.agreement.any()
    np.testing.assert_array_equal(apart.final, [[50.0, 50.0]])
    joint = get_model("nbs", loss=loss).simulate(a, None, RNG)
    assert joint.agreement.all()
    z, s = np.array(pos) / 100, np.array(sal)
    d = paper_utility(np.array([[0.5, 0.5]]), z, s, loss)[0]
    np.testing.assert_allclose(joint.final[0], grid_nbs(z, s, np.ones(2), d, loss) * 100, atol=2e-3)
    if loss == "quadratic":  # symmetric problem: x1 = 100 - x2; closed form 18.1818 = 200/11
        assert joint.final[0, 0] == pytest.approx(200 / 11, abs=1e-7)


# --- batching -------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["quadratic", "linear"])
def test_mixed_batch_matches_samples_alone(loss):
    """Samples with and without agreement in one call give what each gives alone."""
    a = random_arrays(11, samples=8, actors=4, issues=2)
    model = get_model("nbs", loss=loss)
    sim = model.simulate(a, None, RNG)
    assert 0 < sim.agreement[:, 0].sum() < a.n_samples  # the batch really is mixed
    for i in range(a.n_samples):
        alone = model.simulate(a.take_samples(i), None, RNG)
        np.testing.assert_allclose(alone.final[0], sim.final[i], atol=1e-7)
        np.testing.assert_array_equal(alone.agreement[0], sim.agreement[i])
    fallback = ~sim.agreement
    np.testing.assert_array_equal(sim.final[fallback], a.status_quo[fallback])


def test_issue_nobody_cares_about_gets_plain_mean():
    a = ScenarioArrays.from_table(
        [[10.0, 20.0], [90.0, 60.0]], [[1.0, 0.0], [0.5, 0.0]], [1.0, 1.0], status_quo=[95.0, 0.0]
    )
    out = get_model("nbs").forecast(a, RNG)
    assert out[0, 1] == pytest.approx(40.0)


def test_docstring_examples():
    assert doctest.testmod(nbs, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


# --- property: individually rational and Pareto optimal -------------------------------------


def pareto_gap_linear(x, z, s):
    """Largest total utility gain any point can give without hurting anyone (LP, HiGHS)."""
    n, dims = z.shape
    u0 = paper_utility(x[None], z, s, "linear")[0]
    # variables: y (dims), e (n * dims) with e_id >= |y_d - z_id|; maximise -sum s e
    c = np.concatenate([np.zeros(dims), s.ravel()])
    rows, rhs = [], []
    for i in range(n):
        for j in range(dims):
            k = dims + i * dims + j
            for sign in (1.0, -1.0):
                row = np.zeros(dims + n * dims)
                row[j], row[k] = sign, -1.0
                rows.append(row)
                rhs.append(sign * z[i, j])
        row = np.zeros(dims + n * dims)
        row[dims + i * dims : dims + (i + 1) * dims] = s[i]
        rows.append(row)
        rhs.append(-u0[i])
    res = linprog(
        c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=[(None, None)] * len(c), method="highs"
    )
    assert res.status == 0
    return -res.fun - u0.sum()


def pareto_residual_quadratic(x, z, s):
    """min over the simplex of |sum_i l_i grad u_i(x)|: zero iff x maximises a weighted sum."""
    grads = -2.0 * s * (x[None] - z)  # (N, D)
    rho = 1e3
    mat = np.vstack([grads.T, rho * np.ones(len(z))])
    lam, res = nnls(mat, np.concatenate([np.zeros(z.shape[1]), [rho]]))
    return res, lam


problems = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n": st.integers(2, 4),
        "dims": st.integers(1, 3),
        "loss": st.sampled_from(["quadratic", "linear"]),
        "margin": st.sampled_from([0.0, 0.0, 10.0]),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems)
def test_nbs_is_individually_rational_and_pareto_optimal(p):
    rng = np.random.default_rng(p["seed"])
    n, dims, loss = p["n"], p["dims"], p["loss"]
    z = rng.random((1, n, dims))
    s = rng.uniform(0.05, 1.0, (1, n, dims))
    w = rng.uniform(0.2, 3.0, (1, n))
    sq = rng.random((1, dims))
    d = paper_utility(sq, z[0], s[0], loss) - p["margin"]
    sol = nash_bargaining(z, s, w, d, loss=loss)
    assert sol.converged[0]
    if not sol.agreement[0]:
        assert p["margin"] == 0.0  # with a margin the status quo itself is strictly better
        if loss == "linear":  # certify independently: max_x min_i gain <= tol (LP)
            assert max_min_gain_linear(z[0], s[0], d[0]) <= 1e-8
        return
    x = sol.x[0]
    assert np.all((x >= 0) & (x <= 1))
    gains = paper_utility(x[None], z[0], s[0], loss)[0] - d[0]
    assert np.all(gains > 0)  # individually rational, strictly
    np.testing.assert_allclose(sol.gains[0], gains, atol=1e-12)
    if loss == "linear":
        assert pareto_gap_linear(x, z[0], s[0]) <= 1e-8
    else:
        res, lam = pareto_residual_quadratic(x, z[0], s[0])
        assert res <= 1e-7
        # with every issue weighted by some l_i s_id > 0 the weighted sum has one maximiser,
        # so x is (strongly) Pareto optimal
        assert np.all((lam[:, None] * s[0]).sum(axis=0) > 0)


def max_min_gain_linear(z, s, d):
    """max_{y,t} t subject to u_i(y) - d_i >= t, by linear programming (HiGHS)."""
    n, dims = z.shape
    nv = dims + n * dims + 1
    c = np.zeros(nv)
    c[-1] = -1.0
    rows, rhs = [], []
    for i in range(n):
        for j in range(dims):
            k = dims + i * dims + j
            for sign in (1.0, -1.0):
                row = np.zeros(nv)
                row[j], row[k] = sign, -1.0
                rows.append(row)
                rhs.append(sign * z[i, j])
        row = np.zeros(nv)
        row[dims + i * dims : dims + (i + 1) * dims] = s[i]
        row[-1] = 1.0
        rows.append(row)
        rhs.append(-d[i])
    res = linprog(
        c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=[(None, None)] * nv, method="highs"
    )
    assert res.status == 0
    return -res.fun


def max_min_gain_quadratic(z, s, d):
    """max_{y,t} t subject to u_i(y) - d_i >= t (quadratic loss), by SciPy's SLSQP."""
    dims = z.shape[1]

    def gains(v):
        return paper_utility(v[None, :dims], z, s, "quadratic")[0] - d - v[-1]

    start = np.concatenate([z.mean(axis=0), [0.0]])
    start[-1] = gains(start).min()
    res = minimize(
        lambda v: -v[-1],
        start,
        jac=lambda v: np.concatenate([np.zeros(dims), [-1.0]]),
        constraints=[{"type": "ineq", "fun": gains}],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    # status 8 (no further descent in the line search) happens at the optimum here
    assert res.status in (0, 8)
    assert gains(res.x).min() >= -1e-9
    return -res.fun


@pytest.mark.parametrize("loss", ["quadratic", "linear"])
def test_agreement_verdicts_match_an_independent_max_min(loss):
    """100 random 3-actor, 2-issue problems in one batch: agreement iff max-min gain > 0.

    The max-min gain is computed per problem by a different method (HiGHS LP for linear loss,
    SLSQP for quadratic); problems within 1e-7 of the edge are not judged.
    """
    rng = np.random.default_rng(7)
    n_s, n, dims = 100, 3, 2
    z, s = rng.random((n_s, n, dims)), rng.uniform(0.05, 1.0, (n_s, n, dims))
    sq = rng.random((n_s, dims))
    d = np.array([paper_utility(sq[k : k + 1], z[k], s[k], loss)[0] for k in range(n_s)])
    d = d + rng.normal(0, 0.03, (n_s, n))
    sol = nash_bargaining(z, s, np.ones((n_s, n)), d, loss=loss)
    assert sol.converged.all()
    seen = set()
    for k in range(n_s):
        exact = (max_min_gain_linear if loss == "linear" else max_min_gain_quadratic)(
            z[k], s[k], d[k]
        )
        if abs(exact) < 1e-7:
            continue
        assert bool(sol.agreement[k]) is bool(exact > 0)
        seen.add(bool(sol.agreement[k]))
        if sol.agreement[k]:
            assert 0 < sol.max_min_gain[k] <= exact + 1e-9  # a lower bound
        else:
            assert exact - 1e-9 <= sol.max_min_gain[k] <= 1e-9  # an upper bound
    assert seen == {True, False}


# --- conformance for every option combination that makes sense ------------------------------


def sq_minus_a_little(arrays: ScenarioArrays) -> np.ndarray:
    """Disagreement payoffs for the 'utilities' option: u_i(SQ) - 0.01 (quadratic loss)."""
    z = arrays.normalised_position()
    sq = (arrays.status_quo - arrays.scale_min) / arrays.scale_width
    s = arrays.salience * arrays.mask
    return utilities(sq, z, s, "quadratic") - 0.01


def sq_minus_a_little_by_issue(arrays: ScenarioArrays) -> np.ndarray:
    z = arrays.normalised_position()
    sq = (arrays.status_quo - arrays.scale_min) / arrays.scale_width
    return -(arrays.salience * arrays.mask) * (sq[:, None, :] - z) ** 2 - 0.01


_COMBOS = [
    {"power": power, "loss": loss, "disagreement": dis, "linkage": link}
    for power in ("capability", "capability_salience")
    for loss in ("quadratic", "linear")
    for dis in ("status_quo", "far")
    for link in ("joint", "issue_by_issue")
]
_COMBOS += [
    {"disagreement": "far", "far_reference": "worst"},
    {"disagreement": "far", "far_reference": "worst", "loss": "linear"},
    {"disagreement": "utilities", "disagreement_payoffs": sq_minus_a_little},
    {
        "disagreement": "utilities",
        "linkage": "issue_by_issue",
        "disagreement_payoffs": sq_minus_a_little_by_issue,
    },
]

for _k, _opts in enumerate(_COMBOS):
    _name = "TestConformanceNbs_" + "_".join(
        str(v if not callable(v) else "fn") for v in _opts.values()
    )
    globals()[_name] = type(_name, (ModelConformance,), {"model": "nbs", "options": _opts})


# --- the compiled Hessian sums ------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 5, 2, 2), (40, 11, 10, 10), (7, 30, 1, 1), (5, 4, 3, 3)])
def test_gram_kernel_is_einsum_bit_for_bit(shape):
    """``_gram_kernel`` (run as Python, and compiled where Numba is installed) gives
    ``np.einsum("sn,snd,sne->sde")``'s bits, signed zeros included."""
    s_n, n_n, d_n, e_n = shape
    rng = np.random.default_rng(sum(shape))
    a = rng.uniform(0.0, 1e3, (s_n, n_n))
    b = rng.standard_normal((s_n, n_n, d_n)) * 10.0 ** rng.integers(-8, 8, (s_n, n_n, d_n))
    c = b if d_n == e_n else rng.standard_normal((s_n, n_n, e_n))
    a[0, :] = 0.0  # sums of zeros and of products with -0.0
    b[1 % s_n, :, 0] = -0.0
    want = np.einsum("sn,snd,sne->sde", a, b, c)
    got = np.empty_like(want)
    nbs._gram_kernel(a, b, c, got)
    np.testing.assert_array_equal(got, want)
    assert (np.signbit(got) == np.signbit(want)).all()
    kernel = nbs._compiled_gram()
    if kernel is not None:
        got = np.empty_like(want)
        kernel(a, b, c, got)
        np.testing.assert_array_equal(got, want)
        assert (np.signbit(got) == np.signbit(want)).all()


@pytest.mark.parametrize("loss", ["quadratic", "linear"])
@pytest.mark.parametrize("disagreement", ["status_quo", "far"])
def test_compiled_hessian_sums_give_the_numpy_solution(loss, disagreement, monkeypatch):
    """The model through the compiled sums and through ``np.einsum``: the same bits."""
    rng = np.random.default_rng(11)
    pos = rng.uniform(0.0, 100.0, (80, 6, 3))
    sal = rng.uniform(0.1, 1.0, pos.shape)
    cap = rng.uniform(0.5, 2.0, pos.shape)
    a = ScenarioArrays.from_table(pos, sal, cap, status_quo=rng.uniform(0, 100, (80, 3)))
    model = get_model("nbs", loss=loss, disagreement=disagreement)
    monkeypatch.setattr(nbs, "NUMBA_MIN_SAMPLES", 10**9)
    want = model.simulate(a, None, np.random.default_rng(0))
    monkeypatch.setattr(nbs, "NUMBA_MIN_SAMPLES", 0)
    monkeypatch.setattr(nbs, "_compiled_gram", lambda: nbs._gram_kernel)  # run as Python
    got = model.simulate(a, None, np.random.default_rng(0))
    np.testing.assert_array_equal(got.final, want.final)
    np.testing.assert_array_equal(got.agreement, want.agreement)
