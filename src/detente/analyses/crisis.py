"""Crisis bargaining in the shadow of force: pure functions batched over a leading sample axis.

Each function implements one published result and takes arrays whose first axis is the sample
axis (scalars and (S,) arrays broadcast). The equations and test numbers are those of the model
reference (``models.md`` sections B and C):

- :func:`bargaining_range` - Fearon (1995) "Rationalist explanations for war", IO 49(3):379-414.
- :func:`optimal_offer`, :func:`optimal_offer_uniform`, :func:`war_probability` - the
  risk-return trade-off of a take-it-or-leave-it offer under private information (Fearon 1995).
- :func:`costly_signal` - sunk-cost signals, Fearon (1997) "Signaling foreign policy interests",
  JCR 41(1):68-90.
- :func:`preventive_war` - shifting power and the commitment problem, Powell (2006) "War as a
  commitment problem", IO 60(1):169-203.
- :func:`brinkmanship_risk` - Schelling (1960/1966): a threat that leaves something to chance.
- :func:`audience_range`, :func:`audience_threshold`, :func:`audience_cost` - Fearon (1994)
  "Domestic political audiences and the escalation of international disputes", APSR 88(3).
- :func:`nbs_pie_split` - the asymmetric Nash bargaining solution on the pie (models.md E.1)
  with the war payoffs as disagreement point (E.2).

:func:`analyse_crisis` combines them for a compiled scenario (see
:mod:`detente.scenario.crisis`) and every model's forecast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from detente.scenario.crisis import CostBelief, PieZero

if TYPE_CHECKING:
    from detente.arrays import ScenarioArrays
    from detente.scenario.crisis import CrisisArrays, PublicStakes

ArrayLike = np.ndarray | float

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def _f(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


# --------------------------------------------------------------------------------------------
# B.1 The bargaining range


def bargaining_range(p: ArrayLike, c_a: ArrayLike, c_b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Shares of the pie for A that both sides prefer to war (Fearon 1995; models.md B.1).

    Parameters
    ----------
    p
        A's probability of prevailing in war.
    c_a, c_b
        The sides' costs of war in pie units (>= 0).

    Returns
    -------
    low, high
        The range ``[p - c_a, p + c_b]`` of A's share; its width is ``c_a + c_b``.

    >>> lo, hi = bargaining_range(0.6, 0.1, 0.15)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.5, 0.75)
    """
    p = _f(p)
    return p - _f(c_a), p + _f(c_b)


def range_is_empty(low: ArrayLike, high: ArrayLike) -> np.ndarray:
    """True where no share is acceptable to both sides (``low > high``)."""
    return _f(low) > _f(high)


# --------------------------------------------------------------------------------------------
# B.2 Private information: the risk-return trade-off

NormalBelief = Literal["truncated", "censored"]


def _expand(a: np.ndarray, ndim: int) -> np.ndarray:
    """Add trailing axes so that per-sample parameters broadcast against (S, ...) arrays."""
    a = np.asarray(a, dtype=float)
    return a.reshape(a.shape + (1,) * (ndim - a.ndim))


def belief_cdf(belief: CostBelief, c: ArrayLike, normal: NormalBelief = "truncated") -> np.ndarray:
    """``P(cost < c)`` under ``belief``; ``c`` has the sample axis first.

    A normal belief is truncated at 0 (models.md B.2) or, with ``normal="censored"``, has the
    mass below 0 placed at 0 (as clipped draws do). A point belief gives a step that is 0 at
    the point itself: a responder exactly indifferent accepts.
    """
    c = _f(c)
    if c.ndim == 0:
        c = c.reshape(1)
    return _belief_cdf_of(belief, c.ndim, normal)(c)


def _belief_cdf_of(
    belief: CostBelief, ndim: int, normal: NormalBelief
) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`belief_cdf` as a function of ``c`` (``ndim`` axes, the sample axis first), with
    what does not depend on ``c`` computed once: the same operations on the same values, so
    the same numbers, for searches that evaluate it many times (:func:`optimal_offer`)."""
    prm = {k: _expand(v, ndim) for k, v in belief.params.items()}
    kind = belief.kind
    if kind == "point":
        v = prm["value"]
        # accepts when exactly indifferent; the tolerance absorbs rounding in x - p
        step = v + 1e-12 * np.maximum(1.0, np.abs(v))
        return lambda c: (c > step).astype(float)
    if kind == "uniform":
        lo, hi = prm["low"], prm["high"]
        span = hi - lo
        return lambda c: np.clip((c - lo) / span, 0.0, 1.0)
    if kind == "normal":
        from scipy.special import ndtr  # lazy: scipy.special costs 0.2-0.3 s of start-up

        m, s = prm["mean"], prm["sd"]
        if normal == "censored":
            return lambda c: np.where(c > 0, ndtr((c - m) / s), 0.0)
        below = ndtr(-m / s)
        mass = np.maximum(1.0 - below, 1e-300)
        return lambda c: np.where(c > 0, (ndtr((c - m) / s) - below) / mass, 0.0)
    if kind == "triangular":
        lo, mo, hi = prm["low"], prm["mode"], prm["high"]
        span = hi - lo

        def triangular(c: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                left = (c - lo) ** 2 / (span * (mo - lo))
                right = 1.0 - (hi - c) ** 2 / (span * (hi - mo))
            out = np.where(c <= mo, left, right)
            return np.where(c <= lo, 0.0, np.where(c >= hi, 1.0, out))

        return triangular
    if kind == "beta":
        lo, hi = prm["low"], prm["high"]
        from scipy.special import betainc  # lazy, as ndtr

        return lambda c: betainc(prm["alpha"], prm["beta"], np.clip((c - lo) / (hi - lo), 0.0, 1.0))
    raise ValueError(f"unknown belief kind {kind!r}")


def _belief_bounds(belief: CostBelief) -> tuple[np.ndarray, np.ndarray]:
    """An interval holding (all but ~1e-15 of) the belief's mass, per sample."""
    prm = belief.params
    kind = belief.kind
    if kind == "point":
        return prm["value"], prm["value"]
    if kind == "normal":
        m, s = prm["mean"], prm["sd"]
        return np.maximum(m - 9 * s, 0.0), np.maximum(m + 9 * s, 0.0)
    return prm["low"], prm["high"]


