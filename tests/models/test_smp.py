"""KTAB SMP 1.4 re-implementation against KTAB's own reference logs.

Oracle: ``shared/data/ktab/reference/20170530_ref-dummyData_3Dim.txt`` and
``20170530_ref-SOE-Pol-Comp.txt``, full logs of deterministic default-option runs of KTAB's
``smpc`` (a current KTAB 1.4 build still reproduces their "Fractional change" and "prob :"
lines exactly). Every expected number below is parsed from those logs at test time; inputs come
from the matching CSV files in ``shared/data/ktab/smp/``. The shared folder is found through the
``DETENTE_SHARED`` environment variable, else ``../shared`` next to the repository root.
"""

from __future__ import annotations

import doctest
import re
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

import detente.models.smp as smp_mod
from detente.io.ktab import read_ktab_csv
from detente.models import get_model
from detente.models.smp import (
    big_r_from_prob,
    bs_util,
    bv_diff,
    challenge_matrix,
    coalitions,
    cond_pce,
    est_nra,
    interp_bargain,
    markov_incentive_pce,
    markov_uniform_pce,
    pce,
    prob_edu_challenge,
    round4,
    third_party_vote,
    victory_matrix,
    victory_prob,
    vote,
    vprob_little,
)
from tests import _require
from tests.models.conformance import ModelConformance

ROOT = Path(__file__).resolve().parents[2]
SHARED = _require.shared_root()
KTAB = SHARED / "data" / "ktab"
needs_data = pytest.mark.needs_shared("data", "ktab", "reference")
CASES = {
    "dummyData_3Dim": ("dummyData_3Dim.csv", "20170530_ref-dummyData_3Dim.txt"),
    "SOE-Pol-Comp": ("SOE-Pol-Comp.csv", "20170530_ref-SOE-Pol-Comp.txt"),
}
FLOAT = r"[-+]?\d+\.\d+"
OPT_I = "Probability Opt_i \n"  # the option probabilities (not "Opt_i > Opt_j")
OPT_IJ = "Probability Opt_i > Opt_j \n"


@cache
def case(name: str):
    """(scenario, log text, simulation) for one reference case, computed once."""
    csv_name, log_name = CASES[name]
    sc = read_ktab_csv(KTAB / "smp" / csv_name)
    text = (KTAB / "reference" / log_name).read_text()
    sim = get_model("smp").simulate(sc.arrays, None, np.random.default_rng(0))
    return sc, text, sim


def rows_after(text: str, header: str, n: int, start: int = 0) -> np.ndarray:
    """The n lines of numbers printed after the first ``header`` at or after ``start``."""
    at = text.index(header, start)
    pos = text.index("\n", at + len(header) - 1) + 1  # the line after the header's line
    lines = text[pos:].splitlines()[:n]
    return np.array([[float(v) for v in re.findall(FLOAT, ln)] for ln in lines])


def turn0(text: str) -> str:
    """The log of the first turn: from the first iteration to the first state's positions."""
    a = text.index("Starting Model::run iteration 1")
    return text[a : text.index("postn 0 , 0", a)]


def close_to_print(mine: np.ndarray, printed: np.ndarray, decimals: int) -> None:
    """Assert that ``mine`` prints as ``printed`` (within half a unit of the last decimal)."""
    tol = 0.5 * 10.0**-decimals + 1e-9
    np.testing.assert_array_less(np.abs(np.asarray(mine) - printed), tol)


def turn0_state(name: str):
    """Turn-0 quantities recomputed with the pure functions from the CSV inputs."""
    sc, _, _ = case(name)
    a = sc.arrays
    x = a.position[0] / 100.0
    s = a.salience[0]
    c = a.capability[0, :, 0]
    vd = bv_diff(x[:, None, :] - x[None, :, :], s[:, None, :])
    rn = bs_util(vd, 0.0)
    p, _ = pce("Conditional", "Linear", coalitions("Prop", c, rn))
    r = big_r_from_prob(p, "Mid")
    rhat = est_nra(r[:, None], r[None, :], "OneThird")
    return x, s, c, vd, rn, r, rhat


