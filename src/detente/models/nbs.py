"""Asymmetric, multi-issue Nash bargaining solution (NBS).

The outcome is the point ``x*`` that maximises the weighted Nash product of the actors' gains over
their disagreement payoffs (Nash 1950; Kalai 1977 for the asymmetric form)::

    x* = argmax_x  sum_i w_i log(u_i(x) - d_i)   subject to u_i(x) > d_i for every party i,
    u_i(x) = - sum_d s_id * loss(x_d - z_id),

with positions ``x`` and ideal points ``z`` normalised to 0..1 on every issue, ``s`` the salience
(0..1) and ``w`` the bargaining power. All issues are bargained over jointly by default, which is
where issue linkage creates gains from trade (models.md E.1). With quadratic loss and a
disagreement point far away the NBS tends to the capability x salience weighted mean, the
"compromise model" (Achen 2006).

Conventions (each one visible in the output or in ``Model.describe()``)
-----------------------------------------------------------------------
- Parties are the actors with positive power and positive salience on at least one issue in play.
  An actor indifferent to every outcome neither gains nor vetoes; an actor with no power has no
  weight in the Nash product and is treated as a bystander rather than as a veto player.
- ``power="capability"``: ``w_i`` is the actor's capability, averaged over the issues it takes
  part in (capability may differ by issue). ``"capability_salience"``: the average of capability x
  salience. With quadratic loss and far disagreement, ``"capability"`` reproduces the compromise
  model; ``"capability_salience"`` counts salience twice (once in ``w``, once in ``u``) and tends
  to the capability x salience**2 weighted mean.
- ``linkage="joint"`` (default): one bargain over the whole package of issues; its agreement
  flag is repeated on every issue. ``"issue_by_issue"``: a separate one-issue NBS on every issue
  (power, disagreement payoff and agreement per issue), the baseline that shows what linkage adds.
- ``disagreement="status_quo"``: ``d_i = u_i(SQ)``. A status quo that is Pareto optimal (in one
  dimension: any status quo between the ideal points) admits no unanimous improvement, so there
  is no agreement: a veto effect, not a failure of the solver.
- ``disagreement="far"``: ``d_i = u_i(R) - M``. ``M`` (``far_margin``, default 1e6) is measured
  in utility units of the issues rescaled to 0..100, the scale of the models.md E.1 test numbers
  (M = 1e3 -> 42.278, M = 1e6 -> 32.827); internally it is divided by 100**2 (quadratic loss) or
  100 (linear loss), since ``u`` is homogeneous in the distances. ``R`` is the status quo
  (``far_reference="status_quo"``) or, for data without a status quo, each actor's worst point on
  every issue's scale (``far_reference="worst"``). Jointly, M is one margin on the package;
  issue by issue, each issue gets margin M. With linear loss, ``log(M + u)`` is ``u / M`` to
  first order, so a far disagreement point gives the (power x salience) weighted median of each
  issue instead of the mean.
- ``disagreement="utilities"``: the caller passes ``disagreement_payoffs``, a pure function of
  the :class:`~detente.arrays.ScenarioArrays` returning ``d`` in the same units as
  :func:`utilities` (0 at the actor's ideal point, negative elsewhere): shape (S, N) for joint
  bargaining, (S, N, D) for issue-by-issue. This is how "bargaining in the shadow of war" uses
  war payoffs (models.md E.2): on a single 0..1 pie issue with linear loss and salience 1, an
  actor whose ideal is the whole pie has ``u = share - 1``, so a war payoff ``p - c`` enters as
  ``d = p - c - 1``.
- No agreement: when no point gives every party more than ``agreement_tol`` (utility units on
  0..1 positions) above its disagreement payoff, the sample (joint) or sample/issue
  (issue-by-issue) has ``agreement`` False and its forecast is the status quo (NaN when the
  status quo is unknown). The flags are ``Simulation.agreement``; nothing falls back silently.
- An issue on which no party has any salience is left undetermined by the Nash product; its
  forecast is the unweighted mean of the positions of the actors taking part in it.
- Linear loss is not differentiable at the ideal points, and its NBS often sits exactly on one.
  The solver handles it exactly with epigraph variables ``e_id >= |x_d - z_id|`` and a barrier
  path (see Solver); results are accurate to about 1e-10 on 0..1. Where the linear-loss NBS is
  not unique (flat directions of the Nash product) it returns the limit of the barrier path.

Solver
------
Batched over samples, no Python loop over samples. Phase 1 is a barrier method for
``max_x min_i (u_i(x) - d_i)``: it either finds a point with every gain above ``agreement_tol``
or certifies, by the barrier method's duality bound, that none exists. Phase 2 maximises the Nash
objective from that point: damped Newton for quadratic loss (the objective is smooth and
concave), a barrier path over (x, e) for linear loss. Each Newton step solves one small
(D or D + 1 square) system per sample, stacked into one ``numpy.linalg.solve`` call. For
batches of ``NUMBA_MIN_SAMPLES`` or more, the quadratic loss's Newton steps (gains, derivatives
and the systems' sums over the parties) and line searches run as small Numba kernels where Numba
is installed; they repeat NumPy's operations in NumPy's order, so both paths give the same bits
(the logarithms and the solves are NumPy's on both).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.arrays import ScenarioArrays
from detente.models import _numba
from detente.models.base import Model, Simulation, register

Loss = Literal["quadratic", "linear"]


def utilities(x: np.ndarray, ideal: np.ndarray, salience: np.ndarray, loss: Loss) -> np.ndarray:
    """Spatial utilities ``u_i(x) = -sum_d s_id loss(x_d - z_id)``.

    Parameters
    ----------
    x : ndarray, shape (S, D)
        Points on the normalised 0..1 scale of every issue.
    ideal, salience : ndarray, shape (S, N, D)
        Ideal points (0..1) and saliences (0 where the actor takes no part).
    loss : {"quadratic", "linear"}
        Squared or absolute distance.

    Returns
    -------
    ndarray, shape (S, N)

    >>> import numpy as np
    >>> z = np.array([[[0.1], [0.9]]]); s = np.array([[[1.0], [0.5]]])
    >>> utilities(np.array([[0.5]]), z, s, "linear").round(3).tolist()
    [[-0.4, -0.2]]
    """
    r = np.asarray(x, dtype=float)[:, None, :] - ideal
    dist = r * r if loss == "quadratic" else np.abs(r)
    return -(salience * dist).sum(axis=-1)


@dataclass(frozen=True)
class NashSolution:
    """Result of :func:`nash_bargaining`.

    Attributes
    ----------
    x : ndarray, shape (S, D)
        The NBS on the 0..1 scale; NaN where there is no agreement and on issues no party cares
        about (the Nash product does not determine them).
    agreement : ndarray, shape (S,)
        True where some point gives every party more than ``agreement_tol`` over its
        disagreement payoff.
    gains : ndarray, shape (S, N)
        ``u_i(x) - d_i`` at the solution (exact loss); NaN without agreement or for non-parties.
    max_min_gain : ndarray, shape (S,)
        Without agreement: an upper bound on ``max_x min_i (u_i(x) - d_i)`` (<= agreement_tol).
        With agreement: a lower bound (a point reaching it was found).
    parties : ndarray, shape (S, N)
        Which actors bargained (positive power and some salience).
    determined : ndarray, shape (S, D)
        False on issues where no party has salience.
    converged : ndarray, shape (S,)
        False where a solver phase stopped at its iteration limit.
    """

    x: np.ndarray
    agreement: np.ndarray
    gains: np.ndarray
    max_min_gain: np.ndarray
    parties: np.ndarray
    determined: np.ndarray
    converged: np.ndarray


class _Problem:
    """Gains g_i(x) = u_i(x) - d_i of the parties, for a subset of samples."""

    def __init__(self, z, s, d, pm, free):
        self.z, self.s, self.d, self.pm, self.free = z, s, d, pm, free

    @cached_property
    def pair(self) -> np.ndarray:
        """Actor-issue terms that enter a party's utility (the linear loss's; computed on first
        use, not for every subset the quadratic loss's line searches take)."""
        return self.pm[:, :, None] & (self.s > 0)

    def take(self, idx: np.ndarray) -> _Problem:
        return _Problem(self.z[idx], self.s[idx], self.d[idx], self.pm[idx], self.free[idx])

    def gain(self, x: np.ndarray, loss: Loss) -> np.ndarray:
        """Exact gains (S, N); +inf for non-parties so that they never bind."""
        g = utilities(x, self.z, self.s, loss) - self.d
        return np.where(self.pm, g, np.inf)

    @cached_property
    def hess(self) -> np.ndarray:
        """The gains' diagonal Hessians under quadratic loss, ``-2 s`` (S, N, D)."""
        return -2.0 * self.s

    def quadratic_derivs(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """Quadratic loss: g (S, N), gradients (S, N, D), diagonal Hessians (S, N, D) and the
        differences ``r = x - z`` (S, N, D) they are computed from."""
        r = x[:, None, :] - self.z
        g = -(self.s * (r * r)).sum(axis=-1) - self.d  # utilities(x, z, s, "quadratic") - d
        return np.where(self.pm, g, np.inf), self.hess * r, self.hess, r


def _solve_reduced(m: np.ndarray, rhs: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Solve the stacked positive definite systems m p = rhs, with p = 0 on fixed coordinates.

    A ridge of 1e-14 of the largest diagonal entry guards against exactly flat directions.
    """
    if fixed.any():
        eye = np.eye(m.shape[1])
        m = np.where(fixed[:, :, None] | fixed[:, None, :], 0.0, m) + fixed[:, :, None] * eye
        rhs = np.where(fixed, 0.0, rhs)
    # (with nothing fixed, the masking above would only turn -0.0 entries into 0.0, which the
    # ridge's addition below does as well)
    kernel = _kernel(_ridge_kernel, m.shape[0], 0)
    if kernel is not None:
        a = np.empty(m.shape)
        kernel(np.ascontiguousarray(m), a)
    else:
        ridge = 1e-14 * np.maximum(np.abs(np.diagonal(m, axis1=1, axis2=2)).max(axis=1), 1e-300)
        a = m + ridge[:, None, None] * np.eye(m.shape[1])
    return np.linalg.solve(a, rhs[:, :, None])[:, :, 0]


#: Samples from which the Newton steps' Hessian sums (:func:`_weighted_gram`) and the quadratic
#: loss's Newton steps and line searches (:data:`KERNELS`) run compiled when Numba is installed
#: and the kernels are compiled (below, loading Numba costs more than it saves). Tests set it to
#: 0 or to a huge number to force either path.
NUMBA_MIN_SAMPLES = 64

_gram_cache: list[Any] = []  # [compiled _gram_kernel or None], filled on first use

#: Samples of the :func:`nash_bargaining` call at work (0 outside one): the kernels apply to
#: every subset of a batch of ``NUMBA_MIN_SAMPLES`` or more, down to the last few samples a
#: Newton loop still works on (Numba is loaded by then; both paths give the same numbers).
_batch: ContextVar[int] = ContextVar("nbs_batch", default=0)


def _gram_kernel(a, b, c, out):  # pragma: no cover - compiled by Numba; run as Python in a test
    """``out[s, d, e] = sum_n (a[s, n] * b[s, n, d]) * c[s, n, e]``, summed in the order of
    ``n`` from 0.0: ``np.einsum("sn,snd,sne->sde", a, b, c)``'s operations in its order, so the
    same numbers bit for bit (tests check it), in about a quarter of its time."""
    s_n, n_n, d_n = b.shape
    e_n = c.shape[2]
    for s in range(s_n):
        for d in range(d_n):
            for e in range(e_n):
                out[s, d, e] = 0.0
        for n in range(n_n):
            an = a[s, n]
            for d in range(d_n):
                ab = an * b[s, n, d]
                for e in range(e_n):
                    out[s, d, e] += ab * c[s, n, e]


def _compiled_gram() -> Any:
    """The Numba-compiled :func:`_gram_kernel`, or None without Numba (cached on disk)."""
    if not _gram_cache:
        numba = _numba.load()  # None: not installed, or DETENTE_NO_NUMBA is set
        _gram_cache.append(
            None if numba is None else numba.njit(cache=True, nogil=True)(_gram_kernel)
        )
    return _gram_cache[0]


def _weighted_gram(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``np.einsum("sn,snd,sne->sde", a, b, c)`` (the Newton steps' Hessian sums): through the
    compiled :func:`_gram_kernel`, the same numbers, for ``NUMBA_MIN_SAMPLES`` samples or more
    where it is compiled (else a background process compiles it, see :mod:`detente.models._numba`).
    """
    if max(a.shape[0], _batch.get()) >= max(NUMBA_MIN_SAMPLES, 1):
        kernel = _compiled_gram()
        if kernel is not None and _numba.usable(kernel):
            out = np.empty((b.shape[0], b.shape[2], c.shape[2]))
            f = np.ascontiguousarray
            kernel(f(a, dtype=float), f(b, dtype=float), f(c, dtype=float), out)
            return out
    return np.einsum("sn,snd,sne->sde", a, b, c)


# The kernels below give NumPy's numbers bit for bit: the same elementwise operations in the
# same order (no fused multiply-adds: Numba compiles without fastmath), and sums over the last
# axis in the order of NumPy's ``sum`` there (``_row_sum``; tests check both on random data).
_kernel_cache: dict[str, Any] = {}  # kernel name -> compiled kernel, or None without Numba


def _row_sum(t: np.ndarray, n: int) -> float:
    """``t[:n].sum()`` as NumPy adds a contiguous row (its pairwise sum below 128 terms): from
    0.0, in order below 8 terms, else with 8 accumulators over strides of 8, then the rest.
    The kernels below call it; compiled, it is registered as a jitable helper first
    (:func:`_compiled`). Tests check it against NumPy's ``sum``."""
    if n < 8:
        acc = 0.0
        for k in range(n):
            acc += t[k]
        return acc
    r0, r1, r2, r3, r4, r5, r6, r7 = t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]
    k = 8
    while k < n - n % 8:
        r0, r1, r2, r3 = r0 + t[k], r1 + t[k + 1], r2 + t[k + 2], r3 + t[k + 3]
        r4, r5, r6, r7 = r4 + t[k + 4], r5 + t[k + 5], r6 + t[k + 6], r7 + t[k + 7]
        k += 8
    acc = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < n:
        acc += t[k]
        k += 1
    return 0.0 + acc


def _step_kernel(  # pragma: no cover - compiled by Numba
    x, z, s, d, pm, w, t, tol, phase1, g, r, h, a, c, neg, grad, gc, flag
):
    """One Newton step's arrays of the quadratic-loss phases for a batch: the gains ``g``
    (S, N; +inf for non-parties, as :meth:`_Problem.quadratic_derivs`), the differences
    ``r = x - z``, the weights ``a`` and ``c`` of the parties' terms (phase 1: ``h = g - t``,
    ``a = 1 / h``, ``c = a * a``; phase 2: ``a = w / g``, ``c = a / g``; 0 for non-parties),
    with ``dg = -2 s r``, ``d2g = -2 s`` the sums of :func:`_step` (``neg[:, :D, :D]``,
    ``grad[:, :D]`` and ``gc``), and ``flag`` (S,): phase 1, every gain above ``tol``
    (``g.min(axis=1) > tol``); phase 2, a party's gain not above 0."""
    s_n, n_n, d_n = z.shape
    t_ = np.empty(d_n)
    dgr = np.empty(d_n)
    hr = np.empty(d_n)
    diag = np.empty(d_n)
    for i in range(s_n):
        fl = phase1  # phase 1: all gains above tol so far; phase 2: a party stuck so far
        for k in range(d_n):
            for e in range(d_n):
                neg[i, k, e] = 0.0
            grad[i, k] = 0.0
            gc[i, k] = 0.0
            diag[k] = 0.0
        for n in range(n_n):
            for k in range(d_n):
                rk = x[i, k] - z[i, n, k]
                r[i, n, k] = rk
                t_[k] = s[i, n, k] * (rk * rk)
            acc = _row_sum(t_, d_n)
            gn = -(0.0 + acc) - d[i, n] if pm[i, n] else np.inf
            g[i, n] = gn
            if phase1:
                if not gn > tol:
                    fl = False
            elif pm[i, n] and not gn > 0.0:
                fl = True
            if phase1:
                hn = gn - t[i]
                h[i, n] = hn
                an = 1.0 / hn if pm[i, n] else 0.0
                cn = an * an
            else:
                an = w[i, n] / gn if pm[i, n] else 0.0
                cn = an / gn
            a[i, n] = an
            c[i, n] = cn
            for k in range(d_n):
                hr[k] = -2.0 * s[i, n, k]
                dgr[k] = hr[k] * r[i, n, k]
            for k in range(d_n):
                cb = cn * dgr[k]
                for e in range(d_n):
                    neg[i, k, e] += cb * dgr[e]
                diag[k] += an * hr[k]
                grad[i, k] += an * dgr[k]
                gc[i, k] += cn * dgr[k]
        for k in range(d_n):
            neg[i, k, k] -= diag[k]
        flag[i] = fl


def _ratio_kernel(r, s, p, alpha, shift, slack, ratio):  # pragma: no cover - compiled by Numba
    """The line search's slack ratios for a batch, into ``ratio`` (S, N):
    ``(du - alpha * shift) / slack`` with ``du = u(x + alpha p) - u(x)`` as
    :func:`_quadratic_du` computes it (see :func:`_log_gain_sum`)."""
    s_n, n_n, d_n = r.shape
    t = np.empty(d_n)
    step = np.empty(d_n)
    for i in range(s_n):
        for k in range(d_n):
            step[k] = alpha[i] * p[i, k]
        lift = alpha[i] * shift[i]
        for n in range(n_n):
            for k in range(d_n):
                t[k] = (s[i, n, k] * step[k]) * (2.0 * r[i, n, k] + step[k])
            acc = _row_sum(t, d_n)
            ratio[i, n] = (1.0 * (-(0.0 + acc) - lift)) / slack[i, n]


def _log_sum_kernel(ratio, logs, w, pm, out):  # pragma: no cover - compiled by Numba
    """``out[s] = sum_n (w * where(ratio > -1, logs, -inf) if pm else 0)``, summed as NumPy sums
    a row (see :func:`_log_gain_sum`)."""
    s_n, n_n = ratio.shape
    t = np.empty(n_n)
    for i in range(s_n):
        for n in range(n_n):
            t[n] = w[i, n] * (logs[i, n] if ratio[i, n] > -1.0 else -np.inf) if pm[i, n] else 0.0
        out[i] = 0.0 + _row_sum(t, n_n)


def _ridge_kernel(m, out):  # pragma: no cover - compiled by Numba
    """``out = m + ridge * eye`` with ``ridge = 1e-14 * max(max_d |m[d, d]|, 1e-300)`` per
    sample (:func:`_solve_reduced`; NaN as ``np.max`` and ``np.maximum`` propagate it)."""
    s_n, k, _ = m.shape
    for i in range(s_n):
        mx = abs(m[i, 0, 0])
        for d in range(1, k):
            v = abs(m[i, d, d])
            if v > mx or v != v:
                mx = v
        if mx < 1e-300:
            mx = 1e-300
        ridge = 1e-14 * mx
        for d in range(k):
            for e in range(k):
                out[i, d, e] = m[i, d, e] + ridge * (1.0 if d == e else 0.0)


#: The kernels of :func:`_kernel`, compiled on first use (``_gram_kernel`` has its own cache).
KERNELS = (_step_kernel, _ratio_kernel, _log_sum_kernel, _ridge_kernel)


def _compiled(kernel: Callable[..., None]) -> Any:
    """The Numba-compiled ``kernel`` (one of :data:`KERNELS`), or None without Numba (cached
    on disk)."""
    name = kernel.__name__
    if name not in _kernel_cache:
        numba = _numba.load()  # None: not installed, or DETENTE_NO_NUMBA is set
        jit = None
        if numba is not None:
            if not _row_sum_registered:
                from numba.extending import register_jitable

                # callable from the kernels, inlined where it is called (as fast as the code
                # written out); it only reads an array its caller owns: no reference counting
                register_jitable(inline="always", _nrt=False)(_row_sum)
                _row_sum_registered.append(True)
            # error_model="numpy": a division by zero gives inf or NaN, as in NumPy, not an error
            jit = numba.njit(cache=True, nogil=True, error_model="numpy")
        _kernel_cache[name] = None if jit is None else jit(kernel)
    return _kernel_cache[name]


_row_sum_registered: list[bool] = []  # [True] once _row_sum is callable from compiled kernels


_usable: set[str] = set()  # kernels found usable (compiled in this process: they stay so)


def _kernel(kernel: Callable[..., None], samples: int, terms: int) -> Any:
    """The compiled ``kernel`` where it applies: ``samples`` (the subset), or the whole batch
    (``_batch``), at least ``NUMBA_MIN_SAMPLES``, rows of at most 128 ``terms`` (the range of
    :func:`_row_sum`), Numba installed and the kernel compiled or compiling now
    (:func:`detente.models._numba.usable`); else None, for the NumPy path with the same
    numbers."""
    if max(samples, _batch.get()) < max(NUMBA_MIN_SAMPLES, 1) or terms > 128:
        return None
    compiled = _compiled(kernel)
    if compiled is None:
        return None
    name = kernel.__name__
    if name not in _usable:
        if not _numba.usable(compiled):
            return None
        _usable.add(name)
    return compiled


def _step(
    prob: _Problem, x: np.ndarray, w: np.ndarray | None, t: np.ndarray | None, tol: float = 0.0
) -> tuple[np.ndarray, ...] | None:
    """A quadratic-loss Newton step's arrays through :func:`_step_kernel`, where it applies
    (:func:`_kernel`; not for one issue, where ``np.einsum`` sums the two-operand products over
    ``n`` in another order), else None for the phases' NumPy code, which gives the same numbers.

    Phase 1 (``t`` (S,) given): ``won, g, r, h, inv, inv2, neg, grad, gc`` with ``won`` (S,)
    ``g.min(axis=1) > tol``, ``neg`` (S, D+1, D+1) and ``grad`` (S, D+1) filled on their first D
    rows and columns, ``gc = sum_n inv2 dg``. Phase 2 (``w`` (S, N) given): ``stuck, g, r, neg,
    grad`` with ``stuck`` (S,) ``(pm & ~(g > 0)).any(axis=1)``, ``neg`` (S, D, D), ``grad`` (S, D).
    """
    n_s, n_n, n_d = prob.z.shape
    kernel = _kernel(_step_kernel, n_s, n_d) if n_d >= 2 else None
    if kernel is None:
        return None
    k = n_d + (t is not None)
    g, a, c, h = (np.empty((n_s, n_n)) for _ in range(4))
    r, neg, grad, gc = (
        np.empty(prob.z.shape),
        np.empty((n_s, k, k)),
        np.empty((n_s, k)),
        np.empty((n_s, n_d)),
    )
    f = np.ascontiguousarray
    # phase 1 reads no w (h stands in), phase 2 no t (zeros) and writes no h
    wt, tt = (h, f(t)) if t is not None else (f(w), np.zeros(n_s))
    z, s, d, pm = f(prob.z), f(prob.s), f(prob.d), f(prob.pm)
    flag = np.empty(n_s, bool)
    args = (f(x), z, s, d, pm, wt, tt, float(tol), t is not None)
    kernel(*args, g, r, h, a, c, neg, grad, gc, flag)
    if t is not None:
        return flag, g, r, h, a, c, neg, grad, gc
    return flag, g, r, neg, grad


def _backtrack(gain: Callable[[Any, np.ndarray], np.ndarray], slope: np.ndarray):
    """Armijo backtracking for a batch of ascent directions with Newton decrement ``slope``.

    ``gain(idx, alpha)`` is the objective change of samples ``idx`` for step lengths ``alpha``,
    -inf where infeasible; it is computed from ratios of slacks, so that it does not drown in
    the rounding of the objective values. ``idx`` is None on the first trial, which takes every
    sample with ``alpha`` 1 (so that ``gain`` can use its arrays as they are, without copies).
    Returns the accepted step per sample (0 if none).
    """
    alpha = np.ones(slope.shape[0])
    step = np.zeros_like(alpha)
    todo = np.arange(alpha.size)
    for k in range(60):
        change = gain(None if k == 0 else todo, alpha[todo])
        ok = change >= 1e-4 * alpha[todo] * slope[todo]
        step[todo[ok]] = alpha[todo[ok]]
        todo = todo[~ok]
        if todo.size == 0:
            break
        alpha[todo] *= 0.5
    return step


def _log_ratio(slack: np.ndarray, rate: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """log((slack + alpha * rate) / slack), -inf where the new slack is not positive."""
    ratio = alpha * rate / slack
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ratio > -1.0, np.log1p(np.maximum(ratio, -1.0)), -np.inf)


def _quadratic_du(r: np.ndarray, s: np.ndarray, p: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """u_i(x + alpha p) - u_i(x) under quadratic loss, computed without cancellation, from the
    differences ``r = x - z`` (S, N, D) and the saliences ``s`` (S, N, D)."""
    step = alpha[:, None, None] * p[:, None, :]
    return -(s * step * (2.0 * r + step)).sum(axis=2)


def _log_gain_sum(
    r: np.ndarray,
    s: np.ndarray,
    p: np.ndarray,
    alpha: np.ndarray,
    slack: np.ndarray,
    pm: np.ndarray,
    w: np.ndarray | None = None,
    shift: np.ndarray | None = None,
) -> np.ndarray:
    """The line search's sum over the parties of ``w_i log(new slack / slack)`` (S,), -inf
    where a new slack is not positive: the slack changes by ``du - alpha * shift`` (``du`` from
    :func:`_quadratic_du`, ``shift`` (S,) 0 if None), ``w`` (S, N) is 1 if None. Through
    :func:`_ratio_kernel` and :func:`_log_sum_kernel` where they apply (:func:`_kernel`), the
    same numbers; the logarithms are NumPy's on both paths."""
    n_s, n_n, n_d = r.shape
    ratio_k = _kernel(_ratio_kernel, n_s, n_d)
    sum_k = _kernel(_log_sum_kernel, n_s, n_n)
    if ratio_k is not None and sum_k is not None:
        f = np.ascontiguousarray
        ratio = np.empty((n_s, n_n))
        lift = np.zeros(n_s) if shift is None else f(shift)
        ratio_k(f(r), f(s), f(p), f(alpha), lift, f(slack), ratio)
        with np.errstate(invalid="ignore", divide="ignore"):
            logs = np.log1p(np.maximum(ratio, -1.0))
        out = np.empty(n_s)
        sum_k(ratio, logs, np.ones((n_s, n_n)) if w is None else f(w), f(pm), out)
        return out
    du = _quadratic_du(r, s, p, alpha)
    if shift is not None:
        du = du - (alpha * shift)[:, None]
    logs = _log_ratio(slack, du, 1.0)
    return np.where(pm, logs if w is None else w * logs, 0.0).sum(axis=1)


def _rows(i: np.ndarray | None, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``arrays`` as they are (``i`` None), else their rows ``i``."""
    return arrays if i is None else tuple(a[i] for a in arrays)


class _Shrinking:
    """The samples of a problem still at work in a Newton loop: ``take`` copies the problem's
    arrays only when that set has shrunk since the last call (it never grows)."""

    def __init__(self, prob: _Problem):
        self.idx = np.arange(prob.z.shape[0])
        self.prob = prob

    def take(self, act: np.ndarray) -> _Problem:
        if act.size != self.idx.size:
            self.prob = self.prob.take(np.searchsorted(self.idx, act))
            self.idx = act
        return self.prob


def _quadratic_phase1(prob: _Problem, x0: np.ndarray, tol: float, max_iter: int):
    """Barrier method for max_x min_i g_i(x), quadratic loss, variables (x, t).

    Centres ``tau * t + sum_i log(g_i(x) - t)`` for tau = tau_0, 10 tau_0, 100 tau_0, ...
    (tau_0 from the spread of the gains at the start), and stops a sample as soon as an iterate
    has every gain above ``tol``. Returns x (S, D),
    status (S,) (1 a point with every gain > tol found, -1 none exists, 0 undecided) and the
    bound (S,) on the max-min gain (lower bound if status 1, upper bound otherwise).
    """
    n_d = prob.z.shape[2]
    m = prob.pm.sum(axis=1).astype(float)
    x = x0.copy()
    gains = prob.gain(x, "quadratic")
    g0 = gains.min(axis=1)
    status = np.where(g0 > tol, 1, 0)
    status[m == 0] = -1
    bound = np.where(status == 1, g0, np.nan)
    t = g0 - 1.0
    # first barrier weight: centre slacks m / tau of the size of the spread of the gains at the
    # start (the median over the samples), rather than 1 (far too loose on 0..1 utilities)
    undecided = np.flatnonzero(status == 0)
    gains0 = np.where(prob.pm[undecided], gains[undecided], np.nan)
    tau = 1.0
    if gains0.size and np.isfinite(gains0).any(axis=1).all():
        spread = np.nanmax(gains0, axis=1) - np.nanmin(gains0, axis=1)
        tau = float(np.clip(np.median(m[undecided] / np.maximum(spread, 1e-12)), 1.0, 1e6))
    n_iter = 0
    while (status == 0).any() and n_iter < max_iter and tau < 1e16:
        run = np.flatnonzero(status == 0)
        sub = prob.take(run)
        xr, tr = x[run], t[run]
        fixed = np.concatenate([~sub.free, np.zeros((run.size, 1), bool)], axis=1)
        centred = np.zeros(run.size, bool)
        active = _Shrinking(sub)
        for _ in range(50):
            n_iter += 1
            act = np.flatnonzero(~centred)
            sa = active.take(act)
            fused = _step(sa, xr[act], None, tr[act], tol)  # None: NumPy below, same numbers
            # a point with every gain above tol answers phase 1 (the gain is +inf for
            # non-parties): stop there instead of centring
            if fused is None:
                g, dg, d2g, r = sa.quadratic_derivs(xr[act])
                step_arrays = [g, r, dg, d2g]
                won = g.min(axis=1) > tol
            else:
                won, *step_arrays = fused
            if won.any():
                centred[act[won]] = True
                if centred.all():
                    break
                keep = np.flatnonzero(~won)
                act, sa = act[keep], active.take(act[keep])
                step_arrays = [v[keep] for v in step_arrays]
            if fused is None:
                g, r, dg, d2g = step_arrays
                h = g - tr[act, None]
                inv = np.where(sa.pm, 1.0 / h, 0.0)
                inv2 = inv * inv
                grad = np.concatenate(
                    [np.einsum("sn,snd->sd", inv, dg), (tau - inv.sum(1))[:, None]], axis=1
                )
                neg = np.empty((act.size, n_d + 1, n_d + 1))  # minus the Hessian
                neg[:, :n_d, :n_d] = _weighted_gram(inv2, dg, dg)
                neg[:, np.arange(n_d), np.arange(n_d)] -= np.einsum("sn,snd->sd", inv, d2g)
                hxt = -np.einsum("sn,snd->sd", inv2, dg)
            else:
                g, r, h, inv, inv2, neg, grad, gc = step_arrays
                grad[:, n_d] = tau - inv.sum(1)
                hxt = -gc
            neg[:, :n_d, n_d] = hxt
            neg[:, n_d, :n_d] = hxt
            neg[:, n_d, n_d] = inv2.sum(1)
            p = _solve_reduced(neg, grad, fixed[act])
            lam2 = np.einsum("sk,sk->s", grad, p)

            def change(i, alpha, p=p, h=h, r=r, sa=sa, tau=tau):
                r_, s_, px, pt, h_, pm_ = _rows(i, r, sa.s, p[:, :n_d], p[:, n_d], h, sa.pm)
                return tau * alpha * pt + _log_gain_sum(r_, s_, px, alpha, h_, pm_, shift=pt)

            step = _backtrack(change, lam2)
            xr[act] += step[:, None] * p[:, :n_d]
            tr[act] += step * p[:, n_d]
            centred[act[lam2 < 1e-10]] = True
            if centred.all():
                break
        x[run], t[run] = xr, tr
        gmin = sub.gain(xr, "quadratic").min(axis=1)
        upper = tr + m[run] / tau  # duality bound at the centre of the barrier path
        win = gmin > tol
        lose = ~win & (upper <= tol)
        status[run[win]], bound[run[win]] = 1, gmin[win]
        status[run[lose]], bound[run[lose]] = -1, upper[lose]
        tau *= 10.0
    return x, status, bound


def _quadratic_phase2(prob: _Problem, w: np.ndarray, x: np.ndarray, max_iter: int):
    """Damped Newton on sum_i w_i log g_i(x) (quadratic loss) from a strictly feasible x."""
    n_s, _, n_d = prob.z.shape
    x = x.copy()
    done = np.zeros(n_s, bool)
    active = _Shrinking(prob)
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        sa = active.take(act)
        wa = w[act]
        fused = _step(sa, x[act], wa, None)  # None: NumPy below, the same numbers
        # rounding can leave a party's gain at exactly 0 (weights twelve orders of magnitude
        # apart): the barrier has no finite gradient there, so that sample stops where it is
        if fused is None:
            g, dg, d2g, r = sa.quadratic_derivs(x[act])
            stuck = (sa.pm & ~(g > 0)).any(axis=1)
        else:
            stuck, g, r, neg, grad = fused
        if stuck.any():
            done[act[stuck]] = True
            continue
        if fused is None:
            a = np.where(sa.pm, wa / g, 0.0)
            neg = _weighted_gram(a / g, dg, dg)
            neg[:, np.arange(n_d), np.arange(n_d)] -= np.einsum("sn,snd->sd", a, d2g)
            grad = np.einsum("sn,snd->sd", a, dg)
        p = _solve_reduced(neg, grad, ~sa.free)
        lam2 = np.einsum("sd,sd->s", grad, p)

        def change(i, alpha, p=p, g=g, r=r, sa=sa, wa=wa):
            r_, s_, p_, g_, pm_, w_ = _rows(i, r, sa.s, p, g, sa.pm, wa)
            return _log_gain_sum(r_, s_, p_, alpha, g_, pm_, w=w_)

        step = _backtrack(change, lam2)
        x[act] += step[:, None] * p
        done[act[(lam2 < 1e-24) | (np.abs(p).max(axis=1) < 1e-13)]] = True
    return x, done


def _linear_centre(prob, x, e, t, omega, kappa, mu, with_t, centre_tol, max_iter):
    """Centre the barrier function of the linear-loss problem in the variables (x, e, t).

    Maximises, for every sample, ::

        kappa t + sum_i omega_i log h_i + mu sum_(i,d) [log(e_id - r_id) + log(e_id + r_id)]
        h_i = -sum_d s_id e_id - d_i - t,   r_id = x_d - z_id,

    over the parties and their actor-issue terms, where e_id is an epigraph variable for
    |r_id|. All constraints are linear, so every step stays strictly inside them. The Newton
    system is reduced to (x, t) by eliminating e actor by actor (each block is diagonal plus
    rank one, inverted by Sherman-Morrison), leaving one (D+1) x (D+1) solve per sample.
    ``t`` moves only if ``with_t``. ``mu`` and ``kappa`` are (S,). Updates x, e, t in place and
    returns the samples' centred flags and the iterations used.
    """
    n_s, _, n_d = prob.z.shape
    k = n_d + 1
    centred = np.zeros(n_s, bool)
    fixed = np.concatenate([~prob.free, np.full((n_s, 1), not with_t)], axis=1)
    n_iter = 0
    while n_iter < max_iter and not centred.all():
        n_iter += 1
        act = np.flatnonzero(~centred)
        sa = prob.take(act)
        pair, om, mu_a = sa.pair, omega[act], mu[act, None, None]
        r = x[act, None, :] - sa.z
        a, b = e[act] - r, e[act] + r
        h = np.where(sa.pm, -(sa.s * e[act]).sum(2) - sa.d - t[act, None], 1.0)
        ia, ib = np.where(pair, 1.0 / a, 0.0), np.where(pair, 1.0 / b, 0.0)
        ge = np.where(pair, -(om / h)[:, :, None] * sa.s + mu_a * (ia + ib), 0.0)
        gx = mu[act, None] * (ib - ia).sum(1)
        gt = kappa[act] - np.where(sa.pm, om / h, 0.0).sum(1)
        al = np.where(pair, mu_a * (ia * ia + ib * ib), 1.0)
        be = mu_a * (ia * ia - ib * ib)
        c = np.where(sa.pm, om / (h * h), 0.0)
        v = np.where(pair, sa.s, 0.0)
        q = v / al
        vq = (v * q).sum(2)
        gam = c / (1.0 + c * vq)
        # reduced (Schur complement) system over (x, t)
        bq = be * q
        neg = np.zeros((act.size, k, k))
        neg[:, :n_d, :n_d] = _weighted_gram(gam, bq, bq)
        neg[:, np.arange(n_d), np.arange(n_d)] += (np.where(pair, al, 0.0) - be * be / al).sum(1)
        xt = np.einsum("sn,snd->sd", gam, bq)
        neg[:, :n_d, n_d] = xt
        neg[:, n_d, :n_d] = xt
        neg[:, n_d, n_d] = (c / (1.0 + c * vq)).sum(1)
        u = ge / al - (gam * (q * ge).sum(2))[:, :, None] * q
        rhs = np.concatenate(
            [gx + (be * u).sum(1), (gt - (c * (v * u).sum(2)).sum(1))[:, None]], axis=1
        )
        py = _solve_reduced(neg, rhs, fixed[act])
        px, pt = py[:, :n_d], py[:, n_d]
        y = ge + be * px[:, None, :] - (c[:, :, None] * v) * pt[:, None, None]
        pe = y / al - (gam * (q * y).sum(2))[:, :, None] * q
        pe = np.where(pair, pe, 0.0)
        lam2 = (ge * pe).sum((1, 2)) + (gx * px).sum(1) + gt * pt
        da, db = pe - px[:, None, :], pe + px[:, None, :]
        dh = -(sa.s * pe).sum(2) - pt[:, None]
        # longest step keeping every slack positive, shortened to 99%
        with np.errstate(divide="ignore", invalid="ignore"):
            lim = np.minimum(
                np.where(pair & (da < 0), -a / da, np.inf).min((1, 2)),
                np.where(pair & (db < 0), -b / db, np.inf).min((1, 2)),
            )
            lim = np.minimum(lim, np.where(sa.pm & (dh < 0), -h / dh, np.inf).min(1))
        first = np.minimum(1.0, 0.99 * lim)

        # objective change along the step, from ratios of slacks (see _backtrack)
        pieces = (kappa[act] * pt, h, dh, a, da, b, db, sa.pm, pair, om, mu[act], first)

        def change(i, alpha, pieces=pieces):
            k_pt, h_, dh_, a_, da_, b_, db_, pm_, pair_, om_, mu_, first_ = pieces
            i = slice(None) if i is None else i
            al_ = alpha * first_[i]
            logs_h = np.where(pm_[i], om_[i] * _log_ratio(h_[i], dh_[i], al_[:, None]), 0.0)
            barrier = _log_ratio(a_[i], da_[i], al_[:, None, None]) + _log_ratio(
                b_[i], db_[i], al_[:, None, None]
            )
            barrier = np.where(pair_[i], barrier, 0.0).sum((1, 2))
            return k_pt[i] * al_ + logs_h.sum(1) + mu_[i] * barrier

        step = _backtrack(change, lam2 * first) * first
        x[act] += step[:, None] * px
        e[act] += step[:, None, None] * pe
        t[act] += step * pt
        centred[act[lam2 <= centre_tol[act]]] = True
    return centred, n_iter


def _linear_phase1(prob: _Problem, x0: np.ndarray, tol: float, max_iter: int):
    """Barrier method for max_x min_i g_i(x), linear loss; same returns as the quadratic one."""
    m = prob.pm.sum(axis=1) + 2 * prob.pair.sum(axis=(1, 2))  # number of barrier terms
    x = x0.copy()
    g0 = prob.gain(x, "linear").min(axis=1)
    status = np.where(g0 > tol, 1, 0)
    status[prob.pm.sum(axis=1) == 0] = -1
    bound = np.where(status == 1, g0, np.nan)
    e = np.abs(x[:, None, :] - prob.z) + 0.1
    t = np.where(prob.pm, -(prob.s * e).sum(2) - prob.d, np.inf).min(axis=1) - 1.0
    tau, n_iter = 1.0, 0
    while (status == 0).any() and n_iter < max_iter and tau < 1e16:
        run = np.flatnonzero(status == 0)
        sub = prob.take(run)
        xr, er, tr = x[run], e[run], t[run]
        ones = np.ones(run.size)
        _, used = _linear_centre(
            sub,
            xr,
            er,
            tr,
            np.ones(sub.pm.shape),
            tau * ones,
            ones,
            True,
            1e-3 * ones,
            max_iter - n_iter,
        )
        n_iter += used
        x[run], e[run], t[run] = xr, er, tr
        gmin = sub.gain(xr, "linear").min(axis=1)
        upper = tr + m[run] / tau  # duality bound at the centre of the barrier path
        win = gmin > tol
        lose = ~win & (upper <= tol)
        status[run[win]], bound[run[win]] = 1, gmin[win]
        status[run[lose]], bound[run[lose]] = -1, upper[lose]
        tau *= 10.0
    return x, status, bound


def _linear_phase2(prob: _Problem, w: np.ndarray, x: np.ndarray, max_iter: int):
    """Barrier path to the maximum of sum_i w_i log g_i(x) (linear loss), from a feasible x.

    The barrier weight mu starts at 1% and ends at 1e-12 of the objective's slope scale
    ``sum_i w_i sum_d s_id / g_i`` divided by the number of barrier terms, so the final duality
    gap is 1e-12 of that scale (solutions accurate to about 1e-10 on 0..1). mu shrinks by 50x
    each time Newton has roughly centred (decrement below 1% of mu), a long-step path.
    """
    n_s = x.shape[0]
    x = x.copy()
    g = np.where(prob.pm, prob.gain(x, "linear"), np.inf)
    ssum = np.where(prob.pair, prob.s, 0.0).sum(axis=2)
    # epigraph variables just above |r|, leaving every gain half its room
    delta = 0.5 * np.where(prob.pm, g / np.maximum(ssum, 1e-300), np.inf).min(axis=1)
    e = np.abs(x[:, None, :] - prob.z) + delta[:, None, None]
    t = np.zeros(n_s)
    h = np.where(prob.pm, g - delta[:, None] * ssum, 1.0)
    scale = np.where(prob.pm, w * ssum / h, 0.0).sum(axis=1)
    n_terms = np.maximum(prob.pair.sum(axis=(1, 2)), 1)
    mu = 1e-2 * scale / n_terms
    mu_end = 1e-12 * scale / n_terms
    zero = np.zeros(n_s)
    done = np.zeros(n_s, bool)
    n_iter = 0
    while n_iter < max_iter and not done.all():
        run = np.flatnonzero(~done)
        sub = prob.take(run)
        xr, er, tr = x[run], e[run], t[run]
        centred, used = _linear_centre(
            sub, xr, er, tr, w[run], zero[run], mu[run], False, 1e-2 * mu[run], max_iter - n_iter
        )
        n_iter += used
        x[run], e[run] = xr, er
        finished = centred & (mu[run] <= mu_end[run] * (1 + 1e-9))
        done[run[finished]] = True
        mu[run] = np.where(centred, np.maximum(mu[run] * 0.02, mu_end[run]), mu[run])
    return x, done


def nash_bargaining(
    ideal: np.ndarray,
    salience: np.ndarray,
    power: np.ndarray,
    disagreement: np.ndarray,
    *,
    loss: Loss = "quadratic",
    agreement_tol: float = 1e-9,
    max_iter: int = 500,
) -> NashSolution:
    """Asymmetric Nash bargaining solution over all issues jointly, batched over samples.

    Maximises ``sum_i w_i log(u_i(x) - d_i)`` subject to ``u_i(x) > d_i`` for every party,
    with ``u_i`` from :func:`utilities`. Samples are independent problems solved together.

    Parameters
    ----------
    ideal : ndarray, shape (S, N, D)
        Ideal points on the normalised 0..1 scale.
    salience : ndarray, shape (S, N, D)
        Salience on 0..1; 0 where an actor takes no part in an issue.
    power : ndarray, shape (S, N) or (N,)
        Bargaining power ``w_i >= 0``.
    disagreement : ndarray, shape (S, N) or (N,)
        Disagreement payoffs ``d_i`` in the units of :func:`utilities`.
    loss : {"quadratic", "linear"}
        Loss of distance in the utilities.
    agreement_tol : float
        A deal must give every party a gain above this (utility units on 0..1 positions).
    max_iter : int
        Newton iteration limit of each phase (``converged`` reports a hit).

    Returns
    -------
    NashSolution
        See the class; ``x`` is NaN for samples without agreement.

    Examples
    --------
    Splitting a pie (models.md E.1): A's share x, ``u_A = x - 1``, ``u_B = -x``,
    ``d = (0.2 - 1, 0.3 - 1)``, powers (2, 1):

    >>> import numpy as np
    >>> sol = nash_bargaining(np.array([[[1.0], [0.0]]]), np.ones((1, 2, 1)),
    ...                       np.array([2.0, 1.0]), np.array([-0.8, -0.7]), loss="linear")
    >>> round(float(sol.x[0, 0]), 6), bool(sol.agreement[0])
    (0.533333, True)
    """
    z = np.asarray(ideal, dtype=float)
    s = np.asarray(salience, dtype=float)
    if z.ndim != 3 or s.shape != z.shape:
        raise ValueError(f"ideal and salience must both have shape (S, N, D); got {z.shape}")
    n_s, n_n, n_d = z.shape
    w = np.broadcast_to(np.asarray(power, dtype=float), (n_s, n_n)).copy()
    d = np.broadcast_to(np.asarray(disagreement, dtype=float), (n_s, n_n)).copy()
    if np.any(s < 0) or np.any(w < 0):
        raise ValueError("salience and power must be non-negative")
    pm = (w > 0) & (s.sum(axis=2) > 0)
    if np.any(pm & ~np.isfinite(d)):
        raise ValueError("disagreement payoffs of the parties must be finite")
    d = np.where(pm, d, 0.0)
    free = np.einsum("sn,snd->sd", pm.astype(float), s) > 0
    prob = _Problem(z, s, d, pm, free)

    # start from the compromise point of the parties (undetermined issues parked at 0.5)
    ws = np.where(pm, w, 0.0)[:, :, None] * s
    with np.errstate(invalid="ignore", divide="ignore"):
        x0 = np.where(free, (ws * z).sum(1) / ws.sum(1), 0.5)

    phase1 = _quadratic_phase1 if loss == "quadratic" else _linear_phase1
    phase2 = _quadratic_phase2 if loss == "quadratic" else _linear_phase2
    batch = _batch.set(n_s)
    try:
        x1, status, bound = phase1(prob, x0, agreement_tol, max_iter)
        agree = status == 1
        x = np.full((n_s, n_d), np.nan)
        conv = status != 0
        idx = np.flatnonzero(agree)
        if idx.size:
            x2, done = phase2(prob.take(idx), w[idx], x1[idx], max_iter)
            x[idx] = x2
            conv[idx] &= done
    finally:
        _batch.reset(batch)
    x = np.where(free, np.clip(x, 0.0, 1.0), np.nan)
    gains = np.where(agree[:, None] & pm, utilities(np.nan_to_num(x), z, s, loss) - d, np.nan)
    return NashSolution(
        x=x,
        agreement=agree,
        gains=gains,
        max_min_gain=bound,
        parties=pm,
        determined=free,
        converged=conv,
    )


class NashOptions(BaseModel):
    """Named choices of the Nash bargaining model (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    power: Literal["capability", "capability_salience"] = "capability"
    loss: Loss = "quadratic"
    disagreement: Literal["status_quo", "far", "utilities"] = "status_quo"
    far_margin: float = Field(1e6, ge=0.0)
    far_reference: Literal["status_quo", "worst"] = "status_quo"
    linkage: Literal["joint", "issue_by_issue"] = "joint"
    agreement_tol: float = Field(1e-9, gt=0.0)


DisagreementPayoffs = Callable[[ScenarioArrays], np.ndarray]


@dataclass(frozen=True)
class NashOutcome:
    """What :meth:`NashBargaining.solve` returns, on the issues' own scales.

    ``forecast`` (S, D) is the NBS where ``agreement`` (S, D) is True and the status quo where it
    is False (NaN if that is unknown). ``gains`` are ``u_i(x*) - d_i`` (NaN without agreement or
    for non-parties) and ``disagreement`` the payoffs ``d`` used, both in utility units on 0..1
    positions: (S, N) for joint bargaining, (S, N, D) issue by issue (``disagreement`` is always
    per issue, summed over issues for joint bargaining, except when the caller supplied it).
    ``converged`` (S,) is False where the solver hit its iteration limit.
    """

    forecast: np.ndarray
    agreement: np.ndarray
    gains: np.ndarray
    disagreement: np.ndarray
    converged: np.ndarray


@register
class NashBargaining(Model):
    """Asymmetric Nash bargaining solution over all issues (or issue by issue)."""

    links_issues = True  # the joint (default) NBS trades across issues
    issue_control = "joint"  # every actor's participation: a concession is compensated
    name = "nbs"
    title = "Asymmetric Nash bargaining solution"
    citation = (
        "Nash (1950) 'The bargaining problem', Econometrica 18(2):155-162; Kalai (1977) "
        "'Nonsymmetric Nash solutions and replications of 2-person bargaining', IJGT 6:129-133; "
        "Achen (2006) in Thomson et al. (eds), The European Union Decides, Cambridge UP"
    )
    Options = NashOptions

    def __init__(self, disagreement_payoffs: DisagreementPayoffs | None = None, **options: Any):
        super().__init__(**options)
        if self.options.disagreement == "utilities" and disagreement_payoffs is None:
            raise ValueError(
                "nbs: disagreement='utilities' needs disagreement_payoffs, a function of the "
                "scenario arrays returning each actor's disagreement payoff"
            )
        if self.options.disagreement != "utilities" and disagreement_payoffs is not None:
            raise ValueError(
                "nbs: disagreement_payoffs is only used with disagreement='utilities', not "
                f"{self.options.disagreement!r}"
            )
        self.disagreement_payoffs = disagreement_payoffs

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.disagreement_payoffs is not None:
            fn = self.disagreement_payoffs
            out["disagreement_payoffs"] = getattr(fn, "__qualname__", repr(fn))
        return out

    def _disagreement(self, arrays: ScenarioArrays, z: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Per-issue disagreement utilities (S, N, D), or the caller's payoffs as given."""
        opt = self.options
        if opt.disagreement == "utilities":
            return np.asarray(self.disagreement_payoffs(arrays), dtype=float)
        sq = arrays.status_quo
        if opt.disagreement == "status_quo" or opt.far_reference == "status_quo":
            missing = np.isnan(sq).any(axis=0)
            if missing.any():
                names = ", ".join(arrays.issue_ids[j] for j in np.flatnonzero(missing))
                hint = (
                    " (or use disagreement='far' with far_reference='worst')"
                    if opt.disagreement == "status_quo"
                    else " (or use far_reference='worst')"
                )
                raise ValueError(
                    f"nbs: disagreement={opt.disagreement!r} needs the status quo, which is "
                    f"unknown on issue(s) {names}; give a status quo for them{hint}"
                )
            ref = ((sq - arrays.scale_min) / arrays.scale_width)[:, None, :]
            r = ref - z
        else:
            r = np.maximum(z, 1.0 - z)  # distance to each actor's worst end of the scale
        dist = r * r if opt.loss == "quadratic" else np.abs(r)
        per_issue = -s * dist
        if opt.disagreement == "far":
            scale = 100.0**2 if opt.loss == "quadratic" else 100.0
            margin = opt.far_margin / scale
            if opt.linkage == "joint":
                # one margin on the whole package, not one per issue
                per_issue = per_issue - margin / arrays.n_issues
            else:
                per_issue = per_issue - margin
        return per_issue

    def solve(self, arrays: ScenarioArrays) -> NashOutcome:
        """NBS forecast, agreement flags, gains and the disagreement payoffs used."""
        opt = self.options
        n_s, n_n, n_d = arrays.position.shape
        mask = np.broadcast_to(arrays.mask, (n_s, n_n, n_d))
        z = np.clip(arrays.normalised_position(), 0.0, 1.0)
        s = np.where(mask, arrays.salience, 0.0)
        cap = np.where(mask, arrays.capability, 0.0)
        per = cap if opt.power == "capability" else cap * s
        d_all = self._disagreement(arrays, z, s)

        if opt.linkage == "joint":
            n_in = mask.sum(axis=2)
            w = np.where(n_in > 0, per.sum(axis=2) / np.maximum(n_in, 1), 0.0)
            d = d_all.sum(axis=2) if opt.disagreement != "utilities" else d_all
            if d.shape != (n_s, n_n):
                raise ValueError(
                    f"nbs: disagreement payoffs must have shape {(n_s, n_n)} for joint "
                    f"bargaining, got {d.shape}"
                )
            sol = nash_bargaining(z, s, w, d, loss=opt.loss, agreement_tol=opt.agreement_tol)
            x = sol.x
            agree = np.broadcast_to(sol.agreement[:, None], (n_s, n_d))
            gains, conv = sol.gains, sol.converged
        else:
            if d_all.shape != (n_s, n_n, n_d):
                raise ValueError(
                    f"nbs: disagreement payoffs must have shape {(n_s, n_n, n_d)} for "
                    f"issue-by-issue bargaining, got {d_all.shape}"
                )

            # issues become extra samples of one-issue problems: (S, N, D) -> (S*D, N, 1)
            def flat(a: np.ndarray) -> np.ndarray:
                return a.transpose(0, 2, 1).reshape(n_s * n_d, n_n)

            sol = nash_bargaining(
                flat(z)[:, :, None],
                flat(s)[:, :, None],
                flat(per),
                flat(np.where(mask, d_all, 0.0)),
                loss=opt.loss,
                agreement_tol=opt.agreement_tol,
            )
            x = sol.x.reshape(n_s, n_d)
            agree = sol.agreement.reshape(n_s, n_d)
            gains = sol.gains.reshape(n_s, n_d, n_n).transpose(0, 2, 1)
            conv = sol.converged.reshape(n_s, n_d).all(axis=1)

        # issues no party cares about: the Nash product leaves them open (see module docstring)
        present = mask.sum(axis=1)
        plain_mean = np.where(mask, arrays.position, 0.0).sum(axis=1) / np.maximum(present, 1)
        out = np.where(np.isnan(x), np.nan, arrays.from_normalised(np.nan_to_num(x)))
        out = np.where(np.isnan(x) & agree, plain_mean, out)
        out = np.where(agree, out, arrays.status_quo)
        return NashOutcome(
            forecast=out,
            agreement=np.array(agree),
            gains=gains,
            disagreement=d_all,
            converged=conv,
        )

    def simulate(
        self, arrays: ScenarioArrays, rounds: int | None, rng: np.random.Generator
    ) -> Simulation:
        res = self.solve(arrays)
        return Simulation(
            positions=arrays.position[None],
            forecasts=res.forecast[None],
            events=[[]],
            converged=bool(res.converged.all()),
            agreement=res.agreement,
        )