def _audience_shift(x: np.ndarray, audience: np.ndarray | None, edge: np.ndarray | None):
    """How far a responder's hands-tied reservation moves: ``max_t a_t * max(0, x - e_t)``.

    ``x`` is the proposer's share (S, G); ``audience`` and ``edge`` are (S, T): a responder
    whose public demand is ``1 - e_t`` in its own share pays ``a_t`` per unit it falls short.
    """
    if audience is None:
        return 0.0
    return _shift_of(x.shape[0], audience, edge)(x)


def _shift_of(
    s: int, audience: np.ndarray | None, edge: np.ndarray | None
) -> Callable[[np.ndarray], np.ndarray | float]:
    """:func:`_audience_shift` as a function of ``x`` (S, G), the terms shaped once."""
    if audience is None:
        return lambda x: 0.0
    a = np.asarray(audience, dtype=float).reshape(s, 1, -1)
    e = np.asarray(edge, dtype=float).reshape(s, 1, -1)
    return lambda x: (a * np.maximum(0.0, x[..., None] - e)).max(axis=-1)


def war_probability(
    x: ArrayLike,
    p: ArrayLike,
    belief: CostBelief,
    *,
    audience: np.ndarray | None = None,
    edge: np.ndarray | None = None,
    normal: NormalBelief = "truncated",
) -> np.ndarray:
    """Probability that the responder rejects the offer ``x`` and fights (models.md B.2).

    The responder accepts iff ``1 - x >= 1 - p - c``, i.e. its cost ``c >= x - p``, so
    ``Pr(war | x) = F(x - p)``. With audience costs (Fearon 1994, models.md C.1) the threshold
    rises by ``a * max(0, x - e)`` (see :func:`_audience_shift`).

    Parameters
    ----------
    x
        The proposer's share offered to keep, shape (S,) or (S, G).
    p
        The proposer's probability of prevailing, shape (S,) or scalar.
    belief
        The proposer's belief about the responder's cost.
    """
    x = _f(x)
    s = belief.n_samples
    squeeze = x.ndim <= 1
    # offers as (S, G): one row per sample, so that per-sample parameters broadcast
    x2 = np.broadcast_to(x, (s,))[:, None] if squeeze else x
    out = _war_probability_of(p, belief, audience, edge, normal)(x2)
    return out[:, 0] if squeeze else out


