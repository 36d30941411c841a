"""Issue 23: a kernel that is not compiled yet does not make a short command wait. SMP, exchange
and BDM, whose NumPy paths give the compiled numbers bit for bit, run on NumPy while a detached
process compiles every kernel into the disk cache (detente.models._numba, models/warm.py)."""

from __future__ import annotations

import numpy as np
import pytest

from detente.models import _numba, bdm, exchange, smp
from detente.models import warm as warm_mod
from detente.models.spec import make_model
from detente.scenario import compile_scenario, load_scenario
from tests import _require


class _Cold:
    """A stand-in for a Numba dispatcher with nothing compiled and an empty disk cache."""

    def __init__(self) -> None:
        self.overloads: dict = {}

    class _cache:  # the attribute names of Numba's dispatcher
        class _cache_file:
            @staticmethod
            def _load_index() -> dict:
                return {}


@pytest.fixture
def background(monkeypatch):
    """Commands' default (no DETENTE_COMPILE=now), with the spawn recorded instead of run."""
    monkeypatch.delenv(_numba.COMPILE_ENV, raising=False)
    monkeypatch.delenv(_numba.WARMING_ENV, raising=False)
    started: list[int] = []
    monkeypatch.setattr(_numba, "compile_in_background", lambda: started.append(1) or True)
    return started


def test_ready_reads_the_dispatchers_cache():
    assert _numba.ready(_Cold()) is False
    assert _numba.ready(object()) is True  # not a dispatcher (a test's stand-in): as before
    warm = _Cold()
    warm.overloads = {("sig",): "compiled"}
    assert _numba.ready(warm) is True


def test_usable_compiles_in_the_background_unless_asked_to_compile_now(background, monkeypatch):
    assert _numba.usable(_Cold()) is False and background == [1]
    monkeypatch.setenv(_numba.COMPILE_ENV, "now")
    assert _numba.usable(_Cold()) is True and background == [1]
    monkeypatch.delenv(_numba.COMPILE_ENV)
    monkeypatch.setenv(_numba.WARMING_ENV, "1")  # the background process compiles itself
    assert _numba.usable(_Cold()) is True


def test_the_background_process_starts_once_and_never_from_itself(monkeypatch):
    import subprocess

    calls: list[list[str]] = []

    class Popen:
        def __init__(self, args, **kw):
            calls.append(args)
            assert kw["env"][_numba.WARMING_ENV] == "1" and kw["start_new_session"]

    monkeypatch.setattr(subprocess, "Popen", Popen)
    monkeypatch.setattr(_numba, "_spawned", [])
    monkeypatch.delenv(_numba.WARMING_ENV, raising=False)
    assert _numba.compile_in_background() and _numba.compile_in_background()
    assert calls == [[calls[0][0], "-m", "detente.models.warm"]]
    monkeypatch.setattr(_numba, "_spawned", [])
    monkeypatch.setenv(_numba.WARMING_ENV, "1")
    assert not _numba.compile_in_background() and len(calls) == 1


def test_a_cold_kernel_falls_back_to_numpy_with_the_same_numbers(background, monkeypatch):
    arrays = compile_scenario(
        load_scenario("russia-nato-2021"), samples=3, rng=np.random.default_rng(2)
    )
    monkeypatch.setattr(smp, "NUMBA_MIN_SAMPLES", 10**9)
    monkeypatch.setattr(exchange, "NUMBA_MIN_SAMPLES", 10**9)
    expected = {m: make_model(m).forecast(arrays, np.random.default_rng(0)) for m in ("smp",)}
    monkeypatch.setattr(smp, "NUMBA_MIN_SAMPLES", 0)
    monkeypatch.setattr(exchange, "NUMBA_MIN_SAMPLES", 0)
    monkeypatch.setattr(smp, "_compiled_kernel", _Cold)
    monkeypatch.setattr(exchange, "_compiled_kernel", lambda: (_Cold(), _Cold()))
    model = make_model("smp")
    assert model._kernel(3, 11, 10) is None  # not compiled: NumPy now...
    assert background == [1]  # ...and the kernels are compiled in the background
    np.testing.assert_array_equal(model.forecast(arrays, np.random.default_rng(0)), expected["smp"])
    assert exchange._Round._kernel(object.__new__(exchange._Round), 3) is None


def test_the_background_process_compiles_every_kernel():
    _require.module("numba")
    if _numba.disabled():
        assert warm_mod.compile_kernels() == []
        return
    assert warm_mod.compile_kernels() == list(warm_mod.KERNEL_MODELS)
    for kernel in (smp._compiled_kernel(), *exchange._compiled_kernel()):
        assert kernel.overloads  # compiled, or loaded from the disk cache


def test_a_cold_bdm_kernel_falls_back_to_numpy_with_the_same_numbers(background, monkeypatch):
    arrays = compile_scenario(
        load_scenario("russia-nato-2021"), samples=3, rng=np.random.default_rng(2)
    )
    monkeypatch.setattr(bdm, "NUMBA_MIN_ROWS", 10**9)
    expected = make_model("bdm").simulate(arrays, None, np.random.default_rng(0))
    monkeypatch.setattr(bdm, "NUMBA_MIN_ROWS", 0)
    monkeypatch.setattr(bdm, "_compiled_kernel", _Cold)
    model = make_model("bdm")
    assert model._kernel(30) is None and background == [1]
    got = model.simulate(arrays, None, np.random.default_rng(0))
    np.testing.assert_array_equal(got.positions, expected.positions)
    assert got.events == expected.events
    # a compiled kernel, Python's run of its code here, gives the same numbers
    monkeypatch.setattr(bdm, "_compiled_kernel", lambda: bdm._rows_kernel)
    assert make_model("bdm")._kernel(30) is bdm._rows_kernel
    run = make_model("bdm").simulate(arrays, None, np.random.default_rng(0))
    np.testing.assert_array_equal(run.positions, expected.positions)
    np.testing.assert_array_equal(run.forecasts, expected.forecasts)


def test_a_second_background_compiler_leaves_while_the_first_holds_the_lock(monkeypatch):
    # commands started together on an empty cache each start one; only one compiles
    fcntl = pytest.importorskip("fcntl")
    ran: list[int] = []
    monkeypatch.setattr(warm_mod, "compile_kernels", lambda samples=2: ran.append(1) or ["smp"])
    with open(warm_mod.lock_path(), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            assert warm_mod.compile_kernels_once() is None
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
    assert ran == []
    assert warm_mod.compile_kernels_once() == ["smp"]  # free again: it compiles
    assert ran == [1]
