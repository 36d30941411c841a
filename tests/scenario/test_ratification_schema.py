"""Ratification sections: parsing, thresholds, cross-checks (each bad input, its message), compile.

The valid document is ``tests/ratification_scenario.py``; every broken-section test changes one
thing in it and expects exactly that problem, at that location, saying what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from detente.scenario.ratification import Body, compile_ratification
from detente.scenario.schema import Scenario, cross_check, json_schema
from tests.ratification_scenario import doc, scenario

# Phi^-1(5/6) from a standard normal table (Abramowitz & Stegun 26.2), used for the quantile
# placement of a 3-member bloc at quantiles 1/6, 1/2, 5/6.
Z_5_6 = 0.9674215661017


def test_fixture_is_valid_and_has_no_problems():
    sc = scenario()
    assert [b.id for b in sc.bodies] == ["senate", "duma", "president"]
    assert cross_check(sc) == []


def test_sections_are_optional():
    d = doc()
    for key in ("bodies", "forms", "forums", "proposals"):
        del d[key]
    sc = Scenario.model_validate(d)
    assert sc.bodies == [] and sc.forms == [] and sc.forums == [] and sc.proposals == []
    assert cross_check(sc) == []


def test_json_schema_lists_the_sections():
    props = json_schema()["properties"]
    assert {"bodies", "forms", "forums", "proposals"} <= set(props)


def _body(threshold: Any, n: int) -> Body:
    return Body(id="b", threshold=threshold, blocs=[{"id": "x", "count": n, "ideal": {"i": 1}}])


@pytest.mark.parametrize(
    ("threshold", "n", "quota"),
    [
        ("2/3", 100, 67),  # US Senate treaty vote: 67 of 100 (models.md D.1)
        ("unanimity", 30, 30),  # NATO: 30 of 30 (models.md D.1)
        ("majority", 450, 226),  # State Duma: simple majority of 450
        ("majority", 5, 3),
        ("2/3", 10, 7),  # ceil(6.67)
        ("3/5", 100, 60),  # Senate cloture: 60 of 100
        ("1/2", 100, 50),  # "at least half" is not "majority"
        (67, 100, 67),
        (" 2 / 3 ", 99, 66),
    ],
)
def test_threshold_to_quota(threshold, n, quota):
    assert _body(threshold, n).quota() == quota


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ("two thirds", "is not understood"),
        ("3/2", "must lie in (0, 1]"),
        ("0/3", "must lie in (0, 1]"),
        (0, "at least 1 member"),
        (True, "threshold"),
    ],
)
def test_bad_threshold_says_what_is_allowed(threshold, message):
    with pytest.raises(ValidationError) as e:
        _body(threshold, 10)
    assert message in str(e.value)


def test_unquoted_yaml_ties_no_is_read_as_no():
    # YAML 1.1 turns `ties: no` into False; the contract's value is the word "no".
    raw = yaml.safe_load("id: b\nthreshold: 1\nties: no\nmembers: [{id: m, ideal: {i: 1}}]")
    assert raw["ties"] is False
    assert Body.model_validate(raw).ties == "no"
    raw["ties"] = "maybe"
    with pytest.raises(ValidationError, match="'no' or 'yes'"):
        Body.model_validate(raw)


def test_body_without_members_is_refused():
    with pytest.raises(ValidationError, match="a body needs members: give blocs, members or both"):
        Body(id="b", threshold=1)


def test_unknown_key_is_refused():
    d = doc()
    d["bodies"][0]["treshold"] = 60
    with pytest.raises(ValidationError, match="treshold"):
        Scenario.model_validate(d)


def _set(path: tuple, value: Any) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        obj = d
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value

    return change


def _no_sq(d: dict) -> None:
    del d["issues"][1]["status_quo"]


BROKEN = [
    # (change, location, words in the message)
    (_set(("bodies", 0, "actor"), "USAA"), ("bodies", 0, "actor"), "unknown actor 'USAA'; known"),
    (
        _set(("bodies", 0, "issues"), ["enlargement", "nuclear"]),
        ("bodies", 0, "issues", 1),
        "unknown issue 'nuclear'; known issues: enlargement, legal_form",
    ),
    (
        _set(("bodies", 0, "issues"), ["enlargement", "enlargement"]),
        ("bodies", 0, "issues"),
        "issue 'enlargement' is listed 2 times",
    ),
    (
        _set(("bodies", 0, "blocs", 1, "ideal"), {"enlargment": 90}),
        ("bodies", 0, "blocs", 1, "ideal", "enlargment"),
        "unknown issue 'enlargment'",
    ),
    (
        _set(("bodies", 0, "blocs", 1, "ideal"), {"enlargement": 130}),
        ("bodies", 0, "blocs", 1, "ideal", "enlargement"),
        "ideal point 130 is outside the allowed range 0 to 100",
    ),
    (
        _set(("bodies", 0, "blocs", 1, "ideal"), {"enlargement": [90, 110]}),
        ("bodies", 0, "blocs", 1, "ideal", "enlargement"),
        "ideal point [90, 110] is outside the allowed range 0 to 100",
    ),
    (
        _set(("bodies", 0, "blocs", 0, "ideal"), {"enlargement": 80, "legal_form": 50}),
        ("bodies", 0, "blocs", 0, "ideal", "legal_form"),
        "issue 'legal_form' is not among the body's issues (enlargement)",
    ),
    (
        _set(("bodies", 2, "members", 0, "weights"), {"enlargement": -1}),
        ("bodies", 2, "members", 0, "weights", "enlargement"),
        "weight -1 is not allowed; it must be at least 0",
    ),
    (
        _set(("bodies", 0, "blocs", 0, "weights"), {"legal_form": 1}),
        ("bodies", 0, "blocs", 0, "weights", "legal_form"),
        "weight on 'legal_form' but no ideal point there",
    ),
    (
        _set(("bodies", 0, "blocs", 0, "spread"), -3),
        ("bodies", 0, "blocs", 0, "spread"),
        "spread -3 is not allowed; it must be at least 0",
    ),
    (
        _set(("bodies", 0, "blocs", 0, "spread"), {"legal_form": 3}),
        ("bodies", 0, "blocs", 0, "spread", "legal_form"),
        "spread on 'legal_form' but no ideal point there",
    ),
    (
        _set(("bodies", 0, "threshold"), 120),
        ("bodies", 0, "threshold"),
        "threshold 120 is larger than the body's 100 members; it can never pass. Allowed: 1 to 100",
    ),
    (_set(("bodies", 1, "id"), "senate"), ("bodies", 1, "id"), "duplicate id 'senate'"),
    (
        _set(("bodies", 0, "blocs", 1, "id"), "democrats"),
        ("bodies", 0, "blocs", 1, "id"),
        "duplicate id 'democrats'; bloc and member ids in a body must be unique",
    ),
    (
        _set(("bodies", 0, "reversion"), {"enlargment": 100}),
        ("bodies", 0, "reversion", "enlargment"),
        "unknown issue 'enlargment'",
    ),
    (
        _set(("bodies", 0, "reversion"), {"enlargement": -5}),
        ("bodies", 0, "reversion", "enlargement"),
        "reversion -5 is outside the allowed range 0 to 100",
    ),
    (
        _no_sq,
        ("bodies", 2, "reversion"),
        "issue 'legal_form' has no status quo, so the body needs `reversion: {legal_form: ...}`",
    ),
    (
        _set(("forms", 0, "ratified_by"), ["senate", "bundestag"]),
        ("forms", 0, "ratified_by", 1),
        "unknown body 'bundestag'; known bodies: senate, duma, president",
    ),
    (
        _set(("forms", 0, "ratified_by"), ["senate", "senate"]),
        ("forms", 0, "ratified_by"),
        "body 'senate' is listed 2 times",
    ),
    (
        _set(("forms", 1, "revision_hazard"), 1.5),
        ("forms", 1, "revision_hazard"),
        "revision hazard (probability per year) 1.5 is outside the allowed range 0 to 1",
    ),
    (
        _set(("forms", 1, "horizon"), None),
        ("forms", 1, "horizon"),
        "a revision hazard above 0 needs a horizon",
    ),
    (
        _set(("forms", 1, "horizon"), -1),
        ("forms", 1, "horizon"),
        "horizon (years) -1 is not allowed; it must be at least 0",
    ),
    (_set(("forms", 1, "id"), "treaty"), ("forms", 1, "id"), "duplicate id 'treaty'"),
    (
        _set(("forums", 1, "members"), ["RUS", "USA", "CHN"]),
        ("forums", 1, "members", 2),
        "unknown actor 'CHN'; known actors: RUS, USA, DEU, POL",
    ),
    (
        _set(("forums", 1, "members"), ["RUS", "RUS"]),
        ("forums", 1, "members"),
        "actor 'RUS' is listed 2 times",
    ),
    (
        _set(("forums", 1, "forms"), ["summit"]),
        ("forums", 1, "forms", 0),
        "unknown form 'summit'; known forms: treaty, declaration",
    ),
    (
        _set(("proposals", 0, "values"), {"enlargement": 0, "kaliningrad": 10}),
        ("proposals", 0, "values", "kaliningrad"),
        "unknown issue 'kaliningrad'",
    ),
    (
        _set(("proposals", 0, "values"), {"enlargement": 101}),
        ("proposals", 0, "values", "enlargement"),
        "value 101 is outside the allowed range 0 to 100",
    ),
    (_set(("proposals", 0, "by"), "KREMLIN"), ("proposals", 0, "by"), "unknown actor 'KREMLIN'"),
    (_set(("proposals", 2, "id"), "compromise"), ("proposals", 2, "id"), "duplicate id"),
]


@pytest.mark.parametrize(("change", "loc", "words"), BROKEN)
def test_broken_section_gives_its_problem(change, loc, words):
    d = doc()
    change(d)
    problems = cross_check(Scenario.model_validate(d))
    assert any(p_loc == loc and words in msg for p_loc, msg in problems), problems


def test_proposal_silent_on_issue_without_status_quo():
    d = doc()
    _no_sq(d)
    d["bodies"][2]["reversion"] = {"legal_form": 0}
    problems = cross_check(Scenario.model_validate(d))
    # russia-draft and compromise give legal_form; status-quo does not, and the executive weighs it
    assert problems == [
        (
            ("proposals", 2, "values"),
            "the proposal leaves out 'legal_form', which has no status quo to keep and which a "
            "body weighs; give a value for it",
        )
    ]


def test_problems_are_all_reported_at_once():
    d = doc()
    d["bodies"][0]["actor"] = "X"
    d["forms"][0]["ratified_by"] = ["nope"]
    d["proposals"][0]["values"] = {"enlargement": -1}
    locs = {loc for loc, _ in cross_check(Scenario.model_validate(d))}
    assert {("bodies", 0, "actor"), ("forms", 0, "ratified_by", 0)} <= locs
    assert ("proposals", 0, "values", "enlargement") in locs


# ----------------------------------------------------------------------------------- compile


def test_point_compile_of_the_fixture():
    comp = compile_ratification(scenario())
    senate, duma, president = comp.bodies
    assert (senate.threshold, duma.threshold, president.threshold) == (67, 226, 1)
    assert senate.ideal.shape == (1, 100, 2)
    assert senate.member_ids[0] == "democrats[1]" and senate.member_ids[-1] == "republicans[50]"
    assert senate.member_bloc[49:51] == ("democrats", "republicans")
    np.testing.assert_array_equal(senate.ideal[0, :50, 0], 80.0)
    np.testing.assert_array_equal(senate.ideal[0, 50:, 0], 95.0)
    # the Senate weighs enlargement only: weight 0 on legal_form for every senator
    np.testing.assert_array_equal(senate.weight[0, :, 0], 1.0)
    np.testing.assert_array_equal(senate.weight[0, :, 1], 0.0)
    np.testing.assert_array_equal(president.ideal[0, 0], [85.0, 30.0])
    np.testing.assert_array_equal(senate.reversion, [[100.0, 0.0]])
    assert comp.proposal_ids == ("russia-draft", "compromise", "status-quo")
    np.testing.assert_array_equal(comp.package("russia-draft"), [[0.0, 100.0]])
    np.testing.assert_array_equal(comp.package("status-quo"), [[100.0, 0.0]])
    treaty = comp.form("treaty")
    assert treaty.bodies == (0, 1) and treaty.legally_binding
    assert treaty.hazard.tolist() == [0.01] and treaty.horizon.tolist() == [20.0]
    assert comp.forums[0].forms == ("declaration", "treaty")


def test_forum_without_forms_can_produce_every_form():
    d = doc()
    del d["forums"][1]["forms"]
    comp = compile_ratification(Scenario.model_validate(d))
    assert comp.forums[1].forms == ("treaty", "declaration")


def test_bloc_members_sit_at_evenly_spaced_normal_quantiles():
    d = doc()
    d["bodies"][0]["blocs"] = [
        {"id": "b", "count": 3, "ideal": {"enlargement": 50}, "spread": 10},
        {"id": "c", "count": 1, "ideal": {"enlargement": 70}, "spread": 10},
        {"id": "edge", "count": 3, "ideal": {"enlargement": 98}, "spread": 10},
    ]
    d["bodies"][0]["threshold"] = 5
    comp = compile_ratification(Scenario.model_validate(d))
    z = comp.bodies[0].ideal[0, :, 0]
    np.testing.assert_allclose(z[:3], [50 - 10 * Z_5_6, 50, 50 + 10 * Z_5_6], atol=1e-9)
    assert z[3] == 70  # one member: the median quantile, the bloc's own ideal point
    np.testing.assert_allclose(z[4:], [98 - 10 * Z_5_6, 98, 100], atol=1e-9)  # clipped to scale


def test_reversion_override_and_per_issue_spread_and_weights():
    d = doc()
    d["bodies"][2]["reversion"] = {"enlargement": 90}
    d["bodies"][2]["members"][0]["weights"] = {"legal_form": 0.25}
    comp = compile_ratification(Scenario.model_validate(d))
    np.testing.assert_array_equal(comp.bodies[2].reversion, [[90.0, 0.0]])
    np.testing.assert_array_equal(comp.bodies[2].weight[0, 0], [1.0, 0.25])


def test_monte_carlo_compile_draws_members_and_is_reproducible():
    d = doc()
    d["bodies"][0]["blocs"][0].update(count=50, spread=8, ideal={"enlargement": [70, 90]})
    sc = Scenario.model_validate(d)
    a = compile_ratification(sc, samples=400, rng=np.random.default_rng(3))
    b = compile_ratification(sc, samples=400, rng=np.random.default_rng(3))
    c = compile_ratification(sc, samples=400, rng=np.random.default_rng(4))
    dem = a.bodies[0].ideal[:, :50, 0]
    np.testing.assert_array_equal(dem, b.bodies[0].ideal[:, :50, 0])
    assert not np.array_equal(dem, c.bodies[0].ideal[:, :50, 0])
    # members scatter around a bloc ideal drawn from U(70, 90) once per sample: within a sample
    # the sd is the spread 8; across samples the bloc mean has sd 20/sqrt(12) = 5.77
    assert abs(dem.std(axis=1, ddof=1).mean() - 8) < 0.3
    assert abs(dem.mean(axis=1).std() - 20 / math.sqrt(12)) < 0.5
    assert 79 < dem.mean() < 81
    # republicans (spread 0) stay put; the status quo of a point issue is the same in every sample
    np.testing.assert_array_equal(a.bodies[0].ideal[:, 50:, 0], 95.0)
    np.testing.assert_array_equal(a.status_quo, np.broadcast_to([100.0, 0.0], (400, 2)))


def test_compile_uses_a_passed_status_quo_for_reversion_and_silent_proposals():
    sq = np.array([[95.0, 10.0], [85.0, 5.0]])
    comp = compile_ratification(scenario(), samples=2, status_quo=sq)
    np.testing.assert_array_equal(comp.bodies[0].reversion, sq)
    np.testing.assert_array_equal(comp.package("status-quo"), sq)
    np.testing.assert_array_equal(comp.package("russia-draft"), [[0.0, 100.0], [0.0, 100.0]])