def _war_probability_of(
    p: ArrayLike,
    belief: CostBelief,
    audience: np.ndarray | None,
    edge: np.ndarray | None,
    normal: NormalBelief,
) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`war_probability` as a function of offers (S, G), with what does not depend on
    them computed once (the same operations on the same values, so the same numbers)."""
    s = belief.n_samples
    p2 = _expand(np.broadcast_to(_f(p), (s,)), 2)
    shift = _shift_of(s, audience, edge)
    cdf = _belief_cdf_of(belief, 2, normal)
    return lambda x2: cdf(x2 - p2 + shift(x2))


def proposer_utility(x: ArrayLike, p: ArrayLike, c_a: ArrayLike, war: ArrayLike) -> np.ndarray:
    """``EU_A(x) = x (1 - Pr(war)) + (p - c_a) Pr(war)`` (models.md B.2)."""
    x, war = _f(x), _f(war)
    return x * (1.0 - war) + _expand(_f(p) - _f(c_a), x.ndim) * war


@dataclass(frozen=True)
class Offer:
    """The proposer's optimal take-it-or-leave-it offer, per sample.

    ``x`` is the share the proposer keeps, ``p_war`` the probability that it is rejected,
    ``utility`` the proposer's expected utility.
    """

    x: np.ndarray
    p_war: np.ndarray
    utility: np.ndarray


def optimal_offer_uniform(p: ArrayLike, c_a: ArrayLike, low: ArrayLike, high: ArrayLike) -> Offer:
    """Closed form of the optimal offer when the responder's cost is uniform on [low, high].

    With ``y = x - p`` the proposer's utility is ``p + y - (y + c_a) F(y)``, concave on
    ``[low, high]`` with stationary point ``y = (high - c_a)/2``; below ``low`` it rises with
    ``y``. So ``y* = max(low, (high - c_a)/2)``; for ``low = 0`` this is models.md B.2:
    ``x* = p + (c_bar - c_a)/2``, ``Pr(war) = (c_bar - c_a)/(2 c_bar)``, and ``x* = p`` with no
    war when ``c_a >= c_bar``. The share is capped at the whole pie (``x <= 1``).

    >>> o = optimal_offer_uniform(0.5, 0.1, 0.0, 0.3)
    >>> round(float(o.x), 4), round(float(o.p_war), 4), round(float(o.utility), 4)
    (0.6, 0.3333, 0.5333)
    """
    p, c_a, lo, hi = (_f(v) for v in (p, c_a, low, high))
    y = np.clip(np.maximum(lo, (hi - c_a) / 2.0), None, hi)
    x = np.minimum(p + y, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        war = np.where(hi > lo, np.clip((x - p - lo) / (hi - lo), 0.0, 1.0), (x - p > lo) * 1.0)
    return Offer(x=x, p_war=war, utility=x * (1 - war) + (p - c_a) * war)


def _threshold_inverse(
    c: np.ndarray, p: np.ndarray, audience: np.ndarray | None, edge: np.ndarray | None
) -> np.ndarray:
    """The largest offer a responder of cost ``c`` accepts, per sample (unclipped).

    The responder accepts ``x`` iff ``c >= y(x) = x - p + max_t a_t * max(0, x - e_t)``
    (B.2 with the C.1 shift, see :func:`war_probability`). For ``a_t >= 0``, ``y`` is the
    maximum of the increasing lines ``x - p`` and ``(1 + a_t) x - p - a_t e_t``, so
    ``y(x) <= c`` iff every line is ``<= c`` and the preimage is exact:
    ``min(p + c, min_t (p + c + a_t e_t) / (1 + a_t))``.

    ``c`` and ``p`` have shape (S,); ``audience`` and ``edge`` are (S, T) or None.
    """
    x = p + c
    if audience is None:
        return x
    s = x.shape[0]
    a = np.asarray(audience, dtype=float).reshape(s, -1)
    e = np.asarray(edge, dtype=float).reshape(s, -1)
    if a.shape[1] == 0:
        return x
    return np.minimum(x, ((x[:, None] + a * e) / (1.0 + a)).min(axis=1))


def _point_offer(
    p: np.ndarray,
    c_a: np.ndarray,
    belief: CostBelief,
    audience: np.ndarray | None,
    edge: np.ndarray | None,
) -> Offer:
    """Exact optimal offer against a responder whose cost is known (a point belief).

    The best accepted offer is the preimage of the cost under the threshold map (clipped to
    the pie), worth that share; any larger offer is rejected and worth the war payoff
    ``p - c_a``. The proposer takes the better of the two (peace on a tie) and, when war is
    better, demands the whole pie.
    """
    v = np.asarray(belief.params["value"], dtype=float)
    x_thr = _threshold_inverse(v, p, audience, edge)
    x_acc = np.clip(x_thr, 0.0, 1.0)
    accepted = war_probability(x_acc, p, belief, audience=audience, edge=edge) == 0.0
    # war is available iff some share up to 1 is rejected; a tie (to rounding) goes to peace
    peace = accepted & ((x_acc >= p - c_a - 1e-12) | (x_thr >= 1.0))
    x = np.where(peace, x_acc, 1.0)
    war = war_probability(x, p, belief, audience=audience, edge=edge)
    return Offer(x=x, p_war=war, utility=proposer_utility(x, p, c_a, war))


def optimal_offer(
    p: ArrayLike,
    c_a: ArrayLike,
    belief: CostBelief,
    *,
    audience: np.ndarray | None = None,
    edge: np.ndarray | None = None,
    normal: NormalBelief = "truncated",
    grid: int = 257,
    iterations: int = 60,
) -> Offer:
    """The offer maximising the proposer's expected utility, for any belief.

    The search interval comes from the acceptance rule. The responder accepts ``x`` iff its
    cost ``c >= y(x) = x - p + shift(x)``, where ``shift`` is the audience term of
    :func:`war_probability` (Fearon 1994; models.md C.1); ``y`` is increasing, so
    ``Pr(war | x) = F(y(x))`` is 0 up to the preimage of the belief's lower support bound
    (where the utility ``x`` still rises) and 1 from the preimage of its upper bound on
    (where the utility is the war payoff ``p - c_a``). Both preimages are solved exactly
    (:func:`_threshold_inverse`) and clipped to the pie ``[0, 1]``; with audience costs they
    can lie below ``p + low``.

    A point belief is solved in closed form, audience shift included (:func:`_point_offer`).
    Otherwise every sample is solved at once: a grid of ``grid`` offers over that interval,
    then golden-section refinement of the best grid cell for ``iterations`` steps (bracket
    shrinks by 0.618 per step); the grid point is kept where refinement does not improve.

    Parameters
    ----------
    p, c_a
        The proposer's probability of prevailing and cost of war, shape (S,) or scalars.
    belief
        The proposer's belief about the responder's cost (S samples). A normal belief's
        support is taken as mean +- 9 sd (clipped at 0).
    audience, edge
        Optional (S, T) audience-cost terms of the responder (see :func:`war_probability`);
        ``audience >= 0``.
    normal
        Truncated (models.md B.2) or censored reading of a normal belief.

    >>> from detente.scenario.crisis import CostBelief, PieZero
    >>> o = optimal_offer(0.5, 0.1, CostBelief.normal([0.15], [0.05]))
    >>> round(float(o.x[0]), 4), round(float(o.p_war[0]), 4), round(float(o.utility[0]), 4)
    (0.5955, 0.1368, 0.5688)
    """
    s = belief.n_samples
    p = np.broadcast_to(_f(p), (s,)).astype(float)
    c_a = np.broadcast_to(_f(c_a), (s,)).astype(float)

    if belief.kind == "point":
        return _point_offer(p, c_a, belief, audience, edge)

    war_of = _war_probability_of(p, belief, audience, edge, normal)
    payoff = _expand(p - c_a, 2)  # the war payoff, as proposer_utility computes it

    def eu(x: np.ndarray) -> np.ndarray:  # proposer_utility of offers (S, G)
        war = war_of(x)
        return x * (1.0 - war) + payoff * war

    b_lo, b_hi = (np.broadcast_to(_f(b), (s,)) for b in _belief_bounds(belief))
    lo = np.clip(_threshold_inverse(b_lo, p, audience, edge), 0.0, 1.0)
    hi = np.clip(_threshold_inverse(b_hi, p, audience, edge), lo, 1.0)
    t = np.linspace(0.0, 1.0, grid)
    xs = lo[:, None] + (hi - lo)[:, None] * t[None, :]
    vals = eu(xs)
    k = np.argmax(vals, axis=1)
    rows = np.arange(s)
    a = xs[rows, np.maximum(k - 1, 0)]
    b = xs[rows, np.minimum(k + 1, grid - 1)]
    best_x, best_v = xs[rows, k], vals[rows, k]
    # golden-section search on [a, b], all samples in step
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc, fd = eu(c[:, None])[:, 0], eu(d[:, None])[:, 0]
    for _ in range(iterations):
        left = fc >= fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c_new = b - _GOLDEN * (b - a)
        d_new = a + _GOLDEN * (b - a)
        c, d = np.where(left, c_new, d), np.where(left, c, d_new)
        fc_new = eu(np.where(left, c_new, d_new)[:, None])[:, 0]
        fc, fd = np.where(left, fc_new, fd), np.where(left, fc, fc_new)
    x_ref = (a + b) / 2
    v_ref = eu(x_ref[:, None])[:, 0]
    better = v_ref > best_v  # keep the grid point if refinement did not improve (kinks)
    x = np.where(better, x_ref, best_x)
    war = war_probability(x, p, belief, audience=audience, edge=edge, normal=normal)
    return Offer(x=x, p_war=war, utility=proposer_utility(x, p, c_a, war))


# --------------------------------------------------------------------------------------------
# B.3 Costly signals: sunk costs


@dataclass(frozen=True)
class Signal:
    """Sunk-cost signalling (Fearon 1997), per sample.

    ``v_fight``: lowest valuation that fights if resisted (``c_b / p``); ``needed``: the
    belief ``pi`` that makes A concede (``1/(p + c_a)``); ``possible``: some mobilisation can be
    credible (``p + c_a > 1`` and ``v_fight < V``); ``k_star``: smallest credible sunk cost
    (inf if none); ``months_needed``: ``k_star / k``; ``pi_star``: ``Pr(B fights | mobilised)`` at
    ``k_star``; ``bluffers``: share of mobilisers that would back down, ``1 - pi_star``;
    ``sunk``, ``pi_now``: cost sunk so far and the belief it supports; ``credible_now``:
    whether the months elapsed already make the signal credible; ``months_left``.
    """

    v_fight: np.ndarray
    needed: np.ndarray
    possible: np.ndarray
    k_star: np.ndarray
    months_needed: np.ndarray
    pi_star: np.ndarray
    bluffers: np.ndarray
    sunk: np.ndarray
    pi_now: np.ndarray
    credible_now: np.ndarray
    months_left: np.ndarray


def signal_belief(k: ArrayLike, value_max: ArrayLike, v_fight: ArrayLike) -> np.ndarray:
    """``pi(K) = Pr(B fights | B mobilised at sunk cost K)`` with valuations uniform on [0, V].

    Types with ``v >= K`` mobilise and those with ``v >= v_fight`` fight, so
    ``pi = (V - v_fight)/(V - K)`` for ``K < v_fight``, 1 for ``K >= v_fight``, and 0 when no
    type would fight (``v_fight >= V``).
    """
    k, v, vf = _f(k), _f(value_max), _f(v_fight)
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = (v - vf) / (v - k)
    return np.where(vf >= v, 0.0, np.where(k >= vf, 1.0, np.clip(mid, 0.0, 1.0)))


def costly_signal(
    value_max: ArrayLike,
    p: ArrayLike,
    c_b: ArrayLike,
    c_a: ArrayLike,
    cost_per_month: ArrayLike,
    months: ArrayLike = 0.0,
) -> Signal:
    """Minimum credible sunk-cost signal and its duration (Fearon 1997; models.md B.3).

    B (the mobiliser) values the stake at ``v ~ U[0, V]`` privately, wins a war with
    probability ``p`` at cost ``c_b``; A values the stake at 1 and pays ``c_a``. A concedes iff
    ``pi >= 1/(p + c_a)``. The smallest credible sunk cost is
    ``K* = V - (p + c_a)(V - v_f)`` (0 if negative, inf if ``p + c_a <= 1`` or ``v_f >= V``).

    >>> s = costly_signal(2.0, 0.6, 0.3, 0.6, 0.05, months=3)
    >>> float(s.v_fight), round(float(s.k_star), 4), round(float(s.months_needed), 4)
    (0.5, 0.2, 4.0)
    >>> round(float(s.pi_star), 4), round(float(s.bluffers), 4), bool(s.credible_now)
    (0.8333, 0.1667, False)
    """
    v, p, c_b, c_a = _f(value_max), _f(p), _f(c_b), _f(c_a)
    k, t = _f(cost_per_month), _f(months)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_f = np.where(p > 0, c_b / p, np.inf)
        needed = np.where(p + c_a > 0, 1.0 / (p + c_a), np.inf)
    possible = (p + c_a > 1.0) & (v_f < v)
    k_star = np.where(possible, np.maximum(0.0, v - (p + c_a) * (v - v_f)), np.inf)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # tiny k: inf months
        months_needed = np.where(k_star == 0, 0.0, np.where(k > 0, k_star / k, np.inf))
    pi_star = np.where(possible, signal_belief(k_star, v, v_f), 0.0)
    sunk = k * t
    pi_now = signal_belief(sunk, v, v_f)
    # a relative tolerance so that exactly t* months count as credible despite rounding
    credible = possible & (sunk >= k_star * (1 - 1e-12))
    return Signal(
        v_fight=v_f,
        needed=needed,
        possible=possible,
        k_star=k_star,
        months_needed=months_needed,
        pi_star=pi_star,
        bluffers=np.where(possible, 1.0 - pi_star, np.nan),
        sunk=sunk,
        pi_now=pi_now,
        credible_now=credible,
        months_left=np.maximum(0.0, months_needed - t),
    )


# --------------------------------------------------------------------------------------------
# B.4 Shifting power


@dataclass(frozen=True)
class PowerShiftResult:
    """Preventive-war test for a declining power (Powell 2006), per sample."""

    war_value: np.ndarray
    peace_value: np.ndarray
    war: np.ndarray
    p_future_critical: np.ndarray


def preventive_war(
    p_now: ArrayLike, p_future: ArrayLike, discount: ArrayLike, cost: ArrayLike
) -> PowerShiftResult:
    """Does the declining side prefer war now to the best peace a rising side can promise?

    War now is worth ``p0/(1 - d) - c`` (shares locked in, one-time cost); the most the rising
    side can credibly give is the whole pie today plus the decliner's future reservation value,
    ``1 + d (p1/(1 - d) - c)``. War iff the first exceeds the second, i.e. iff ``p1`` is below
    ``p1* = (p0 - (1 - d)(1 + c (1 - d))) / d`` (models.md B.4).

    >>> r = preventive_war(0.6, 0.3, 0.9, 0.5)
    >>> round(float(r.war_value), 4), round(float(r.peace_value), 4), bool(r.war)
    (5.5, 3.25, True)
    >>> round(float(r.p_future_critical), 4)
    0.55
    """
    p0, p1, d, c = _f(p_now), _f(p_future), _f(discount), _f(cost)
    war_value = p0 / (1 - d) - c
    peace_value = 1 + d * (p1 / (1 - d) - c)
    critical = (p0 - (1 - d) * (1 + c * (1 - d))) / d
    return PowerShiftResult(war_value, peace_value, war_value > peace_value, critical)


# --------------------------------------------------------------------------------------------
# B.5 Brinkmanship


def brinkmanship_risk(hazard: ArrayLike, months: ArrayLike) -> np.ndarray:
    """Probability that the crisis slips into war by the deadline: ``1 - exp(-h t)`` (B.5).

    >>> round(float(brinkmanship_risk(0.03, 2)), 4)
    0.0582
    """
    return -np.expm1(-_f(hazard) * _f(months))


# --------------------------------------------------------------------------------------------
# C. Audience costs


def audience_range(
    p_b: ArrayLike, c_b: ArrayLike, c_a: ArrayLike, demand_b: ArrayLike, a: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """B's minimum acceptable share and A's maximum concession under audience costs (C.1).

    B accepts ``x`` iff ``x - a max(0, d_B - x) >= p_B - c_B``, so its minimum is
    ``max(p_B - c_B, (p_B - c_B + a d_B)/(1 + a))``; A still concedes at most ``p_B + c_A``.

    >>> lo, hi = audience_range(0.4, 0.1, 0.1, 0.8, [0.0, 0.5, 1.0])
    >>> np.round(lo, 4).tolist(), np.round(hi, 4).tolist()
    ([0.3, 0.4667, 0.55], [0.5, 0.5, 0.5])
    """
    p_b, c_b, c_a, d, a = (_f(v) for v in (p_b, c_b, c_a, demand_b, a))
    war = p_b - c_b
    low = np.maximum(war, (war + a * d) / (1 + a))
    return low, np.broadcast_to(p_b + c_a, np.shape(low)).copy()


def audience_threshold(
    p_b: ArrayLike, c_b: ArrayLike, c_a: ArrayLike, demand_b: ArrayLike
) -> np.ndarray:
    """The audience cost ``a*`` above which the range is empty (C.1); inf if it never empties.

    ``a* = (c_A + c_B) / (d_B - (p_B + c_A))`` when the public demand exceeds A's maximum.

    >>> round(float(audience_threshold(0.4, 0.1, 0.1, 0.8)), 4)
    0.6667
    """
    p_b, c_b, c_a, d = (_f(v) for v in (p_b, c_b, c_a, demand_b))
    gap = d - (p_b + c_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap > 0, (c_a + c_b) / gap, np.inf)


def audience_cost(
    demand: ArrayLike,
    outcome: ArrayLike,
    sigma: ArrayLike,
    publicity: ArrayLike,
    sensitivity: ArrayLike = 1.0,
    kappa: ArrayLike = 1.0,
    width: ArrayLike = 100.0,
) -> np.ndarray:
    """The C.2 score ``lambda * pi * (shortfall / width)^kappa``.

    ``shortfall = max(0, sigma (demand - outcome))``, ``sigma = +1`` for an actor that wants
    higher values and -1 otherwise; ``width`` is the issue's scale width (100 in C.2).

    >>> np.round(audience_cost([90, 90, 20], [40, 95, 60], [1, 1, -1], 0.8, 1, 1.5), 4).tolist()
    [0.2828, 0.0, 0.2024]
    """
    short = np.maximum(0.0, _f(sigma) * (_f(demand) - _f(outcome))) / _f(width)
    return _f(sensitivity) * _f(publicity) * short ** _f(kappa)


# --------------------------------------------------------------------------------------------
# E.1/E.2 Nash bargaining in the shadow of war


def nbs_pie_split(
    d_a: ArrayLike, d_b: ArrayLike, w_a: ArrayLike = 1.0, w_b: ArrayLike = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Asymmetric Nash bargaining share of A on a unit pie (models.md E.1), and agreement.

    ``x_A = d_A + w_A/(w_A + w_B) (1 - d_A - d_B)``, kept within the pie [0, 1] (the product is
    concave, so the constrained maximiser is the clipped one). There is no agreement when the
    disagreement payoffs sum to more than the pie.

    >>> x, ok = nbs_pie_split(0.2, 0.3, 2.0, 1.0)
    >>> round(float(x), 4), bool(ok)
    (0.5333, True)
    """
    d_a, d_b, w_a, w_b = (_f(v) for v in (d_a, d_b, w_a, w_b))
    surplus = 1.0 - d_a - d_b
    x = np.clip(d_a + w_a / (w_a + w_b) * surplus, 0.0, 1.0)
    return x, surplus >= 0


