"""Power indices against textbook values and a brute-force enumeration written here.

Sources of the expected numbers:
- EEC Council of Ministers 1958, weights 4,4,4,2,2,1, quota 12: Shapley-Shubik 14/60, 14/60,
  14/60, 9/60, 9/60, 0 and normalised Banzhaf 5/21, 5/21, 5/21, 3/21, 3/21, 0 (Luxembourg a
  dummy); Felsenthal & Machover (1998) The Measurement of Voting Power, ch. 2.
- UN Security Council (5 permanent members with a veto + 10 others, 9 votes needed) as the
  weighted game [39; 7,7,7,7,7,1,...,1]: Shapley-Shubik 0.1963 / 0.00186, normalised Banzhaf
  0.1669 / 0.0165 (e.g. Straffin (1993) Game Theory and Strategy, ch. 10).
- EU15 Council QMV before Nice ([62; 10,10,10,10,8,5,5,5,5,4,4,3,3,3,2]): Shapley-Shubik
  0.1167 (big four), 0.0955 (Spain), 0.0552, 0.0454, 0.0353, 0.0207 (Luxembourg), normalised
  Banzhaf 0.1116, 0.0924, 0.0587, 0.0479, 0.0359, 0.0226 (Felsenthal & Machover 1998, 2001).
- Compound EU games: brute-force enumeration of all orderings / coalitions (below).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pytest

from detente.analyses.power import (
    NICE_WEIGHTS,
    coalition_counts,
    compound_game_indices,
    council_qmv,
    eu_game,
    members_on,
    sampled_indices,
    treaty_in_force,
    weighted_game_indices,
)

EEC6 = [4, 4, 4, 2, 2, 1]
UNSC = [7] * 5 + [1] * 10


def test_eec_1958():
    r = weighted_game_indices(EEC6, 12, players=["fr", "de", "it", "be", "nl", "lu"])
    np.testing.assert_allclose(r.shapley, np.array([14, 14, 14, 9, 9, 0]) / 60, atol=1e-12)
    np.testing.assert_allclose(r.banzhaf, np.array([5, 5, 5, 3, 3, 0]) / 21, atol=1e-12)
    assert r.banzhaf[-1] == 0  # Luxembourg is never decisive
    np.testing.assert_allclose(r.banzhaf_absolute, np.array([10, 10, 10, 6, 6, 0]) / 32)


def test_security_council():
    r = weighted_game_indices(UNSC, 39)
    np.testing.assert_allclose(r.shapley[[0, 5]], [0.1963, 0.00186], atol=5e-5)
    np.testing.assert_allclose(r.banzhaf[[0, 5]], [0.1669, 0.0165], atol=5e-5)
    assert r.shapley.sum() == pytest.approx(1.0)


def test_eu15_pre_nice():
    members = members_on(dt.date(2000, 1, 1))
    assert len(members) == 15
    w, rule = council_qmv("pre-Nice", members)
    assert w.sum() == 87
    r = compound_game_indices(w, rule, players=members)
    idx = [members.index(s) for s in ("de", "es", "nl", "at", "dk", "lu")]
    np.testing.assert_allclose(
        r.shapley[idx], [0.1167, 0.0955, 0.0552, 0.0454, 0.0353, 0.0207], atol=1e-4
    )
    np.testing.assert_allclose(
        r.banzhaf[idx], [0.1116, 0.0924, 0.0587, 0.0479, 0.0359, 0.0226], atol=1e-4
    )


def brute_force(weights, win, specials=0):
    """Indices by enumerating every ordering (Shapley) and coalition (Banzhaf)."""
    n = len(weights) + specials

    def wins(coalition):
        ordinary = [i for i in coalition if i < len(weights)]
        present = tuple((len(weights) + j) in coalition for j in range(specials))
        return bool(
            np.asarray(
                win(present, np.array(len(ordinary)), np.array(sum(weights[i] for i in ordinary)))
            )
        )

    shap = np.zeros(n)
    for order in itertools.permutations(range(n)):
        coalition = set()
        for p in order:
            coalition.add(p)
            if wins(coalition):
                shap[p] += 1
                break
    shap /= math.factorial(n)
    swings = np.zeros(n)
    for mask in range(2**n):
        coalition = {i for i in range(n) if mask >> i & 1}
        if wins(coalition):
            for i in coalition:
                if not wins(coalition - {i}):
                    swings[i] += 1
    return shap, swings


@pytest.mark.parametrize("proc", ["CNS", "COD"])
@pytest.mark.parametrize("rule", ["QMV", "Unan"])
def test_compound_game_matches_brute_force(proc, rule):
    weights = [5, 3, 3, 2, 1]
    n = len(weights)

    def win(present, k, w):
        com, ep = present
        council = (k >= n) if rule == "Unan" else ((w >= 10) & com) | (k >= n)
        return council & ep if proc == "COD" else council

    r = compound_game_indices(weights, win, specials=("com", "ep"))
    shap, swings = brute_force(weights, win, specials=2)
    np.testing.assert_allclose(r.shapley, shap, atol=1e-12)
    np.testing.assert_allclose(r.banzhaf_absolute, swings / 2 ** (n + 1), atol=1e-12)


def test_coalition_counts_sum_to_binomials():
    f = coalition_counts([3, 1, 4, 1, 5])
    assert f.sum() == 32
    assert f.sum(axis=1).tolist() == [math.comb(5, k) for k in range(6)]


def test_sampling_close_to_exact_and_seeded():
    exact = weighted_game_indices(UNSC, 39)
    s1 = sampled_indices(UNSC, 39, np.random.default_rng(3), n_samples=40_000)
    s2 = sampled_indices(UNSC, 39, np.random.default_rng(3), n_samples=40_000)
    np.testing.assert_array_equal(s1.shapley, s2.shapley)
    assert np.all(np.abs(s1.shapley - exact.shapley) <= 5 * s1.stderr["shapley"] + 1e-9)
    assert np.all(
        np.abs(s1.banzhaf_absolute - exact.banzhaf_absolute)
        <= 5 * s1.stderr["banzhaf_absolute"] + 1e-9
    )


def test_treaties_and_members():
    assert treaty_in_force(dt.date(2004, 10, 31)) == "pre-Nice"
    assert treaty_in_force(dt.date(2004, 11, 1)) == "Nice"
    assert treaty_in_force(dt.date(2014, 11, 1)) == "Lisbon"
    assert len(members_on(dt.date(2005, 1, 1))) == 25
    assert len(members_on(dt.date(2008, 1, 1))) == 27
    assert len(members_on(dt.date(2016, 1, 1))) == 28
    assert sum(NICE_WEIGHTS[s] for s in members_on(dt.date(2008, 1, 1))) == 345


def test_nice_eu27_banzhaf():
    # Felsenthal & Machover (2001) "The Treaty of Nice and qualified majority voting", Social
    # Choice and Welfare 18:431-464: normalised Banzhaf under Nice for EU27, big four 0.0778,
    # Poland and Spain 0.0742, Romania 0.0426, Netherlands 0.0397, Malta 0.0094.
    members = members_on(dt.date(2008, 1, 1))
    w, rule = council_qmv("Nice", members)
    r = compound_game_indices(w, rule, players=members)
    got = [r.banzhaf[members.index(s)] for s in ("de", "pl", "ro", "nl", "mt")]
    np.testing.assert_allclose(got, [0.0778, 0.0742, 0.0426, 0.0397, 0.0094], atol=2e-4)


def test_eu_game_structure():
    members = members_on(dt.date(2017, 1, 1))
    cns = eu_game("Lisbon", members, "CNS", "QMV")
    assert cns.shapley[cns.players.index("ep")] == 0  # consulted only: a dummy
    assert cns.shapley[cns.players.index("com")] > cns.shapley[cns.players.index("de")]
    unan = eu_game("Lisbon", members, "COD", "Unan")
    # EP and all 28 states are veto players of a unanimity game; the Commission is a dummy
    np.testing.assert_allclose(unan.shapley[unan.players.index("com")], 0.0)
    np.testing.assert_allclose(unan.shapley[unan.players.index("de")], 1 / 29)
    for r in (cns, unan):
        assert r.shapley.sum() == pytest.approx(1.0)


def test_deu_capability_conventions():
    from detente.analyses.power import issue_capability
    from detente.io.deu import ACTORS, DEUIssue

    def issue(proc, rule, adopted):
        return DEUIssue(
            issue="x", proposal="x", name="", act_type="Reg", council="", procedure=proc,
            voting_rule=rule, voting_rule_raw=rule, intro=None, adopted=adopted, era="",
            reference_point=float("nan"), outcome=0.0, line=2,
        )  # fmt: skip

    at = {a: i for i, a in enumerate(ACTORS)}
    pre = issue_capability(issue("CNS", "QMV", dt.date(2000, 6, 1)), "treaty")
    # README convention: largest state = 100, Commission and Parliament = 100; pre-Nice votes
    assert (pre[at["de"]], pre[at["es"]], pre[at["lu"]]) == (100.0, 80.0, 20.0)
    assert (pre[at["com"]], pre[at["ep"]], pre[at["pl"]]) == (100.0, 100.0, 0.0)
    nice = issue_capability(issue("COD", "QMV", dt.date(2008, 6, 1)), "treaty")
    assert nice[at["mt"]] == pytest.approx(100 * 3 / 29) and nice[at["cr"]] == 0.0
    lis = issue_capability(issue("COD", "QMV", dt.date(2017, 6, 1)), "treaty")
    assert lis[at["mt"]] == pytest.approx(100 * 0.08 / 15.93)
    sh = issue_capability(issue("CNS", "QMV", dt.date(2017, 6, 1)), "shapley")
    assert sh[at["ep"]] == 0.0 and sh.sum() == pytest.approx(1.0)
    bz = issue_capability(issue("COD", "Unan", dt.date(2000, 6, 1)), "banzhaf")
    # EP + 15 veto states: 16 equal veto players, Commission a dummy, later members absent
    assert bz[at["ep"]] == pytest.approx(1 / 16) and bz[at["com"]] == 0.0
    assert bz[at["pl"]] == 0.0
    assert np.all(issue_capability(issue("CNS", "Unan", None), "equal") == 1.0)


def test_power_indices_dispatch():
    from detente.analyses.power import power_indices

    exact = power_indices(EEC6, 12)
    assert exact.method == "exact"
    big = power_indices(
        np.arange(1, 41), 500, rng=np.random.default_rng(1), n_samples=2000
    )  # 40 players: sampled
    assert big.method.startswith("sampled") and big.shapley.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Generator"):
        power_indices(np.arange(1, 41), 500)
    # real weights are sampled too; the sample agrees with the exact game within 5 SE
    s = power_indices(
        np.array(EEC6) * 1.0 + 1e-9, 12, rng=np.random.default_rng(2), n_samples=20_000
    )
    assert s.method.startswith("sampled")
    assert np.all(np.abs(s.shapley - exact.shapley) <= 5 * s.stderr["shapley"] + 1e-9)
