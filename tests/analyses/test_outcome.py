"""The one outcome model (docs/outcome.md): hand computations, properties, and one number
everywhere.

Independent numbers: the one-shot acceptable range equals Fearon's (1995) range
``[p - c_C, p + c_T]`` (models.md B.1) whenever the challenger would fight without a deal,
computed here by :func:`bargaining_range`, a separate function; Powell's (2006) discounted
values are computed by hand in the tests; the per-signatory signing rule and the closed-form
acceptable range are two derivations of the same rule and are checked against each other.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.analyses.crisis import bargaining_range
from detente.analyses.outcome import (
    BRANCHES,
    acceptable_range,
    form_terms,
    signing,
    summarise,
)
from detente.cli import main
from detente.scenario.crisis import compile_crisis, scenario_arrays
from detente.scenario.schema import Scenario


def one_issue(status_quo: float = 100.0, demand: float | None = None, **crisis) -> Scenario:
    """Challenger A at 0 and target B at 100 on one 0-100 issue: A's share is 1 - x/100."""
    a_stance: dict = {"actor": "A", "issue": "x", "position": 0, "salience": 100}
    actors: list[dict] = [{"id": "A", "capability": 1}, {"id": "B", "capability": 1}]
    if demand is not None:
        a_stance.update(demand=demand, publicity=1)
        actors[0]["audience_sensitivity"] = 1
    doc = {
        "meta": {"title": "one issue"},
        "actors": actors,
        "issues": [{"id": "x", "status_quo": status_quo}],
        "stances": [a_stance, {"actor": "B", "issue": "x", "position": 100, "salience": 100}],
        "crisis": {"challenger": "A", "targets": ["B"], "stakes": {"x": 1}, **crisis},
    }
    return Scenario.model_validate(doc)


def _sign(sc: Scenario, x: float, hazard: float = 0.0) -> dict:
    arrays = scenario_arrays(sc)
    cr = compile_crisis(sc, arrays)
    return signing(arrays, np.array([[x]]), crisis=cr, hazard=hazard)


def test_one_shot_range_is_fearons_when_the_challenger_would_fight():
    # p = 0.6, c_C = 0.2, c_T = 0.1; the status quo gives A nothing, so A fights without a
    # deal (0.4 > 0) and B's alternative is war: the range is B.1's [0.4, 0.7]
    sc = one_issue(p_win=0.6, cost_challenger=0.2, cost_target=0.1)
    arrays = scenario_arrays(sc)
    r = acceptable_range(arrays, compile_crisis(sc, arrays))
    lo, hi = bargaining_range(0.6, 0.2, 0.1)
    assert (r["low"][0], r["high"][0]) == pytest.approx((float(lo), float(hi)))
    assert r["fights"][0] and r["escalation_no_deal"][0] == 1.0
    assert _sign(sc, 50)["signed"][0]  # A gets 0.5
    assert not _sign(sc, 70)["signed"][0]  # A gets 0.3 < 0.4: A fights
    assert not _sign(sc, 20)["signed"][0]  # A gets 0.8 > 0.7: B prefers war
    assert list(_sign(sc, 20)["accepts"][0]) == [True, False]


def test_no_threat_no_concession():
    # the status quo gives A 0.5 > p - c = 0.4: A would not fight, so B concedes nothing
    # beyond the status quo and A takes nothing below it; only the status quo itself signs
    sc = one_issue(status_quo=50, p_win=0.6, cost_challenger=0.2, cost_target=0.1)
    arrays = scenario_arrays(sc)
    r = acceptable_range(arrays, compile_crisis(sc, arrays))
    assert (r["low"][0], r["high"][0]) == pytest.approx((0.5, 0.5))
    assert not r["fights"][0] and r["escalation_no_deal"][0] == 0.0
    assert not _sign(sc, 40)["signed"][0]  # A 0.6: B refuses, nothing forces it