# --------------------------------------------------------------------------------------------
# Achievement gap and "declaring victory"

VictoryRule = Literal["no_retreat", "gap_threshold"]


@dataclass(frozen=True)
class Achievement:
    """Public demands against a forecast (C.2), per sample, actor and issue.

    ``score`` (S, N, D) is ``pi (shortfall/width)^kappa``; ``gap`` (S, N) is its salience-weighted
    mean over the actor's issues (the achievement gap); ``cost`` (S, N) is ``lambda * gap``, the
    audience cost; ``retreat`` (S, N, D) marks publicly staked issues where the forecast falls
    shorter of the demand than the status quo; ``public`` (N,) whether the actor has any public
    stake; ``victory`` (S, N) whether it can still declare victory under the rule in force.
    """

    score: np.ndarray
    gap: np.ndarray
    cost: np.ndarray
    retreat: np.ndarray
    public: np.ndarray
    victory: np.ndarray


def achievement_gap(
    arrays: ScenarioArrays,
    public: PublicStakes,
    forecast: np.ndarray,
    *,
    kappa: ArrayLike = 1.0,
    rule: VictoryRule = "no_retreat",
    public_from: float = 0.5,
    victory_gap: float = 0.1,
) -> Achievement:
    """Each actor's achievement gap for a model's forecast, and whether it can declare victory.

    The direction ``sigma`` of a demand is its side of the status quo (the scale midpoint where
    the status quo is unknown). A demand equal to the status quo defends it: any move away is a
    shortfall. Rules for declaring victory (only issues with publicity >= ``public_from`` count
    as public stakes; an actor with none can always declare victory):

    - ``"no_retreat"``: no publicly staked issue ends farther short of the public demand than
      the status quo already was (where the status quo is unknown, any shortfall is a retreat).
    - ``"gap_threshold"``: the achievement gap (without lambda) is at most ``victory_gap``.

    Parameters
    ----------
    arrays
        The scenario's compiled arrays (positions, salience, status quo, scales).
    public
        Public demands, publicity and audience sensitivity of every actor.
    forecast
        A model's outcome per sample and issue, shape (S, D).
    kappa
        Convexity of the score (C.2), scalar or (S,).
    """
    o = np.asarray(forecast, dtype=float)
    terms = _gap_terms(arrays, public, o.shape[0], kappa, public_from)
    return _achievement(terms, o, rule, victory_gap)