# ----------------------------------------------------------------------------------------------
# End to end: the upstream oracle


@needs_data
@pytest.mark.parametrize("name", list(CASES))
def test_fractional_change_sequence_matches_log(name):
    _, text, sim = case(name)
    expected = [
        float(v) for v in re.findall(r"Fractional change compared to first step: (\S+)", text)
    ]
    got = sim.fractional_change[:, 0]
    assert len(got) == len(expected)
    assert [f"{v:.4f}" for v in got] == [f"{v:.4f}" for v in expected]
    assert sim.turns[0] == len(expected) and sim.converged


@needs_data
@pytest.mark.parametrize("name", list(CASES))
def test_win_probabilities_match_log(name):
    sc, text, sim = case(name)
    lines = dict(re.findall(r"^(\S+), prob : (.*)$", text, re.M))
    assert set(lines) == set(sc.arrays.actor_ids)
    for i, actor in enumerate(sc.arrays.actor_ids):
        expected = lines[actor].split()
        assert [f"{v:.4f}" for v in sim.win_prob[:, 0, i]] == expected, actor


@needs_data
@pytest.mark.parametrize("name", list(CASES))
def test_position_history_matches_log(name):
    sc, text, sim = case(name)
    dims = sc.arrays.issue_ids
    for i, actor in enumerate(sc.arrays.actor_ids):
        for d, dim in enumerate(dims):
            m = re.search(rf"^{re.escape(actor)}, {re.escape(dim)}:(.*)$", text, re.M)
            expected = m.group(1).split()
            assert [f"{v:.1f}" for v in sim.positions[:, 0, i, d]] == expected, (actor, dim)


@needs_data
def test_events_expose_targets_bargains_adoptions_and_probabilities():
    sc, text, sim = case("dummyData_3Dim")
    ev = sim.events[1]
    kinds = {e["type"] for e in ev}
    assert kinds == {"challenge", "bargain", "adopt", "stop_rule", "win_probabilities"}
    targets = {
        int(i): (int(j), float(w))
        for i, j, w in re.findall(
            r"In turn 0 actor (\d+) has most advantageous target (\d+) worth (\S+)", text
        )
    }
    for e in (e for e in ev if e["type"] == "challenge"):
        i = sc.arrays.actor_ids.index(e["actor"])
        j, worth = targets[i]
        assert e["target"] == sc.arrays.actor_ids[j]
        assert f"{e['expected_gain']:.3f}" == f"{worth:.3f}"
    probs = [e for e in ev if e["type"] == "win_probabilities"]
    assert [p["state"] for p in probs] == [0, 1]
    assert sim.events[0] == []


# ----------------------------------------------------------------------------------------------
# Stage-wise: turn 0 of each log, recomputed with the pure functions


@needs_data
@pytest.mark.parametrize("name", list(CASES))
def test_risk_neutral_utilities_and_risk_attitudes(name):
    """'Raw actor-pos value matrix (risk neutral)' (3 decimals), 'Inferred risk attitudes'."""
    _, text, _ = case(name)
    t0 = turn0(text)
    _, _, _, _, rn, r, _ = turn0_state(name)
    n = len(r)
    close_to_print(rn, rows_after(t0, "Raw actor-pos value matrix (risk neutral)", n), 3)
    close_to_print(r, rows_after(t0, "Inferred risk attitudes:", n)[:, 0], 3)


@needs_data
@pytest.mark.parametrize("name", list(CASES))
def test_perceived_utility_matrices(name):
    """'Estimate by h of risk-aware utility matrix' for every h (4 decimals): estNRA, bsUtil."""
    _, text, _ = case(name)
    t0 = turn0(text)
    _, _, _, vd, _, r, rhat = turn0_state(name)
    n = len(r)
    objective = bs_util(vd, r[:, None])
    close_to_print(
        objective, rows_after(t0, "Risk-aware actor-pos utility matrix (objective):", n), 4
    )
    for h in range(n):
        u_h = bs_util(vd, rhat[h][:, None])
        close_to_print(u_h, rows_after(t0, f"Estimate by {h} of risk-aware utility matrix:", n), 4)


