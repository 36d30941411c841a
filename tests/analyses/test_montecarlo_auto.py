"""Issue 23: ``backend="auto"`` (the CLI's default) runs large Monte Carlo runs on worker
processes, with the driver running the first block itself before the workers fork; the JSON
is byte-identical to a run in one process."""

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


def test_on_processes_the_first_block_is_a_chunk_of_its_own():
    assert mc._spans(1000, 256, 512, "processes") == [(0, 256), (256, 768), (768, 1000)]
    assert mc._spans(200, 256, 512, "processes") == [(0, 200)]
    assert mc._spans(1000, 256, 512, "local") == mc.chunks(1000, 256, 512)
    # every sample once, in order, in whole blocks
    spans = mc._spans(5000, 256, 1250, "processes")
    assert spans[0] == (0, 256) and spans[-1][1] == 5000
    assert all(a % 256 == 0 and a == z0 for (a, _), (_, z0) in zip(spans[1:], spans, strict=False))


def test_auto_on_processes_gives_the_local_bytes(monkeypatch):
    """The driver runs block 0, forked workers the rest: the same JSON as in one process."""
    sc = load_scenario("russia-nato-2021")
    run = dict(samples=96, seed=5, models=["compromise", "nbs", "detente"], block_size=16)
    ref = json.dumps(mc.run_montecarlo(sc, **run), allow_nan=False)
    monkeypatch.setattr(mc, "AUTO_PROCESSES_MIN", 64)
    monkeypatch.setattr(mc, "usable_cpus", lambda: 2)
    assert mc.resolve_backend("auto", 96) == "processes"
    seen = []
    out = mc.run_montecarlo(sc, **run, backend="auto", progress=seen.append)
    assert json.dumps(out, allow_nan=False) == ref
    assert seen[0] == 16 and seen[-1] == 96  # the driver's block first, then the workers'


def test_the_facade_accepts_auto():
    api.check_montecarlo_options(10, "auto", None)
    api.check_montecarlo_options(10, "auto", "tcp://127.0.0.1:8786")  # a scheduler: dask
    with pytest.raises(InputError, match="allowed: local, processes, dask, auto"):
        api.check_montecarlo_options(10, "mpi", None)
