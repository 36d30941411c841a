"""Strategy advice (issue 8): the EU formula, the moves, batching, and no empty advice.

Independent numbers: hand computations of the EU and Shapley formulas (docs/advice.md),
models.md B.5 (brinkmanship: P = 1 - exp(-h t)), and the source article's own reading of the
default scenario (Frolov, December 2021: non-expansion is 'pivotal').
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from detente.analyses import advice as adv
from detente.analyses.advice import (
    AdviceOptions,
    Move,
    advise,
    candidate_moves,
    decompose,
    edit_concede,
    edit_focus,
    evaluate,
    expected_utility,
    make_setting,
)
from detente.arrays import ScenarioArrays
from detente.scenario import compile_scenario, load_scenario


def _terms(**kw: float) -> dict[str, np.ndarray]:
    t = {
        "agreement": 1.0,
        "ratification": 1.0,
        "escalation": 0.0,
        "achievement_gap": 0.0,
        "durable_value": 0.5,
        "no_deal": 0.3,
        "war": 0.0,
        "mobilisation": 0.0,
    }
    t.update(kw)
    return {k: np.array([v]) for k, v in t.items()}


def test_expected_utility_by_hand():
    # docs/outcome.md: EU = -M + A R (DV - AC) + (1 - A R) [E0 V_war + (1 - E0) U(SQ)]; a deal
    # in force settles the crisis, so E0 (escalation with no deal in force) weighs only the
    # branches without one
    t = _terms(escalation=0.2, durable_value=0.6, achievement_gap=0.1, war=0.4, mobilisation=0.05)
    assert expected_utility(t)[0] == pytest.approx(-0.05 + 0.5)  # 0.45
    t = _terms(ratification=0.0, escalation=0.2, war=0.4, mobilisation=0.05)
    assert expected_utility(t)[0] == pytest.approx(-0.05 + 0.08 + 0.8 * 0.3)  # 0.27
    t = _terms(agreement=0.0, escalation=0.2, war=0.4, mobilisation=0.05)
    assert expected_utility(t)[0] == pytest.approx(-0.05 + 0.08 + 0.8 * 0.3)  # 0.27


def test_shapley_breakdown_by_hand():
    # agreement 0 -> 1 and gap 0.2 -> 0 together raise EU from 0.3 to 0.5; alone, either
    # changes nothing (0.5 - 0.2 = 0.3 equals no deal), so Shapley gives each half: 0.1
    base = _terms(agreement=0.0, achievement_gap=0.2)
    moved = _terms(agreement=1.0, achievement_gap=0.0)
    parts = decompose(base, moved)
    assert parts["agreement"] == pytest.approx(0.1)
    assert parts["achievement_gap"] == pytest.approx(0.1)
    assert sum(parts.values()) == pytest.approx(0.2)
    assert parts["escalation"] == parts["ratification"] == parts["durable_value"] == 0.0


def test_single_factor_gets_the_whole_change():
    base = _terms(agreement=0.0, escalation=0.5, war=0.1)
    moved = _terms(agreement=0.0, escalation=0.25, war=0.1)
    parts = decompose(base, moved)
    # no deal: EU = 0.5*0.1 + 0.5*0.3 = 0.20 -> 0.25*0.1 + 0.75*0.3 = 0.25
    assert parts["escalation"] == pytest.approx(0.05)
    assert sum(abs(v) for k, v in parts.items() if k != "escalation") == pytest.approx(0.0)


def _table() -> ScenarioArrays:
    return ScenarioArrays.from_table(
        [[0.0, 0.0, 0.0], [60.0, 50.0, 50.0], [100.0, 50.0, 50.0]],
        [[0.8, 0.4, 0.2], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],
        [1.0, 1.0, 3.0],
    )


def test_focus_moves_salience_to_the_kept_issues():
    arr = _table()
    one = edit_focus(0, [0], 0.25)(arr).salience[0, 0]
    # freed (0.4 + 0.2) * 0.75 = 0.45 -> kept 0.8 + 0.45 capped at 1; dropped keep a quarter
    np.testing.assert_allclose(one, [1.0, 0.1, 0.05])
    two = edit_focus(0, [0, 1], 0.25)(arr).salience[0, 0]
    # freed 0.2 * 0.75 = 0.15 split 2:1 by salience -> 0.9, 0.45; dropped 0.05
    np.testing.assert_allclose(two, [0.9, 0.45, 0.05])
    assert np.all(edit_focus(0, [0], 0.25)(arr).publicity[0, 0, 1:] == 0)


def test_concession_moves_halfway_to_the_others_weighted_mean():
    arr = _table()
    moved = edit_concede(0, 0, 0.5)(arr)
    # others: (60 * 1 + 100 * 3) / 4 = 90; halfway from 0 is 45
    assert moved.position[0, 0, 0] == pytest.approx(45.0)
    linked = edit_concede(0, 2, 0.5, boost=0)(arr)
    # half of salience 0.2 on issue 2 moves to issue 0 (0.8 + 0.1)
    np.testing.assert_allclose(linked.salience[0, 0], [0.9, 0.4, 0.1])


@pytest.fixture(scope="module")
def russia():
    return load_scenario("russia-nato-2021")


def test_brinkmanship_terms_follow_models_md_b5(russia):
    """Stopping the signal removes H = 1 - exp(-h t); a longer deadline raises t."""
    st = make_setting(russia, "RUS", AdviceOptions(samples=64), np.random.default_rng(3))
    x = compile_scenario(russia).status_quo.repeat(64, 0)
    x = np.where(np.isnan(x), 50.0, x) * 0.5 + 25.0  # a deal half way to the middle
    base = evaluate(st, Move("focus", "baseline"), st.base, x)
    off = evaluate(st, Move("signal", "off", signal_off=True), st.base, x)
    longer = evaluate(st, Move("deadline", "x2", deadline_factor=2.0), st.base, x)
    cr = st.crisis  # the Monte Carlo engine's draws (compile_all)
    h, t = cr.hazard_per_month, cr.deadline_months
    # E0 = 1 - (1 - F)(1 - H): F (the challenger fights) is 0 or 1 in each draw
    big_h = -np.expm1(-h * t)
    fights = (base["escalation"] - big_h) / (1 - big_h)
    assert np.all(np.isclose(fights, 0) | np.isclose(fights, 1))
    np.testing.assert_allclose(1 - longer["escalation"], (1 - fights) * np.exp(-2 * h * t))
    # standing down removes H and makes force dearer (re-massing the forces): F never rises
    assert np.all(np.isin(off["escalation"], (0.0, 1.0)))
    assert np.all(off["escalation"] <= fights + 1e-12)
    # while the signal lasts the challenger pays k per month until the deadline
    np.testing.assert_allclose(base["mobilisation"], cr.cost_per_month * t)
    assert np.all(off["mobilisation"] == 0)


def test_default_scenario_advice_is_fast_and_names_the_pivotal_issue(russia):
    t0 = time.perf_counter()
    r = advise(russia, "RUS", AdviceOptions(samples=200), seed=0)
    elapsed = time.perf_counter() - t0
    assert elapsed < 20, f"advice took {elapsed:.1f} s"
    # the pivotal issue is the one whose step changes the actor's EU most, and the words say
    # so with its numbers; below the minimum practical effect they say no issue is pivotal
    piv = r["pivotal"]["issue"]
    rows = {p["issue"]: p for p in r["pivotal"]["issues"]}
    assert abs(rows[piv]["delta_eu"]) == max(abs(p["delta_eu"]) for p in rows.values())
    assert (
        piv in r["pivotal"]["why"]
        and f"salience {rows[piv]['salience']:.2f}" in (r["pivotal"]["why"])
    )
    small = abs(rows[piv]["delta_eu"]) < r["options"]["min_effect"]
    assert ("no issue is pivotal" in r["pivotal"]["why"]) == small
    top = rows[piv]
    if top["delta_eu"] < 0:  # the words follow the numbers: the sign comes from the others
        negative = "refuse more often" in r["pivotal"]["why"]
        assert negative == (top["breakdown"]["agreement"] < 0)
    # moves that change nothing in any draw are kept apart, with their figures
    kinds = {m["kind"] for m in r["moves"] + r["no_effect_moves"]}
    assert {m["move"] for m in r["no_effect_moves"]} == set(r["no_effect"])
    assert kinds == {
        "focus",
        "moderate",
        "publicity",
        "reciprocity",
        "package",
        "proposal",
        "form",
        "forum",
        "deadline",
        "signal",
    }
    for m in r["moves"]:  # the breakdown adds up to the change
        assert sum(m["breakdown"].values()) == pytest.approx(m["delta_eu"], abs=1e-9)
    deltas = [m["delta_eu"] for m in r["moves"]]
    assert deltas == sorted(deltas, reverse=True)


def test_advice_is_reproducible(russia):
    a = advise(russia, "USA", AdviceOptions(samples=30), seed=5)
    b = advise(russia, "USA", AdviceOptions(samples=30), seed=5)
    assert a == b


def test_never_recommends_a_move_that_cannot_change_anything(russia, monkeypatch):
    """A move that changes nothing is reported as such and never recommended (issue 8)."""
    real = adv.candidate_moves

    def with_noops(*args, **kw):
        moves = real(*args, **kw)
        moves.append(Move("publicity", "no-op: same arrays", edit=lambda arr: arr))
        moves.append(Move("deadline", "no-op: deadline x1", deadline_factor=1.0))
        return moves

    monkeypatch.setattr(adv, "candidate_moves", with_noops)
    r = advise(russia, "RUS", AdviceOptions(samples=40), seed=1)
    assert "no-op: same arrays" in r["no_effect"]
    assert "no-op: deadline x1" in r["no_effect"]
    listed = {m["move"] for m in r["moves"]}
    assert not listed & {"no-op: same arrays", "no-op: deadline x1"}
    for m in r["moves"]:
        if m["recommended"]:
            assert m["delta_eu"] > 2 * m["se"] and m["delta_eu"] > r["options"]["min_effect"]
        else:
            assert m["tie"] == (abs(m["delta_eu"]) <= max(2 * m["se"], 0.005))
    assert set(r["recommended"]) <= listed


def test_no_moves_without_the_inputs_they_need():
    """Without public demands, forms, forums or a crisis, those moves are not offered."""
    sc = load_scenario("ec-emissions-1994")
    arr = compile_scenario(sc)
    moves = candidate_moves(sc, arr, "DE", AdviceOptions(), None)
    kinds = {m.kind for m in moves}
    assert not kinds & {"moderate", "publicity", "form", "forum", "deadline", "signal"}
    r = advise(sc, "DE", AdviceOptions(samples=20))
    assert r["baseline"]["p_escalation"] == 0.0
    assert r["baseline"]["p_ratification"] == 1.0
    assert all(m["recommended"] is False or m["delta_eu"] > 0 for m in r["moves"])


def test_unknown_actor():
    with pytest.raises(KeyError):
        advise(load_scenario("ec-emissions-1994"), "XX", AdviceOptions(samples=2))
