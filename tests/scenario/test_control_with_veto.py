"""One issue with both ``controlled_by`` and ``veto`` (docs/scenario-format.md, "Both on one
issue"): the veto bounds the controller.

The expected outcomes are worked out by hand from the veto players' win-set of the status quo
(each weakly prefers the outcome to the status quo: ``|x - p_v| <= |SQ - p_v|``, Tsebelis 2002):
status quo 50, veto player B at 60, so the win-set is [50, 70].
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from detente.api import make_model
from detente.models.base import apply_issue_control
from detente.scenario import compile_scenario, load_scenario

FIXED = ("mean", "compromise", "median", "detente", "bdm", "smp")


def _scenario(tmp_path: Path, controller_at: float, veto: str = "[B]") -> object:
    f = tmp_path / "both.yaml"
    f.write_text(
        "meta: {title: control and veto on one issue}\n"
        "actors: [{id: A, capability: 1}, {id: B, capability: 1}, {id: C, capability: 1}]\n"
        f"issues: [{{id: x, status_quo: 50, controlled_by: A, veto: {veto}}},\n"
        "         {id: y, status_quo: 50}]\n"
        "stances:\n"
        f"  - {{actor: A, issue: x, position: {controller_at}, salience: 50}}\n"
        "  - {actor: B, issue: x, position: 60, salience: 50}\n"
        "  - {actor: C, issue: x, position: 10, salience: 50}\n"
        "  - {actor: A, issue: y, position: 20, salience: 50}\n"
        "  - {actor: B, issue: y, position: 80, salience: 50}\n"
        "  - {actor: C, issue: y, position: 50, salience: 50}\n",
        encoding="utf-8",
    )
    return compile_scenario(load_scenario(f))


@pytest.mark.parametrize("name", FIXED)
@pytest.mark.parametrize(
    ("controller_at", "veto", "outcome"),
    [
        (90, "[B]", 70),  # outside the win-set: its nearest point
        (65, "[B]", 65),  # inside: the controller's own position
        (30, "[B]", 50),  # on the other side of the status quo: the status quo
        (90, "[A, B]", 70),  # the controller listed as a veto player adds nothing
    ],
)
def test_the_veto_bounds_the_controller(tmp_path, name, controller_at, veto, outcome):
    arr = _scenario(tmp_path, controller_at, veto)
    fc = make_model(name).forecast(arr, np.random.default_rng(0))
    assert fc[0, 0] == pytest.approx(outcome)


def test_traded_joint_and_a_missing_controller(tmp_path):
    arr = _scenario(tmp_path, 90)
    fc = np.array([[33.0, 40.0]])
    after = arr.position.copy()
    after[0, 0, 0] = 80  # the controller traded its issue part of the way
    # traded: the controller's position after its exchanges, then the veto's bound
    assert apply_issue_control("traded", arr, fc, after)[0, 0] == pytest.approx(70)
    after[0, 0, 0] = 55
    assert apply_issue_control("traded", arr, fc, after)[0, 0] == pytest.approx(55)
    # joint (nbs): neither rule is imposed afterwards; the participation constraint holds both
    assert apply_issue_control("joint", arr, fc)[0, 0] == 33.0
    # a forum without the controller: the status quo, which every veto player accepts
    gone = replace(arr, controlled_by=("Z", None))
    assert apply_issue_control("fixed", gone, fc)[0, 0] == pytest.approx(50)