@needs_data
@pytest.mark.parametrize("name", list(CASES))
def test_challenge_estimates(name):
    """Every 'Est by h of prob p that [i>j], with expected gain to k' line of turn 0."""
    _, text, _ = case(name)
    t0 = turn0(text)
    _, s, c, vd, _, _, rhat = turn0_state(name)
    lines = re.findall(
        r"Est by\s+(\d+) of prob (\S+) that \[\s*(\d+)>\s*(\d+)\], "
        r"with expected gain to\s+(\d+) of (\S+)",
        t0,
    )
    assert len(lines) >= 4 * 5
    h, i, j, k = (np.array([[int(ln[m]) for ln in lines]]) for m in (0, 2, 3, 4))
    p, g = prob_edu_challenge(
        vd[None], rhat[None], (s.sum(1) * c)[None], s.sum(1)[None], h, k, i, j, "Prop", "SemiCommit"
    )
    close_to_print(p[0], np.array([float(ln[1]) for ln in lines]), 4)
    close_to_print(g[0], np.array([float(ln[5]) for ln in lines]), 4)


@needs_data
@pytest.mark.parametrize("name", list(CASES))
def test_targets_and_bargains(name):
    """Best targets (strict '>' in ascending j, threshold 1e-5) and the three bargain forms.

    'i proposes i/j adopt' from i's view is S2P2 with round4 and the 1e-6 asymmetry; the view
    'from j's perspective' uses j's estimate of i's *gain* as the probability (a KTAB quirk
    reproduced for InitRcvrInterp), and the 'Power-weighted compromise' weighs the two views
    by c_i S_i and c_i S_j (PWCompInterp). All printed to 3 decimals on 0..100.
    """
    _, text, _ = case(name)
    t0 = turn0(text)
    x, s, c, vd, _, _, rhat = turn0_state(name)
    n = len(c)
    w, st = (s.sum(1) * c)[None], s.sum(1)[None]
    ii = np.repeat(np.arange(n), n)[None]
    jj = np.tile(np.arange(n), n)[None]
    p, g = prob_edu_challenge(vd[None], rhat[None], w, st, ii, ii, ii, jj, "Prop", "SemiCommit")
    g = np.where(np.eye(n, dtype=bool), -np.inf, g.reshape(n, n))
    p = p.reshape(n, n)
    found = re.findall(r"In turn 0 actor (\d+) has most advantageous target (\d+) worth", t0)
    assert len(found) == n - len(re.findall(r"Actor \d+ has no advantageous targets", t0))
    for si, sj in found:
        i, j = int(si), int(sj)
        assert int(np.argmax(g[i])) == j and g[i, j] > 1e-5
        own = rows_after(t0, f"from {i}'s perspective", 2, t0.index(f"actor {i} has most"))
        bi, bj = interp_bargain("S2P2", x[i], s[i], p[i, j], x[j], s[j], 1 - p[i, j])
        close_to_print(100 * np.array([bi, bj]), own[:, -len(bi) :], 3)
        # the target's view: probEduChlg(j, i, i, j)'s gain where a probability is expected
        _, gj = prob_edu_challenge(
            vd[None],
            rhat[None],
            w,
            st,
            *(np.array([[v]]) for v in (j, i, i, j)),
            "Prop",
            "SemiCommit",
        )
        q = gj[0, 0]
        ti, tj = interp_bargain("S2P2", x[i], s[i], q, x[j], s[j], 1 - q)
        other = rows_after(t0, f"from {j}'s perspective", 2, t0.index(f"actor {i} has most"))
        close_to_print(100 * np.array([ti, tj]), other[:, -len(ti) :], 3)
        wi, wj = c[i] * s[i].sum(), c[i] * s[j].sum()
        comp = rows_after(t0, "bargain (brgnIJ)", 2, t0.index(f"actor {i} has most"))
        pw = np.array([(wi * bi + wj * ti) / (wi + wj), (wi * bj + wj * tj) / (wi + wj)])
        close_to_print(100 * pw, comp[:, -len(ti) :], 3)


