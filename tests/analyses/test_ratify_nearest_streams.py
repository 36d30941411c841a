"""The nearest-package searches of ``ratify --nearest`` (issue 23): each package's search draws
from its own stream of the seed, so its result does not depend on the other packages, their
order or the number of worker processes; the faster candidate checks and pull give the
searches' results bit for bit."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from detente import api
from detente.analyses import montecarlo
from detente.analyses import ratification as R
from detente.analyses import ratify_report as RR
from detente.scenario.ratification import CompiledBody


def _nearest(report: dict) -> dict[tuple[str, str], object]:
    return {(p["id"], f["form"]): f.get("nearest") for p in report["packages"] for f in p["forms"]}


@pytest.fixture(scope="module")
def treaty() -> dict:
    """Every package of the default scenario in the treaty form (none is ratified)."""
    return api.ratify(forms=["treaty"], nearest=True, seed=3)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need os.fork")
def test_the_report_is_the_same_for_any_number_of_workers(treaty: dict) -> None:
    text = json.dumps(treaty)
    for workers in (2, 3):
        assert json.dumps(api.ratify(forms=["treaty"], nearest=True, seed=3, workers=workers)) == (
            text
        )


def test_a_package_search_does_not_depend_on_the_other_packages(treaty: dict) -> None:
    near = _nearest(treaty)
    assert len(near) == 12 and all(v is not None for v in near.values())
    alone = api.ratify(forms=["treaty"], proposal="frolov-compromise", nearest=True, seed=3)
    assert _nearest(alone) == {k: v for k, v in near.items() if k[0] == "frolov-compromise"}
    # another seed moves it
    other = api.ratify(forms=["treaty"], proposal="frolov-compromise", nearest=True, seed=4)
    assert _nearest(other) != _nearest(alone)


def test_the_search_streams_are_keyed_apart_from_the_other_streams() -> None:
    assert RR.NEAREST_KEY not in (montecarlo.INPUTS_KEY, montecarlo.BLOCKS_KEY, 2)
    a = RR.nearest_rng(0, "treaty", "status-quo").random(4)
    assert np.array_equal(a, RR.nearest_rng(0, "treaty", "status-quo").random(4))
    assert not np.array_equal(a, RR.nearest_rng(0, "political", "status-quo").random(4))
    assert not np.array_equal(a, RR.nearest_rng(1, "treaty", "status-quo").random(4))
    assert not np.array_equal(a, RR.nearest_rng(0, "treaty", "status-quo2").random(4))


def test_searches_in_any_order_give_the_same_results() -> None:
    def run(order: list[str]) -> dict[str, object]:
        out = {}
        for pid in order:
            rep = api.ratify(forms=["political"], proposal=pid, nearest=True)
            out[pid] = _nearest(rep)
        return out

    ids = ["russia-draft-us", "status-quo"]
    assert run(ids) == run(ids[::-1])


def _body(rng: np.random.Generator, m: int, d: int, q: int, costs: bool) -> CompiledBody:
    w = rng.uniform(0.2, 1.5, (1, m, d)) * (rng.random((1, m, d)) > 0.2)
    w[..., 0] = np.maximum(w[..., 0], 0.3)
    return CompiledBody(
        id="b",
        ideal=rng.uniform(0.0, 100.0, (1, m, d)),
        weight=w,
        reversion=rng.uniform(20.0, 80.0, (1, d)),
        threshold=q,
        ties="no",
        ideal_limit=100.0,
        approval_cost=rng.choice([0.0, 1.0, 4.0], size=(1, m)) if costs else None,
    )


def _full_vote_pick(c, dist, bodies, keep):
    """``nearest_ratifiable``'s pick before issue 23's change: every candidate voted on."""
    good = R._form_passes_pruned(c, bodies)
    idx = np.argsort(np.where(good, dist, np.inf), axis=1)[:, :keep]
    return idx, np.take_along_axis(good, idx, axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_first_candidate_checks_give_the_same_search(monkeypatch, seed: int) -> None:
    rng = np.random.default_rng(seed)
    bodies = (_body(rng, 60, 4, 40, True), _body(rng, 25, 4, 13, False))
    lo, hi = np.zeros(4), np.full(4, 100.0)
    y = rng.uniform(0.0, 100.0, 4)
    fast = R.nearest_ratifiable(y, bodies, lo, hi, np.random.default_rng(seed))
    monkeypatch.setattr(R, "_nearest_passing", _full_vote_pick)
    full = R.nearest_ratifiable(y, bodies, lo, hi, np.random.default_rng(seed))
    assert fast.found[0] and full.found[0]
    assert fast.package.tobytes() == full.package.tobytes()
    assert fast.distance.tobytes() == full.distance.tobytes()


def test_packed_counts_give_the_same_first_passing_points() -> None:
    rng = np.random.default_rng(7)
    bodies = [_body(rng, 90, 3, 30, True), _body(rng, 20, 3, 8, False), _body(rng, 5, 3, 2, False)]
    y = rng.uniform(0.0, 100.0, (1, 3))
    c = rng.uniform(0.0, 100.0, (1, 3000, 3))
    c = c[:, R.form_passes(c, bodies)[0]][:, :64]
    assert c.shape[1] > 8
    seg = c - y[:, None]
    packed = R._Segments(y, bodies)
    assert packed.shifts is not None
    plain = R._Segments(y, bodies)
    plain.shifts = None
    assert packed.first(seg).tobytes() == plain.first(seg).tobytes()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need os.fork")
def test_a_failing_child_has_its_searches_run_here(monkeypatch, treaty: dict) -> None:
    parent = os.getpid()
    real = RR._nearest_of

    def only_here(*args):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return real(*args)

    monkeypatch.setattr(RR, "_nearest_of", only_here)
    got = api.ratify(forms=["treaty"], nearest=True, seed=3, workers=2)
    assert json.dumps(got) == json.dumps(treaty)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers need os.fork")
def test_a_failing_report_stops_its_children(monkeypatch) -> None:
    def broken(*args):
        raise RuntimeError("the report fails")

    pids = []

    class Recorded(RR.Forked):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            pids.append(self.pid)

    monkeypatch.setattr(RR, "Forked", Recorded)
    # after the proposals' searches have started in a child
    monkeypatch.setattr(RR, "spatial_utility", broken)
    with pytest.raises(RuntimeError, match="the report fails"):
        api.ratify(forms=["treaty"], nearest=True, workers=2)
    assert pids
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # killed and reaped


def test_searches_side_by_side_are_each_search_alone() -> None:
    rng = np.random.default_rng(11)
    bodies = (_body(rng, 60, 4, 30, True), _body(rng, 25, 4, 10, False))
    lo, hi = np.zeros(4), np.full(4, 100.0)
    pts = rng.uniform(0.0, 100.0, (1, 4000, 4))
    passing = pts[0, R.form_passes(pts, bodies)[0]]
    ys = [rng.uniform(0.0, 100.0, 4) for _ in range(5)]
    ys += [passing[0], ys[0]]  # a package that passes; the same package again, another stream
    alone = [
        R.nearest_ratifiable(y, bodies, lo, hi, np.random.default_rng(k), rounds=12)
        for k, y in enumerate(ys)
    ]
    together = R.nearest_ratifiable_many(
        ys, bodies, lo, hi, [np.random.default_rng(k) for k in range(len(ys))], rounds=12
    )
    assert sum(bool(a.found[0]) for a in alone) >= 5
    assert alone[5].distance[0] == 0.0
    for a, b in zip(alone, together, strict=True):
        assert a.package.tobytes() == b.package.tobytes()
        assert a.distance.tobytes() == b.distance.tobytes()
        assert a.found.tobytes() == b.found.tobytes()
    # a box the form cannot carry: nothing found, as alone
    within = (np.full(4, 99.0), np.full(4, 100.0))
    none = R.nearest_ratifiable_many(
        ys[:2],
        bodies,
        lo,
        hi,
        [np.random.default_rng(0), np.random.default_rng(1)],
        within=within,
    )
    one = R.nearest_ratifiable(ys[0], bodies, lo, hi, np.random.default_rng(0), within=within)
    assert none[0].found.tobytes() == one.found.tobytes()
    assert none[0].distance.tobytes() == one.distance.tobytes()


def test_the_cli_asks_for_a_second_process_where_there_are_two_cpus(monkeypatch) -> None:
    from detente.analyses import forked
    from detente.commands import ratify as cmd

    monkeypatch.setattr(forked, "usable_cpus", lambda: 2)
    assert cmd._workers() == 2
    monkeypatch.setattr(forked, "usable_cpus", lambda: 1)
    assert cmd._workers() == 1


def test_workers_below_one_is_refused() -> None:
    from detente.errors import InputError

    with pytest.raises(InputError, match=r"workers.*0; allowed: 1 or more"):
        api.ratify(forms=["treaty"], workers=0)
