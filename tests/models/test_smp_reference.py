"""The batched SMP against an independent plain-Python reference (``benchmarks/reference_smp.py``).

The reference is written from ``shared/reference/ktab-smp.md`` with lists and floats, one draw
at a time, default options only. Random small cases (3-5 actors, 1-2 issues) are compared after
one and two turns and at the stop rule: positions and forecasts agree to rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks import reference_smp as ref

from detente.arrays import ScenarioArrays
from detente.models import get_model


def small_case(seed: int, n: int, d: int) -> ScenarioArrays:
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 100, (1, n, d)).round(0)
    sal = rng.uniform(0.1, 1.0, (1, n, d))
    sal /= np.maximum(sal.sum(axis=2, keepdims=True), 1.0)
    cap = np.repeat(rng.uniform(10, 100, (1, n, 1)), d, axis=2)
    return ScenarioArrays.from_table(pos, sal, cap)


CASES = [(seed, n, d) for seed in range(4) for n, d in ((4, 1), (3, 2), (5, 2))]


@pytest.mark.parametrize(("seed", "n", "d"), CASES)
@pytest.mark.parametrize("turns", [1, 2, None])
def test_batched_model_equals_plain_python_reference(seed, n, d, turns):
    a = small_case(seed, n, d)
    sim = get_model("smp").simulate(a, turns, np.random.default_rng(0))
    x, sal, cap, mask, _, _ = ref.inputs(a)
    x_ref, _, t_ref = ref.run(x, sal, cap, mask, turns)
    assert int(sim.turns[0]) == t_ref
    x_batched = (sim.positions[-1, 0] - a.scale_min) / a.scale_width
    np.testing.assert_allclose(x_batched, x_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sim.final[0], ref.forecast(a, turns=turns), rtol=0, atol=1e-9)