@needs_data
@pytest.mark.parametrize("name", list(CASES))
def test_bargain_votes_of_turn0(name):
    """Each actor's queue: 'Probability Opt_i' (4 decimals) and the chosen bargain.

    KTAB fills the queues from several threads, so the log's queue order differs from ours
    (status quo, then by initiator); bargains are matched by (initiator, receiver).
    """
    sc, text, sim = case(name)
    ids = sc.arrays.actor_ids
    t0 = turn0(text)
    queues = {
        int(k): re.findall(r"\[\d+, (\d+):(\d+)\]", body)
        for k, body in re.findall(r"Bargains involving actor\s+(\d+): (.*)", t0)
    }
    bargains = {e["bargain"]: e for e in sim.events[1] if e["type"] == "bargain"}
    adopted = {e["actor"]: e for e in sim.events[1] if e["type"] == "adopt"}
    # the blocks are printed in thread order: read the actor from each block's header
    blocks = [
        (int(m.group(1)), m.end())
        for m in re.finditer(r"Doing scalarPCE for the \d+ bargains of actor\s+(\d+)", t0)
    ]
    assert sorted(k for k, _ in blocks) == list(range(len(ids)))
    for k, start in blocks:
        q = queues[k]
        printed = rows_after(t0, OPT_I, len(q), start)[:, 0]
        chosen = int(
            re.search(r"Chosen bargain \(\s*\w+\s*\): \d+ (\d+) out of", t0[start:]).group(1)
        )
        e = adopted[ids[k]]

        def pair(slot, k=k):
            if slot == "status_quo":
                return (k, k)
            b = bargains[slot]
            return (ids.index(b["initiator"]), ids.index(b["receiver"]))

        mine = {pair(slot): prob for slot, prob in zip(e["queue"], e["probabilities"], strict=True)}
        assert set(mine) == {(int(a), int(b)) for a, b in q}
        close_to_print([mine[(int(a), int(b))] for a, b in q], printed, 4)
        a, b = q[chosen - 1]
        assert pair(e["adopted"]) == (int(a), int(b))


@needs_data
def test_victory_matrix_and_conditional_pce_from_printed_coalitions():
    """'Coalition strengths of (i:j)' -> 'Probability Opt_i > Opt_j' -> 'Probability Opt_i'.

    The printed coalitions have 3 decimals, so the recomputed probabilities can differ from the
    printed ones by rounding: tolerance 5e-4 (the exact chain is covered end to end above).
    """
    _, text, _ = case("dummyData_3Dim")
    t0 = turn0(text)
    for m in re.finditer(r"Num options: (\d+)", t0):
        n = int(m.group(1))
        c = rows_after(t0, "Coalition strengths of (i:j):", n, m.end())
        c = np.where(np.eye(n, dtype=bool), 1e-8, c)
        pv = victory_matrix("Linear", c)
        np.testing.assert_allclose(pv, rows_after(t0, OPT_IJ, n, m.end()), atol=5e-4)
        p = cond_pce(pv)
        np.testing.assert_allclose(p, rows_after(t0, OPT_I, n, m.end())[:, 0], atol=5e-4)


# ----------------------------------------------------------------------------------------------
# Pure functions against published closed forms (KTAB kmodel.h comments, the formulas)


def test_victory_probability_laws():
    """kmodel.h: 2:1 gives 2/3, 4/5, 16/17, 256/257; 11:10 gives 52.4, 54.8, 59.4, 68.2 %."""
    two = {"Linear": 2 / 3, "Square": 4 / 5, "Quartic": 16 / 17, "Octic": 256 / 257}
    eleven = {"Linear": 0.524, "Square": 0.548, "Quartic": 0.594, "Octic": 0.682}
    for law, p in two.items():
        p1, p2 = victory_prob(law, np.array(2.0), np.array(1.0))
        assert p1 == pytest.approx(p, rel=1e-12) and p1 + p2 == pytest.approx(1.0)
        assert round(float(victory_prob(law, np.array(11.0), np.array(10.0))[0]), 3) == eleven[law]
    # Binary: a 10 % advantage wins outright (loser keeps 1e-6), linear in between
    p1, _ = victory_prob("Binary", np.array(1.1), np.array(1.0))
    assert p1 == pytest.approx(1 / (1 + 1e-6))
    p1, _ = victory_prob("Binary", np.array(1.05), np.array(1.0))
    assert p1 == pytest.approx((1.05 / 2.05 * 2.1 - 1) / 0.1)
    assert victory_prob("Binary", np.array(1.0), np.array(1.0))[0] == pytest.approx(0.5)