def test_power_shift_by_hand():
    # Powell 2006 with p0 = 0.6, p1 = 0.4, d = 0.9, c = 0.2: war now 0.6/0.1 - 0.2 = 5.8;
    # a deal that never breaks (no form, q = 1) is worth s/0.1, so A needs s >= 0.58;
    # without a deal A gets 0 now and its reservation 0.9 * (0.4/0.1 - 0.2) = 3.42 later
    sc = one_issue(
        p_win=0.6,
        cost_challenger=0.2,
        cost_target=0.1,
        power_shift={"p_future": 0.4, "discount": 0.9},
    )
    arrays = scenario_arrays(sc)
    cr = compile_crisis(sc, arrays)
    r = acceptable_range(arrays, cr)
    assert r["war_value"][0] == pytest.approx(5.8)
    assert r["no_deal_value"][0] == pytest.approx(3.42)
    assert r["low"][0] == pytest.approx(0.58)
    # a deal revised with hazard 0.1 a year is worth s/(1 - 0.81) + 0.1*0.9*3.8/0.19 = s/0.19
    # + 1.8: A needs s >= (5.8 - 1.8) * 0.19 = 0.76
    r2 = acceptable_range(arrays, cr, hazard=0.1)
    assert r2["low"][0] == pytest.approx(0.76)
    assert _sign(sc, 41, hazard=0.0)["signed"][0]  # 0.59 >= 0.58 and <= 0.7
    assert not _sign(sc, 41, hazard=0.1)["accepts"][0, 0]  # 0.59 < 0.76


def test_audience_cost_by_hand():
    # A demands 0 in public (all of the pie) with a = lambda * publicity = 1: accepting s costs
    # (1 - s), so A signs iff s - (1 - s) >= 0.4, i.e. s >= 0.7 (Fearon 1994; models.md C.1)
    sc = one_issue(demand=0, p_win=0.6, cost_challenger=0.2, cost_target=0.1)
    arrays = scenario_arrays(sc)
    r = acceptable_range(arrays, compile_crisis(sc, arrays))
    assert r["low"][0] == pytest.approx(0.7)
    assert _sign(sc, 30)["signed"][0] and not _sign(sc, 31)["signed"][0]


def num(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Numbers a scenario accepts: 0 or at least 1e-12 in magnitude (issue 22's bound)."""
    if lo > 0:
        return st.floats(lo, hi)
    return st.one_of(st.just(0.0), st.floats(1e-6, hi))


params = st.fixed_dictionaries(
    {
        "p": st.floats(0.05, 0.95),
        "cc": num(0.0, 0.5),
        "ct": num(0.0, 0.5),
        "sq": num(0, 100),
        "x": st.floats(0, 100),
        "demand": st.one_of(st.none(), num(0, 100)),
        "shift": st.one_of(st.none(), st.tuples(num(0.01, 0.95), num(0.0, 0.95))),
        "hazard": st.floats(0, 0.5),
        "h_month": st.one_of(st.none(), num(0, 0.2)),
    }
)


def _scenario(v: dict) -> Scenario:
    extra: dict = {}
    if v["shift"] is not None:
        extra["power_shift"] = {"p_future": v["shift"][0], "discount": v["shift"][1]}
    if v["h_month"] is not None:
        extra.update(brinkmanship={"hazard_per_month": v["h_month"]}, deadline_months=2)
    return one_issue(
        status_quo=v["sq"],
        demand=v["demand"],
        p_win=v["p"],
        cost_challenger=v["cc"],
        cost_target=v["ct"],
        **extra,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_property_signing_equals_the_closed_form_range(v):
    """Two derivations of one rule: per-signatory margins and the solved range agree."""
    sc = _scenario(v)
    arrays = scenario_arrays(sc)
    cr = compile_crisis(sc, arrays)
    r = acceptable_range(arrays, cr, hazard=v["hazard"])
    sig = signing(arrays, np.array([[v["x"]]]), crisis=cr, hazard=v["hazard"])
    s = float(sig["share"][0])
    lo, hi = float(r["low"][0]), float(r["high"][0])
    if min(abs(s - lo), abs(s - hi)) > 1e-9:  # away from the rounding band at the ends
        assert bool(sig["signed"][0]) == (lo <= s <= hi)
    assert 0.0 <= float(sig["escalation_no_deal"][0]) <= 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, st.floats(0, 100), st.floats(0, 100))
def test_property_moving_the_deal_toward_an_actor_never_lowers_its_value(v, x1, x2):
    """The challenger's margin rises with its share, the target's falls (docs/outcome.md)."""
    sc = _scenario(v)
    arrays = scenario_arrays(sc)
    cr = compile_crisis(sc, arrays)
    near, far = sorted((x1, x2))  # A sits at 0: `near` is at least as good for A
    m_near = signing(arrays, np.array([[near]]), crisis=cr, hazard=v["hazard"])["margin"][0]
    m_far = signing(arrays, np.array([[far]]), crisis=cr, hazard=v["hazard"])["margin"][0]
    assert m_near[0] >= m_far[0] - 1e-12  # challenger A
    assert m_near[1] <= m_far[1] + 1e-12  # target B


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.floats(0, 1)), min_size=1, max_size=50))
def test_property_escalation_is_the_branch_weighted_sum(rows):
    signed = np.array([r[0] for r in rows])
    ratified = np.array([r[1] for r in rows])
    e0 = np.array([r[2] for r in rows])
    s = summarise(
        {
            "signed": signed,
            "ratified": ratified,
            "escalation_no_deal": e0,
            "deal": np.zeros((len(rows), 1)),
        },
        ["x"],
    )
    total = sum(b["p"] * (b["p_escalation"] or 0.0) for b in s["branches"].values())
    assert s["p_escalation"] == pytest.approx(total, abs=1e-12)
    assert sum(b["p"] for b in s["branches"].values()) == pytest.approx(1.0)
    for key in ("p_agreement", "p_escalation", "p_in_force"):
        assert 0.0 <= s[key] <= 1.0
    if s["p_ratified_given_agreement"] is not None:
        assert 0.0 <= s["p_ratified_given_agreement"] <= 1.0
    assert s["most_likely"] in BRANCHES
    # a deal in force settles the crisis
    assert s["branches"]["ratified"]["p_escalation"] in (None, 0.0)


