"""A small two-level scenario for the ratification tests, with hand-checkable numbers.

Enlargement runs from 0 (legally binding halt) to 100 (open door, the status quo); legal form
from 0 (no text, the status quo) to 100 (treaty). The Senate's 100 members sit at 80 (50
democrats) and 95 (50 republicans), so a package ``x`` on enlargement wins the democrats iff
``|x - 80| < 20`` (60 < x < 100) and the republicans iff ``|x - 95| < 5`` (90 < x < 100).
Every Duma member prefers any x below 100. The US executive (one member, q = 1) has ideal point
(85, 30) and reversion (100, 0), so it approves x iff ``|x - (85, 30)| < sqrt(15^2 + 30^2)``.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from detente.arrays import ScenarioArrays
from detente.scenario.schema import Scenario

DOC: dict[str, Any] = {
    "meta": {"title": "Two-level test scenario"},
    "actors": [
        {"id": "RUS", "capability": 30},
        {"id": "USA", "capability": 100},
        {"id": "DEU", "capability": 40},
        {"id": "POL", "capability": 20},
    ],
    "issues": [
        {"id": "enlargement", "status_quo": 100},
        {"id": "legal_form", "status_quo": 0},
    ],
    "stances": [
        {"actor": "RUS", "issue": "enlargement", "position": 5, "salience": 95},
        {"actor": "USA", "issue": "enlargement", "position": 90, "salience": 80},
        {"actor": "DEU", "issue": "enlargement", "position": 60, "salience": 60},
        {"actor": "POL", "issue": "enlargement", "position": 100, "salience": 90},
        {"actor": "RUS", "issue": "legal_form", "position": 100, "salience": 90},
        {"actor": "USA", "issue": "legal_form", "position": 20, "salience": 50},
        {"actor": "DEU", "issue": "legal_form", "position": 40, "salience": 40},
        {"actor": "POL", "issue": "legal_form", "position": 10, "salience": 40},
    ],
    "bodies": [
        {
            "id": "senate",
            "name": "US Senate",
            "actor": "USA",
            "threshold": "2/3",
            "ties": "no",
            "issues": ["enlargement"],
            "blocs": [
                {"id": "democrats", "count": 50, "ideal": {"enlargement": 80}, "spread": 0},
                {"id": "republicans", "count": 50, "ideal": {"enlargement": 95}},
            ],
        },
        {
            "id": "duma",
            "name": "State Duma",
            "actor": "RUS",
            "threshold": "majority",
            "blocs": [
                {"id": "united_russia", "count": 324, "ideal": {"enlargement": 0}},
                {"id": "others", "count": 126, "ideal": {"enlargement": 10}},
            ],
        },
        {
            "id": "president",
            "name": "US executive",
            "actor": "USA",
            "threshold": 1,
            "members": [{"id": "biden", "ideal": {"enlargement": 85, "legal_form": 30}}],
        },
    ],
    "forms": [
        {
            "id": "treaty",
            "name": "Treaty",
            "ratified_by": ["senate", "duma"],
            "legally_binding": True,
            "revision_hazard": 0.01,
            "horizon": 20,
        },
        {
            "id": "declaration",
            "name": "Political declaration",
            "ratified_by": ["president"],
            "revision_hazard": 0.05,
            "horizon": 20,
        },
    ],
    "forums": [
        {"id": "nrc", "members": ["RUS", "USA", "DEU", "POL"], "forms": ["declaration", "treaty"]},
        {"id": "concert", "members": ["RUS", "USA", "DEU"], "forms": ["declaration"]},
    ],
    "proposals": [
        {"id": "russia-draft", "by": "RUS", "values": {"enlargement": 0, "legal_form": 100}},
        {"id": "compromise", "values": {"enlargement": 92, "legal_form": 50}},
        {"id": "status-quo", "values": {}},
    ],
}


def doc() -> dict[str, Any]:
    """A fresh deep copy of the document, to mutate in a test."""
    return copy.deepcopy(DOC)


def scenario(d: dict[str, Any] | None = None) -> Scenario:
    return Scenario.model_validate(doc() if d is None else d)


def point_arrays(sc: Scenario) -> ScenarioArrays:
    """Point arrays of a scenario's core sections, built directly from its stances."""
    actors, issues = sc.actor_ids(), sc.issue_ids()
    pos = np.zeros((len(actors), len(issues)))
    sal = np.zeros_like(pos)
    mask = np.zeros(pos.shape, dtype=bool)
    for st in sc.stances:
        n, d = actors.index(st.actor), issues.index(st.issue)
        pos[n, d], sal[n, d], mask[n, d] = st.position.centre, st.salience.centre / 100, True
    cap = np.array([a.capability.centre for a in sc.actors])
    sq = np.array([i.status_quo.centre if i.status_quo else np.nan for i in sc.issues])
    return ScenarioArrays.from_table(
        pos,
        sal,
        cap,
        mask=mask,
        scale_min=np.array([i.scale.min for i in sc.issues]),
        scale_max=np.array([i.scale.max for i in sc.issues]),
        status_quo=sq,
        actor_ids=actors,
        issue_ids=issues,
    )
