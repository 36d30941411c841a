"""The optional compiled BDM kernel gives the NumPy rounds' numbers bit for bit.

``detente.models.bdm._rows_kernel`` is compiled with Numba when it is installed and used for the
batch rows after sample 0 (``NUMBA_MIN_ROWS``); these tests force one path or the other. The
kernel is also run uncompiled, as plain Python, so that its logic is checked without Numba.

Bit for bit holds where NumPy's ``x ** r`` is the C library's ``pow`` (as Python's and Numba's
are). On CPUs with AVX-512, NumPy 2 computes float64 powers with its own SIMD routines, which
differ from ``pow`` by one unit in the last place in a few per cent of cases (measured here on
2026-12-05: 5 341 of 100 000 random pairs). There the paths are compared to 1e-11 on the 0..100
scale, and every logged event (who challenged whom, which offer, in which round) must still be
the same: a one-ULP difference moves numbers, not decisions, on these cases.
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


def _numpy_power_is_libm() -> bool:
    """Whether NumPy's float64 ``**`` gives the C library's ``pow`` bits on this CPU."""
    rng = np.random.default_rng(0)
    x, r = rng.uniform(0.0, 2.0, 4096), rng.uniform(0.3, 3.0, 4096)
    return bool(np.array_equal(x**r, [a**b for a, b in zip(x.tolist(), r.tolist(), strict=True)]))


POWER_IS_LIBM = _numpy_power_is_libm()
ULP_ATOL = 1e-11  # on the 0..100 scale: a few units in the last place, carried over the rounds


def _same_event(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        np.isclose(a[k], b[k], rtol=0, atol=ULP_ATOL) if isinstance(a[k], float) else a[k] == b[k]
        for k in a
    )


def assert_same(x, y, bitwise: bool = True):
    """The same run: bit for bit, or (``bitwise=False``, NumPy against the kernel on a CPU
    whose NumPy power is not libm's) the same events with numbers within ``ULP_ATOL``."""
    assert x.converged == y.converged
    if bitwise or POWER_IS_LIBM:
        np.testing.assert_array_equal(x.positions, y.positions)  # not to a tolerance
        np.testing.assert_array_equal(x.forecasts, y.forecasts)
        assert x.events == y.events
        return
    np.testing.assert_allclose(x.positions, y.positions, rtol=0, atol=ULP_ATOL)
    np.testing.assert_allclose(x.forecasts, y.forecasts, rtol=0, atol=ULP_ATOL)
    assert len(x.events) == len(y.events)
    for ex, ey in zip(x.events, y.events, strict=True):
        assert len(ex) == len(ey) and all(map(_same_event, ex, ey))


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(map(str, o.values())) or "default")
def test_python_kernel_equals_numpy_rounds(opts, monkeypatch):
    model = get_model("bdm", **opts)
    for seed, ties in ((1, False), (2, True)):
        a = arrays(seed, samples=4, actors=6, issues=2, ties=ties)
        numpy_run = run(model, a, monkeypatch, 10**9)
        kernel_run = run(model, a, monkeypatch, 0, kernel=bdm_mod._rows_kernel)
        assert_same(numpy_run, kernel_run, bitwise=False)


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(map(str, o.values())) or "default")
def test_compiled_kernel_equals_numpy_rounds(opts, monkeypatch):
    _require.module("numba")
    model = get_model("bdm", **opts)
    for seed, (samples, actors, issues, ties) in enumerate(
        [(40, 11, 3, False), (40, 8, 2, True), (12, 30, 1, False), (60, 4, 2, True)]
    ):
        a = arrays(100 + seed, samples, actors, issues, ties)
        compiled = run(model, a, monkeypatch, 0)
        if POWER_IS_LIBM:
            assert_same(run(model, a, monkeypatch, 10**9), compiled)
        else:
            # NumPy's SIMD powers differ in the last bit, and on these longer runs a late choice
            # between tied offers can follow that bit; the kernel's own code run as Python uses
            # libm's pow like the compiled kernel, so the two must agree bit for bit
            python = run(model, a, monkeypatch, 0, kernel=bdm_mod._rows_kernel)
            assert_same(python, compiled)


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
