"""Can the deal hold? Win-sets, ratification votes, agreement forms and forums.

Two-level games (Putnam 1988): an agreement is feasible only if every body that must ratify it
prefers it to the reversion point. Veto players (Tsebelis 2002): each body approves the packages
that at least ``q`` of its members prefer to the reversion; adding a body or raising ``q`` can only
shrink the set of such packages, the *win-set*.

Spatial voting (models.md D.1): member ``k`` with ideal point ``z_k`` and issue weights ``w_k``
approves ``x`` iff ``||x - z_k||_w < ||SQ - z_k||_w`` with ``||v||_w = sqrt(sum_d w_d v_d^2)``.
A member indifferent between the two (equal distances, to a relative tolerance of 1e-10 on the
terms of the squared distances) votes as the body's ``ties`` option says: ``"no"`` (the default,
strict preference) or ``"yes"``.

Every function is batched over a leading sample axis: packages ``x`` have shape (S, ..., D),
bodies (S, M, D); a package with S = 1 broadcasts against a Monte Carlo body and vice versa.
Forms loop over their bodies (a handful; bodies have different member counts), never over samples
or members.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.arrays import ScenarioArrays
from detente.models.base import Model
from detente.scenario.ratification import CompiledBody, CompiledForum, CompiledRatification

TIE_RTOL = 1e-10


# --------------------------------------------------------------------------------------------
# Votes


def _expand(body: CompiledBody, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Body arrays reshaped to (S, 1.., M, D) so that they broadcast against x[..., None, :]."""
    extra = (1,) * (x.ndim - 2)
    s, m, d = body.ideal.shape
    z = body.ideal.reshape(s, *extra, m, d)
    w = body.weight.reshape(s, *extra, m, d)
    r = body.reversion.reshape(s, *extra, 1, d)
    return z, w, r


def _distances(x: np.ndarray, body: CompiledBody) -> tuple[np.ndarray, np.ndarray]:
    """Weighted distances of every member to ``x`` and to the reversion, each (S, ..., M)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None]
    z, w, r = _expand(body, x)
    on = w > 0
    # NaN reversions or package values on issues a member does not weigh must not leak in
    dx = np.where(on, x[..., None, :] - z, 0.0)
    dr = np.where(on, r - z, 0.0)
    return np.sqrt((w * dx**2).sum(-1)), np.sqrt((w * dr**2).sum(-1))


def margins(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """How much each member prefers ``x`` to the reversion: ``||SQ - z|| - ||x - z||``, less
    its approval cost where it has one.

    Parameters
    ----------
    x
        Packages, shape (S, ..., D) on the issues' scales (a (D,) package counts as S = 1).
    body
        The ratifying body.

    Returns
    -------
    numpy.ndarray
        (S, ..., M); positive where the member strictly prefers ``x``, zero where indifferent.
    """
    d_x, d_r = _distances(x, body)
    m = d_r - d_x
    m = np.where(np.abs(m) <= TIE_RTOL * (d_x + d_r), 0.0, m)
    if body.approval_cost is not None:  # the domestic price comes off the gain (Putnam 1988)
        c = body.approval_cost.reshape((body.approval_cost.shape[0],) + (1,) * (m.ndim - 2) + (-1,))
        m = m - c
    return m


class _Terms:
    """What a vote needs of packages ``x`` (S, ..., D) against a body's reversion, computed
    once for all its samples: every quantity is per sample and package, so that the slices of
    a large vote (:func:`_by_slices`) cut them instead of computing them again.

    ``xf`` (Sx, P, D) are the packages; ``a = r^2 - x^2`` and ``b = r - x`` (S, P, D) the terms
    of the gains (NaN taken as 0), ``b2 = 2 b``; ``unknown`` (S, P, D) flags a NaN in ``x`` or
    the reversion (None where there is none); ``big`` (S, P, 1), where asked for, is
    ``max_d |a_d| + 2 Z max_d |b_d|`` with ``Z`` the body's ``ideal_limit`` (or ``max |z|``).
    """

    def __init__(self, x: np.ndarray, body: Any, big: bool = True) -> None:
        self.lead = x.shape[:-1]
        d = x.shape[-1]
        self.xf = xf = x.reshape(x.shape[0], -1, d)  # (Sx, P, D)
        r = body.reversion[:, None, :]  # (Sb, 1, D)
        self.unknown = None
        x0, r0 = xf, r
        if np.isnan(xf).any() or np.isnan(r).any():
            x_nan, r_nan = np.isnan(xf), np.isnan(r)
            self.unknown = x_nan | r_nan
            x0 = np.where(x_nan, 0.0, xf)
            r0 = np.where(r_nan, 0.0, r)
        if r0.shape[0] == x0.shape[0] and x0.shape[1] > 1:
            # the reversion repeated over the packages: the same values, element by element,
            # in whole arrays (faster than broadcasting (S, 1, D) along every package)
            r0 = np.broadcast_to(r0, x0.shape).copy()
        self.a = r0**2 - x0**2  # (S, P, D)
        self.b = r0 - x0
        # doubling b before the product doubles every product and partial sum exactly (a power
        # of two, far from overflow and underflow): a @ wt - (2 b) @ wzt is a @ wt - 2 (b @ wzt)
        self.b2 = 2 * self.b
        self.big = self.thr = None
        self.top = math.nan
        if big:
            lim = body.ideal_limit
            z_max = lim if math.isfinite(lim) else body.ideal_bound[:, None, None]
            self.big = _abs_max(self.a) + 2 * z_max * _abs_max(self.b)
            # the tie tolerance's first check (:func:`_sign_votes`), at the members' largest
            # sum of weights, and its largest value; NaN where any is negative or NaN
            w_max = _w_max(body)  # (Sb, 1, 1)
            self.thr = (2 * TIE_RTOL * self.big) * w_max  # (S, P, 1)
            if (self.thr >= 0).all():
                self.top = float(self.thr.max())

    def cut(self, sl: slice) -> _Terms:
        """Samples ``sl`` (arrays with one sample, which broadcast, are kept whole)."""
        out = object.__new__(_Terms)
        for k, v in vars(self).items():
            if isinstance(v, np.ndarray) and v.ndim == 3 and v.shape[0] > 1:
                v = v[sl]
            setattr(out, k, v)
        return out

    def shaped(self, v: np.ndarray, members: bool = True) -> np.ndarray:
        """(S, P[, M]) results in the packages' shape: (S, ...[, M])."""
        if members:
            return v.reshape((v.shape[0], *self.lead[1:], v.shape[-1]))
        return v.reshape((v.shape[0], *self.lead[1:]))


def _gains(t: _Terms, body: Any) -> np.ndarray:
    """``a @ wt - 2 (b @ wzt)`` (S, P, M), NaN where a member weighs an unknown value."""
    wt = body.weight_t  # (Sb, D, M) views: matmul needs no copies
    wzt = np.swapaxes(body.weighted_ideal, 1, 2)
    gain = t.a @ wt
    gain -= t.b2 @ wzt
    if t.unknown is not None and t.unknown.any():
        on_t = (wt > 0).astype(float)
        gain = np.where((t.unknown.astype(float) @ on_t) > 0, np.nan, gain)
    return gain


