"""`detente forecast FILE.csv --json` against hand computations (to 1e-9)."""

from __future__ import annotations

import json

import pytest

from detente.cli import main

# Three actors, uneven capabilities, C takes no part in issue y; y on a custom scale 0-10.
TABLE = """Actor,Issue,Position,Salience,Capability,scale_min,scale_max,note
A,x,10,50,1,,,extra columns are allowed
B,x,90,100,3,,,
C,x,40,20,2,,,
A,y,0,100,1,0,10,
B,y,10,50,1,0,10,
"""

# Hand computation (weights = capability x salience/100):
# x: A 0.5 at 10, B 3.0 at 90, C 0.4 at 40 -> mean (10+90+40)/3 = 46.666..., compromise
#    (5 + 270 + 16)/3.9 = 74.6153846..., median: sorted 10 (0.5), 40 (0.4), 90 (3.0), half of 3.9
#    is 1.95, first reached at 90.
# y: A 1.0 at 0, B 0.5 at 10 (C absent) -> mean 5, compromise 5/1.5 = 3.333..., median 0.
HAND = {
    "mean": {"x": 140 / 3, "y": 5.0},
    "compromise": {"x": 291 / 3.9, "y": 5 / 1.5},
    "median": {"x": 90.0, "y": 0.0},
}


def run_json(args, capsys):
    main(args)
    return json.loads(capsys.readouterr().out)


def test_forecast_matches_hand_computation(tmp_path, capsys):
    f = tmp_path / "table.csv"
    f.write_text(TABLE, encoding="utf-8")
    out = run_json(
        ["forecast", str(f), "--json", "-m", "mean", "-m", "compromise", "-m", "median"], capsys
    )
    assert out["scenario"] == str(f)
    assert out["actors"] == ["A", "B", "C"]
    assert out["issues"] == ["x", "y"]
    for model, expected in HAND.items():
        for issue, value in expected.items():
            assert out["forecasts"][model][issue] == pytest.approx(value, abs=1e-9)


def test_same_seed_gives_identical_bytes(tmp_path, capsys):
    f = tmp_path / "table.csv"
    f.write_text(TABLE, encoding="utf-8")
    main(["forecast", str(f), "--json", "--seed", "3"])
    first = capsys.readouterr().out
    main(["forecast", str(f), "--json", "--seed", "3"])
    assert capsys.readouterr().out == first


def test_simulate_contract(tmp_path, capsys):
    f = tmp_path / "table.csv"
    f.write_text(TABLE, encoding="utf-8")
    out = run_json(["simulate", str(f), "--model", "compromise", "--json"], capsys)
    assert out["model"] == "compromise"
    r0 = out["rounds"][0]
    assert r0["round"] == 0
    assert r0["positions"]["C"] == {"x": 40.0}  # absent from y: not reported there
    assert r0["forecast"]["x"] == pytest.approx(291 / 3.9, abs=1e-9)


def test_table_output_names_issues_and_anchors(capsys):
    main(["forecast", "ec-emissions-1994"])
    out = capsys.readouterr().out
    assert "compromise" in out and "nearest anchor" in out
