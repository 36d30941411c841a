"""Issue 23: the NBS quadratic solver's compiled kernels give NumPy's numbers bit for bit.

``detente.models.nbs`` runs a Newton step's arrays (``_step_kernel``), the line search's slack
ratios and log sums (``_ratio_kernel``, ``_log_sum_kernel``) and the Newton systems' ridge
(``_ridge_kernel``) compiled for batches of ``NUMBA_MIN_SAMPLES`` or more; their sums over the
issues and parties mirror NumPy's ``sum`` over a row (``_row_sum``, its pairwise order) and
``np.einsum``'s sums over the parties (sequential, for two issues or more). These tests check each
kernel, run as Python and compiled where Numba is installed, against the NumPy code on random
data (signed zeros, infinities and NaN included), the whole solver on both paths, and that the
background compiler's batch (``detente.models.warm``) reaches every kernel.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.models import nbs
from detente.models.nbs import _Problem, nash_bargaining


def same_bits(got: np.ndarray, want: np.ndarray) -> None:
    """The same numbers, signed zeros included; NaN where NaN (its sign and payload are not
    defined: a compiler may swap the operands of a sum of two NaNs, NumPy's own loops too)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True)
    nan = np.isnan(want)
    assert (np.signbit(got) == np.signbit(want))[~nan].all()


def kernels(kernel):
    """The kernel as Python, and compiled where Numba is installed."""
    out = [kernel]
    compiled = nbs._compiled(kernel)
    if compiled is not None:
        out.append(compiled)
    return out


def wild(rng: np.random.Generator, shape, zeros=0.05, specials=0.0) -> np.ndarray:
    """Numbers over many magnitudes, with signed zeros and (``specials``) inf and NaN."""
    a = rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 8, shape)
    a[rng.uniform(size=shape) < zeros] = -0.0
    a[rng.uniform(size=shape) < zeros] = 0.0
    if specials:
        pick = rng.uniform(size=shape)
        a[pick < specials] = np.inf
        a[(pick >= specials) & (pick < 2 * specials)] = -np.inf
        a[(pick >= 2 * specials) & (pick < 3 * specials)] = np.nan
    return a


def problem(rng: np.random.Generator, n_s: int, n_n: int, n_d: int):
    """A random quadratic-loss problem and point: (prob, x, w, t)."""
    z = rng.uniform(0, 1, (n_s, n_n, n_d))
    s = rng.uniform(0, 1, (n_s, n_n, n_d)) * (rng.uniform(size=(n_s, n_n, n_d)) > 0.2)
    pm = (rng.uniform(size=(n_s, n_n)) > 0.2) & (s.sum(axis=2) > 0)
    d = np.where(pm, -rng.uniform(0, 0.5 * n_d, (n_s, n_n)), 0.0)
    d[0, 0] = -0.0
    free = np.einsum("sn,snd->sd", pm.astype(float), s) > 0
    x = rng.uniform(0, 1, (n_s, n_d))
    w = rng.uniform(0, 2, (n_s, n_n)) * pm
    t = rng.uniform(-1, 0.1, n_s)
    return _Problem(z, s, d, pm, free), x, w, t


@pytest.fixture
def numpy_path(monkeypatch):
    """Switch between the NumPy path (``False``) and the kernels (``True``)."""

    def use(kernels: bool) -> None:
        monkeypatch.setattr(nbs, "NUMBA_MIN_SAMPLES", 0 if kernels else 10**9)

    return use


# --- the sums -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 128),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 0.02]),
)
def test_row_sum_is_numpys_sum_over_the_last_axis(n, rows, seed, specials):
    a = wild(np.random.default_rng(seed), (rows, 3, n), zeros=0.1, specials=specials)
    with np.errstate(invalid="ignore"):
        want = a.sum(axis=-1)
        got = np.array([[nbs._row_sum(a[i, j], n) for j in range(3)] for i in range(rows)])
    same_bits(got, want)


@pytest.mark.parametrize("shape", [(5, 11, 10), (3, 1, 4), (4, 7, 2), (2, 12, 9), (1, 3, 17)])
def test_einsum_sums_the_parties_in_order_from_zero_for_two_issues_or_more(shape):
    """What ``_step_kernel`` relies on: ``np.einsum("sn,snd->sd")`` adds the products over
    ``n`` one by one from 0.0 when D >= 2 (for D = 1 it does not, so the kernel is not used)."""
    rng = np.random.default_rng(sum(shape))
    a, b = wild(rng, shape[:2]), wild(rng, shape)
    want = np.zeros((shape[0], shape[2]))
    for n in range(shape[1]):
        want = want + a[:, n, None] * b[:, n, :]
    same_bits(np.einsum("sn,snd->sd", a, b), want)


# --- each kernel against the NumPy code ---------------------------------------------------------


