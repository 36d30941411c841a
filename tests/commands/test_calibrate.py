"""``detente calibrate FILE -o model.json`` and ``-m detente:fit=model.json`` (issue 21)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.api import make_model
from detente.arrays import ScenarioArrays
from detente.cli import app
from detente.models import get_model, slot2

from ..analyses.test_backtest import train_path


def test_calibrate_round_trips_the_shipped_fit(tmp_path):
    out = tmp_path / "model.json"
    res = CliRunner().invoke(app, ["calibrate", str(train_path()), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "Use it with -m detente:fit=" in res.stdout
    fit = json.loads(out.read_text())
    assert fit["coefficients"] == pytest.approx(slot2.COEFFICIENTS, abs=1e-9)
    assert fit["smoothing"] == slot2.SMOOTHING
    assert fit["interval_tails"] == slot2.INTERVAL_TAILS
    assert fit["validated_error"]["mae"] < fit["validated_error"]["compromise_mae"]
    assert 0.7 < fit["validated_error"]["monte_carlo_coverage"]["0.8"] < 0.85
    m = make_model(f"detente:fit={out}")
    assert m.options.variant == "slot2"
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, size=(6, 3))
    a = ScenarioArrays.from_table(x, rng.uniform(0.1, 1, (6, 3)), rng.uniform(1, 5, 6))
    shipped = get_model("detente", variant="slot2").forecast(a, rng)
    np.testing.assert_allclose(m.forecast(a, rng), shipped, atol=1e-9)
    assert m.describe()["domain"].startswith("the decided cases in deu-train.tsv")


def test_calibrate_round_trips_in_detentes_own_csv_layout(tmp_path):
    from detente.analyses.power import deu_capabilities
    from detente.io.deu import decided_cases_csv, load_deu

    data = load_deu(train_path())
    cases = tmp_path / "cases.csv"
    cases.write_text(decided_cases_csv(data, deu_capabilities(data, "treaty")))
    out = tmp_path / "model.json"
    res = CliRunner().invoke(app, ["calibrate", str(cases), "-o", str(out)])
    assert res.exit_code == 0, res.output
    fit = json.loads(out.read_text())
    assert fit["coefficients"] == pytest.approx(slot2.COEFFICIENTS, abs=1e-9)
    assert fit["smoothing"] == slot2.SMOOTHING
    assert fit["interval_tails"] == slot2.INTERVAL_TAILS
    assert fit["training"]["capability"] == "as given in the file"
    assert fit["training"]["issues"] == 238


def test_decided_cases_layout_is_checked(tmp_path):
    from detente.io.deu import load_decided_cases

    head = "case,issue,actor,position,salience,capability,outcome,scale_min,scale_max\n"
    good = head + "c1,i1,a,10,50,1,20,0,50\nc1,i1,b,40,100,2,20,0,50\nc1,i2,a,0,50,1,100,0,100\n"
    path = tmp_path / "cases.csv"
    path.write_text(good)
    d = load_decided_cases(path)
    assert d.n_issues == 2 and d.actors == ("a", "b")
    assert d.outcome.tolist() == [40.0, 100.0]  # on 0..100 of each issue's scale
    assert d.proposal_groups().tolist() == [0, 0]
    assert np.isnan(d.position[1, 1])  # b takes no part in i2
    bad = {
        "outcome differs": good.replace("b,40,100,2,20", "b,40,100,2,30"),
        "outside": good.replace("a,10,50,1,20,0,50", "a,60,50,1,20,0,50"),
        "appears twice": good + "c1,i1,a,10,50,1,20,0,50\n",
        "missing column": good.replace("outcome", "result", 1),
    }
    runner = CliRunner()
    for word, text in bad.items():
        path.write_text(text)
        res = runner.invoke(app, ["calibrate", str(path), "-o", str(tmp_path / "m.json")])
        assert res.exit_code == 2, (word, res.output)
        assert "cases.csv:" in res.stderr


def test_calibrate_errors(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["calibrate", str(tmp_path / "none.tsv"), "-o", "x.json"])
    assert res.exit_code == 2 and "cannot read the file" in res.stderr
    res = runner.invoke(app, ["calibrate", str(train_path()), "-o", "x.json", "-c", "nosuch"])
    assert res.exit_code == 2 and "unknown capability" in res.stderr