@dataclass(frozen=True)
class _GapTerms:
    """The parts of :func:`achievement_gap` that do not depend on the forecast (computed once
    for every model's forecast of a crisis analysis)."""

    width: np.ndarray
    dem: np.ndarray
    sigma: np.ndarray
    level: np.ndarray  # sigma == 0: a demand that defends the status quo
    kap: np.ndarray
    mask: np.ndarray
    publicity: np.ndarray
    sal: np.ndarray
    weighed: np.ndarray  # tot > 0
    tot: np.ndarray  # the salience totals, 1 where 0
    staked: np.ndarray
    limit: np.ndarray  # short_sq + 1e-9 * width: shorter than this is no retreat
    has_public: np.ndarray
    unstaked: np.ndarray  # no public stake on any issue
    sensitivity: np.ndarray


def _gap_terms(
    arrays: ScenarioArrays, public: PublicStakes, samples: int, kappa: ArrayLike, public_from: float
) -> _GapTerms:
    """:class:`_GapTerms` for forecasts of ``samples`` samples."""
    width = arrays.scale_width[None, None, :]
    sq = arrays.status_quo[:, None, :]
    ref = np.where(np.isnan(sq), ((arrays.scale_min + arrays.scale_max) / 2)[None, None, :], sq)
    dem = public.demand
    sigma = np.sign(dem - ref)
    kap = _expand(np.broadcast_to(_f(kappa), (samples,)), 3)
    short_sq = np.where(np.isnan(sq), 0.0, np.where(sigma == 0, 0.0, np.abs(dem - ref)))
    mask = arrays.mask[None]
    sal = arrays.salience * mask
    tot = sal.sum(axis=2)
    staked = mask & (public.publicity >= public_from)
    return _GapTerms(
        width=width,
        dem=dem,
        sigma=sigma,
        level=sigma == 0,
        kap=kap,
        mask=mask,
        publicity=public.publicity,
        sal=sal,
        weighed=tot > 0,
        tot=np.where(tot > 0, tot, 1.0),
        staked=staked,
        limit=short_sq + 1e-9 * width,
        has_public=staked.any(axis=(0, 2)),
        unstaked=~staked.any(axis=2),
        sensitivity=public.sensitivity,
    )


