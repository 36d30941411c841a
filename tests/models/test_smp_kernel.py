"""The optional compiled SMP kernel gives the NumPy pool's final positions bit for bit.

``detente.models._smp_kernel.run_samples`` runs one deterministic sample at a time to KTAB's stop
rule. It is compiled with Numba when Numba is installed and used by ``SMP.forecast`` from
``NUMBA_MIN_SAMPLES`` samples; these tests force one path or the other. The kernel is also run
uncompiled, as plain Python, so that its logic is checked on machines without Numba.

Bit for bit holds on every CPU here, unlike BDM's kernel: the default SMP path has no float
power (only +, -, *, /, sqrt and trunc, which IEEE 754 fixes), and the kernel sums in NumPy's
pairwise order. The KTAB reference cases (``SOE-Pol-Comp``, ``dummyData_3Dim``; their logs are
matched in ``test_smp.py``) are run through the kernel too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import detente.models.smp as smp_mod
from detente.arrays import ScenarioArrays
from detente.io.ktab import read_ktab_csv
from detente.models import get_model
from detente.models.smp import SMPOptions, _run_kernel, _run_pool
from tests import _require

ROOT = Path(__file__).resolve().parents[2]
KTAB = _require.shared_root() / "data" / "ktab" / "smp"


def python_kernel():
    from detente.models._smp_kernel import run_samples

    return run_samples


def inputs(seed: int, samples: int, actors: int, issues: int):
    """Random positions (0..1), saliences (totals up to 1) and capabilities."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(0.0, 1.0, (samples, actors, issues))
    sal = rng.uniform(0.05, 1.0, x0.shape)
    sal /= sal.sum(axis=2, keepdims=True) * rng.uniform(1.0, 1.5, (samples, actors, 1))
    cap = rng.uniform(0.1, 1.0, (samples, actors))
    return x0, sal, cap


def numpy_final(x0, sal, cap, opts: SMPOptions) -> np.ndarray:
    return _run_pool(x0, sal, cap, None, opts.max_iter, opts, 8)[0]


# each option the kernel takes, away from the defaults one at a time
KERNEL_OPTIONS = [
    {},
    {"voting_rule": "Binary"},
    {"voting_rule": "PropBin"},
    {"voting_rule": "PropCbc"},
    {"voting_rule": "Cubic"},
    {"voting_rule": "ASymProsp"},
    {"victory_prob_model": "Square"},
    {"victory_prob_model": "Quartic"},
    {"victory_prob_model": "Octic"},
    {"big_r_adjust": "None"},
    {"big_r_adjust": "Half"},
    {"big_r_adjust": "TwoThirds"},
    {"big_r_adjust": "Full"},
    {"big_r_range": "Min"},
    {"big_r_range": "Max"},
    {"third_party_commit": "NoCommit"},
    {"third_party_commit": "FullCommit"},
    {"inter_vec_brgn": "S1P1"},
    {"min_iter": 1, "max_iter": 3, "min_delta_ratio": 0.2},
]


@pytest.mark.parametrize("shape", [(3, 7, 2), (2, 12, 9)])
def test_python_kernel_equals_numpy_pool_default_options(shape):
    """Shapes with fewer and with more than 8 actors and issues (NumPy's two sum orders)."""
    x0, sal, cap = inputs(sum(shape), *shape)
    o = SMPOptions()
    got, _, _ = _run_kernel(python_kernel(), x0, sal, cap, o.max_iter, o)
    np.testing.assert_array_equal(got, numpy_final(x0, sal, cap, o))


@pytest.mark.parametrize("opts", KERNEL_OPTIONS[1:], ids=str)
def test_python_kernel_equals_numpy_pool_each_option(opts):
    x0, sal, cap = inputs(len(str(opts)), 2, 6, 2)
    o = SMPOptions(**opts)
    got, _, _ = _run_kernel(python_kernel(), x0, sal, cap, o.max_iter, o)
    np.testing.assert_array_equal(got, numpy_final(x0, sal, cap, o))


