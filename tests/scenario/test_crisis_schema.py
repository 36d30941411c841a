"""The crisis section: parsing, cross-checks with locations, and compilation to arrays.

Reference numbers are from /work/shared/reference/models.md (sections B and C) or computed by hand
in the comments; the section's contract is docs/scenario-format.md, "Crisis".
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from detente.scenario.crisis import CostBelief, compile_crisis, scenario_arrays
from detente.scenario.schema import Scenario, cross_check, json_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"


def base() -> dict:
    """Core sections with the actors and issues the format doc's crisis example names."""
    return {
        "meta": {"title": "crisis test"},
        "actors": [
            {"id": "RUS", "capability": 30, "audience_sensitivity": 0.6},
            {"id": "USA", "capability": 100},
            {"id": "NATO_REST", "capability": 40},
        ],
        "issues": [
            {"id": "enlargement", "status_quo": 100},
            {"id": "ukraine_cooperation", "scale": {"min": -50, "max": 50}},
            {"id": "arms"},
        ],
        "stances": [
            {"actor": "RUS", "issue": "enlargement", "position": 5, "salience": 95},
            {"actor": "USA", "issue": "enlargement", "position": 90, "salience": 80},
            {"actor": "NATO_REST", "issue": "enlargement", "position": 80, "salience": 60},
            {"actor": "RUS", "issue": "ukraine_cooperation", "position": -40, "salience": 80},
            {"actor": "USA", "issue": "ukraine_cooperation", "position": 30, "salience": 50},
            {"actor": "USA", "issue": "arms", "position": 50, "salience": 50},
        ],
    }


def doc_crisis() -> dict:
    """The crisis example of docs/scenario-format.md, parsed from the doc itself."""
    text = DOC.read_text()
    block = re.search(r"```yaml\n(crisis:\n.*?)```", text, re.S)
    assert block, "the format doc has no crisis example"
    return yaml.safe_load(block.group(1))["crisis"]


def scenario(**crisis) -> Scenario:
    d = base()
    c = doc_crisis()
    c.update(crisis)
    d["crisis"] = {k: v for k, v in c.items() if v is not None}
    return Scenario.model_validate(d)


def problems(**crisis) -> list:
    return cross_check(scenario(**crisis))


def test_doc_example_parses_and_is_clean():
    sc = scenario()
    assert sc.crisis.challenger == "RUS"
    assert sc.crisis.targets == ["USA", "NATO_REST"]
    assert sc.crisis.proposer_id == "USA"
    assert cross_check(sc) == []


def test_section_is_optional_and_in_json_schema():
    assert Scenario.model_validate(base()).crisis is None
    schema = json_schema()
    assert "crisis" in schema["properties"]
    assert {"Crisis", "Mobilisation", "PowerShift", "Brinkmanship"} <= set(schema["$defs"])


