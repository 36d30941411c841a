"""Issue 23: ``backend="auto"`` (the CLI's default) runs large Monte Carlo runs on worker
processes; the driver loads the models and kernels on a few draws before the workers fork, and
the JSON is byte-identical to a run in one process."""

from __future__ import annotations

import json

import pytest

from detente import api
from detente.analyses import montecarlo as mc
from detente.errors import InputError
from detente.scenario import load_scenario


def test_auto_picks_processes_for_large_runs_on_two_cpus(monkeypatch):
    monkeypatch.setattr(mc, "usable_cpus", lambda: 2)
    assert mc.resolve_backend("auto", mc.AUTO_PROCESSES_MIN) == "processes"
    assert mc.resolve_backend("auto", mc.AUTO_PROCESSES_MIN - 1) == "local"
    assert mc.resolve_backend("auto", 10, scheduler="tcp://127.0.0.1:8786") == "dask"
    for name in ("local", "processes", "dask"):
        assert mc.resolve_backend(name, 10**6) == name
    monkeypatch.setattr(mc, "usable_cpus", lambda: 1)
    assert mc.resolve_backend("auto", 10**6) == "local"


def test_usable_cpus_is_a_positive_count():
    assert mc.usable_cpus() >= 1


def test_the_driver_warms_up_on_a_few_draws_on_the_compiled_paths(monkeypatch):
    from detente.models import bdm, nbs, smp

    sc = load_scenario("russia-nato-2021")
    params = mc.uncertain_parameters(sc)
    values = mc.draw_values(params, 40, mc.inputs_rng(0))
    plan = mc.Plan(scenario=sc, params=tuple(params), models=("compromise", "bdm"), seed=0)
    thresholds = (bdm.NUMBA_MIN_ROWS, smp.NUMBA_MIN_SAMPLES, nbs.NUMBA_MIN_SAMPLES)
    seen = []
    real = mc.run_block

    def spy(plan, values, block):
        seen.append((values.shape[1], block, bdm.NUMBA_MIN_ROWS, smp.NUMBA_MIN_SAMPLES))
        return real(plan, values, block)

    monkeypatch.setattr(mc, "run_block", spy)
    mc._warm_up(plan, values)
    assert seen == [(mc.WARM_UP_DRAWS, 0, 0, 0)]
    assert (bdm.NUMBA_MIN_ROWS, smp.NUMBA_MIN_SAMPLES, nbs.NUMBA_MIN_SAMPLES) == thresholds


def test_auto_on_processes_gives_the_local_bytes(monkeypatch):
    """Forked workers run every block after the driver's warm-up: the same JSON as in one
    process."""
    sc = load_scenario("russia-nato-2021")
    run = dict(samples=96, seed=5, models=["compromise", "nbs", "detente"], block_size=16)
    ref = json.dumps(mc.run_montecarlo(sc, **run), allow_nan=False)
    monkeypatch.setattr(mc, "AUTO_PROCESSES_MIN", 64)
    monkeypatch.setattr(mc, "usable_cpus", lambda: 2)
    assert mc.resolve_backend("auto", 96) == "processes"
    seen = []
    out = mc.run_montecarlo(sc, **run, backend="auto", progress=seen.append)
    assert json.dumps(out, allow_nan=False) == ref
    assert seen[0] == 16 and seen[-1] == 96  # block by block, as they finish


def test_the_facade_accepts_auto():
    api.check_montecarlo_options(10, "auto", None)
    api.check_montecarlo_options(10, "auto", "tcp://127.0.0.1:8786")  # a scheduler: dask
    with pytest.raises(InputError, match="allowed: local, processes, dask, auto"):
        api.check_montecarlo_options(10, "mpi", None)


def test_a_failing_warm_up_changes_nothing(monkeypatch):
    """The warm-up only loads code: if it fails, the workers run every block as before and the
    run gives the same JSON."""
    sc = load_scenario("russia-nato-2021")
    run = dict(samples=64, seed=5, models=["compromise"], block_size=16)
    ref = json.dumps(mc.run_montecarlo(sc, **run), allow_nan=False)
    real = mc.run_block
    sizes = []

    def flaky(plan, values, block):
        sizes.append(values.shape[1])
        if values.shape[1] == mc.WARM_UP_DRAWS:
            raise RuntimeError("warm-up failed")
        return real(plan, values, block)

    monkeypatch.setattr(mc, "run_block", flaky)
    monkeypatch.setattr(mc, "usable_cpus", lambda: 2)
    out = mc.run_montecarlo(sc, **run, backend="processes")
    assert json.dumps(out, allow_nan=False) == ref
    assert sizes == [mc.WARM_UP_DRAWS]  # the blocks ran on the workers