def _achievement(
    t: _GapTerms, forecast: np.ndarray, rule: VictoryRule, victory_gap: float
) -> Achievement:
    """:func:`achievement_gap` of one forecast (S, D) from the forecast-free terms ``t``: the
    same operations on every element, so the same numbers."""
    o = forecast[:, None, :]
    short = np.where(t.level, np.abs(t.dem - o), np.maximum(0.0, t.sigma * (t.dem - o)))
    score = np.where(t.mask, t.publicity * (short / t.width) ** t.kap, 0.0)
    gap = np.where(t.weighed, (t.sal * score).sum(axis=2) / t.tot, 0.0)
    retreat = t.staked & (short > t.limit)
    if rule == "no_retreat":
        victory = ~retreat.any(axis=2)
    else:
        victory = gap <= victory_gap
    victory = victory | t.unstaked
    return Achievement(
        score=score,
        gap=gap,
        cost=t.sensitivity * gap,
        retreat=retreat,
        public=t.has_public,
        victory=victory,
    )


# --------------------------------------------------------------------------------------------
# The crisis as a whole


class CrisisOptions(BaseModel):
    """Named choices where the literature leaves room; recorded in every output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pie_zero: PieZero = Field(
        default="scale",
        description="where an issue's share of the pie reaches 0: a full scale width from the "
        "challenger's ideal (B.1), or at the farther scale end (used when compiling)",
    )
    audience_costs: Literal["include", "ignore"] = Field(
        default="include",
        description="apply the parties' audience costs (C.1) to the range, the offer and the "
        "rejection probability, or use Fearon's 1995 reservation values alone",
    )
    normal_belief: NormalBelief = Field(
        default="truncated",
        description="a normal belief about a cost of war: truncated at 0 (B.2) or censored",
    )
    offer_solver: Literal["closed_form_when_available", "numeric"] = Field(
        default="closed_form_when_available",
        description="uniform beliefs without audience costs use the B.2 closed form",
    )
    nbs_weights: Literal["equal", "capability"] = Field(
        default="capability",
        description="bargaining power in the war-disagreement NBS: equal, or stakes-weighted "
        "capability (challenger vs the targets' sum)",
    )
    nbs_disagreement: Literal["war", "reservation"] = Field(
        default="war",
        description="disagreement point of the NBS: the war payoffs p - c (E.2), or each "
        "side's reservation share including its audience costs (the range ends)",
    )
    # the size of the shortfall, not any retreat on any issue: with many issues nearly every
    # actor retreats somewhere, so "no_retreat" cannot tell actors apart (docs/scenario-format.md)
    victory_rule: VictoryRule = "gap_threshold"
    public_from: float = Field(default=0.5, ge=0, le=1)
    victory_gap: float = Field(default=0.1, ge=0)

    def describe(self) -> dict:
        return self.model_dump(mode="json")


def _to_proposer(cr: CrisisArrays, x_challenger: np.ndarray) -> np.ndarray:
    return x_challenger if cr.proposer_is_challenger else 1.0 - x_challenger


def _responder_audience(cr: CrisisArrays, options: CrisisOptions):
    """Audience terms (S, T) of the responder, in the proposer's share (see _audience_shift)."""
    if options.audience_costs == "ignore":
        return None, None
    if cr.proposer_is_challenger:
        # the targets respond; target t's own demand is 1 - demand_targets[t] of the pie, so its
        # hands are tied once the challenger keeps more than demand_targets[t]
        return cr.audience_targets, cr.demand_targets
    # the challenger responds; it demands demand_challenger, so the target (proposer) share
    # beyond 1 - demand_challenger costs it face
    return cr.audience_challenger[:, None], 1.0 - cr.demand_challenger[:, None]