def test_unknown_key_is_an_error():
    with pytest.raises(ValidationError, match="hazard"):
        scenario(brinkmanship={"hazard": 0.03})
    with pytest.raises(ValidationError):
        scenario(p_winn=0.5)


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        ({"challenger": "CHN"}, ("crisis", "challenger"), "unknown actor 'CHN'"),
        ({"targets": ["USA", "XX"]}, ("crisis", "targets", 1), "unknown actor 'XX'"),
        ({"targets": ["USA", "RUS"]}, ("crisis", "targets", 1), "is the challenger"),
        ({"targets": ["USA", "USA"]}, ("crisis", "targets", 1), "listed twice"),
        ({"proposer": "NATO_REST2"}, ("crisis", "proposer"), "must be the challenger or"),
        (
            {"stakes": {"enlargement": 1, "trade": 1}},
            ("crisis", "stakes", "trade"),
            "unknown issue",
        ),
        ({"stakes": {"enlargement": -0.5}}, ("crisis", "stakes", "enlargement"), "0 or more"),
        (
            {"stakes": {"enlargement": 0, "ukraine_cooperation": 0}},
            ("crisis", "stakes"),
            "all zero",
        ),
        ({"stakes": {"arms": 1}}, ("crisis", "stakes", "arms"), "has no stance"),
        ({"p_win": 1.2}, ("crisis", "p_win"), "0 to 1"),
        ({"p_win": [0.5, 1.1]}, ("crisis", "p_win"), "0 to 1"),
        ({"cost_challenger": -0.1}, ("crisis", "cost_challenger"), "0 or more"),
        ({"cost_target": [-0.1, 0.2]}, ("crisis", "cost_target"), "0 or more"),
        (
            {"private_cost": {"dist": "normal", "mean": -0.1, "sd": 0.1}},
            ("crisis", "private_cost"),
            "0 or more",
        ),
        ({"deadline_months": -1}, ("crisis", "deadline_months"), "0 or more"),
        ({"deadline_months": None}, ("crisis", "talks_months"), "needs deadline_months"),
        ({"audience_cost_convexity": 0.5}, ("crisis", "audience_cost_convexity"), "1 or more"),
        (
            {"mobilisation": {"cost_per_month": -0.02, "months": 9, "value_max": 1.5}},
            ("crisis", "mobilisation", "cost_per_month"),
            "0 or more",
        ),
        (
            {"mobilisation": {"cost_per_month": 0.02, "months": -2, "value_max": 1.5}},
            ("crisis", "mobilisation", "months"),
            "0 or more",
        ),
        (
            {"mobilisation": {"cost_per_month": 0.02, "months": 9, "value_max": 0}},
            ("crisis", "mobilisation", "value_max"),
            "above 0",
        ),
        (
            {"power_shift": {"p_future": 1.5, "discount": 0.9}},
            ("crisis", "power_shift", "p_future"),
            "0 to 1",
        ),
        (
            {"power_shift": {"p_future": 0.5, "discount": 1}},
            ("crisis", "power_shift", "discount"),
            "below 1",
        ),
        (
            {"brinkmanship": {"hazard_per_month": -0.01}},
            ("crisis", "brinkmanship", "hazard_per_month"),
            "0 or more",
        ),
    ],
)
def test_cross_checks_name_field_and_what_is_allowed(change, loc, words):
    found = problems(**change)
    assert [p for p in found if p[0] == loc and words in p[1]], found


def test_all_problems_reported_at_once():
    found = problems(challenger="CHN", p_win=2, cost_target=-1)
    locs = {p[0] for p in found}
    assert {("crisis", "challenger"), ("crisis", "p_win"), ("crisis", "cost_target")} <= locs


def test_import_order_does_not_matter():
    # importing the section module first must still give a Scenario that knows the section
    code = (
        "import detente.scenario.crisis\n"
        "from detente.scenario.schema import Scenario\n"
        "import sys\n"
        "sys.exit(0 if 'crisis' in Scenario.model_json_schema()['properties'] else 1)\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": src}, check=False)
    assert done.returncode == 0


# ------------------------------------------------------------------------------------------
# Compilation


def test_point_compile_uses_centres_and_normalises_stakes():
    cr = compile_crisis(scenario())
    assert cr.n_samples == 1
    # stakes 0.5 and 0.3 -> 0.625 and 0.375; 'arms' is not at stake
    np.testing.assert_allclose(cr.stakes[0], [0.625, 0.375, 0.0])
    np.testing.assert_allclose(cr.p_win, [0.65])  # centre of [0.55, 0.75]
    np.testing.assert_allclose(cr.cost_challenger, [0.2])
    np.testing.assert_allclose(cr.cost_target, [0.15])
    np.testing.assert_allclose(cr.kappa, [1.5])
    np.testing.assert_allclose(cr.value_max, [1.5])
    assert cr.belief.kind == "normal"
    np.testing.assert_allclose(cr.belief.params["mean"], [0.2])
    np.testing.assert_allclose(cr.ideal[0, :2], [5.0, -40.0])


def test_pie_share_mapping():
    cr = compile_crisis(scenario())
    # o = the challenger's ideal everywhere: share 1
    assert cr.share(np.array([[5.0, -40.0, 0.0]]))[0] == pytest.approx(1.0)
    # enlargement at 55 (50 points from 5 on a 100-wide scale): issue share 0.5;
    # ukraine at 10 (50 from -40 on a 100-wide scale): 0.5 -> 0.625*0.5 + 0.375*0.5 = 0.5
    assert cr.share(np.array([[55.0, 10.0, 0.0]]))[0] == pytest.approx(0.5)
    # 'farthest': enlargement share 0 at 100 (95 from 5), ukraine share 0 at 50 (90 from -40)
    far = compile_crisis(scenario(), pie_zero="farthest")
    assert far.share(np.array([[100.0, 50.0, 0.0]]))[0] == pytest.approx(0.0)
    # enlargement at 52.5: 1 - 47.5/95 = 0.5; ukraine at 5: 1 - 45/90 = 0.5
    assert far.share(np.array([[52.5, 5.0, 0.0]]))[0] == pytest.approx(0.5)
    # a batch of outcomes per sample, shape (S, K, D) -> (S, K)
    many = cr.share(np.array([[[5.0, -40.0, 0.0], [55.0, 10.0, 0.0]]]))
    np.testing.assert_allclose(many, [[1.0, 0.5]])


