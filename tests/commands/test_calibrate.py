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
    m = make_model(f"detente:fit={out}")
    assert m.options.variant == "slot2"
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, size=(6, 3))
    a = ScenarioArrays.from_table(x, rng.uniform(0.1, 1, (6, 3)), rng.uniform(1, 5, 6))
    shipped = get_model("detente", variant="slot2").forecast(a, rng)
    np.testing.assert_allclose(m.forecast(a, rng), shipped, atol=1e-9)
    assert m.describe()["domain"].startswith("the decided cases in deu-train.tsv")


def test_calibrate_errors(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["calibrate", str(tmp_path / "none.tsv"), "-o", "x.json"])
    assert res.exit_code == 2 and "cannot read the file" in res.stderr
    res = runner.invoke(app, ["calibrate", str(train_path()), "-o", "x.json", "-c", "nosuch"])
    assert res.exit_code == 2 and "unknown capability" in res.stderr
