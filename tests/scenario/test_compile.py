"""Compiling scenarios to batched arrays: centres, draws, masks, overrides, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from detente.scenario import compile_scenario
from detente.scenario.loading import parse
from detente.scenario.uncertain import Uncertain

DOC = """
meta: {title: compile test}
actors:
  - {id: A, capability: [1, 3]}
  - {id: B, capability: 2, audience_sensitivity: 0.5}
  - {id: C, capability: {dist: normal, mean: 1, sd: 10}}
issues:
  - {id: x, status_quo: {dist: triangular, low: 0, mode: 20, high: 80}}
  - {id: y, scale: {min: -5, max: 5}}
stances:
  - {actor: A, issue: x, position: {dist: normal, mean: 50, sd: 100}, salience: 80}
  - {actor: B, issue: x, position: 90, salience: [40, 60], demand: 100, publicity: 1}
  - {actor: C, issue: x, position: 10, salience: 30, capability: 7}
  - {actor: A, issue: y, position: -5, salience: 100}
  - {actor: B, issue: y, position: 5, salience: 50}
"""


@pytest.fixture(scope="module")
def scenario():
    return parse(DOC, "doc.yaml", "yaml").scenario


def test_point_compile_uses_centres(scenario):
    a = compile_scenario(scenario)
    assert a.position.shape == (1, 3, 2)
    assert a.capability[0, :, 0].tolist() == [2.0, 2.0, 7.0]  # C's per-issue override
    assert a.capability[0, :, 1].tolist() == [2.0, 2.0, 0.0]  # C absent from y
    assert a.mask.tolist() == [[True, True], [True, True], [True, False]]
    assert a.salience[0, 1, 0] == pytest.approx(0.5)
    assert a.status_quo[0, 0] == 20.0  # triangular: the mode
    assert np.isnan(a.status_quo[0, 1])
    assert a.position[0, 2, 1] == 0.0  # absent pair holds the scale midpoint
    assert a.demand[0, 1, 0] == 100.0 and np.isnan(a.demand[0, 0, 0])
    assert a.publicity[0, 1, 0] == 1.0
    assert a.audience_sensitivity[0].tolist() == [0.0, 0.5, 0.0]


def test_monte_carlo_draws_are_clipped_and_reproducible(scenario):
    a = compile_scenario(scenario, samples=2000, rng=np.random.default_rng(5))
    b = compile_scenario(scenario, samples=2000, rng=np.random.default_rng(5))
    assert np.array_equal(a.position, b.position)
    assert a.position[:, 0, 0].min() >= 0 and a.position[:, 0, 0].max() <= 100
    assert a.capability[:, 2, 1].max() == 0.0
    assert (a.capability[:, 0, 1] >= 1).all() and (a.capability[:, 0, 1] <= 3).all()
    assert a.salience[:, 1, 0].min() >= 0.4 and a.salience[:, 1, 0].max() <= 0.6
    assert a.position[:, 1, 0].tolist() == [90.0] * 2000  # points are not drawn
    sq = a.status_quo[:, 0]
    assert 0 <= sq.min() and sq.max() <= 80 and abs(sq.mean() - 100 / 3) < 2
    c = compile_scenario(scenario, samples=2000, rng=np.random.default_rng(6))
    assert not np.array_equal(a.position, c.position)


def test_monte_carlo_needs_a_generator(scenario):
    with pytest.raises(ValueError, match="Generator"):
        compile_scenario(scenario, samples=3)


@pytest.mark.parametrize(
    ("raw", "centre", "support"),
    [
        (4, 4.0, (4.0, 4.0)),
        ([2, 6], 4.0, (2.0, 6.0)),
        ({"dist": "normal", "mean": 4, "sd": 1}, 4.0, (-np.inf, np.inf)),
        ({"dist": "beta", "alpha": 1, "beta": 3, "low": 0, "high": 100}, 25.0, (0.0, 100.0)),
        ({"value": 4, "why": "rationale"}, 4.0, (4.0, 4.0)),
    ],
)
def test_uncertain_centre_and_support(raw, centre, support):
    u = Uncertain.model_validate(raw)
    assert u.centre == pytest.approx(centre)
    assert u.support == support