def test_without_crisis_or_forms_nothing_escalates_or_needs_ratifying():
    """Without a crisis nothing escalates; without forms nothing needs ratifying; a legislative
    decision needs no signature (docs/outcome.md)."""
    from detente.scenario import compile_scenario, load_scenario

    sc = load_scenario("ec-emissions-1994")
    arrays = compile_scenario(sc)
    deal = np.where(np.isnan(arrays.status_quo), 7.0, arrays.status_quo)
    sig = signing(arrays, deal, required=[])
    assert sig["signed"].all() and (sig["escalation_no_deal"] == 0).all()
    bodies, hazard, _ = form_terms(None, None, arrays.n_samples)
    assert bodies == () and (hazard == 0).all()


def _cli(capsys, *argv: str) -> dict:
    try:
        main(list(argv))
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_one_number_everywhere(capsys):
    """forecast, crisis, montecarlo and advise give the same headline numbers (issue 17)."""
    common = ("--samples", "64", "--seed", "3", "--json")
    fc = _cli(capsys, "forecast", "-m", "compromise", "-m", "bdm", *common)["outcome"]
    cr = _cli(capsys, "crisis", "-m", "compromise", "-m", "bdm", *common)
    mc = _cli(capsys, "montecarlo", "-m", "compromise", "-m", "bdm", *common)["outcome"]
    adv = _cli(capsys, "advise", "--actor", "USA", "-m", "compromise", *common)
    keys = ("p_agreement", "p_ratified_given_agreement", "p_escalation")
    for model in ("compromise", "bdm"):
        want = {k: fc["models"][model][k] for k in keys}
        assert {k: mc["models"][model][k] for k in keys} == want
        assert {k: cr["models"][model]["outcome"][k] for k in keys} == want
    assert fc["samples"] == mc["samples"] == cr["outcome"]["samples"] == adv["samples"] == 64
    by_model = adv["baseline"]["by_model"]["compromise"]
    assert {k: by_model[k] for k in keys} == {k: fc["models"]["compromise"][k] for k in keys}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.floats(0, 100), min_size=9, max_size=9),
    st.lists(st.floats(0.05, 1.0), min_size=9, max_size=9),
    st.lists(st.floats(0, 100), min_size=3, max_size=3),
    st.floats(0.0, 1.0),
)
def test_property_spatial_signing_is_monotone_toward_the_signatory(pos, sal, x, step):
    """Without a crisis, moving the deal toward a signatory's position never lowers its margin
    (no public demands here: with them, settling nearer the private position can cost face)."""
    from detente.arrays import ScenarioArrays

    arrays = ScenarioArrays.from_table(
        np.reshape(pos, (3, 3)), np.reshape(sal, (3, 3)), [3.0, 2.0, 1.0]
    )
    deal = np.array([x])
    base = signing(arrays, deal)
    for k, who in enumerate(base["signatories"]):
        a = arrays.actor_ids.index(who)
        closer = deal + step * (arrays.position[:, a, :] - deal)
        moved = signing(arrays, closer)
        assert moved["margin"][0, k] >= base["margin"][0, k] - 1e-12