@pytest.mark.parametrize("phase1", [False, True])
@pytest.mark.parametrize("shape", [(6, 11, 10), (4, 3, 2), (3, 9, 13), (2, 1, 3)])
def test_step_kernel_gives_the_numpy_steps_arrays(shape, phase1):
    rng = np.random.default_rng(sum(shape) + phase1)
    prob, x, w, t = problem(rng, *shape)
    n_d = shape[2]
    g, dg, d2g, r = prob.quadratic_derivs(x)
    tol = float(np.median(g[prob.pm])) if phase1 else 0.0  # some samples above it, some not
    with np.errstate(divide="ignore", invalid="ignore"):
        if phase1:
            h = g - t[:, None]
            a = np.where(prob.pm, 1.0 / h, 0.0)
            c = a * a
        else:
            a = np.where(prob.pm, w / g, 0.0)
            c = a / g
    neg = np.einsum("sn,snd,sne->sde", c, dg, dg)
    neg[:, np.arange(n_d), np.arange(n_d)] -= np.einsum("sn,snd->sd", a, d2g)
    grad = np.einsum("sn,snd->sd", a, dg)
    gc = np.einsum("sn,snd->sd", c, dg)
    k = n_d + phase1
    for kernel in kernels(nbs._step_kernel):
        g_, h_, a_, c_ = (np.empty(shape[:2]) for _ in range(4))
        r_, neg_ = np.empty(shape), np.empty((shape[0], k, k))
        grad_, gc_ = np.empty((shape[0], k)), np.empty((shape[0], n_d))
        flag = np.empty(shape[0], bool)
        outs = (g_, r_, h_, a_, c_, neg_, grad_, gc_, flag)
        with np.errstate(divide="ignore", invalid="ignore"):
            kernel(x, prob.z, prob.s, prob.d, prob.pm, w, t, tol, phase1, *outs)
        want_flag = g.min(axis=1) > tol if phase1 else (prob.pm & ~(g > 0)).any(axis=1)
        np.testing.assert_array_equal(flag, want_flag)
        same_bits(g_, g)
        same_bits(r_, r)
        same_bits(a_, a)
        same_bits(c_, c)
        same_bits(neg_[:, :n_d, :n_d], neg)
        same_bits(grad_[:, :n_d], grad)
        same_bits(gc_, gc)
        if phase1:
            same_bits(h_, h)


@pytest.mark.parametrize("shift", [False, True])
@pytest.mark.parametrize("shape", [(7, 11, 10), (5, 4, 3), (3, 9, 1), (2, 13, 8)])
def test_log_gain_sum_kernels_give_the_numpy_numbers(shape, shift, numpy_path, monkeypatch):
    rng = np.random.default_rng(sum(shape) + 7 * shift)
    prob, x, w, _ = problem(rng, *shape)
    g, _, _, r = prob.quadratic_derivs(x)
    p = wild(rng, (shape[0], shape[2]), specials=0.02) * 1e-3
    alpha = 0.5 ** rng.integers(0, 6, shape[0]).astype(float)
    lift = rng.uniform(-1, 1, shape[0]) if shift else None
    weights = None if shift else w
    g = np.where(prob.pm, np.abs(g) + 1e-3, np.inf)  # positive slacks, some tiny
    g[0, 0] = 1e-300
    args = (r, prob.s, p, alpha, g, prob.pm)
    numpy_path(False)
    want = nbs._log_gain_sum(*args, w=weights, shift=lift)
    numpy_path(True)
    for kernel in kernels(nbs._ratio_kernel):
        monkeypatch.setitem(nbs._kernel_cache, "_ratio_kernel", kernel)
        for summing in kernels(nbs._log_sum_kernel):
            monkeypatch.setitem(nbs._kernel_cache, "_log_sum_kernel", summing)
            with np.errstate(all="ignore"):
                same_bits(nbs._log_gain_sum(*args, w=weights, shift=lift), want)


@pytest.mark.parametrize("k", [1, 2, 11])
def test_ridge_kernel_is_the_numpy_ridge(k):
    rng = np.random.default_rng(k)
    m = wild(rng, (40, k, k), zeros=0.1)
    m[1] = 0.0  # all zero: the 1e-300 floor
    m[2, 0, 0] = np.nan
    m[3, k - 1, k - 1] = np.inf
    m[4, 0, 0] = -np.inf
    with np.errstate(invalid="ignore"):
        ridge = 1e-14 * np.maximum(np.abs(np.diagonal(m, axis1=1, axis2=2)).max(axis=1), 1e-300)
        want = m + ridge[:, None, None] * np.eye(k)
        for kernel in kernels(nbs._ridge_kernel):
            got = np.empty_like(m)
            kernel(m, got)
            same_bits(got, want)


# --- the solver on both paths -------------------------------------------------------------------