def test_voting_rules():
    """Model::vote: the six response curves at a few utility differences."""
    w = 2.0
    assert vote("Prop", w, 0.7, 0.5) == pytest.approx(0.4)
    assert vote("Binary", w, 0.7, 0.5) == pytest.approx(2.0)
    assert vote("Binary", w, 0.5 + 5e-9, 0.5) == pytest.approx(1.0, rel=1e-6)
    assert vote("PropBin", w, 0.7, 0.5) == pytest.approx(2 * (0.8 * 0.2 + 0.2))
    assert vote("PropCbc", w, 0.7, 0.5) == pytest.approx(2 * (0.5 * 0.2 + 0.5 * 0.008))
    assert vote("Cubic", w, 0.3, 0.5) == pytest.approx(2 * -0.008)
    assert vote("ASymProsp", w, 0.7, 0.5) == pytest.approx(2 * 0.2 * 2 / 3)
    assert vote("ASymProsp", w, 0.5, 0.7) == pytest.approx(-0.4)
    assert vote("ASymProsp", w, 0.5, 0.5) == 0.0


def test_asymmetric_rule_votes_pairs_in_index_order():
    """Model::coalitions votes each pair once, higher index first; ASymProsp then gives the
    2/3 discount to the lower-left entry only when the higher option is preferred."""
    u = np.array([[0.2, 0.5]])  # one voter prefers option 1
    c = coalitions("ASymProsp", np.array([3.0]), u)
    assert c[1, 0] == pytest.approx(1e-8 + 3 * 0.3 * 2 / 3)
    assert c[0, 1] == pytest.approx(1e-8)
    u = np.array([[0.5, 0.2]])  # prefers option 0: v(1,0) < 0, full weight to C[0,1]
    c = coalitions("ASymProsp", np.array([3.0]), u)
    assert c[0, 1] == pytest.approx(1e-8 + 3 * 0.3)


def test_big_r_from_prob_ranges():
    p = np.array([0.1, 0.2, 0.7])
    np.testing.assert_allclose(big_r_from_prob(p, "Mid"), [-0.5, -0.25, 1.0])
    np.testing.assert_allclose(big_r_from_prob(p, "Min"), [0.0, 1 / 6, 1.0])
    np.testing.assert_allclose(big_r_from_prob(p, "Max"), [-1.0, -2 / 3, 1.0])


def test_est_nra_rules():
    rh, ri = np.array(0.9), np.array(-0.3)
    expected = {"None": 0.9, "OneThird": 0.5, "Half": 0.3, "TwoThirds": 0.1, "Full": -0.3}
    for rule, v in expected.items():
        assert float(est_nra(rh, ri, rule)) == pytest.approx(v)


def test_bs_util_and_bv_diff():
    assert float(bs_util(np.array(0.0), 0.7)) == 1.0
    assert float(bs_util(np.array(0.5), -0.5)) == pytest.approx(0.5 * 0.75)
    assert float(bs_util(np.array(1.2), 0.5)) == pytest.approx(-0.2 * 1.5)  # beyond d = 1
    d = bv_diff(np.array([0.3, 0.4]), np.array([0.5, 0.5]))
    assert float(d) == pytest.approx(np.sqrt((0.15**2 + 0.2**2) / 0.5))


