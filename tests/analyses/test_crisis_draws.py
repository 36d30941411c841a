"""``detente crisis`` takes its intervals from the Monte Carlo run that gives the outcome model's
numbers (one set of draws, so the two cannot disagree), and the per-draw crisis analysis the
run keeps is independent of how the draws are split into chunks."""

from __future__ import annotations

import numpy as np
import pytest

from detente import api
from detente.analyses.montecarlo import run_montecarlo
from detente.scenario.loading import load_scenario


@pytest.fixture(scope="module")
def russia():
    return load_scenario("russia-nato-2021")


def test_kept_crisis_analysis_is_the_runs_own(russia):
    mc = run_montecarlo(russia, 300, seed=5, models=["compromise", "nbs"], keep_crisis=True)
    drawn = mc["crisis_draws"]
    offer = drawn["offer"]["escalation"]
    assert offer.shape == (300,)  # two blocks (256 + 44) put back in sample order
    # the escalation figures the run reports are means over the same per-draw arrays
    assert mc["escalation"]["offer"] == float(offer.mean())
    for spec in ("compromise", "nbs"):
        assert mc["escalation"]["models"][spec] == float(drawn["models"][spec]["escalation"].mean())
    assert drawn["audience"]["targets_a"].shape[0] == 300
    assert "options" not in drawn  # only per-draw arrays are kept


def test_kept_crisis_analysis_does_not_depend_on_chunks(russia):
    one = run_montecarlo(russia, 300, seed=2, models=["mean"], keep_crisis=True)["crisis_draws"]
    two = run_montecarlo(russia, 300, seed=2, models=["mean"], keep_crisis=True, chunk_size=256)[
        "crisis_draws"
    ]
    np.testing.assert_array_equal(one["range"]["low"], two["range"]["low"])
    np.testing.assert_array_equal(one["models"]["mean"]["gap"], two["models"]["mean"]["gap"])


def test_crisis_intervals_come_from_the_outcome_draws(russia):
    rep = api.crisis(russia, samples=60, seed=4, models=["compromise"])
    mc = run_montecarlo(russia, 60, seed=4, models=["compromise"], keep_crisis=True)
    drawn = mc["crisis_draws"]
    assert rep["samples"] == 60
    low, median, high = np.quantile(drawn["offer"]["escalation"], (0.05, 0.5, 0.95))
    esc = rep["offer"]["escalation"]
    assert (esc["low"], esc["median"], esc["high"]) == (low, median, high)
    assert rep["range"]["empty"]["share_of_draws"] == float(np.mean(drawn["range"]["empty"]))
    # ... and the outcome model's headline is the same run's
    headline = rep["models"]["compromise"]["outcome"]["p_escalation"]
    assert headline == mc["outcome"]["models"]["compromise"]["p_escalation"]