def random_bargains(rng: np.random.Generator, n_s: int, n_n: int, n_d: int):
    z = rng.uniform(0, 1, (n_s, n_n, n_d))
    s = rng.uniform(0, 1, (n_s, n_n, n_d)) * (rng.uniform(size=(n_s, n_n, n_d)) > 0.2)
    s[: n_s // 4, :, 0] = 0.0  # an issue no party cares about: fixed coordinates
    w = rng.uniform(0, 2, (n_s, n_n)) * (rng.uniform(size=(n_s, n_n)) > 0.1)
    sq = rng.uniform(0, 1, (n_s, 1, n_d))
    margin = rng.exponential(0.05, (n_s, n_n)) * (rng.uniform(size=(n_s, n_n)) > 0.5)
    d = -(s * (sq - z) ** 2).sum(2) - margin
    return z, s, w, d


def solution(z, s, w, d, loss):
    sol = nash_bargaining(z, s, w, d, loss=loss)
    return (sol.x, sol.agreement, sol.gains, sol.max_min_gain, sol.converged)


@pytest.mark.parametrize(
    "shape", [(70, 11, 10), (66, 5, 3), (64, 7, 1), (64, 1, 4), (65, 12, 2), (3, 6, 4)]
)
@pytest.mark.parametrize("loss", ["quadratic", "linear"])
def test_the_solver_gives_the_same_bits_on_both_paths(shape, loss, numpy_path, monkeypatch):
    args = random_bargains(np.random.default_rng(sum(shape)), *shape)
    numpy_path(False)
    want = solution(*args, loss)
    numpy_path(True)
    phases: list[bool] = []
    step = nbs._step

    def recorded(prob, x, w, t, *tol):
        out = step(prob, x, w, t, *tol)
        phases.append(t is not None) if out is not None else None
        return out

    monkeypatch.setattr(nbs, "_step", recorded)
    for got, ref in zip(solution(*args, loss), want, strict=True):
        same_bits(got, ref)
    if loss == "quadratic" and min(shape[1:]) > 1 and nbs._compiled(nbs._step_kernel) is not None:
        assert set(phases) == {True, False}  # both phases ran through the kernel


def test_the_kernels_run_as_python_give_the_same_solution(numpy_path, monkeypatch):
    """The kernels' source (what Numba compiles), run by the interpreter inside the solver."""
    args = random_bargains(np.random.default_rng(5), 6, 4, 3)
    numpy_path(False)
    want = solution(*args, "quadratic")
    numpy_path(True)
    monkeypatch.setattr(nbs, "_compiled", lambda kernel: kernel)
    monkeypatch.setattr(nbs, "_compiled_gram", lambda: nbs._gram_kernel)
    with np.errstate(all="ignore"):
        got = solution(*args, "quadratic")
    for g, ref in zip(got, want, strict=True):
        same_bits(g, ref)


def test_the_background_compilers_batch_reaches_every_kernel(numpy_path, monkeypatch):
    """``detente.models.warm`` compiles the NBS kernels by solving 2 draws of the default
    scenario on the compiled path: that run must call every kernel (so that each is cached)."""
    import detente.models.warm  # noqa: F401 - the module whose batch this mirrors
    from detente.models.spec import make_model
    from detente.scenario import compile_scenario, load

    called: set[str] = set()

    def recorder(kernel):
        called.add(kernel.__name__)
        return kernel  # run as Python

    monkeypatch.setattr(nbs, "_compiled", recorder)
    numpy_path(True)
    arrays = compile_scenario(load(None).scenario, samples=2, rng=np.random.default_rng(0))
    with np.errstate(all="ignore"):
        make_model("nbs").forecast(arrays, np.random.default_rng(0))
    assert called == {k.__name__ for k in nbs.KERNELS}


def test_a_large_batch_keeps_its_last_few_samples_on_the_kernels(monkeypatch):
    """Under a batch of ``NUMBA_MIN_SAMPLES`` or more, the Newton loops' small subsets use the
    kernels too; a small batch alone does not (and leaves no batch size behind)."""
    if nbs._compiled(nbs._step_kernel) is None:
        pytest.skip("Numba is not installed or is switched off")
    monkeypatch.setattr(nbs, "NUMBA_MIN_SAMPLES", 64)
    sizes: list[tuple[int, bool]] = []
    step = nbs._step

    def recorded(prob, x, w, t, *tol):
        out = step(prob, x, w, t, *tol)
        sizes.append((prob.z.shape[0], out is not None))
        return out

    monkeypatch.setattr(nbs, "_step", recorded)
    args = random_bargains(np.random.default_rng(3), 70, 6, 3)
    solution(*args, "quadratic")
    assert any(n < 64 for n, _ in sizes) and all(used for _, used in sizes)
    assert nbs._batch.get() == 0
    sizes.clear()
    solution(*(a[:10] for a in args), "quadratic")
    assert sizes and not any(used for _, used in sizes)