def test_round4_and_bargain_asymmetry():
    assert float(round4(np.array(0.12345))) == pytest.approx(0.1235)
    assert float(round4(np.array(0.1234499))) == pytest.approx(0.1234)
    # nobody cares (zero salience): each keeps its own coordinate thanks to the 1e-6
    bi, bj = interp_bargain("S2P2", 0.2, 0.0, 0.5, 0.8, 0.0, 0.5)
    assert (float(bi), float(bj)) == (0.2, 0.8)
    bi, bj = interp_bargain("S1P1", 0.2, 0.5, 0.5, 0.8, 0.5, 0.5)
    assert float(bi) == float(bj) == 0.5


def test_third_party_commit_and_little_coalition():
    p = vprob_little("Prop", 2.0, 0.9, 0.5, 1.0, 3.0)  # n prefers i: adds 0.8 to i's side
    assert float(p) == pytest.approx(1.8 / 4.8)
    # SemiCommit: p(2u_i + u_k) + (1-p)3u_j versus p 3u_i + (1-p)(2u_j + u_k)
    v = third_party_vote(1.0, "Prop", "SemiCommit", 0.25, 0.75, 0.9, 0.5, 1.0)
    assert float(v) == pytest.approx((0.25 * 2.8 + 0.75 * 1.5) - (0.25 * 2.7 + 0.75 * 2.0))
    v = third_party_vote(1.0, "Prop", "FullCommit", 0.25, 0.75, 0.9, 0.5, 1.0)
    assert float(v) == pytest.approx(0.0)
    v = third_party_vote(1.0, "Prop", "NoCommit", 0.25, 0.75, 0.9, 0.5, 1.0)
    assert float(v) == pytest.approx((0.25 * 2.8 + 0.75 * 2.0) - (0.25 * 2.8 + 0.75 * 2.0))


def _markov_reference(pv: np.ndarray, chlg: np.ndarray | None, tol: float) -> np.ndarray:
    """Plain-loop fixed-point iteration written from KTAB's description (a peer check)."""
    n = len(pv)
    p = [1.0 / n] * n
    for _ in range(1000):
        if chlg is None:
            q = [sum(pv[i][j] * (p[i] + p[j]) for j in range(n)) / n for i in range(n)]
        else:
            q = [
                sum(pv[i][j] * (p[i] * chlg[j][i] + p[j] * chlg[i][j]) for j in range(n))
                for i in range(n)
            ]
        change = max(abs(a - b) for a, b in zip(q, p, strict=True))
        p = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
        if change <= tol:
            return np.array(p)
    raise AssertionError("no convergence")


def test_markov_pce_variants():
    # two options: the uniform Markov chain's fixed point is (V_12, V_21)
    c2 = np.array([[1e-8, 3.0], [1.0, 1e-8]])
    pv2 = victory_matrix("Linear", c2)
    np.testing.assert_allclose(markov_uniform_pce(pv2), [0.75, 0.25], atol=2e-6)
    rng = np.random.default_rng(3)
    c = rng.random((2, 5, 5)) * 5
    c[:, np.arange(5), np.arange(5)] = 1e-8
    pv = victory_matrix("Square", c)
    mu = markov_uniform_pce(pv)
    mi = markov_incentive_pce(c, "Square")
    for s in range(2):
        np.testing.assert_allclose(mu[s], _markov_reference(pv[s].tolist(), None, 1e-6), atol=1e-12)
        inc = c[s] * pv[s] + np.eye(5) * 1e-10
        chlg = inc / inc.sum(axis=0, keepdims=True)
        np.testing.assert_allclose(mi[s], _markov_reference(pv[s].tolist(), chlg.tolist(), 1e-8),
                                   atol=1e-12)  # fmt: skip
    # masked options get zero probability and leave the others as if absent
    mask = np.array([True, True, False, True, True])
    keep = np.ix_(mask, mask)
    sub = markov_uniform_pce(pv[0][keep])
    np.testing.assert_allclose(markov_uniform_pce(pv[0], mask)[mask], sub, atol=1e-12)
    np.testing.assert_allclose(cond_pce(pv[0], mask)[mask], cond_pce(pv[0][keep]), atol=1e-15)