def test_monte_carlo_compile_draws_within_ranges_and_is_seeded():
    sc = scenario()
    a = compile_crisis(sc, samples=500, rng=np.random.default_rng(3))
    b = compile_crisis(sc, samples=500, rng=np.random.default_rng(3))
    assert a.n_samples == 500
    np.testing.assert_array_equal(a.p_win, b.p_win)
    assert a.p_win.min() >= 0.55 and a.p_win.max() <= 0.75
    assert a.cost_challenger.min() >= 0.1 and a.cost_challenger.max() <= 0.3
    assert np.ptp(a.p_win) > 0.1  # actually drawn
    np.testing.assert_allclose(a.stakes.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="Generator"):
        compile_crisis(sc, samples=10)


def test_compile_reads_the_runs_arrays():
    sc = scenario()
    arrays = scenario_arrays(sc, 50, np.random.default_rng(1))
    cr = compile_crisis(sc, arrays, 50, np.random.default_rng(2))
    np.testing.assert_array_equal(cr.ideal, arrays.position[:, 0, :])
    with pytest.raises(ValueError, match="samples"):
        compile_crisis(sc, arrays, 49, np.random.default_rng(2))


def test_belief_defaults_to_the_responders_cost():
    # proposer USA (a target): the responder is the challenger, whose cost is [0.1, 0.3]
    cr = compile_crisis(scenario(private_cost=None))
    assert cr.belief.kind == "uniform"
    np.testing.assert_allclose(cr.belief.params["low"], [0.1])
    np.testing.assert_allclose(cr.belief.params["high"], [0.3])
    # proposer RUS: the responder is the targets' side, cost [0.1, 0.2]
    cr = compile_crisis(scenario(private_cost=None, proposer="RUS"))
    np.testing.assert_allclose(cr.belief.params["high"], [0.2])
    # a degenerate distribution is a point belief (complete information)
    assert CostBelief.from_number(scenario(private_cost=0.2).crisis.private_cost, 2).kind == (
        "point"
    )


def test_public_demands_become_pie_shares_and_audience_costs():
    d = base()
    d["stances"][0].update(demand=0, publicity=1)  # RUS demands 0 on enlargement, ideal 5
    d["stances"][1].update(demand=100, publicity=0.5)  # USA demands 100
    d["crisis"] = {
        "challenger": "RUS",
        "targets": ["USA"],
        "stakes": {"enlargement": 1},
        "p_win": 0.5,
        "cost_challenger": 0.1,
        "cost_target": 0.1,
    }
    d["actors"][1]["audience_sensitivity"] = 2
    cr = compile_crisis(Scenario.model_validate(d))
    # RUS: demand 0 is 5 points from its ideal: share 0.95; a = 0.6 * 1 (publicity)
    np.testing.assert_allclose(cr.demand_challenger, [0.95])
    np.testing.assert_allclose(cr.audience_challenger, [0.6])
    # USA: demand 100 is 95 points from RUS's ideal: RUS share 0.05; a = 2 * 0.5
    np.testing.assert_allclose(cr.demand_targets, [[0.05]])
    np.testing.assert_allclose(cr.audience_targets, [[1.0]])


def test_talks_without_a_deadline_is_one_line_naming_the_file_and_field(tmp_path, capsys):
    """Talks are timed against the deadline: alone they would silently change nothing."""
    from detente.cli import main

    d = base()
    d["crisis"] = {k: v for k, v in doc_crisis().items() if k != "deadline_months"}
    f = tmp_path / "talks.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    for argv in (["validate", str(f)], ["crisis", str(f), "--samples", "4"]):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines
        where = r"talks\.yaml:\d+: crisis\.talks_months: "
        assert re.search(where + "talks_months needs deadline_months", lines[0]), lines[0]
    assert problems(talks_months=None, deadline_months=None) == []  # neither: no time pressure