@pytest.mark.parametrize("stop", [(100, 2), (37, 2), (60, 45)], ids=str)
def test_python_kernel_equals_numpy_pool_on_a_cycle(stop):
    """A run that cycles (period 2) to ``max_iter``: the kernel takes its last state from the
    cycle instead of running the turns (``_cycle_end``), at an odd and an even limit and with a
    ``min_iter`` late in the cycle; the NumPy pool runs every turn."""
    x0, sal, cap = (v[15:16] for v in inputs(0, 200, 5, 2))
    o = SMPOptions(max_iter=stop[0], min_iter=stop[1])
    ends = [_run_pool(x0, sal, cap, None, t, o, 8)[0] for t in (stop[0] - 2, stop[0] - 1)]
    want = numpy_final(x0, sal, cap, o)
    np.testing.assert_array_equal(ends[0], want)  # the state repeats every second turn
    assert not np.array_equal(ends[1], want)
    got, _, _ = _run_kernel(python_kernel(), x0, sal, cap, o.max_iter, o)
    np.testing.assert_array_equal(got, want)


@pytest.mark.needs_shared("data", "ktab", "smp")
@pytest.mark.parametrize("name", ["SOE-Pol-Comp.csv", "dummyData_3Dim.csv"])
def test_kernel_forecast_of_ktab_reference_cases(name, monkeypatch):
    """``SMP.forecast`` through the kernel (run as Python) = through NumPy, on KTAB's cases."""
    a = read_ktab_csv(KTAB / name).arrays
    model = get_model("smp")
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 10**9)
    expected = model.forecast(a, np.random.default_rng(0))
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 0)
    monkeypatch.setattr(smp_mod, "_compiled_kernel", python_kernel)
    np.testing.assert_array_equal(model.forecast(a, np.random.default_rng(0)), expected)
    # and the stop rule fired at the same turn as in the logged run
    sim = model.simulate(a, None, np.random.default_rng(0))
    np.testing.assert_array_equal(sim.final, expected)


def test_forecast_many_through_kernel(monkeypatch):
    """Backtest-style parts stacked into one pool give each part's own forecast."""
    rng = np.random.default_rng(5)
    parts = []
    for actors, issues in [(5, 1), (6, 2), (5, 1), (30, 3)]:
        pos = rng.uniform(0, 100, (1, actors, issues))
        sal = rng.uniform(0.1, 1.0, pos.shape)
        cap = rng.uniform(0.5, 2.0, pos.shape)
        if actors == 30:  # as the DEU loader's arrays: not C order (NumPy's sums follow layout)
            pos, sal, cap = (np.asfortranarray(v) for v in (pos, sal, cap))
        parts.append(ScenarioArrays.from_table(pos, sal, cap, scale_min=0.0, scale_max=100.0))
    model = get_model("smp")
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 10**9)
    expected = [model.forecast(p, np.random.default_rng(0)) for p in parts]
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 0)
    monkeypatch.setattr(smp_mod, "_compiled_kernel", python_kernel)
    for got, want in zip(model.forecast_many(parts, 0), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_kernel_is_used_only_where_it_applies(monkeypatch):
    monkeypatch.setattr(smp_mod, "_compiled_kernel", lambda: "kernel")
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 64)
    for opts in KERNEL_OPTIONS:
        assert get_model("smp", **opts)._kernel(64, 10, 3) == "kernel"
    assert get_model("smp")._kernel(63, 10, 3) is None
    assert get_model("smp")._kernel(64, 128, 3) is None  # NumPy sums over 129 split in halves
    assert get_model("smp")._kernel(64, 10, 129) is None
    for opts in [
        {"pce_model": "MarkovIncentive"},
        {"pce_model": "MarkovUniform"},
        {"victory_prob_model": "Binary"},
        {"inter_vec_brgn": "S2PMax"},
        {"bargn_model": "InitRcvrInterp"},
        {"bargn_model": "PWCompInterp"},
        {"state_transitions": "Stochastic"},
        {"ideal_adjustment": ((1.0, 0.0), (0.0, 1.0))},
    ]:
        assert get_model("smp", **opts)._kernel(10**6, 2, 1) is None, opts