@pytest.mark.parametrize("rule", ["Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"])
@pytest.mark.parametrize("commit", ["NoCommit", "SemiCommit", "FullCommit"])
def test_fused_challenge_matrix_equals_general_probeduchlg(rule, commit):
    """The hot-path layout (all pairs, h = k = i, fused buffers) against the plain one."""
    rng = np.random.default_rng(9)
    s_, n_ = 2, 6
    vd = rng.random((s_, n_, n_)) * 0.8
    vd[:, np.arange(n_), np.arange(n_)] = rng.random((s_, n_)) * 0.1  # sticky ideals
    rhat = rng.uniform(-0.5, 1.0, (s_, n_, n_))
    sal = rng.uniform(0.2, 1.0, (s_, n_))
    w = sal * rng.uniform(1, 100, (s_, n_))
    p, g = challenge_matrix(vd, rhat, w, sal, rule, commit)
    ii = np.broadcast_to(np.repeat(np.arange(n_), n_), (s_, n_ * n_))
    jj = np.broadcast_to(np.tile(np.arange(n_), n_), (s_, n_ * n_))
    p2, g2 = prob_edu_challenge(vd, rhat, w, sal, ii, ii, ii, jj, rule, commit)
    off = ~np.eye(n_, dtype=bool)
    np.testing.assert_allclose(p[:, off], p2.reshape(s_, n_, n_)[:, off], rtol=0, atol=1e-13)
    np.testing.assert_allclose(g[:, off], g2.reshape(s_, n_, n_)[:, off], rtol=0, atol=1e-13)


def test_module_doctests():
    assert doctest.testmod(smp_mod).failed == 0


# ----------------------------------------------------------------------------------------------
# Options, stochastic mode, conformance


def test_options_recorded_and_validated():
    d = get_model("smp").describe()
    assert d["options"]["voting_rule"] == "Prop" and d["options"]["pce_model"] == "Conditional"
    assert d["options"]["bargn_model"] == "InitOnlyInterp" and d["options"]["max_iter"] == 100
    with pytest.raises(ValueError):
        get_model("smp", voting_rule="Proportional")
    with pytest.raises(ValueError):
        get_model("smp", ideal_adjustment=((0.7, 0.5), (0.0, 1.0)))


@needs_data
def test_identity_ideal_adjustment_equals_default():
    sc, _, sim = case("dummyData_3Dim")
    eye = tuple(tuple(float(v) for v in row) for row in np.eye(sc.arrays.n_actors))
    again = get_model("smp", ideal_adjustment=eye).simulate(
        sc.arrays, None, np.random.default_rng(0)
    )
    np.testing.assert_array_equal(again.positions, sim.positions)


@needs_data
def test_stochastic_bargain_choice_follows_queue_probabilities():
    """Actor 2's turn-0 queue in the 3-dimension log: status quo with probability 0.6347."""
    sc, _, _ = case("dummyData_3Dim")
    a = sc.arrays
    n = 4000
    many = a.take_samples(np.zeros(n, dtype=int))
    sim = get_model("smp", state_transitions="Stochastic").simulate(
        many, 1, np.random.default_rng(11)
    )
    stayed = np.all(sim.positions[1, :, 2] == sim.positions[0, :, 2], axis=1).mean()
    assert abs(stayed - 0.6347) < 4 * np.sqrt(0.6347 * 0.3653 / n)
    again = get_model("smp", state_transitions="Stochastic").simulate(
        many.take_samples(slice(0, 50)), 2, np.random.default_rng(5)
    )
    twice = get_model("smp", state_transitions="Stochastic").simulate(
        many.take_samples(slice(0, 50)), 2, np.random.default_rng(5)
    )
    np.testing.assert_array_equal(again.positions, twice.positions)


class TestSMPConformance(ModelConformance):
    model = "smp"


class TestSMPConformanceOtherOptions(ModelConformance):
    """Deterministic non-default options: Markov PCE, asymmetric votes, other bargains."""

    model = "smp"
    options: ClassVar[dict[str, Any]] = {
        "pce_model": "MarkovUniform",
        "voting_rule": "PropCbc",
        "victory_prob_model": "Square",
        "bargn_model": "PWCompInterp",
        "third_party_commit": "NoCommit",
        "big_r_range": "Max",
        "big_r_adjust": "Half",
        "outcome": "most_probable",
    }