def crisis_range(
    cr: CrisisArrays, options: CrisisOptions | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The bargaining range in the challenger's share, with the parties' audience costs.

    The low end is the challenger's reservation (C.1 with its public demand); the high end is
    the lowest of the targets' maxima (every target must accept; each has its own demand and
    audience cost). With ``audience_costs="ignore"`` this is B.1: ``[p - c_C, p + c_T]``.
    """
    options = options or CrisisOptions()
    p, c_c, c_t = cr.p_win, cr.cost_challenger, cr.cost_target
    low, high = bargaining_range(p, c_c, c_t)
    if options.audience_costs == "include":
        low, _ = audience_range(p, c_c, c_t, cr.demand_challenger, cr.audience_challenger)
        t_min, _ = audience_range(
            (1 - p)[:, None],
            c_t[:, None],
            c_c[:, None],
            1 - cr.demand_targets,
            cr.audience_targets,
        )
        high = (1 - t_min).min(axis=1)
    return low, high


def escalation_probability(
    cr: CrisisArrays, share: np.ndarray, options: CrisisOptions | None = None
) -> dict[str, np.ndarray]:
    """P(escalation) when the outcome gives the challenger ``share`` of the pie, per sample.

    Two channels (documented combination): the responder rejects a take-it-or-leave-it offer
    of that outcome with the probability ``F(x_A - p_A [+ audience shift])`` from the
    proposer's belief (B.2), and, independently, the crisis slips into war by the deadline with
    the brinkmanship probability ``H = 1 - exp(-h t)`` (B.5). War happens if either does:
    ``P = 1 - (1 - P_reject)(1 - H)``. ``H`` is 0 when the scenario gives no hazard or deadline.
    """
    options = options or CrisisOptions()
    a, e = _responder_audience(cr, options)
    p_a = cr.p_win if cr.proposer_is_challenger else 1.0 - cr.p_win
    reject = war_probability(
        _to_proposer(cr, np.asarray(share, dtype=float)),
        p_a,
        cr.belief,
        audience=a,
        edge=e,
        normal=options.normal_belief,
    )
    h = np.nan_to_num(brinkmanship_risk(cr.hazard_per_month, cr.deadline_months), nan=0.0)
    return {"reject": reject, "brinkmanship": h, "escalation": 1 - (1 - reject) * (1 - h)}


def proposer_offer(cr: CrisisArrays, options: CrisisOptions | None = None) -> Offer:
    """The proposer's optimal offer (B.2) as the proposer's share, per sample."""
    options = options or CrisisOptions()
    a, e = _responder_audience(cr, options)
    p_a = cr.p_win if cr.proposer_is_challenger else 1.0 - cr.p_win
    c_a = cr.cost_challenger if cr.proposer_is_challenger else cr.cost_target
    b = cr.belief
    closed = options.offer_solver == "closed_form_when_available" and b.kind == "uniform"
    if closed and (a is None or not np.any(a > 0)):
        return optimal_offer_uniform(p_a, c_a, b.params["low"], b.params["high"])
    return optimal_offer(p_a, c_a, b, audience=a, edge=e, normal=options.normal_belief)


def war_nbs(
    cr: CrisisArrays, options: CrisisOptions | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Nash bargaining share of the challenger with war as disagreement (E.1, E.2).

    The disagreement payoffs are the war payoffs ``p - c_C`` and ``1 - p - c_T`` or, with
    ``nbs_disagreement="reservation"``, the ends of :func:`crisis_range` (the shares at which
    each side, counting its audience costs, is indifferent to war). Weights per
    ``nbs_weights``. Returns the challenger's share and whether an agreement exists.
    """
    options = options or CrisisOptions()
    if options.nbs_disagreement == "reservation":
        low, high = crisis_range(cr, options)
        d_c, d_t = low, 1 - high
    else:
        d_c = cr.p_win - cr.cost_challenger
        d_t = 1 - cr.p_win - cr.cost_target
    if options.nbs_weights == "equal":
        w_c = w_t = np.ones_like(d_c)
    else:
        w_c, w_t = cr.capability_challenger, cr.capability_targets
        both_zero = (w_c + w_t) <= 0
        w_c, w_t = np.where(both_zero, 1.0, w_c), np.where(both_zero, 1.0, w_t)
    return nbs_pie_split(d_c, d_t, w_c, w_t)


