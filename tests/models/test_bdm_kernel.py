"""The optional compiled BDM kernel gives the NumPy rounds' numbers bit for bit.

``detente.models.bdm._rows_kernel`` is compiled with Numba when it is installed and used for the
batch rows after sample 0 (``NUMBA_MIN_ROWS``); these tests force one path or the other. The
kernel is also run uncompiled, as plain Python, so that its logic is checked without Numba.

Bit for bit on every CPU: the NumPy rounds compute their powers with the C library's ``pow``
(``detente.models.bdm._pow``, ``np.float_power``), as Python's ``**`` and Numba's do. NumPy's
own ``**`` runs SIMD routines on CPUs with AVX-512 that differ from ``pow`` by one unit in the
last place in a few per cent of cases (5 341 of 100 000 random pairs on the development machine);
``test_pow_is_libm`` checks that ``_pow`` is not one of those.
"""

from __future__ import annotations

import numpy as np
import pytest

import detente.models.bdm as bdm_mod
from detente.arrays import ScenarioArrays
from detente.models import get_model
from tests import _require

OPTIONS = [
    {},
    {"variant": "scholz", "probability": "pairwise"},
    {"perception": "own"},
    {"offer_choice": "least_move"},
    {"tie_break": "lower_position"},
    {"variant": "scholz", "probability": "pairwise", "tie_break": "lower_position"},
    {"capitulation": False},
    {"stopping": "fixed", "max_rounds": 6},
    {"range_basis": "scale", "forecast": "mean"},
]


def arrays(seed: int, samples: int, actors: int, issues: int, ties: bool) -> ScenarioArrays:
    """Random issues with absent actors; ``ties`` rounds positions to tens (exact ties)."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0.0, 100.0, (samples, actors, issues))
    if ties:
        pos = np.round(pos / 10.0) * 10.0
    sal = rng.uniform(0.1, 1.0, pos.shape)
    cap = rng.uniform(0.1, 1.0, pos.shape)
    mask = rng.random((actors, issues)) > 0.15
    return ScenarioArrays.from_table(pos, sal, cap, mask=mask, scale_min=0.0, scale_max=100.0)


def run(model, a, monkeypatch, min_rows, kernel=None):
    monkeypatch.setattr(bdm_mod, "NUMBA_MIN_ROWS", min_rows)
    if kernel is not None:
        monkeypatch.setattr(bdm_mod, "_compiled_kernel", lambda: kernel)
    return model.simulate(a, None, np.random.default_rng(0))


def test_pow_is_libm():
    """``_pow`` gives Python's (the C library's) ``pow`` bits, for arrays and scalars."""
    rng = np.random.default_rng(0)
    x, r = rng.uniform(0.0, 2.0, 20000), rng.uniform(0.3, 3.0, 20000)
    want = [a**b for a, b in zip(x.tolist(), r.tolist(), strict=True)]
    np.testing.assert_array_equal(bdm_mod._pow(x, r), want)
    np.testing.assert_array_equal(bdm_mod._pow(0.5, r), [0.5**b for b in r.tolist()])
    assert bdm_mod._pow(x, 1.0) is x


def assert_same(x, y):
    """The same run, bit for bit: positions, forecasts and every logged event."""
    assert x.converged == y.converged
    np.testing.assert_array_equal(x.positions, y.positions)  # not to a tolerance
    np.testing.assert_array_equal(x.forecasts, y.forecasts)
    assert x.events == y.events


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(map(str, o.values())) or "default")
def test_python_kernel_equals_numpy_rounds(opts, monkeypatch):
    model = get_model("bdm", **opts)
    for seed, ties in ((1, False), (2, True)):
        a = arrays(seed, samples=4, actors=6, issues=2, ties=ties)
        numpy_run = run(model, a, monkeypatch, 10**9)
        kernel_run = run(model, a, monkeypatch, 0, kernel=bdm_mod._rows_kernel)
        assert_same(numpy_run, kernel_run)


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(map(str, o.values())) or "default")
def test_compiled_kernel_equals_numpy_rounds(opts, monkeypatch):
    _require.module("numba")
    model = get_model("bdm", **opts)
    for seed, (samples, actors, issues, ties) in enumerate(
        [(40, 11, 3, False), (40, 8, 2, True), (12, 30, 1, False), (60, 4, 2, True)]
    ):
        a = arrays(100 + seed, samples, actors, issues, ties)
        compiled = run(model, a, monkeypatch, 0)
        assert_same(run(model, a, monkeypatch, 10**9), compiled)
        assert_same(run(model, a, monkeypatch, 0, kernel=bdm_mod._rows_kernel), compiled)


@pytest.mark.parametrize("max_rounds", [20, 13])
def test_kernel_on_a_cycle(max_rounds, monkeypatch):
    """Sample 0's issue 1 cycles (period 2) to the round limit, with offers in every round: the
    kernel copies the rest of its trajectory and its events from the cycle (``_CYCLE_WINDOW``)
    instead of running the rounds, with the numbers and events of the NumPy rounds."""
    model = get_model("bdm", max_rounds=max_rounds)
    a = arrays(13, samples=1, actors=6, issues=3, ties=False)
    numpy_run = run(model, a, monkeypatch, 10**9)
    h = numpy_run.positions[:, 0, :, 1]
    assert not numpy_run.converged and len(h) == max_rounds + 1
    assert np.array_equal(h[-1], h[-3]) and not np.array_equal(h[-1], h[-2])
    assert_same(numpy_run, run(model, a, monkeypatch, 0, kernel=bdm_mod._rows_kernel))


def test_compiled_kernel_on_a_cycle(monkeypatch):
    _require.module("numba")
    model = get_model("bdm")
    a = arrays(13, samples=1, actors=6, issues=3, ties=False)
    assert_same(run(model, a, monkeypatch, 10**9), run(model, a, monkeypatch, 0))


def test_kernel_is_not_used_where_it_does_not_apply(monkeypatch):
    monkeypatch.setattr(bdm_mod, "NUMBA_MIN_ROWS", 0)
    monkeypatch.setattr(bdm_mod, "_compiled_kernel", lambda: "kernel")
    assert get_model("bdm")._kernel(10) == "kernel"
    for opts in ({"q": 0.5}, {"variant": "scholz"}, {"stopping": "forecast_shift"}):
        assert get_model("bdm", **opts)._kernel(10) is None
    monkeypatch.setattr(bdm_mod, "NUMBA_MIN_ROWS", 64)
    assert get_model("bdm")._kernel(63) is None


def test_without_numba_the_numpy_rounds_run(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.setattr(bdm_mod, "_kernel_cache", [])
    monkeypatch.setattr(bdm_mod, "NUMBA_MIN_ROWS", 0)
    assert bdm_mod._compiled_kernel() is None
    a = arrays(7, samples=5, actors=5, issues=2, ties=False)
    sim = get_model("bdm").simulate(a, None, np.random.default_rng(0))
    assert np.isfinite(sim.positions).all()


def test_kernel_threads_split_the_rows_without_changing_them(monkeypatch):
    _require.module("numba")
    a = arrays(8, samples=30, actors=7, issues=3, ties=True)
    model = get_model("bdm")
    monkeypatch.setattr(bdm_mod, "KERNEL_THREADS", 1)
    one = run(model, a, monkeypatch, 0)
    monkeypatch.setattr(bdm_mod, "KERNEL_THREADS", 3)
    monkeypatch.setattr(bdm_mod, "_ROWS_PER_THREAD", 5)
    assert_same(one, run(model, a, monkeypatch, 0))