def test_no_numba_means_no_kernel(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_numba(name, *args, **kwargs):
        if name == "numba" or name.startswith("numba."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numba)
    monkeypatch.setattr(smp_mod, "_kernel_cache", [])
    assert smp_mod._compiled_kernel() is None


def test_threads_split_the_samples_without_changing_them(monkeypatch):
    x0, sal, cap = inputs(9, 12, 5, 2)
    o = SMPOptions()
    monkeypatch.setattr(smp_mod, "KERNEL_THREADS", 1)
    one = _run_kernel(python_kernel(), x0, sal, cap, o.max_iter, o)
    monkeypatch.setattr(smp_mod, "KERNEL_THREADS", 3)
    monkeypatch.setattr(smp_mod, "_SAMPLES_PER_THREAD", 2)
    two = _run_kernel(python_kernel(), x0, sal, cap, o.max_iter, o)
    for a, b in zip(two, one, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("opts", KERNEL_OPTIONS, ids=str)
def test_compiled_kernel_equals_numpy_pool(opts):
    _require.module("numba")
    kernel = smp_mod._compiled_kernel()
    o = SMPOptions(**opts)
    for shape in [(6, 7, 2), (3, 12, 3), (2, 20, 9), (3, 9, 1), (2, 30, 1)]:
        x0, sal, cap = inputs(sum(shape), *shape)
        got, _, _ = _run_kernel(kernel, x0, sal, cap, o.max_iter, o)
        np.testing.assert_array_equal(got, numpy_final(x0, sal, cap, o), err_msg=str(shape))


@pytest.mark.parametrize("max_iter", [0, 1, 100])
@pytest.mark.parametrize("compiled", [False, True])
def test_kernel_win_probabilities_of_the_final_state(max_iter, compiled):
    """``rep_prob`` and ``rep_of`` as ``_assess(report=True)`` on the final positions, with
    positions closer than 1e-3 (merged by KTAB's greedy rule) at the start."""
    if compiled:
        _require.module("numba")
    kernel = smp_mod._compiled_kernel() if compiled else python_kernel()
    x0, sal, cap = inputs(11, 4, 9, 3)
    x0[:, 4] = x0[:, 1]
    x0[:, 4, 0] += 2e-4  # within tolerance of actor 1
    x0[:, 6] = x0[:, 4]
    x0[:, 6, 0] += 9e-4  # within tolerance of 4, not of 1: 6 is a representative
    x0[:, 8] = x0[:, 1]
    o = SMPOptions(min_iter=1, max_iter=max_iter)
    x_end, rep_prob, rep_of = _run_kernel(kernel, x0, sal, cap, o.max_iter, o)
    st = smp_mod._assess(x_end, x_end, sal, cap, o)
    np.testing.assert_array_equal(rep_prob, st.rep_prob)
    np.testing.assert_array_equal(rep_of, st.rep_of)
    if max_iter == 0:
        assert (rep_prob[:, [4, 8]] == 0).all() and (rep_prob[:, 6] > 0).all()
        assert (rep_of[:, 4] == 6).all() and (rep_of[:, 8] == 1).all()  # the last one in reach


def deu_parts(actors: int | None = None) -> list[ScenarioArrays]:
    """The DEU training file's proposals as the backtest forms them (treaty weights)."""
    from detente.analyses.backtest import deu_capabilities
    from detente.io.deu import load_deu

    path = _require.shared("data", "deu", "deu-train.tsv")
    data = load_deu(path)
    cap = deu_capabilities(data, "treaty")
    groups = data.proposal_groups()
    parts = []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        part = data.subset(idx).arrays(cap[idx])
        if actors is None or part.n_actors == actors:
            parts.append(part)
    return parts


def test_kernel_forecast_of_deu_arrays_not_in_c_order(monkeypatch):
    """The DEU loader's issue subsets are laid out actors-contiguous, and NumPy's sums over
    actors follow the layout: the kernel's final positions must come back in C order, as the
    NumPy pool's do (with the input's layout, 3 of the training file's proposals differed in the
    last bit, those where every actor takes part; the first of them is this 30 x 2 one)."""
    # every actor present: no take_actors, which would copy to C order
    part = next(p for p in deu_parts(30) if p.n_issues == 2 and p.mask.all())
    assert not part.position.flags.c_contiguous
    model = get_model("smp")
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 10**9)
    expected = model.forecast(part, np.random.default_rng(0))
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 0)
    monkeypatch.setattr(smp_mod, "_compiled_kernel", python_kernel)
    np.testing.assert_array_equal(model.forecast(part, np.random.default_rng(0)), expected)


def test_compiled_kernel_deu_backtest_forecasts_equal_numpy(monkeypatch):
    """Every DEU proposal, as ``detente backtest`` runs them (``forecast_many``)."""
    _require.module("numba")
    parts = deu_parts()
    model = get_model("smp")
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 10**9)
    expected = model.forecast_many(parts, 0)
    monkeypatch.setattr(smp_mod, "NUMBA_MIN_SAMPLES", 0)
    for got, want in zip(model.forecast_many(parts, 0), expected, strict=True):
        np.testing.assert_array_equal(got, want)