def analyse_crisis(
    cr: CrisisArrays,
    arrays: ScenarioArrays,
    forecasts: dict[str, np.ndarray],
    options: CrisisOptions | None = None,
) -> dict[str, Any]:
    """Every crisis quantity for a compiled scenario, per sample (arrays of leading size S).

    Parameters
    ----------
    cr
        The compiled crisis section (:func:`detente.scenario.crisis.compile_crisis`).
    arrays
        The scenario's compiled arrays, aligned with ``cr`` sample by sample.
    forecasts
        Each model's outcome, name -> (S, D) on the issues' scales.
    options
        Named choices (recorded in the result under ``"options"``).

    Returns
    -------
    dict
        ``range``, ``offer``, ``brinkmanship``, ``escalation``, ``nbs``, ``audience``,
        ``signal`` (None without a mobilisation), ``power_shift`` (None without a power shift)
        and ``models`` (per forecast: challenger share, rejection and escalation probabilities,
        achievement gaps and who can declare victory). Shares are the challenger's.
    """
    options = options or CrisisOptions()
    if cr.pie_zero != options.pie_zero:
        raise ValueError(
            f"the crisis was compiled with pie_zero={cr.pie_zero!r} but the options say "
            f"{options.pie_zero!r}; compile with the options' pie_zero"
        )
    p, c_c, c_t = cr.p_win, cr.cost_challenger, cr.cost_target
    low, high = crisis_range(cr, options)
    offer = proposer_offer(cr, options)
    offer_share = _to_proposer(cr, offer.x)  # the same map converts back
    esc_offer = escalation_probability(cr, offer_share, options)
    nbs_share, nbs_ok = war_nbs(cr, options)
    out: dict[str, Any] = {
        "options": options.describe(),
        "range": {
            "low": low,
            "high": high,
            "empty": range_is_empty(low, high),
            "complete_information_width": c_c + c_t,
        },
        "offer": {
            "proposer_share": offer.x,
            "challenger_share": offer_share,
            "p_war": offer.p_war,
            "proposer_utility": offer.utility,
            "escalation": esc_offer["escalation"],
        },
        "brinkmanship": esc_offer["brinkmanship"],
        "nbs": {
            "challenger_share": nbs_share,
            "agreement": nbs_ok,
            "in_range": (nbs_share >= low) & (nbs_share <= high),
            "escalation": escalation_probability(cr, nbs_share, options)["escalation"],
        },
        "audience": {
            "challenger_a": cr.audience_challenger,
            "challenger_demand_share": cr.demand_challenger,
            "challenger_a_star": audience_threshold(p, c_c, c_t, cr.demand_challenger),
            "targets_a": cr.audience_targets,
            "targets_demand_share": 1 - cr.demand_targets,
            "targets_a_star": audience_threshold(
                (1 - p)[:, None], c_t[:, None], c_c[:, None], 1 - cr.demand_targets
            ),
        },
        "signal": None,
        "power_shift": None,
        "models": {},
    }
    if not np.all(np.isnan(cr.value_max)):
        sig = costly_signal(cr.value_max, p, c_c, c_t, cr.cost_per_month, cr.months)
        out["signal"] = dict(sig.__dict__)
    if not np.all(np.isnan(cr.p_future)):
        # the declining side weighs preventive war: the challenger if its odds fall
        ch_declines = cr.p_future <= p
        p0 = np.where(ch_declines, p, 1 - p)
        p1 = np.where(ch_declines, cr.p_future, 1 - cr.p_future)
        cost = np.where(ch_declines, c_c, c_t)
        res = preventive_war(p0, p1, cr.discount, cost)
        out["power_shift"] = {
            "challenger_declines": ch_declines,
            "war_value": res.war_value,
            "peace_value": res.peace_value,
            "preventive_war": res.war,
            # in the challenger's odds: war iff its future p falls below this (it declines) or
            # rises above it (the targets decline)
            "critical_p_future": np.where(
                ch_declines, res.p_future_critical, 1 - res.p_future_critical
            ),
        }
    terms: dict[int, _GapTerms] = {}  # by the forecasts' samples: what they all share
    for name, fc in forecasts.items():
        share = cr.share(fc)
        esc = escalation_probability(cr, share, options)
        fc = np.asarray(fc, dtype=float)
        if fc.shape[0] not in terms:
            terms[fc.shape[0]] = _gap_terms(
                arrays, cr.public, fc.shape[0], cr.kappa, options.public_from
            )
        ach = _achievement(terms[fc.shape[0]], fc, options.victory_rule, options.victory_gap)
        out["models"][name] = {
            "challenger_share": share,
            "in_range": (share >= low) & (share <= high),
            "reject": esc["reject"],
            "escalation": esc["escalation"],
            "gap": ach.gap,
            "audience_cost": ach.cost,
            "victory": ach.victory,
            "public": ach.public,
        }
    return out