def _gain_terms(x: np.ndarray, body: CompiledBody) -> tuple[np.ndarray, ...]:
    """Gains (Sx|Sb, P, M) as in :func:`gains`, with the per-issue terms ``a``, ``b`` (S, P, D)
    and the shape of the result."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None]
    t = _Terms(x, body, big=False)
    gain = _gains(t, body)
    return gain, t.a, t.b, (gain.shape[0], *t.lead[1:], gain.shape[-1])


def _term_size(a: np.ndarray, b: np.ndarray, body: CompiledBody) -> np.ndarray:
    """``sum_d w_d (|a_d| + 2 max|z| |b_d|)``, the size of the terms of the gains (S, P, M)."""
    wt = body.weight_t
    z_max = body.ideal_bound[:, None, None]
    return np.abs(a) @ wt + 2 * z_max * (np.abs(b) @ wt)


def gains(x: np.ndarray, body: CompiledBody) -> tuple[np.ndarray, np.ndarray]:
    """``||SQ - z||_w^2 - ||x - z||_w^2`` per member, and the size of its terms; (S, ..., M) each.

    The sign says how a member votes. Written as ``sum_d w_d (r_d^2 - x_d^2) - 2 sum_d w_d z_d
    (r_d - x_d)``: matrix products over the issues instead of an (S, ..., M, D) array, so that
    thousands of members and samples stay cheap. The second array bounds the terms' absolute
    values and scales the tie tolerance. A member who weighs an issue on which ``x`` or the
    reversion is NaN gets NaN (and votes no).
    """
    gain, a, b, shape = _gain_terms(x, body)
    return gain.reshape(shape), _term_size(a, b, body).reshape(shape)


#: cells (samples x packages x members) of the gains computed at once by a vote: a large vote
#: (a Monte Carlo block of a chamber of hundreds) is taken a slice of samples at a time, so that
#: its (S, P, M) intermediates stay in the processor's cache instead of going through memory
_VOTE_CELLS = 1 << 16


class _BodySlice:
    """Samples ``sl`` of a :class:`CompiledBody`, with the attributes a vote reads (arrays with
    one sample, which broadcast, are kept whole): every quantity of a vote is per sample, so a
    vote on the slices gives the whole vote's values, element for element."""

    def __init__(self, body: CompiledBody, sl: slice) -> None:
        self._body, self._sl = body, sl
        self.reversion = self._cut(body.reversion)
        self.weight_t = self._cut(body.weight_t)
        self.weighted_ideal = self._cut(body.weighted_ideal)
        self.weight_sum = self._cut(body.weight_sum)
        self.approval_cost = None if body.approval_cost is None else self._cut(body.approval_cost)
        self.ideal_limit = body.ideal_limit
        self.ties = body.ties
        self._w_max = self._cut(_w_max(body))
        if body.approval_cost is not None:
            self._cost_terms = tuple(self._cut(v) for v in _cost_terms(body))

    def _cut(self, v: np.ndarray) -> np.ndarray:
        return v[self._sl] if v.shape[0] > 1 else v

    @property
    def ideal(self) -> np.ndarray:
        return self._cut(self._body.ideal)

    @property
    def weight(self) -> np.ndarray:
        return self._cut(self._body.weight)

    @property
    def ideal_bound(self) -> np.ndarray:
        return self._cut(self._body.ideal_bound)


