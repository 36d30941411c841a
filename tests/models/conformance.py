"""Generic conformance suite that every registered model inherits.

A model's own test module may subclass :class:`ModelConformance` to run the suite with
non-default options (``options = {...}``); ``test_conformance.py`` runs it for every registered
model with its default options, so no model can be added without passing it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from detente.arrays import ScenarioArrays
from detente.models import get_model


def random_arrays(seed: int, samples: int = 3, actors: int = 6, issues: int = 3) -> ScenarioArrays:
    """Random but tie-free inputs on two different scales, with one missing actor-issue pair."""
    rng = np.random.default_rng(seed)
    lo = np.array([0.0, -5.0, 0.0])[:issues]
    hi = np.array([100.0, 5.0, 10.0])[:issues]
    pos = lo + rng.random((samples, actors, issues)) * (hi - lo)
    sal = 0.2 + 0.8 * rng.random((samples, actors, issues))
    cap = 0.5 + rng.random((samples, actors, 1)) * 3
    mask = np.ones((actors, issues), dtype=bool)
    mask[-1, 0] = False
    sq = lo + rng.random((samples, issues)) * (hi - lo)
    return ScenarioArrays.from_table(
        pos,
        sal,
        np.broadcast_to(cap, pos.shape),
        mask=mask,
        scale_min=lo,
        scale_max=hi,
        status_quo=sq,
    )


class ModelConformance:
    """Properties any model must have. Subclasses set ``model`` and optionally ``options``."""

    model: ClassVar[str]
    options: ClassVar[dict[str, Any]] = {}
    atol: ClassVar[float] = 1e-7

    def make(self):
        return get_model(self.model, **self.options)

    def run(self, arrays: ScenarioArrays) -> np.ndarray:
        return self.make().forecast(arrays, np.random.default_rng(12345))

    def test_metadata(self):
        m = self.make()
        d = m.describe()
        assert d["model"] == self.model
        assert d["citation"].strip()
        assert isinstance(d["options"], dict)

    def test_output_shape_finite_and_on_scale(self):
        a = random_arrays(1)
        out = self.run(a)
        assert out.shape == (a.n_samples, a.n_issues)
        assert np.all(np.isfinite(out))
        assert np.all(out >= a.scale_min - 1e-9)
        assert np.all(out <= a.scale_max + 1e-9)

    def test_batch_shape_invariance(self):
        a = random_arrays(2, samples=4)
        together = self.run(a)
        alone = np.concatenate([self.run(a.take_samples(i)) for i in range(a.n_samples)])
        np.testing.assert_allclose(together, alone, atol=self.atol, rtol=0)

    def test_actor_permutation_changes_nothing(self):
        a = random_arrays(3)
        perm = np.random.default_rng(7).permutation(a.n_actors)
        permuted = self.run(a.take_actors(perm))
        np.testing.assert_allclose(self.run(a), permuted, atol=self.atol, rtol=0)

    def test_unanimity_returns_common_position(self):
        a = random_arrays(4)
        common = a.position[:, :1, :]
        same = a.with_positions(np.broadcast_to(common, a.position.shape).copy())
        out = self.run(same)
        np.testing.assert_allclose(out, common[:, 0, :], atol=self.atol, rtol=0)