class TestSMPConformanceASymProsp(ModelConformance):
    """KTAB's prospect-theory voting rule: every property but relabelling holds."""

    model = "smp"
    options: ClassVar[dict[str, Any]] = {"voting_rule": "ASymProsp"}

    @pytest.mark.xfail(
        strict=True,
        reason="ASymProsp is asymmetric (v(i:k) + v(k:i) != 0) and KTAB's Model::coalitions "
        "votes each pair once with the higher index first, so coalition strengths, and hence "
        "the run, depend on the actors' order "
        "(see test_asymmetric_rule_votes_pairs_in_index_order)",
    )
    def test_actor_permutation_changes_nothing(self):
        super().test_actor_permutation_changes_nothing()


class TestSMPConformanceStochastic(ModelConformance):
    """Stochastic transitions draw from the passed-in generator in sample order."""

    model = "smp"
    options: ClassVar[dict[str, Any]] = {"state_transitions": "Stochastic"}

    @pytest.mark.xfail(
        strict=True,
        reason="one generator serves the whole batch, so a sample run alone with the same seed "
        "receives different draws than inside a batch: stochastic runs are reproducible per "
        "(seed, batch), not per sample",
    )
    def test_batch_shape_invariance(self):
        super().test_batch_shape_invariance()

    @pytest.mark.xfail(
        strict=True,
        reason="draws are consumed in actor order, so relabelling actors changes which draw "
        "decides which actor's bargain",
    )
    def test_actor_permutation_changes_nothing(self):
        super().test_actor_permutation_changes_nothing()


@needs_data
def test_chunks_and_early_stopping_samples():
    """Chunked runs equal one batch; a sample that stops early keeps its final state, and its
    stop-rule ratio is NaN afterwards, while its own turns equal a run alone."""
    sc, _, _ = case("dummyData_3Dim")
    rng = np.random.default_rng(4)
    many = sc.arrays.take_samples(np.zeros(6, dtype=int))
    many = many.with_positions(
        np.clip(many.position + rng.normal(0, 4, many.position.shape), 0, 100)
    )
    model = get_model("smp")
    one = model.simulate(many, None, np.random.default_rng(0))
    parts = model.simulate(many, None, np.random.default_rng(0), chunk=2)
    np.testing.assert_array_equal(one.positions, parts.positions)
    np.testing.assert_array_equal(one.turns, parts.turns)
    s = int(np.argmin(one.turns))
    t = int(one.turns[s])
    assert t < one.rounds
    np.testing.assert_array_equal(
        one.positions[t:, s], np.repeat(one.positions[t : t + 1, s], one.rounds - t + 1, axis=0)
    )
    assert np.all(np.isnan(one.fractional_change[t:, s]))
    alone = model.simulate(many.take_samples(s), None, np.random.default_rng(0))
    assert alone.turns[0] == t
    np.testing.assert_array_equal(alone.fractional_change[:, 0], one.fractional_change[:t, s])


class TestSMPConformanceReceiverViews(ModelConformance):
    """Both views queued (InitRcvrInterp), probability-gap bargains, Markov-incentive PCE."""

    model = "smp"
    options: ClassVar[dict[str, Any]] = {
        "bargn_model": "InitRcvrInterp",
        "inter_vec_brgn": "S2PMax",
        "pce_model": "MarkovIncentive",
        "victory_prob_model": "Binary",
        "voting_rule": "PropBin",
        "big_r_adjust": "Full",
        "third_party_commit": "FullCommit",
    }

    @pytest.mark.xfail(
        strict=True,
        reason="S2PMax bargains are not rounded, so actors end 0.00079 apart, inside KTAB's "
        "posTol (1e-3) without coinciding; KTAB's greedy merging of equivalent positions "
        "(ueIndices, in actor order) then makes a different actor the representative whose "
        "position enters the final PCE (the trajectories of sample 0 here are identical).",
    )
    def test_actor_permutation_changes_nothing(self):
        super().test_actor_permutation_changes_nothing()