def _sample_slices(x: np.ndarray, body: CompiledBody) -> list[slice]:
    """The slices of samples a vote of ``x`` (S, ..., D) by ``body`` is taken in: one per
    :data:`_VOTE_CELLS` cells of gains, or an empty list where one pass does it."""
    s = max(x.shape[0], body.n_samples)
    cells = math.prod(x.shape[1:-1]) * body.n_members
    step = max(1, _VOTE_CELLS // max(cells, 1))
    if s <= step:
        return []
    return [slice(i, min(i + step, s)) for i in range(0, s, step)]


def _vote_slices(x: np.ndarray, body: CompiledBody) -> list[tuple[slice, np.ndarray, _BodySlice]]:
    """The slices of :func:`_sample_slices`, with the packages and the body cut to each."""
    return [
        (sl, x[sl] if x.shape[0] > 1 else x, _BodySlice(body, sl)) for sl in _sample_slices(x, body)
    ]


def approvals(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """Which members vote yes on ``x``, (S, ..., M) bool (ties follow ``body.ties``).

    The exact size of the terms (:func:`gains`) is only needed where ``|gain|`` is within the
    tie tolerance of a cheap upper bound of it, ``(max_d |a_d| + 2 Z max_d |b_d|) sum_d w_d``
    with ``Z`` the body's ``ideal_limit`` (or ``max |z|``); elsewhere the vote is its sign.
    A large vote is taken a slice of samples at a time (:data:`_VOTE_CELLS`): the same votes.

    >>> from detente.scenario.ratification import CompiledBody
    >>> senate = CompiledBody.from_points(np.arange(1.0, 101.0), 30.0, 67)
    >>> int(approvals(np.array([[35.0]]), senate).sum())
    68
    """
    return _by_slices(x, body, lambda t, b: t.shaped(_approve(t, b)))


def _by_slices(
    x: np.ndarray, body: CompiledBody, vote: Callable[[_Terms, Any], np.ndarray]
) -> np.ndarray:
    """``vote(terms, body)`` with the :class:`_Terms` of ``x``, taken a slice of samples at a
    time where the vote is large (:func:`_sample_slices`); each slice's result is the whole
    one's rows."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None]
    t = _Terms(x, body)
    steps = _sample_slices(x, body)
    if not steps:
        return vote(t, body)
    out = None
    for sl in steps:
        part = vote(t.cut(sl), _BodySlice(body, sl))
        if out is None:
            out = np.empty((steps[-1].stop, *part.shape[1:]), dtype=part.dtype)
        out[sl] = part
    return out


def _approvals(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """:func:`approvals` in one pass over the samples."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None]
    t = _Terms(x, body)
    return t.shaped(_approve(t, body))


def _approve(t: _Terms, body: Any) -> np.ndarray:
    """The votes (S, P, M) on the packages of ``t``."""
    g = _gains(t, body)
    ok = _sign_votes(g, t, body)
    if body.approval_cost is not None:
        # Putnam's domestic price: a member approves only if the package beats the reversion
        # by more than its cost, ||SQ - z|| - ||x - z|| > c
        ok = _pay_cost(ok, g, t, body)
    return ok


def _sign_votes(g: np.ndarray, t: _Terms, body: Any) -> np.ndarray:
    """``g > 0``, with the members within the tie tolerance voting as ``body.ties`` says.

    The tolerance is only checked where ``|g|`` is within 2 x a cheap bound of it, ``big x
    sum_d w_d`` (a margin far above the rounding of either side; NaN gains are never near),
    and first against the bound's largest value over the members, ``thr`` (S, P, 1). Before
    that, two counts against the largest ``thr`` of the vote, ``T``: where no gain lies in
    ``[-T, T]``, none is within its ``thr`` of 0 and ``g > T`` is ``g > 0`` (comparisons with
    one number instead of a broadcast (S, P, 1)). Ties are rare; only where a check finds a
    candidate are the per-member bound and the exact term sizes computed."""
    top = t.top
    if top >= 0:  # then g > T implies g >= -T
        ok = g > top
        if np.count_nonzero(g >= -top) == np.count_nonzero(ok):
            return ok
    ok = g > 0
    g_abs = np.abs(g)
    if (g_abs <= t.thr).any():
        near = g_abs <= (2 * TIE_RTOL * t.big) * body.weight_sum[:, None, :]
        if near.any():
            tie = near & (g_abs <= TIE_RTOL * _term_size(t.a, t.b, body))
            ok = ok | tie if body.ties == "yes" else ok & ~tie
    return ok


def _abs_max(a: np.ndarray) -> np.ndarray:
    """``np.abs(a).max(axis=2, keepdims=True)`` of (S, P, D) terms without NaN, as D passes of
    ``np.maximum`` over (S, P): a maximum is one of its inputs whatever the order, so the
    same bits, without NumPy's slow reduction over a short last axis."""
    m = np.abs(a[..., 0])
    for d in range(1, a.shape[-1]):
        np.maximum(m, np.abs(a[..., d]), out=m)
    return m[..., None]


def _w_max(body: Any) -> np.ndarray:
    """The members' largest sum of weights per sample, (S, 1, 1), computed once per body."""
    got = body.__dict__.get("_w_max")
    if got is None:
        got = body.__dict__["_w_max"] = body.weight_sum.max(axis=1)[:, None, None]
    return got


def _cost_terms(body: Any) -> tuple[np.ndarray, ...]:
    """What the approval costs' test needs of the body alone, (S, 1, M) each, computed once
    per body: ``dr2 = ||SQ - z||_w^2`` as :func:`_distances` computes it, ``t2 = (sqrt(dr2) -
    c)^2``, ``sqrt(dr2) > c`` and ``c > 0``."""
    got = body.__dict__.get("_cost_terms")
    if got is None:
        cost = body.approval_cost[:, None, :]  # (Sc, 1, M)
        on = body.weight > 0
        dr = np.where(on, body.reversion[:, None, :] - body.ideal, 0.0)
        dr2 = (body.weight * dr**2).sum(-1)[:, None, :]  # (Sb, 1, M)
        target = np.sqrt(dr2) - cost
        got = (dr2, target**2, target > 0, cost > 0)
        body.__dict__["_cost_terms"] = got
    return got


def _pay_cost(ok: np.ndarray, g: np.ndarray, t: _Terms, body: Any) -> np.ndarray:
    """``ok & ((c <= 0) | (d_r - d_x > c))`` on the (S, P, M) votes of :func:`approvals`, with
    ``d_r = ||SQ - z||_w`` and ``d_x = ||x - z||_w`` as :func:`_distances` computes them.

    Computing ``d_x`` for every member and package is an (S, P, M, D) block, 90 % of the cost
    of a vote. The gains already give ``d_x^2 = d_r^2 - g`` to within about 1e-15 of
    ``bound = big sum_d w_d`` (``>= sum_d w_d (|a_d| + 2 |z_d| |b_d|)``, which bounds ``g``'s
    terms and so its rounding). Where ``g`` is further than ``tol = 1e-9 (B + d_r^2 + t2)``
    from ``d_r^2 - t2``, with ``t2 = (d_r - c)^2`` and ``B >= bound`` the bound at the largest
    ``big`` over the packages, the real ``d_r - d_x - c`` is at least 5e-10 of the distances
    away from 0, far beyond the few units in the last place that rounding moves ``d_r - d_x``
    (or the threshold ``d_r^2 - t2 +- tol``: its rounding is below 1e-6 of ``tol``), so the
    comparison in floating point has the sign of the estimate: one comparison of ``g`` with a
    per-member threshold (S, 1, M) decides. The rest (packages within that margin of a
    member's cost boundary) get :func:`_distances`' element-wise arithmetic, on those members
    only. The votes are the same, bit for bit, as from the full block (tested).
    """
    dr2, t2, reach, paying = _cost_terms(body)
    w_sum = body.weight_sum[:, None, :]
    big_max = t.big.max(axis=1, keepdims=True)  # (S, 1, 1)
    with np.errstate(invalid="ignore"):
        tol = 1e-9 * (big_max * w_sum + dr2 + t2)  # (S, 1, M)
        gap = dr2 - t2
        # yes for sure above `sure`, no for sure below `unsure`; a member without a cost
        # votes ok, one who cannot beat it (d_r <= c) votes no
        sure = np.where(paying, np.where(reach, gap + tol, np.inf), -np.inf)
        unsure = np.where(paying & reach, gap - tol, np.inf)
        out = ok & (g > sure)
    pending = ok ^ out  # ok, but not yes for sure
    if not pending.any():
        return out
    with np.errstate(invalid="ignore"):
        check = pending & (g >= unsure)
    if check.any():
        xf = t.xf
        cost = body.approval_cost[:, None, :]
        si, pi, mi = np.nonzero(check)
        sx = si if xf.shape[0] > 1 else np.zeros_like(si)
        sb = si if body.weight.shape[0] > 1 else np.zeros_like(si)
        sc = si if cost.shape[0] > 1 else np.zeros_like(si)
        ideal = body.ideal
        z = ideal[sb, mi]  # (N, D)
        w = body.weight[sb, mi]
        on_k = w > 0
        d_x = np.sqrt((w * np.where(on_k, xf[sx, pi] - z, 0.0) ** 2).sum(-1))
        d_r = np.sqrt((w * np.where(on_k, body.reversion[sb] - z, 0.0) ** 2).sum(-1))
        out[si, pi, mi] = d_r - d_x > cost[sc, 0, mi]
    return out


def yes_counts(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """Number of yes votes, (S, ...)."""
    # counted slice by slice: no (S, ..., M) votes in memory
    return _by_slices(x, body, lambda t, b: t.shaped(_count_yes(_approve(t, b)), members=False))


def _count_yes(ok: np.ndarray) -> np.ndarray:
    """``ok.sum(-1)`` of a bool array: summed as bytes into 16-bit counts (a body has at most
    :data:`~detente.scenario.ratification.MAX_MEMBERS` members), three times faster than the
    default 64-bit sum, and returned as NumPy's default integer as before."""
    if ok.shape[-1] < 2**16:
        return ok.view(np.uint8).sum(-1, dtype=np.uint16).astype(np.int_)
    return ok.sum(-1)


def passes(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """Whether the body ratifies ``x``: at least ``threshold`` yes votes, (S, ...) bool."""
    return yes_counts(x, body) >= body.threshold


def vote_margin(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """Yes votes minus the threshold, (S, ...): >= 0 passes, -k means k votes short."""
    return yes_counts(x, body) - body.threshold


def pivot(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """Index of the pivotal member, (S, ...): the ``q``-th most favourable to ``x``.

    The package passes iff the pivot votes yes. In one dimension, moving right from the status
    quo the pivot is ``z_(n-q+1)``, moving left ``z_(q)`` (models.md D.2).
    """
    order = np.argsort(-margins(x, body), axis=-1, kind="stable")
    return order[..., body.threshold - 1]


def to_win_over(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """The no-voters the package must win over, closest to approving first, (S, ..., M) bool.

    Where the body passes ``x`` this is empty; where it is ``k`` votes short it marks the ``k``
    members ranked ``yes + 1 .. q`` by their margin (the pivot is the last of them).
    """
    m = margins(x, body)
    order = np.argsort(-m, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(m.shape[-1]), axis=-1)
    yes = approvals(x, body).sum(-1, keepdims=True)
    return (rank >= yes) & (rank < body.threshold)


@dataclass(frozen=True)
class FormVotes:
    """Votes of every body of a form on packages ``x`` (S, ...).

    ``yes`` and ``passed`` have a trailing body axis ``K`` (the form's bodies in order);
    ``needed`` (K,) and ``members`` (K,) are the thresholds and member counts. ``blocking`` is the
    index (into the form's bodies) of the body furthest short, -1 where the form is ratified, and
    ``short`` how many votes it lacks (0 where ratified).
    """

    body_ids: tuple[str, ...]
    yes: np.ndarray
    needed: np.ndarray
    members: np.ndarray
    passed: np.ndarray
    ratified: np.ndarray
    blocking: np.ndarray
    short: np.ndarray


def form_votes(x: np.ndarray, bodies: tuple[CompiledBody, ...] | list[CompiledBody]) -> FormVotes:
    """Votes of each body on ``x`` and whether the form is ratified (every body passes).

    A form with no bodies needs no vote and is always ratified.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None]
    needed = np.array([b.threshold for b in bodies], dtype=int)
    members = np.array([b.n_members for b in bodies], dtype=int)
    if bodies:
        yes = np.stack([yes_counts(x, b) for b in bodies], axis=-1)
    else:
        yes = np.zeros((*x.shape[:-1], 0), dtype=int)
    margin = yes - needed
    passed = margin >= 0
    ratified = passed.all(-1)
    if bodies:
        worst = np.argmin(margin, axis=-1)  # first of the bodies furthest short
        lacking = -np.take_along_axis(margin, worst[..., None], -1)[..., 0]
    else:
        worst = lacking = np.zeros(ratified.shape, dtype=int)
    blocking = np.where(ratified, -1, worst)
    short = np.where(ratified, 0, lacking)
    return FormVotes(
        body_ids=tuple(b.id for b in bodies),
        yes=yes,
        needed=needed,
        members=members,
        passed=passed,
        ratified=ratified,
        blocking=blocking,
        short=short,
    )


def form_passes(x: np.ndarray, bodies: tuple[CompiledBody, ...] | list[CompiledBody]) -> np.ndarray:
    """Whether every body passes ``x``, (S, ...) bool: membership of the form's win-set."""
    x = np.asarray(x, dtype=float)
    out = np.ones(x.shape[:-1] if x.ndim > 1 else (1,), dtype=bool)
    for b in bodies:
        out = out & passes(x, b)
    return out


def _form_passes_pruned(
    x: np.ndarray, bodies: tuple[CompiledBody, ...] | list[CompiledBody]
) -> np.ndarray:
    """:func:`form_passes` for one sample's packages (1, ..., D): each body votes only on the
    packages every earlier body passed (the search's candidates, mostly rejected early)."""
    x = np.asarray(x, dtype=float)
    if x.ndim < 2 or x.shape[0] != 1 or any(b.n_samples != 1 for b in bodies):
        return form_passes(x, bodies)
    flat = x.reshape(1, -1, x.shape[-1])
    alive = np.arange(flat.shape[1])
    for b in bodies:
        if alive.size == 0:
            break
        alive = alive[passes(flat[:, alive], b)[0]]
    out = np.zeros(flat.shape[1], dtype=bool)
    out[alive] = True
    return out.reshape(x.shape[:-1])


def ratification_probability(
    x: np.ndarray, bodies: tuple[CompiledBody, ...] | list[CompiledBody]
) -> tuple[np.ndarray, np.ndarray]:
    """Probability that every body ratifies ``x`` over uncertain ideal points (models.md D.4).

    The bodies come from a Monte Carlo compile (S samples of ideal points, weights, reversions);
    the probability is the share of samples in which the form passes.

    Returns
    -------
    (p, se)
        Probability and its Monte Carlo standard error ``sqrt(p (1 - p) / S)``, shape (...).
    """
    ok = form_passes(x, bodies)
    s = ok.shape[0]
    p = ok.mean(axis=0)
    return p, np.sqrt(p * (1 - p) / s)


# --------------------------------------------------------------------------------------------
# One dimension: closed form


@dataclass(frozen=True)
class WinSet1D:
    """A body's win-set on one issue, per sample (S,), other issues held at the reversion.

    The win-set is ``(left_low, sq) U (sq, right_high)`` with open ends when ties vote no (each
    part may be empty: NaN bounds), closed ends including the status quo itself when they vote
    yes. ``gridlock_low .. gridlock_high`` is the set of status quos no package can beat
    (Krehbiel 1998; Tsebelis 2002), NaN where empty (thresholds below half).
    """

    sq: np.ndarray
    left_low: np.ndarray
    right_high: np.ndarray
    gridlock_low: np.ndarray
    gridlock_high: np.ndarray
    closed: bool

    @property
    def low(self) -> np.ndarray:
        """Lower end of the win-set (SQ where nothing to its left wins; NaN where empty)."""
        lo = np.where(np.isnan(self.left_low), self.sq, self.left_low)
        return np.where(self.empty, np.nan, lo)

    @property
    def high(self) -> np.ndarray:
        """Upper end of the win-set (SQ where nothing to its right wins; NaN where empty)."""
        hi = np.where(np.isnan(self.right_high), self.sq, self.right_high)
        return np.where(self.empty, np.nan, hi)

    @property
    def empty(self) -> np.ndarray:
        return np.isnan(self.left_low) & np.isnan(self.right_high)

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Membership of points ``x`` (S, K) in the win-set."""
        x = np.asarray(x, dtype=float)
        sq = self.sq[:, None]
        lo, hi = self.left_low[:, None], self.right_high[:, None]
        if self.closed:
            left = (x >= lo) & (x <= sq)
            right = (x >= sq) & (x <= hi)
        else:
            left = (x > lo) & (x < sq)
            right = (x > sq) & (x < hi)
        return left | right


def winset_1d(
    ideal: np.ndarray,
    sq: np.ndarray | float,
    threshold: int,
    *,
    weight: np.ndarray | None = None,
    ties: Literal["no", "yes"] = "no",
) -> WinSet1D:
    """Closed-form win-set of a ``threshold``-of-``n`` body in one dimension (models.md D.2).

    Sort the ideal points ``z_(1) <= ... <= z_(n)``. Moving right from ``SQ`` the pivot is
    ``z_(n-q+1)`` and ``W_right = (SQ, 2 z_(n-q+1) - SQ)`` if ``z_(n-q+1) > SQ``; moving left the
    pivot is ``z_(q)`` and ``W_left = (2 z_(q) - SQ, SQ)`` if ``z_(q) < SQ``; ``[z_(n-q+1), z_(q)]``
    is the gridlock interval. Members with weight 0 are indifferent to every move: they never
    help when ties vote no and always help when ties vote yes.

    Parameters
    ----------
    ideal
        (S, M) or (M,) ideal points.
    sq
        (S,) or scalar status quo (reversion).
    threshold
        Yes votes needed, ``q``.
    weight
        Optional (S, M) or (M,) weights; only whether a weight is positive matters in 1-D.
    ties
        How indifferent members vote.

    Returns
    -------
    WinSet1D

    >>> w = winset_1d(np.arange(1.0, 101.0), 30.0, 67)
    >>> float(w.right_high[0]), float(w.gridlock_low[0]), float(w.gridlock_high[0])
    (38.0, 34.0, 67.0)
    """
    z = np.atleast_2d(np.asarray(ideal, dtype=float))
    s = z.shape[0]
    sq = np.broadcast_to(np.asarray(sq, dtype=float), (s,)).astype(float)
    on = (
        np.ones_like(z, dtype=bool)
        if weight is None
        else np.broadcast_to(np.asarray(weight) > 0, z.shape)
    )
    q = int(threshold)
    n = z.shape[1]
    inf = np.inf if ties == "yes" else -np.inf  # where indifferent members sit for a move right
    z_right = np.sort(np.where(on, z, inf), axis=1)  # pivot = q-th largest
    z_left = np.sort(np.where(on, z, -inf), axis=1)  # pivot = q-th smallest
    if q > n:
        p_right = np.full(s, -np.inf)
        p_left = np.full(s, np.inf)
    else:
        p_right = z_right[:, n - q]
        p_left = z_left[:, q - 1]
    closed = ties == "yes"
    ok_r = p_right >= sq if closed else p_right > sq
    ok_l = p_left <= sq if closed else p_left < sq
    with np.errstate(invalid="ignore"):
        right_high = np.where(ok_r, 2 * p_right - sq, np.nan)
        left_low = np.where(ok_l, 2 * p_left - sq, np.nan)
    grid = p_right <= p_left
    return WinSet1D(
        sq=sq,
        left_low=left_low,
        right_high=right_high,
        gridlock_low=np.where(grid, p_right, np.nan),
        gridlock_high=np.where(grid, p_left, np.nan),
        closed=closed,
    )


def body_winset_1d(body: CompiledBody, issue: int) -> WinSet1D:
    """A body's win-set along one issue, the other issues held at the body's reversion."""
    return winset_1d(
        body.ideal[:, :, issue],
        body.reversion[:, issue],
        body.threshold,
        weight=body.weight[:, :, issue],
        ties=body.ties,
    )


# --------------------------------------------------------------------------------------------
# Several dimensions: bounding box, sampling, nearest ratifiable package


def winset_box(
    bodies: tuple[CompiledBody, ...] | list[CompiledBody],
    scale_min: np.ndarray,
    scale_max: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """A box holding the form's win-set, ``(low, high)`` each (S, D), within the issues' scales.

    Member ``k`` prefers ``x`` only inside its ellipse through the reversion, whose extent on
    issue ``d`` is ``z_kd +- r_k / sqrt(w_kd)`` with ``r_k = ||SQ - z_k||_w`` (unbounded where
    ``w_kd = 0``). A package some ``q`` members approve lies in ``q`` ellipses, so on each issue it
    lies between the ``q``-th smallest lower end and the ``q``-th largest upper end.
    Where the box is empty, ``low > high`` on some issue.
    """
    lo = np.asarray(scale_min, dtype=float)
    hi = np.asarray(scale_max, dtype=float)
    s = max([b.n_samples for b in bodies] or [1])
    low = np.broadcast_to(lo, (s, lo.size)).copy()
    high = np.broadcast_to(hi, (s, hi.size)).copy()
    for b in bodies:
        on = b.weight > 0
        dr = np.where(on, b.reversion[:, None, :] - b.ideal, 0.0)
        r = np.sqrt((b.weight * dr**2).sum(-1, keepdims=True))  # (S, M, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            half = np.where(on, r / np.sqrt(b.weight), np.inf)
        lower = b.ideal - half
        upper = b.ideal + half
        if b.ties == "no":  # a member at its reversion approves nothing
            nothing = r == 0
            lower = np.where(nothing, np.inf, lower)
            upper = np.where(nothing, -np.inf, upper)
        q = b.threshold  # 1 <= q <= M (CompiledBody checks)
        low = np.maximum(low, np.sort(lower, axis=1)[:, q - 1])
        high = np.minimum(high, -np.sort(-upper, axis=1)[:, q - 1])
    return low, high


@dataclass(frozen=True)
class WinSetSample:
    """Uniform candidates in the win-set's box and which of them are in the win-set.

    ``points`` (S, K, D), ``inside`` (S, K) bool; ``share`` (S,) estimates the share of the
    issue space (the product of the issues' scales) that the win-set covers.
    """

    points: np.ndarray
    inside: np.ndarray
    share: np.ndarray


def sample_winset(
    bodies: tuple[CompiledBody, ...] | list[CompiledBody],
    scale_min: np.ndarray,
    scale_max: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> WinSetSample:
    """Sample a form's (or one body's) win-set by rejection from its bounding box.

    For ``q < n`` the win-set is a union over ``q``-subsets of ellipse intersections, expensive
    to write down (models.md D.3); sampling it is cheap: ``n`` uniform candidates per sample in
    :func:`winset_box`, kept where every body passes them.
    """
    low, high = winset_box(bodies, scale_min, scale_max)
    width = np.asarray(scale_max, float) - np.asarray(scale_min, float)
    empty = (low >= high).any(-1)  # (S,)
    lo = np.where(empty[:, None], 0.0, low)
    span = np.where(empty[:, None], 0.0, high - low)
    u = rng.random((low.shape[0], n, low.shape[1]))
    pts = lo[:, None, :] + u * span[:, None, :]
    inside = form_passes(pts, bodies) & ~empty[:, None]
    share = inside.mean(-1) * np.prod(span / width, axis=-1)
    return WinSetSample(points=pts, inside=inside, share=share)


@dataclass(frozen=True)
class Nearest:
    """Nearest ratifiable package: ``package`` (S, D), ``distance`` (S,) in scale units (each
    issue divided by its scale width), ``found`` (S,) False where no ratifiable package was found
    (then ``package`` is NaN and ``distance`` inf)."""

    package: np.ndarray
    distance: np.ndarray
    found: np.ndarray


def nearest_ratifiable(
    y: np.ndarray,
    bodies: tuple[CompiledBody, ...] | list[CompiledBody],
    scale_min: np.ndarray,
    scale_max: np.ndarray,
    rng: np.random.Generator,
    *,
    candidates: int = 256,
    rounds: int = 24,
    bisections: int = 30,
    tol: float = 1e-6,
    within: tuple[np.ndarray, np.ndarray] | None = None,
) -> Nearest:
    """The ratifiable package closest to ``y`` (e.g. a model's forecast) for a form.

    Distance is Euclidean on the issues' scales divided by their widths. ``y`` itself is returned
    where it passes. Otherwise a search: uniform candidates in the win-set's box
    (:func:`winset_box`), then Gaussian candidates around the best package so far, with a step
    size kept while it finds better packages and halved when it does not, until it falls below
    ``tol``. Every ratifiable candidate is pulled towards ``y`` along the segment between them, to
    the first point of the segment that passes (:func:`first_passing`, in closed form). Issues no
    body weighs keep ``y``'s value. The result passes and is an upper bound on the true
    distance. On the test cases (a circle, the models.md D.3 ellipses) the distance is within
    1e-9 and the package within about 1e-5 of the scale widths of the optimum (the distance is
    flat along the boundary near it).

    Until 2026-12 the pull was a bisection of ``bisections`` steps on every segment (30 calls of
    the vote function per round, 90 % of ``ratify --nearest``). It stopped within 2^-30 of *a*
    point where the votes change, not necessarily the first one from ``y``. The closed form finds
    the first one (to about 1e-12 of the segment), so each candidate ends at least as close to
    ``y``; the packages printed moved in their last digits and ``bisections`` is unused.

    Parameters
    ----------
    y
        (S, D) or (D,) packages.
    bodies
        The form's bodies.
    scale_min, scale_max
        (D,) the issues' scales.
    rng
        Generator for the candidates.
    candidates, rounds
        Search effort: candidates per round, at most ``rounds`` rounds.
    bisections
        Unused (the former bisection's steps; kept for callers).
    tol
        Stop once the step size is below ``tol`` scale widths in every sample.
    within
        (low, high), each (D,): the packages the form can carry (equal ends pin an issue, as a
        treaty fixes the legal form); ``y`` must lie inside. Default: the scales.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None]
    width = np.asarray(scale_max, float) - np.asarray(scale_min, float)
    s = max([y.shape[0], *[b.n_samples for b in bodies]])
    y = np.broadcast_to(y, (s, y.shape[-1])).copy()
    ok = np.broadcast_to(form_passes(y, bodies), (s,))
    free, low, high, empty, best, best_d, radius, seeds, segments = _search_start(
        y, ok, bodies, scale_min, scale_max, within
    )
    keep = min(8, candidates)
    rows = np.arange(s)
    one = s == 1 and all(b.n_samples == 1 for b in bodies)
    for rnd in range(rounds):
        c = low[:, None] + rng.random((s, candidates, y.shape[-1])) * (high - low)[:, None]
        if rnd == 0:  # a win-set can be a sliver of its box in many dimensions: seed it too
            c = np.concatenate([c, seeds], axis=1)
        found = np.isfinite(best_d)
        if found.any():  # search around the best so far; uniform again where nothing found yet
            step = rng.normal(size=c.shape) * (radius[:, None, None] * width)
            local = np.clip(best[:, None] + np.where(free, step, 0.0), low[:, None], high[:, None])
            c = np.where(found[:, None, None], local, c)
        if one:
            # the same candidates as below, voted on nearest first until ``keep`` pass
            if empty[0]:
                continue
            dist = np.linalg.norm((c - y[:, None]) / width, axis=-1)
            idx, good = _nearest_passing(c, dist, bodies, keep)
            if not good.any():
                continue
            c = np.take_along_axis(c, idx[..., None], axis=1)
        else:
            good = _form_passes_pruned(c, bodies) & ~empty[:, None]
            if not good.any():
                continue
            dist = np.where(good, np.linalg.norm((c - y[:, None]) / width, axis=-1), np.inf)
            idx = np.argsort(dist, axis=1)[:, :keep]
            c = np.take_along_axis(c, idx[..., None], axis=1)
            good = np.take_along_axis(good, idx, axis=1)
        # pull each candidate towards y: the first point of y -> c that passes (t = 1 is c)
        seg = c - y[:, None]
        t_hi = np.where(good, segments.first(seg), 1.0)
        d = np.where(good, np.linalg.norm(seg * t_hi[..., None] / width, axis=-1), np.inf)
        j = np.argmin(d, axis=1)
        better = (d[rows, j] < best_d) & ~ok
        best = np.where(better[:, None], y + t_hi[rows, j, None] * seg[rows, j], best)
        best_d = np.where(better, d[rows, j], best_d)
        # keep the step size while it finds better packages, halve it once it stops finding them
        radius = np.where(better & found, radius, radius / 2)
        if (ok | (np.isfinite(best_d) & (radius < tol))).all():
            break
    found = np.isfinite(best_d)
    return Nearest(package=best, distance=best_d, found=found)


def _search_start(
    y: np.ndarray,
    ok: np.ndarray,
    bodies: tuple[CompiledBody, ...] | list[CompiledBody],
    scale_min: np.ndarray,
    scale_max: np.ndarray,
    within: tuple[np.ndarray, np.ndarray] | None,
) -> tuple:
    """The state a nearest-package search starts from, for packages ``y`` (S, D) of which
    ``ok`` (S,) pass: the issues some body weighs, the box searched (the win-set's, within the
    form's), whether it is empty, the best packages and distances so far, the step size (in
    scale widths), the seed candidates and the closed-form pull."""
    width = np.asarray(scale_max, float) - np.asarray(scale_min, float)
    free = np.zeros(y.shape[-1], dtype=bool)
    for b in bodies:
        free |= (b.weight > 0).any(axis=(0, 1))
    low, high = winset_box(bodies, scale_min, scale_max)
    if within is not None:
        low, high = np.maximum(low, within[0]), np.minimum(high, within[1])
    low = np.where(free, low, y)
    high = np.where(free, high, y)
    empty = (low > high).any(-1)
    best = np.where(ok[:, None], y, np.nan)
    best_d = np.where(ok, 0.0, np.inf)
    radius = 0.25 * np.where(free, (high - low) / width, 0.0).max(-1)  # (S,)
    seeds = np.clip(_seeds(y, bodies), low[:, None], high[:, None])
    return free, low, high, empty, best, best_d, radius, seeds, _Segments(y, bodies)


def nearest_ratifiable_many(
    ys: list[np.ndarray],
    bodies: tuple[CompiledBody, ...] | list[CompiledBody],
    scale_min: np.ndarray,
    scale_max: np.ndarray,
    rngs: list[np.random.Generator],
    *,
    candidates: int = 256,
    rounds: int = 24,
    tol: float = 1e-6,
    within: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Nearest]:
    """``[nearest_ratifiable(y, bodies, ..., rng) for y, rng in zip(ys, rngs)]``, bit for bit,
    with the searches run side by side: one vote and one pull per round for all of them.

    Each search draws from its own generator exactly what it draws alone (its own rounds,
    its own early stop: a search that stops drops out of the later rounds). What runs on the
    searches together is the same arithmetic row by row: the votes on candidates (a vote on a
    package does not depend on the other packages voted on with it, see
    :func:`_nearest_passing`), the distances (along a row) and the pull
    (:meth:`_Segments.first` with ``rows``). For one-sample bodies and packages ``ys``, each
    (D,) or (1, D); other cases run one by one.
    """
    if not ys:
        return []
    one = all(b.n_samples == 1 for b in bodies) and all(
        np.ndim(y) == 1 or np.shape(y)[0] == 1 for y in ys
    )
    if not one or len(ys) == 1:
        return [
            nearest_ratifiable(
                y,
                bodies,
                scale_min,
                scale_max,
                rng,
                candidates=candidates,
                rounds=rounds,
                tol=tol,
                within=within,
            )
            for y, rng in zip(ys, rngs, strict=True)
        ]
    y = np.concatenate([np.asarray(v, dtype=float).reshape(1, -1) for v in ys])  # (n, D)
    n, d = y.shape
    width = np.asarray(scale_max, float) - np.asarray(scale_min, float)
    ok = np.array([bool(form_passes(y[i : i + 1], bodies)[0]) for i in range(n)])
    free, low, high, empty, best, best_d, radius, seeds, segments = _search_start(
        y, ok, bodies, scale_min, scale_max, within
    )
    keep = min(8, candidates)
    # an empty box has no candidates: such a search never changes its state
    active = ~empty
    for rnd in range(rounds):
        act = np.flatnonzero(active)
        if act.size == 0:
            break
        found = np.isfinite(best_d)
        cs = []
        for i in act:
            lo, hi = low[i : i + 1], high[i : i + 1]
            c = lo[:, None] + rngs[i].random((1, candidates, d)) * (hi - lo)[:, None]
            if rnd == 0:
                c = np.concatenate([c, seeds[i : i + 1]], axis=1)
            if found[i]:
                step = rngs[i].normal(size=c.shape) * (radius[i : i + 1, None, None] * width)
                c = np.clip(
                    best[i : i + 1, None] + np.where(free, step, 0.0), lo[:, None], hi[:, None]
                )
            cs.append(c[0])
        c = np.stack(cs)  # (A, N, D)
        dist = np.linalg.norm((c - y[act][:, None]) / width, axis=-1)  # (A, N)
        idx, good = _nearest_passing_many(c, dist, bodies, keep)
        has = good.any(-1)
        if not has.any():
            continue
        g = act[has]
        c = np.take_along_axis(c[has], idx[has][..., None], axis=1)  # (G, keep, D)
        good = good[has]
        seg = c - y[g][:, None]
        t_hi = np.where(good, segments.first(seg, rows=g), 1.0)
        dd = np.where(good, np.linalg.norm(seg * t_hi[..., None] / width, axis=-1), np.inf)
        j = np.argmin(dd, axis=1)
        r = np.arange(g.size)
        better = (dd[r, j] < best_d[g]) & ~ok[g]
        best[g] = np.where(better[:, None], y[g] + t_hi[r, j, None] * seg[r, j], best[g])
        best_d[g] = np.where(better, dd[r, j], best_d[g])
        radius[g] = np.where(better & found[g], radius[g], radius[g] / 2)
        active[g] &= ~(ok[g] | (np.isfinite(best_d[g]) & (radius[g] < tol)))
    return [
        Nearest(
            package=best[i : i + 1],
            distance=best_d[i : i + 1],
            found=np.isfinite(best_d[i : i + 1]),
        )
        for i in range(n)
    ]


def _nearest_passing_many(
    c: np.ndarray,
    dist: np.ndarray,
    bodies: tuple[CompiledBody, ...] | list[CompiledBody],
    keep: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_nearest_passing` of each row of ``c`` (A, N, D) at distances ``dist`` (A, N),
    with the votes of all rows in one call at a time: indices and passing flags, (A, keep)."""
    a_n, n_c, d = c.shape
    order = np.argsort(dist, axis=1, kind="stable")
    votes = np.zeros((a_n, n_c), dtype=bool)
    first = max(keep, math.ceil(_FIRST_SHARE * n_c))
    rows = np.arange(a_n)[:, None]
    head = order[:, :first]
    votes[rows, head] = _form_passes_pruned(c[rows, head].reshape(1, -1, d), bodies).reshape(
        head.shape
    )
    short = np.flatnonzero(votes.sum(-1) < keep)
    if short.size and first < n_c:
        tail = order[short, first:]
        got = _form_passes_pruned(c[short[:, None], tail].reshape(1, -1, d), bodies)
        votes[short[:, None], tail] = got.reshape(tail.shape)
    idx = np.empty((a_n, keep), dtype=np.intp)
    good = np.ones((a_n, keep), dtype=bool)
    for i in range(a_n):
        ranked = order[i][votes[i, order[i]]]
        if ranked.size >= keep:
            idx[i] = ranked[:keep]
        else:  # every candidate voted on: the argsort's pick, fillers included
            pick = np.argsort(np.where(votes[i], dist[i], np.inf))[:keep]
            idx[i], good[i] = pick, votes[i, pick]
    return idx, good


#: Share of the candidates :func:`_nearest_passing` votes on first, nearest first: in the local
#: search the candidates are a cloud around the best package, on the boundary of the win-set,
#: so the nearer half mostly fails and the ``keep``-th that passes comes at about 55 % of them
#: (56 % median, 62 % in 9 of 10 rounds, 70 % at most on the default scenario's searches).
_FIRST_SHARE = 0.625


def _nearest_passing(
    c: np.ndarray,
    dist: np.ndarray,
    bodies: tuple[CompiledBody, ...] | list[CompiledBody],
    keep: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` candidates nearest to ``y`` that pass, nearest first, as
    :func:`nearest_ratifiable` picks them from one sample's candidates ``c`` (1, N, D) at
    distances ``dist`` (1, N): their indices and whether each passes, (1, keep) each.

    :func:`nearest_ratifiable` votes on every candidate and takes the first ``keep`` of the
    argsort of the distances of those that pass (inf for the others). Here the nearest
    :data:`_FIRST_SHARE` of the candidates are voted on first, and the others only where fewer
    than ``keep`` of those pass: the same candidates in the same order, since a vote on a package
    does not depend on the other packages voted on with it (the gains' last bits can change
    with the number of rows, but a gain that small is a tie to the vote; two candidates at the same
    distance come in the order of their index here, in the argsort's order there; such ties
    are the same point, clipped to the box's corner, so the result is the same). About half
    the candidates of a round lie beyond the nearest ``keep`` that pass; in most rounds a
    third of them is not voted on.
    Where fewer than ``keep`` pass, every candidate has been voted on and the pick is the
    argsort's, fillers (that do not pass) included: the pull's matrix products round a row
    differently with the number of rows (:class:`_Segments`), so the rows must be the same.
    """
    # one sample's search is the side-by-side searches' function with one row: the same votes
    # on the same rows, in the same order
    return _nearest_passing_many(c, dist, bodies, keep)


#: Steps tried past the closed-form entry point of a segment, in units of its length: the entry
#: point itself sits on a boundary that ties may reject, and rounding moves it by about 1e-15.
_NUDGES = (0.0, 2.0**-46, 2.0**-40, 2.0**-34, 2.0**-28, 2.0**-22)


def first_passing(
    y: np.ndarray, seg: np.ndarray, bodies: tuple[CompiledBody, ...] | list[CompiledBody]
) -> np.ndarray:
    """The first ``t`` in [0, 1] at which ``y + t seg`` passes every body, (S, K).

    Along the segment a member's squared distance ``||y + t seg - z||_w^2`` is the quadratic
    ``A t^2 + 2 B t + C`` with ``A = sum_d w_d seg_d^2``, ``B = sum_d w_d seg_d (y_d - z_d)`` and
    ``C = ||y - z||_w^2``. The member approves where it is below ``R^2``, ``R = ||SQ - z||_w``
    less its approval cost (:func:`approvals`): an open interval of ``t`` between the two roots,
    or none. A body passes where at least ``q`` of its members' intervals overlap, so the form's
    passing set on the segment is a union of intervals whose left ends are members' entry
    points. Sorting every member's entry and exit points and counting each body's members as
    the sweep passes them gives the first entry point after which every body passes: exact, up
    to the rounding of the roots. That point is then checked with :func:`form_passes` and
    nudged along the segment by up to 2^-22 of its length where ties or rounding reject it;
    where no nudge passes, ``t = 1`` (``y + seg``, which passes) is returned. The result always
    passes; ``t`` is never later than any point of the segment that passes, up to the nudge.

    Parameters
    ----------
    y
        (S, D) starting packages (NaN-free on the issues the bodies weigh).
    seg
        (S, K, D) directions: ``y + seg`` is a package that passes.
    bodies
        The form's bodies.

    Returns
    -------
    numpy.ndarray
        (S, K) with values in [0, 1].
    """
    return _Segments(y, bodies).first(seg)


class _Segments:
    """:func:`first_passing` for many segments from the same ``y``: the members' terms that do
    not depend on the segment (``C - R^2``, ``w (y - z)``) are computed once."""

    def __init__(self, y: np.ndarray, bodies: tuple[CompiledBody, ...] | list[CompiledBody]):
        self.y = y
        self.bodies = bodies
        self.need = np.array([b.threshold for b in bodies])
        # A body's count of members inside their intervals is between 0 and its member count
        # at every event (a member's entry sorts before its exit), so the bodies' counts fit
        # side by side in one 64-bit integer whose cumulative sum is theirs, bit field by bit
        # field, where their bit widths add up to 63 or less (three bodies of up to 2^21
        # members): one cumulative sum instead of one per body.
        self.widths = [int(b.n_members).bit_length() for b in bodies]
        self.shifts: np.ndarray | None = None
        if sum(self.widths) <= 63:
            self.shifts = np.cumsum([0, *self.widths[:-1]]).astype(np.int64)
        self.parts = []
        for b in bodies:
            on = b.weight > 0  # (Sb, M, D)
            w = b.weight
            unknown = (np.isnan(b.reversion)[:, None, :] & on).any(-1)  # (Sb, M)
            dr = np.where(on, b.reversion[:, None, :] - b.ideal, 0.0)
            radius = np.sqrt((w * dr**2).sum(-1))
            if b.approval_cost is not None:
                radius = radius - np.maximum(b.approval_cost, 0.0)
            never = unknown | (radius <= 0) if b.ties == "no" else unknown | (radius < 0)
            dy = np.where(on, y[:, None, :] - b.ideal, 0.0)  # (S, M, D)
            c0 = (w * dy**2).sum(-1) - np.where(never, 0.0, radius) ** 2  # (S, M)
            self.parts.append(
                (
                    np.swapaxes(w, 1, 2),
                    np.swapaxes(w * dy, 1, 2),
                    np.swapaxes(on, 1, 2).astype(float),
                    c0[:, None, :],
                    never[:, None, :],
                )
            )

    def first(self, seg: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """(S, K) first passing ``t`` of the segments ``seg`` (S, K, D); see
        :func:`first_passing`. With ``rows``, the segments start from those rows of ``y``
        (``seg`` has one row for each): each row's result is the one it has alone, since the
        matrix products run row by row (a stack of (K, D) products) and the rest is
        element-wise or along a row."""
        y, bodies, parts = self.y, self.bodies, self.parts
        if rows is not None:
            y = y[rows]
            if self.y.shape[0] > 1:
                # rows of the (S, M, D) array, as views (D, M) like the whole one's
                parts = [
                    (wt, np.swapaxes(np.swapaxes(wdyt, 1, 2)[rows], 1, 2), ont, c0[rows], nv)
                    for wt, wdyt, ont, c0, nv in parts
                ]
        k_n = seg.shape[1]
        seg_nan = np.isnan(seg)
        has_nan = bool(seg_nan.any())
        seg0 = np.where(seg_nan, 0.0, seg) if has_nan else seg
        seg2 = seg0**2
        times, deltas, owners = [], [], []
        for i, (wt, wdyt, ont, c0, never) in enumerate(parts):
            a = seg2 @ wt  # (S, K, M)
            bb = seg0 @ wdyt
            with np.errstate(divide="ignore", invalid="ignore"):
                disc = bb**2 - a * c0
                root = np.sqrt(np.maximum(disc, 0.0))
                t1 = np.where(a > 0, (-bb - root) / a, np.where(c0 < 0, -np.inf, np.inf))
                t2 = np.where(a > 0, (-bb + root) / a, np.where(c0 < 0, np.inf, -np.inf))
            empty = (a > 0) & (disc <= 0) | never | (t2 <= 0) | (t1 > 1)
            if has_nan:
                empty |= (seg_nan.astype(float) @ ont) > 0
            # members whose interval misses [0, 1] on every segment add no event
            keep = ~empty.all(axis=(0, 1))
            t1 = np.where(empty, np.inf, np.maximum(t1, 0.0))[..., keep]
            t2 = np.where(empty, np.inf, t2)[..., keep]
            m = t1.shape[-1]
            times += [t1, t2]
            deltas += [np.ones(m, dtype=np.int64), -np.ones(m, dtype=np.int64)]
            owners += [np.full(m, i), np.full(m, i)]
        lead = np.broadcast_shapes(*[t.shape[:-1] for t in times])
        t_all = np.concatenate([np.broadcast_to(t, (*lead, t.shape[-1])) for t in times], axis=-1)
        order = np.argsort(t_all, axis=-1, kind="stable")
        t_sorted = np.take_along_axis(t_all, order, axis=-1)
        if self.shifts is not None:
            # every body's count in one integer: body i's in the bits from shifts[i]
            code = np.concatenate(
                [d << sh for d, sh in zip(deltas, np.repeat(self.shifts, 2), strict=True)]
            )[order]
            packed = np.cumsum(code, axis=-1)
            ok = np.ones(packed.shape, dtype=bool)
            for sh, width, need in zip(self.shifts, self.widths, self.need, strict=True):
                ok &= ((packed >> sh) & ((1 << width) - 1)) >= need
        else:
            delta = np.concatenate(deltas)[order]
            owner = np.concatenate(owners)[order]
            counts = np.cumsum(
                delta[..., None] * (owner[..., None] == np.arange(len(bodies))), axis=-2
            )
            ok = (counts >= self.need).all(-1)  # (S, K, E): every body passes after this event...
        last = np.ones(t_sorted.shape, dtype=bool)  # ...and it is the last event at its time
        last[..., :-1] = t_sorted[..., 1:] > t_sorted[..., :-1]
        ok &= last & (t_sorted <= 1.0)
        s_n = t_sorted.shape[0]
        rows, cols = np.arange(s_n)[:, None], np.arange(k_n)
        t_first = np.where(ok.any(-1), t_sorted[rows, cols, ok.argmax(-1)], 1.0)
        t_try = np.minimum(t_first[..., None] + np.asarray(_NUDGES), 1.0)  # (S, K, J)
        pts = y[:, None, None] + t_try[..., None] * seg[:, :, None]
        if rows is not None and all(b.n_samples == 1 for b in bodies):
            # every package voted on as one sample's: pruned from body to body
            p = _form_passes_pruned(pts.reshape(1, -1, pts.shape[-1]), bodies)
            p = p.reshape(t_try.shape)
        else:
            p = _form_passes_pruned(pts, bodies)
        p = np.broadcast_to(p, t_try.shape)
        return np.where(p.any(-1), t_try[rows, cols, p.argmax(-1)], 1.0)


def _seeds(y: np.ndarray, bodies: tuple[CompiledBody, ...] | list[CompiledBody]) -> np.ndarray:
    """Candidates on the segments from the reversion and from ``y`` to the members' centroid.

    Moving the reversion towards where the members are is the likeliest way into a win-set; the
    centroid weighs every member's ideal point by its issue weight. Shape (S, 50, D).
    """
    s, d = y.shape
    num = np.zeros((s, d))
    den = np.zeros((s, d))
    rev = np.zeros((s, d))
    for b in bodies:
        num = num + b.weighted_ideal.sum(axis=1)
        den = den + b.weight.sum(axis=1)
        rev = rev + np.where(np.isnan(b.reversion), y, b.reversion)
    centre = np.where(den > 0, num / np.where(den > 0, den, 1.0), y)
    rev = rev / max(len(bodies), 1)
    t = np.linspace(0.02, 1.0, 25)[None, :, None]
    return np.concatenate(
        [rev[:, None] + t * (centre - rev)[:, None], y[:, None] + t * (centre - y)[:, None]], axis=1
    )


# --------------------------------------------------------------------------------------------
# Durable value and forums


def durable_value(
    u_x: np.ndarray | float,
    u_sq: np.ndarray | float,
    hazard: np.ndarray | float,
    horizon: np.ndarray | float,
) -> np.ndarray:
    """Expected value of an agreement that may be revised: ``u(x)(1-h)^T + u(SQ)(1-(1-h)^T)``.

    ``h`` is the form's revision hazard per year and ``T`` the horizon in years (models.md D.4):
    with probability ``(1-h)^T`` the agreement still holds at the horizon, otherwise the status
    quo is back. A legally binding treaty has a low ``h``, a political declaration a higher one.

    >>> round(float(durable_value(1.0, 0.0, 0.01, 20)), 6)
    0.817907
    """
    keep = (1 - np.asarray(hazard, dtype=float)) ** np.asarray(horizon, dtype=float)
    return np.asarray(u_x) * keep + np.asarray(u_sq) * (1 - keep)


def spatial_utility(
    arrays: ScenarioArrays, x: np.ndarray, kind: Literal["linear", "quadratic"] = "linear"
) -> np.ndarray:
    """Each actor's utility of packages ``x`` (S, ..., D), on 0..1, shape (S, ..., N).

    ``1 - sum_d s_nd loss(|x_d - p_nd| / width_d) / sum_d s_nd`` with salience ``s`` as weights
    (absent actor-issue pairs weigh 0) and ``loss`` the identity (``linear``) or the square
    (``quadratic``). An actor with no salience anywhere is indifferent (utility 1).
    """
    x = np.asarray(x, dtype=float)
    extra = (1,) * (x.ndim - 2)
    s, n, d = arrays.position.shape
    pos = arrays.position.reshape(s, *extra, n, d)
    sal = (arrays.salience * arrays.mask).reshape(s, *extra, n, d)
    gap = np.abs(x[..., None, :] - pos) / arrays.scale_width
    loss = gap if kind == "linear" else gap**2
    tot = sal.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1 - np.where(tot > 0, (sal * loss).sum(-1) / tot, 0.0)


class ForumOptions(BaseModel):
    """How actors outside a forum count when only the forum's members bargain.

    ``exclude`` (default): outsiders are removed; the model sees only the members.
    ``discounted``: outsiders stay, with their capability multiplied by ``discount`` (0..1), for
    actors who shape the talks from outside the room (a patron briefing an ally at the table).
    For a model that ignores capability (``mean``) the two coincide only when ``discount`` is 1.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    outsiders: Literal["exclude", "discounted"] = "exclude"
    discount: float = Field(default=0.5, ge=0.0, le=1.0)


def forum_forecast(
    arrays: ScenarioArrays,
    forum: CompiledForum | list[str] | tuple[str, ...],
    model: Model,
    rng: np.random.Generator,
    options: ForumOptions | None = None,
) -> np.ndarray:
    """A model's forecast (S, D) when only a forum's members bargain.

    Parameters
    ----------
    arrays
        The whole scenario's arrays.
    forum
        A compiled forum or the ids of the actors at the table.
    model
        Any registered model instance.
    rng
        Passed to the model.
    options
        :class:`ForumOptions`; record ``options.model_dump()`` next to ``model.describe()``.
    """
    options = options or ForumOptions()
    ids = forum.actors if isinstance(forum, CompiledForum) else tuple(forum)
    missing = [a for a in ids if a not in arrays.actor_ids]
    if missing:
        raise KeyError(f"forum members not in the scenario: {', '.join(missing)}")
    inside = np.array([a in ids for a in arrays.actor_ids])
    if options.outsiders == "exclude":
        return model.forecast(arrays.take_actors(np.flatnonzero(inside)), rng)
    factor = np.where(inside, 1.0, options.discount)[None, :, None]
    return model.forecast(replace_capability(arrays, arrays.capability * factor), rng)


def replace_capability(arrays: ScenarioArrays, capability: np.ndarray) -> ScenarioArrays:
    """The same arrays with new capabilities (same shape)."""
    return replace(arrays, capability=capability)


def packages_for(comp: CompiledRatification, values: dict[str, float]) -> np.ndarray:
    """A package (S, D): the status quo with ``values`` (issue id -> value) put in."""
    x = comp.status_quo.copy()
    for iid, v in values.items():
        x[:, comp.issue_ids.index(iid)] = v
    return x
