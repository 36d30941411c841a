"""Checks of the bundled scenarios in ``src/detente/scenarios``.

Every bundled YAML must parse, validate against the core schema with no cross-check problems, give
a rationale (``why``) for every actor, issue, stance and for every number in the optional sections,
and name its scale points in words. The data of the two published examples are compared with the
independent sources they come from (reference/models.md A.9, KTAB's SOE-Pol-Comp.csv), and the
default Russia-NATO scenario is checked for the actors, issues and sections it must contain.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import detente
from detente.scenario.schema import Scenario, cross_check
from detente.scenario.uncertain import Uncertain

SCENARIO_DIR = Path(detente.__file__).parent / "scenarios"
BUNDLED = sorted(SCENARIO_DIR.glob("*.yaml"))
OPTIONAL = ("bodies", "forms", "forums", "proposals", "crisis")
DEFAULT = "russia-nato-2021"


@functools.cache
def _parse(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    assert isinstance(doc, dict), f"{path.name}: top level must be a mapping"
    return doc


def _load(path: Path) -> dict[str, Any]:
    # parse each file once (pure-Python YAML is slow); hand every test its own copy
    return copy.deepcopy(_parse(path))


def _core(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in OPTIONAL}


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {p.stem: _load(p) for p in BUNDLED}


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _has_why(node: object) -> bool:
    return isinstance(node, dict) and isinstance(node.get("why"), str) and node["why"].strip() != ""


def _numbers(node: object, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], float]]:
    """Every numeric leaf below ``node`` with its path (keys and list indices)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _numbers(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numbers(v, (*path, i))
    elif _is_number(node):
        yield path, node


def _ancestors(root: object, path: tuple[Any, ...]) -> list[tuple[object, bool]]:
    """Containers from ``root`` down to the leaf's parent, each with 'is a list element'."""
    out: list[tuple[object, bool]] = []
    node = root
    in_list = False
    for key in path:
        out.append((node, in_list))
        in_list = isinstance(node, list)
        node = node[key]  # type: ignore[index]
    return out


def _undocumented(section: object, strict: bool) -> list[str]:
    """Paths of numbers without a rationale.

    A number is documented when the mapping that holds it has a ``why`` (the ``{value: x, why}``
    and ``{dist: ..., why}`` forms), or, unless ``strict``, when its enclosing record has one: the
    nearest mapping that is an element of a list (a body, bloc, form, forum or proposal), or any
    mapping between that record and the number.
    """
    missing = []
    for path, _ in _numbers(section):
        chain = _ancestors(section, path)
        parent = chain[-1][0]
        ok = _has_why(parent)
        if not ok and not strict:
            for node, is_element in reversed(chain):
                if _has_why(node):
                    ok = True
                    break
                if is_element:  # the enclosing record: look no further up
                    break
        if not ok:
            missing.append("/".join(str(p) for p in path))
    return missing


# ------------------------------------------------------------------------------------------------
# Every bundled scenario


def test_the_three_scenarios_are_bundled() -> None:
    names = {p.stem for p in BUNDLED}
    assert {DEFAULT, "ec-emissions-1994", "china-soe-reform"} <= names


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_core_sections_validate_without_problems(path: Path) -> None:
    sc = Scenario.model_validate(_core(_load(path)))
    assert cross_check(sc) == []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_whole_document_validates_with_the_sections_the_schema_knows(path: Path) -> None:
    # Optional sections join the schema as their engineers land them; from then on this checks
    # them too, so the bundled data and the section contracts cannot drift apart unnoticed.
    doc = _load(path)
    known = {k: v for k, v in doc.items() if k not in OPTIONAL or k in Scenario.model_fields}
    assert cross_check(Scenario.model_validate(known)) == []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_actor_issue_and_stance_has_a_rationale(path: Path) -> None:
    doc = _load(path)
    for section in ("actors", "issues", "stances"):
        for n, item in enumerate(doc[section]):
            assert _has_why(item), f"{path.name}: {section}[{n}] has no 'why'"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_number_in_the_optional_sections_has_a_rationale(path: Path) -> None:
    doc = _load(path)
    for section in OPTIONAL:
        if section in doc:
            # crisis numbers carry their own why ({value: x, why} or a distribution with why)
            missing = _undocumented(doc[section], strict=section == "crisis")
            assert missing == [], f"{path.name}: {section} numbers without 'why': {missing}"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_issue_names_its_scale_and_has_a_status_quo(path: Path) -> None:
    sc = Scenario.model_validate(_core(_load(path)))
    for issue in sc.issues:
        keys = list(issue.anchors)
        assert len(keys) >= 3, f"{issue.id}: needs at least 3 anchors"
        assert keys[0] == issue.scale.min and keys[-1] == issue.scale.max, issue.id
        assert all(text.strip() for text in issue.anchors.values()), issue.id
        assert issue.status_quo is not None, f"{issue.id}: no status quo"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_demands_come_with_their_publicity(path: Path) -> None:
    for n, s in enumerate(_load(path)["stances"]):
        assert ("demand" in s) == ("publicity" in s), f"{path.name}: stances[{n}]"


def test_the_schema_really_rejects_what_these_checks_rely_on() -> None:
    # Guard against the checks above passing vacuously: a stance off its scale is a problem.
    doc = _core(_load(SCENARIO_DIR / f"{DEFAULT}.yaml"))
    doc["stances"] = [dict(doc["stances"][0], position=150)]
    assert cross_check(Scenario.model_validate(doc))
    assert _undocumented({"blocs": [{"count": 3}]}, strict=False) == ["blocs/0/count"]
    assert _undocumented({"p_win": [0.4, 0.6], "why": "x"}, strict=True) == ["p_win/0", "p_win/1"]


# ------------------------------------------------------------------------------------------------
# The default scenario: Russia-NATO, December 2021

REQUIRED_ACTORS = set("RUS USA GBR FRA DEU ITA EAST NATO_REST UKR GEO FIN".split())
REQUIRED_ISSUES = {
    "enlargement",
    "bucharest",
    "strike_weapons",
    "missile_defence",
    "exercises",
    "ukraine_cooperation",
    "russian_forces",
    "donbas",
    "reciprocity",
    "legal_form",
}


@pytest.fixture(scope="module")
def default(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return docs[DEFAULT]


def test_default_has_the_actors_and_issues_of_the_brief(default: dict[str, Any]) -> None:
    sc = Scenario.model_validate(_core(default))
    assert REQUIRED_ACTORS <= set(sc.actor_ids())
    assert REQUIRED_ISSUES <= set(sc.issue_ids())
    east = sc.actor("EAST").name or ""
    for member in ("Poland", "Estonia", "Latvia", "Lithuania", "Romania"):
        assert member in east


def test_default_uses_nothing_published_after_its_as_of(default: dict[str, Any]) -> None:
    as_of = default["meta"]["as_of"]
    assert dt.date(2021, 12, 15) <= as_of <= dt.date(2021, 12, 21)
    for src in default["meta"]["sources"]:
        if isinstance(src, dict) and "date" in src:
            assert src["date"] <= as_of, src["title"]


def test_default_issues_state_which_end_russia_wants(default: dict[str, Any]) -> None:
    for issue in default["issues"]:
        assert "Russia wants 0" in issue["description"], issue["id"]


def test_default_russian_drafts_are_public_demands(default: dict[str, Any]) -> None:
    rus = {s["issue"]: s for s in default["stances"] if s["actor"] == "RUS"}
    drafted = ("enlargement", "bucharest", "strike_weapons", "ukraine_cooperation", "legal_form")
    for issue in drafted:
        assert rus[issue]["publicity"] == 1 and rus[issue]["demand"] == 0, issue
    # NATO's Riga 'open door' line: a high-publicity demand at the top of the scale
    riga = {s["actor"]: s for s in default["stances"] if s["issue"] == "enlargement"}
    for actor in ("USA", "EAST", "NATO_REST"):
        assert riga[actor]["demand"] == 100 and riga[actor]["publicity"] >= 0.8, actor


def test_default_bodies_follow_the_published_rules(default: dict[str, Any]) -> None:
    bodies = {b["id"]: b for b in default["bodies"]}
    senate = bodies["us-senate"]
    assert senate["threshold"] == 67
    assert {b["id"]: b["count"] for b in senate["blocs"]} == {"democrats": 50, "republicans": 50}
    assert "tie-break" in senate["why"]
    for body, members in (("allied-parliaments", 30), ("nac", 30), ("state-duma", 450)):
        assert sum(b["count"] for b in bodies[body]["blocs"]) == members, body
    assert bodies["allied-parliaments"]["threshold"] == "unanimity"
    assert bodies["nac"]["threshold"] == "unanimity"
    assert bodies["state-duma"]["threshold"] == "majority"
    duma = {b["id"]: b["count"] for b in bodies["state-duma"]["blocs"]}
    assert duma["united_russia"] == 324  # an outright majority of 450 on its own


def test_default_sections_refer_to_known_ids_and_stay_on_scale(default: dict[str, Any]) -> None:
    sc = Scenario.model_validate(_core(default))
    actors = set(sc.actor_ids())
    scales = {i.id: (i.scale.min, i.scale.max) for i in sc.issues}
    bodies = {b["id"] for b in default["bodies"]}
    forms = {f["id"] for f in default["forms"]}

    def on_scale(issue: str, raw: object) -> bool:
        lo, hi = scales[issue]
        u = Uncertain.model_validate(raw)
        return lo <= u.support[0] and u.support[1] <= hi

    for b in default["bodies"]:
        assert b.get("actor", "USA") in actors
        for bloc in b["blocs"]:
            assert set(bloc["ideal"]) == set(b["issues"]), (b["id"], bloc["id"])
            assert all(on_scale(k, v) for k, v in bloc["ideal"].items()), (b["id"], bloc["id"])
    assert {"treaty", "political", "declaration", "strategic_concept"} <= forms
    for f in default["forms"]:
        assert set(f["ratified_by"]) <= bodies, f["id"]
        assert 0 < Uncertain.model_validate(f["revision_hazard"]).centre < 1, f["id"]
    assert {"concert", "nrc", "osce", "ssd"} <= {f["id"] for f in default["forums"]}
    for forum in default["forums"]:
        assert set(forum["members"]) <= actors and set(forum["forms"]) <= forms, forum["id"]
    proposals = {p["id"]: p for p in default["proposals"]}
    assert {"russia-draft-us", "russia-draft-nato", "status-quo", "frolov-compromise"} <= set(
        proposals
    )
    for p in proposals.values():
        assert all(on_scale(k, v) for k, v in p["values"].items()), p["id"]
    # the two drafts differ where the article says Russia's demands are unclear: east vs everywhere
    assert proposals["russia-draft-nato"]["values"]["enlargement"]["value"] == 0
    assert proposals["russia-draft-us"]["values"]["enlargement"]["value"] == 25


def test_default_status_quo_proposal_matches_the_issues(default: dict[str, Any]) -> None:
    sq = {i["id"]: Uncertain.model_validate(i["status_quo"]) for i in default["issues"]}
    values = next(p for p in default["proposals"] if p["id"] == "status-quo")["values"]
    assert set(values) == set(sq)
    for issue, raw in values.items():
        assert Uncertain.model_validate(raw).support == sq[issue].support, issue


def test_default_crisis_section_is_complete(default: dict[str, Any]) -> None:
    crisis = default["crisis"]
    actors = {a["id"] for a in default["actors"]}
    assert crisis["challenger"] == "RUS" and crisis["proposer"] in actors
    assert set(crisis["targets"]) <= actors and "RUS" not in crisis["targets"]
    stakes = {k: Uncertain.model_validate(v).centre for k, v in crisis["stakes"].items()}
    assert set(stakes) <= {i["id"] for i in default["issues"]}
    assert math.isclose(sum(stakes.values()), 1.0)
    for key in ("p_win", "cost_challenger", "cost_target", "private_cost", "deadline_months"):
        assert key in crisis, key
    lo, hi = Uncertain.model_validate(crisis["p_win"]).support
    assert 0 <= lo <= hi <= 1
    p_now = Uncertain.model_validate(crisis["p_win"]).centre
    p_future = Uncertain.model_validate(crisis["power_shift"]["p_future"]).centre
    assert p_future < p_now  # Ukraine's integration with NATO lowers Russia's future chances
    for key in ("cost_per_month", "months", "value_max"):
        assert key in crisis["mobilisation"], key
    assert "hazard_per_month" in crisis["brinkmanship"]


# ------------------------------------------------------------------------------------------------
# The EC car-emissions example against reference/models.md A.9 (BDM 1994; Scholz et al. 2011)

# (capability, position, salience on 0-1) as listed in models.md A.9 and jmckib's ExampleActors.csv
EC_A9 = {
    "NL": (0.08, 4, 0.8),
    "BE": (0.08, 7, 0.4),
    "LU": (0.03, 4, 0.2),
    "DE": (0.16, 4, 0.8),
    "FR": (0.16, 10, 0.6),
    "IT": (0.16, 10, 0.6),
    "UK": (0.16, 10, 0.9),
    "IE": (0.05, 7, 0.1),
    "DK": (0.05, 4, 1.0),
    "GR": (0.08, 7, 0.7),
}


def _ec_arrays(doc: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    sc = Scenario.model_validate(doc)
    ids = sc.actor_ids()
    stance = {s.actor: s for s in sc.stances}
    c = np.array([sc.actor(a).capability.centre for a in ids])
    x = np.array([stance[a].position.centre for a in ids])
    s = np.array([stance[a].salience.centre for a in ids]) / 100
    return c, x, s, ids


def test_ec_data_match_the_published_table(docs: dict[str, dict[str, Any]]) -> None:
    c, x, s, ids = _ec_arrays(docs["ec-emissions-1994"])
    assert sorted(ids) == sorted(EC_A9)
    for n, a in enumerate(ids):
        assert (c[n], x[n], s[n]) == pytest.approx(EC_A9[a], abs=1e-12), a


def test_ec_initial_mean_and_median_match_models_md(docs: dict[str, dict[str, Any]]) -> None:
    # models.md A.9: "Initial state: weighted mean 7.389956, weighted median 7.0"
    c, x, s, _ = _ec_arrays(docs["ec-emissions-1994"])
    w = c * s
    assert float(w @ x / w.sum()) == pytest.approx(7.389956, abs=5e-7)
    held = np.unique(x)
    # A.7: the held position y with sum_k w_k (|x_k - z| - |x_k - y|) >= 0 for every held z
    winners = [
        y for y in held if all(w @ (np.abs(x - z) - np.abs(x - y)) >= 0 for z in held if z != y)
    ]
    assert winners == [7.0]


def test_ec_scale_width_equals_scholz_range(docs: dict[str, dict[str, Any]]) -> None:
    # Scholz's code fixes R at the initial spread of positions, 6 for these data (models.md A.1).
    sc = Scenario.model_validate(docs["ec-emissions-1994"])
    issue = sc.issues[0]
    positions = [s.position.centre for s in sc.stances]
    assert issue.scale.max - issue.scale.min == max(positions) - min(positions) == 6


# ------------------------------------------------------------------------------------------------
# The China SOE example against KTAB's SOE-Pol-Comp.csv (examples/smp/doc, MIT licence)

# actor: (influence, policy position, policy salience, competitive position, competitive salience)
KTAB_SOE = {
    "XJ": (100.0, 30, 24.0, 20, 48.0),
    "LK": (60.2, 45, 44.7, 65, 41.3),
    "ZG": (35.0, 30, 28.9, 15, 65.1),
    "MK": (35.0, 45, 20.6, 45, 49.4),
    "LH": (40.0, 50, 44.7, 65, 47.8),
    "XS": (20.0, 15, 32.0, 10, 32.0),
    "NEA": (15.0, 20, 32.0, 15, 32.0),
    "MLR": (25.0, 60, 43.9, 50, 50.1),
    "MEP": (20.0, 30, 26.4, 15, 17.6),
    "MOF": (35.0, 45, 35.9, 40, 46.6),
    "SHX": (20.0, 50, 44.7, 50, 47.8),
    "HLJ": (20.0, 20, 47.4, 30, 40.6),
    "WY": (40.0, 15, 49.0, 60, 46.0),
}


def test_soe_data_match_the_ktab_file(docs: dict[str, dict[str, Any]]) -> None:
    sc = Scenario.model_validate(docs["china-soe-reform"])
    assert sc.actor_ids() == list(KTAB_SOE)  # KTAB's row order, which its logs index by
    assert sc.issue_ids() == ["policy", "competitive"]
    stance = {(s.actor, s.issue): s for s in sc.stances}
    for a, (infl, pp, ps, cp, cs) in KTAB_SOE.items():
        got = (
            sc.actor(a).capability.centre,
            stance[a, "policy"].position.centre,
            stance[a, "policy"].salience.centre,
            stance[a, "competitive"].position.centre,
            stance[a, "competitive"].salience.centre,
        )
        assert got == pytest.approx((infl, pp, ps, cp, cs), abs=1e-12), a
        assert ps + cs <= 100  # KTAB: an actor's saliences sum to at most 100
