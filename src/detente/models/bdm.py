"""Bueno de Mesquita's expected-utility model, as replicated by Scholz, Calbert & Smith (2011).

Each issue is bargained independently. In every round each actor

1. gets a risk exponent ``r`` from how exposed it is to challenges (its "danger": the sum of
   everyone's expected utility of challenging it, computed with ``r = 1``), normalised across the
   actors of the issue (``R_k`` in [-1, 1], ``r_k = (1 - R_k/3) / (1 + R_k/3)`` in [0.5, 2]);
2. evaluates, for every other actor ``j`` at a different position and with its OWN exponent,
   ``a = EU_i(i -> j)`` and ``b = EU_i(j -> i)``, which classify the dyad as a confrontation that
   ``i`` loses (``b > a > 0``, move to ``x_j``), a compromise (``b > 0 > a``, ``b > |a|``, move the
   fraction ``|a/b|`` towards ``x_j``) or a capitulation (``b > 0 > a``, ``|a| >= b``, move to
   ``x_j``);
3. accepts one of the offers it received; all actors move at the same time.

The forecast after each round is the capability x salience weighted median of the held positions
(or the weighted mean).

Equations and test numbers: ``/work/shared/reference/models.md`` section A, after Scholz, Calbert
& Smith (2011) and the public replications jmckib/bdm-scholz-expected-utility-model and
dmasad/BDM_DecisionModel_Replication (read, not reused).

Implementation
--------------
Samples and issues are flattened into one batch axis ``B = S * D``; dyads are ``(B, N, N)``
arrays. The vote sum ``sum_k max(0, v_k(i, j))`` is a triple sum over voters and dyads; it is
computed in ``O(N^2 log N)`` per batch row instead of ``O(N^3)``: a voter prefers ``x_i`` to
``x_j`` exactly when it lies on ``x_i``'s side of their midpoint (the risk exponent does not change
the sign of a vote), so after sorting the voters by position the favourable voters of each dyad are
a prefix or a suffix, and their vote totals are differences of cumulative sums. The batch is
processed in chunks to bound memory, and batch rows whose stopping rule has fired are frozen and
dropped from later rounds, so a row's result never depends on the other rows in the batch.

Units: capability is relative (every vote and probability is a ratio of capability sums), but
salience is absolute, on 0..1: a challenge's expected utility weighs the target's stakes by
``s_j`` and success without a fight by ``1 - s_j`` (models.md A.4), so halving every salience
changes the run (up to 3 points on china-soe-reform, ``tests/models/test_scale_invariance.py``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from detente.arrays import ScenarioArrays
from detente.models import _numba
from detente.models.base import Model, Simulation, register
from detente.models.central import weighted_median

Variant = Literal["paper", "scholz"]
ProbabilityRule = Literal["pairwise", "scholz_total"]
OfferChoice = Literal["typed_least_move", "least_move", "scholz"]

#: What each ``variant`` preset sets; any of these fields may be overridden individually.
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {"probability": "pairwise", "capitulation": True, "offer_choice": "typed_least_move"},
    "scholz": {"probability": "scholz_total", "capitulation": False, "offer_choice": "scholz"},
}

#: Offer type codes used in the internal arrays; 0 means no offer.
OFFER_TYPES = {1: "confrontation", 2: "compromise", 3: "capitulation"}

# Risk normalisation guard: dangers whose spread is below this (relative to their size) count as
# equal, and every exponent is then 1 (models.md A.5); exact unanimity gives a spread of exactly 0.
_DANGER_SPREAD_RTOL = 1e-12
#: Rounds the compiled kernel looks back for positions that repeat (a cycle: see _rows_kernel).
_CYCLE_WINDOW = 8

# Size of one chunk of the batch, in elements of a (chunk, N, N) array: bounds memory, and chunks
# of about 1 MB per array run faster than large ones (cache).
_CHUNK_ELEMENTS = 1 << 17


class BDMOptions(BaseModel):
    """Options of the expected-utility model; every published ambiguity is one field.

    ``variant`` is a preset for the three rules on which the paper and Scholz's code differ
    (``probability``, ``capitulation``, ``offer_choice``); fields left unset (or None) take the
    preset's value, and the resolved values are what :meth:`Model.describe` records.

    Attributes
    ----------
    variant
        ``"paper"``: pairwise probability, least-move offer choice, capitulation on (BDM's and
        Scholz et al.'s published description). ``"scholz"``: the rules of Scholz's code, which
        reproduce the published EC runs (models.md A.9).
    probability
        Denominator of the probability that ``i`` beats ``j``. ``"pairwise"``:
        ``sum_k |v_k(i, j)|`` so that ``P_ij + P_ji = 1``; ``"scholz_total"``: the sum of
        ``|v_k(a, b)|`` over all voters and all ordered actor pairs (a very small ``P``).
    capitulation
        Whether ``b > 0 > a`` with ``|a| >= b`` makes ``i`` capitulate to ``x_j``. The condition is
        written so that it never fires in the code that reproduces Scholz.
    offer_choice
        Which of the offers it received an actor accepts. ``"typed_least_move"``: confrontations
        first, then compromises, then capitulations, and within that type the offer that moves it
        least (the paper preset: this is the reading that reproduces the paper-variant figures of
        models.md A.9, 7.6038 -> 7.0266 -> 7.0). ``"least_move"``: the smallest move over all
        offers whatever their type (the literal wording of models.md A.6; on the EC example it
        does not reach unanimity). ``"scholz"``: Scholz's code, i.e. ``"typed_least_move"`` except
        that compromises are ranked by the smallest ``(|a| x_i + |b| x_j) / (|a| + |b|)``, a
        weighted position rather than a distance.
    tie_break
        Exact ties between offers (same type rank and same move, e.g. two proposers at equal
        distance on either side, common with integer-coded positions): ``"first_listed"`` takes the
        proposer that comes first in the actor list, as the replication codes do (needed to
        reproduce models.md A.9; it makes such tied runs depend on the actor order);
        ``"lower_position"`` takes the lower new position, which does not depend on the order.
    perception
        Risk exponent used for ``b = EU_i(j -> i)``: ``"receiver"`` (Scholz's code: ``i`` judges
        both sides of the dyad with its own ``r_i``) or ``"own"`` (``r_j``).
    range_basis
        Distance normaliser ``R``: ``"initial_spread"`` (max - min of the initial positions, fixed
        for the run, as in Scholz's code; the scale width if all start together) or ``"scale"``
        (the issue's scale width).
    mu
        Current forecast used by the status-quo terms ``U^b``, ``U^w``: weighted ``"median"`` (BDM)
        or weighted ``"mean"`` (dmasad). Only matters when ``q < 1``.
    q
        Probability that the status quo holds if ``i`` does not challenge (1 in all replications).
    t
        Probability that, if it does not hold, things improve for ``i``. Only matters if ``q < 1``.
    max_rounds
        Round limit.
    stopping
        ``"max_move"``: a batch row stops after the first round in which no actor moves more than
        ``tol`` x scale width. ``"forecast_shift"``: it stops once the forecast has moved by at
        most ``tol`` x scale width in ``patience`` consecutive rounds. ``"fixed"``: always run
        ``max_rounds`` (BDM's discount-based rule is not published; models.md A.7).
    tol
        Convergence tolerance as a fraction of the issue's scale width (0.005 = 0.5 on 0-100).
    patience
        Consecutive quiet rounds required by ``stopping="forecast_shift"``.
    forecast
        Statistic reported as the forecast: capability x salience weighted ``"median"`` (BDM's
        Condorcet winner among the held positions) or weighted ``"mean"``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    variant: Variant = "paper"
    probability: ProbabilityRule = "pairwise"
    capitulation: bool = True
    offer_choice: OfferChoice = "typed_least_move"
    tie_break: Literal["first_listed", "lower_position"] = "first_listed"
    perception: Literal["receiver", "own"] = "receiver"
    range_basis: Literal["initial_spread", "scale"] = "initial_spread"
    mu: Literal["median", "mean"] = "median"
    q: float = Field(1.0, ge=0.0, le=1.0)
    t: float = Field(0.5, ge=0.0, le=1.0)
    max_rounds: int = Field(20, ge=1, le=10_000)
    stopping: Literal["max_move", "forecast_shift", "fixed"] = "max_move"
    tol: float = Field(0.005, ge=0.0)
    patience: int = Field(3, ge=1)
    forecast: Literal["median", "mean"] = "median"

    @model_validator(mode="before")
    @classmethod
    def _apply_variant(cls, data: Any) -> Any:
        """Fill the preset fields the caller left unset (or None) from ``variant``."""
        if not isinstance(data, dict):
            return data
        preset = PRESETS.get(data.get("variant", "paper"))
        if preset is None:  # an unknown variant is reported by field validation
            return data
        data = dict(data)
        for key, value in preset.items():
            if data.get(key) is None:
                data[key] = value
        return data


# --------------------------------------------------------------------------------------------
# Building blocks on (B, N) batch rows. They are public so that tests can pin intermediate values.
# --------------------------------------------------------------------------------------------


def _pow(base: np.ndarray | float, exponent: np.ndarray | float) -> np.ndarray | float:
    """``base ** exponent`` in float64 with the C library's ``pow``, element by element.

    NumPy's ``**`` (``np.power``) runs its own SIMD routine on CPUs with AVX-512, which differs
    from ``pow`` by one unit in the last place in a few per cent of cases; ``np.float_power``
    calls ``pow`` itself, as Python's ``**`` and the compiled kernel (Numba) do, so the NumPy
    rounds and the kernel give the same numbers bit for bit on every CPU. A Python float
    ``r == 1.0`` returns ``base`` unchanged (``pow(x, 1) == x`` exactly).
    """
    if isinstance(exponent, float) and exponent == 1.0:
        return base
    return np.float_power(base, exponent)


def _count_below(sorted_values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Per row, how many of ``sorted_values`` (B, N) are strictly below each query (B, M)."""
    m = queries.shape[1]
    combined = np.concatenate([queries, sorted_values], axis=1)
    # stable sort with the queries first: a value equal to a query sorts after it, so "before"
    # counts only strictly smaller values
    order = np.argsort(combined, axis=1, kind="stable")
    is_value = order >= m
    before = np.cumsum(is_value, axis=1) - is_value
    out = np.empty_like(order)
    np.put_along_axis(out, order, before, axis=1)
    return out[:, :m]


def _pairwise_abs_sum(y: np.ndarray, present: np.ndarray) -> np.ndarray:
    """``sum_a sum_c |y[..., a] - y[..., c]|`` over present a, c: (B, K, N) -> (B, K)."""
    n_actors = y.shape[-1]
    n = present.sum(axis=1)[:, None]  # (B, 1)
    ys = np.sort(np.where(present[:, None, :], y, np.inf), axis=-1)
    rank = np.arange(1, n_actors + 1)[None, :]
    # sorted y_(1) <= ... <= y_(n): sum over a < c of y_(c) - y_(a) = sum_m (2m - n - 1) y_(m)
    coef = np.where(rank <= n, 2 * rank - n - 1, 0).astype(float)
    ys = np.where(np.isfinite(ys), ys, 0.0)
    return 2.0 * np.einsum("bkn,bn->bk", ys, coef)


@dataclass
class Geometry:
    """Per-round quantities that depend only on the positions (shared by both risk passes).

    ``dist1[b, i, j] = |x_i - x_j| / R``; ``order`` sorts the actors of each row by position;
    ``below[b, i, j]`` counts the actors strictly below the midpoint of ``x_i`` and ``x_j``;
    ``contest`` marks dyads of two present actors at different positions.
    """

    x: np.ndarray
    present: np.ndarray
    dist1: np.ndarray
    order: np.ndarray
    below: np.ndarray
    contest: np.ndarray
    left: np.ndarray  # x_i < x_j
    # flat indices reused by both passes: voter rows in position order, and (below_ij, j) cells
    # of the (B, N + 1, N) cumulative vote array
    row_take: np.ndarray
    cum_take: np.ndarray


def geometry(x: np.ndarray, scale: np.ndarray, present: np.ndarray) -> Geometry:
    """Distances, voter order and midpoint counts for positions ``x`` (B, N)."""
    b, n = x.shape
    dist1 = np.abs(x[:, :, None] - x[:, None, :]) / scale[:, None, None]
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)
    iu, ju = np.triu_indices(n, 1)
    below = np.zeros((b, n, n), dtype=np.intp)
    if iu.size:
        cnt = _count_below(xs, 0.5 * (x[:, iu] + x[:, ju]))  # the count is symmetric in (i, j)
        below[:, iu, ju] = cnt
        below[:, ju, iu] = cnt
    pair = present[:, :, None] & present[:, None, :]
    contest = pair & (x[:, :, None] != x[:, None, :])
    left = x[:, :, None] < x[:, None, :]
    row_take = (order + n * np.arange(b)[:, None]).ravel()
    cum_take = (np.arange(b)[:, None, None] * (n + 1) + below) * n + np.arange(n)[None, None, :]
    return Geometry(x, present, dist1, order, below, contest, left, row_take, cum_take)


def vote_terms(geo: Geometry, w: np.ndarray, r: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Votes for ``x_i`` over ``x_j``, summed over the voters who prefer ``x_i``.

    Parameters
    ----------
    geo : Geometry
        Positions and their derived quantities (:func:`geometry`).
    w : ndarray, shape (B, N)
        Voting weights ``c * s`` (0 for absent actors).
    r : ndarray, shape (B, N), or None
        The voters' risk exponents; None means all 1.

    Returns
    -------
    favour : ndarray, shape (B, N, N)
        ``sum_k max(0, v_k(i, j))`` with ``v_k(i, j) = w_k ((|x_k - x_j|/R)^r_k -
        (|x_k - x_i|/R)^r_k)``; 0 unless ``(i, j)`` is a contest.
    dist : ndarray, shape (B, N, N)
        ``(|x_k - x_m| / R)^r_k`` (voter ``k``, actor ``m``).
    """
    b, n = w.shape
    dist = geo.dist1 if r is None else _pow(geo.dist1, r[:, :, None])
    weighted = (w[:, :, None] * dist).reshape(b * n, n)[geo.row_take].reshape(b, n, n)
    cum = np.zeros((b, n + 1, n))
    np.cumsum(weighted, axis=1, out=cum[:, 1:, :])
    total = cum[:, n, :]
    g = cum.ravel()[geo.cum_take]  # g[b, i, j] = cum[b, below_ij, j]
    # voters below the midpoint: sum_k w_k (D_kj - D_ki); voters above: the rest of the totals
    lower = g - g.transpose(0, 2, 1)
    upper = (total[:, None, :] - total[:, :, None]) - lower
    favour = np.where(geo.left, lower, upper)
    # voters exactly at a midpoint cast a zero vote; rounding can leave -1e-17 there
    favour = np.where(geo.contest, np.maximum(favour, 0.0), 0.0)
    return favour, dist


def win_probability(
    x: np.ndarray,
    w: np.ndarray,
    r: np.ndarray | None,
    scale: np.ndarray,
    present: np.ndarray,
    rule: ProbabilityRule,
    geo: Geometry | None = None,
) -> np.ndarray:
    """Probability ``P[b, i, j]`` that ``x_i`` prevails over ``x_j`` (models.md A.2).

    ``P`` is 0 when ``x_i == x_j`` (no contest) or either actor is absent. Under ``"pairwise"``
    a dyad on which no voter has any weight is a coin flip (0.5), so that ``P_ij + P_ji = 1``
    still holds; under ``"scholz_total"`` a zero total gives 0. ``r`` None means all exponents
    are 1; ``geo`` may pass :func:`geometry` of ``x`` already computed.
    """
    geo = geometry(x, scale, present) if geo is None else geo
    favour, dist = vote_terms(geo, w, r)
    if rule == "pairwise":
        den = favour + favour.transpose(0, 2, 1)
        p = np.divide(favour, den, out=np.full_like(favour, 0.5), where=den > 0)
    else:
        den = np.einsum("bk,bk->b", w, _pairwise_abs_sum(dist, present))[:, None, None]
        p = np.divide(favour, den, out=np.zeros_like(favour), where=den > 0)
    return np.where(geo.contest, p, 0.0)


def _success_failure(d: np.ndarray, r: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """``U^s = 2 - 4(0.5 - 0.5 d)^r`` and ``U^f = 2 - 4(0.5 + 0.5 d)^r``."""
    # positions stay inside the initial range, so d <= 1 and the base is >= 0 up to rounding
    lo, hi = np.maximum(0.5 - 0.5 * d, 0.0), 0.5 + 0.5 * d
    if not (np.isscalar(r) and r == 1.0):  # the r = 1 pass needs no power
        lo, hi = _pow(lo, r), _pow(hi, r)
    return 2 - 4 * lo, 2 - 4 * hi


def _no_challenge(
    d: np.ndarray, mu_dist: np.ndarray, r: np.ndarray | float, q: float, t: float
) -> np.ndarray:
    """``Q U^sq + (1 - Q)[T U^b + (1 - T) U^w]``, the value of not challenging."""
    out = q * (2 - 4 * _pow(0.5, r))
    if q < 1:
        e = mu_dist + d
        u_b = 2 - 4 * _pow(np.maximum(0.5 - 0.25 * e, 0.0), r)
        u_w = 2 - 4 * _pow(0.5 + 0.25 * e, r)
        out = out + (1 - q) * (t * u_b + (1 - t) * u_w)
    return out


def _combine(
    p: np.ndarray,
    s_target: np.ndarray,
    u_s: np.ndarray,
    u_f: np.ndarray,
    no_challenge: np.ndarray | float,
) -> np.ndarray:
    """``s_t [P U^s + (1 - P) U^f] + (1 - s_t) U^s - no_challenge``."""
    return s_target * (p * u_s + (1 - p) * u_f) + (1 - s_target) * u_s - no_challenge


def expected_utility(
    p: np.ndarray,
    s_target: np.ndarray,
    d: np.ndarray,
    mu_dist: np.ndarray,
    r: np.ndarray,
    q: float,
    t: float,
) -> np.ndarray:
    """Expected utility of a challenge (models.md A.3-A.4); all arguments broadcast.

    ``EU = s_t [P U^s + (1 - P) U^f] + (1 - s_t) U^s - Q U^sq - (1 - Q)[T U^b + (1 - T) U^w]``
    with ``U^s = 2 - 4(0.5 - 0.5 d)^r``, ``U^f = 2 - 4(0.5 + 0.5 d)^r``,
    ``U^b = 2 - 4(0.5 - 0.25(m + d))^r``, ``U^w = 2 - 4(0.5 + 0.25(m + d))^r``,
    ``U^sq = 2 - 4 (0.5)^r``, ``d`` the normalised challenger-target distance, ``m`` the
    challenger's normalised distance from the current forecast and ``s_t`` the target's salience.
    """
    u_s, u_f = _success_failure(d, r)
    return _combine(p, s_target, u_s, u_f, _no_challenge(d, mu_dist, r, q, t))


def risk_exponents(danger: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Risk acceptance ``R_k`` in [-1, 1] and exponent ``r_k`` in [0.5, 2] from dangers (B, N).

    Normalised across the present actors of each row (Scholz's code; models.md A.5). Guard: when
    all dangers are equal (e.g. unanimity) ``R = 0`` and ``r = 1`` instead of 0/0.
    """
    hi = np.where(present, danger, -np.inf).max(axis=1, keepdims=True)
    lo = np.where(present, danger, np.inf).min(axis=1, keepdims=True)
    none = ~present.any(axis=1, keepdims=True)  # an issue nobody takes part in
    hi, lo = np.where(none, 0.0, hi), np.where(none, 0.0, lo)
    spread = hi - lo
    size = np.maximum(np.abs(hi), np.abs(lo))
    ok = spread > _DANGER_SPREAD_RTOL * np.maximum(size, 1.0)
    acc = np.divide(2 * danger - hi - lo, spread, out=np.zeros_like(danger), where=ok & present)
    r = (1 - acc / 3) / (1 + acc / 3)
    return acc, r


def weighted_stat(x: np.ndarray, w: np.ndarray, kind: Literal["median", "mean"]) -> np.ndarray:
    """Weighted median (lower middle on an exact split) or mean over actors: (B, N) -> (B,)."""
    if kind == "mean":
        return (w * x).sum(axis=1) / w.sum(axis=1)
    return weighted_median(x[:, :, None], w[:, :, None])[:, 0]


@dataclass
class RoundState:
    """Everything computed in one round for a set of batch rows (all arrays lead with B)."""

    danger: np.ndarray  # (B, N) with r = 1
    acceptance: np.ndarray  # (B, N) R_k
    r: np.ndarray  # (B, N)
    p: np.ndarray  # (B, N, N) with the new r
    a: np.ndarray  # (B, N, N) EU_i(i -> j)
    b: np.ndarray  # (B, N, N) EU_i(j -> i)
    offer: np.ndarray  # (B, N, N) int, 0 none, else an OFFER_TYPES code
    target: np.ndarray  # (B, N, N) new position of i if it accepts j's offer
    accepted: np.ndarray  # (B, N) bool
    partner: np.ndarray  # (B, N) index j of the accepted offer
    new_x: np.ndarray  # (B, N)


def _pick(
    cand: np.ndarray, key: np.ndarray, target: np.ndarray, tie_break: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per receiver (axis 1), the candidate proposer (axis 2) with the smallest key.

    Exact ties go to the proposer listed first (``"first_listed"``) or to the lower new position
    (``"lower_position"``, then the proposer listed first).
    """
    k = np.where(cand, key, np.inf)
    if tie_break == "first_listed":
        idx = np.argmin(k, axis=2)  # argmin returns the first of equal minima
    else:
        best = cand & (k == k.min(axis=2, keepdims=True))
        idx = np.argmin(np.where(best, target, np.inf), axis=2)
    return cand.any(axis=2), idx


def bargaining_round(
    x: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    present: np.ndarray,
    scale: np.ndarray,
    forecast_w: np.ndarray,
    opts: BDMOptions,
) -> RoundState:
    """One round of risk estimation, offers and simultaneous moves for batch rows (B, N).

    ``forecast_w`` are the weights of the forecast statistic (used for ``mu`` when ``q < 1``).
    """
    n = x.shape[1]
    w = c * s * present
    geo = geometry(x, scale, present)
    d = geo.dist1
    mu_dist = np.abs(x - weighted_stat(x, forecast_w, opts.mu)[:, None]) / scale[:, None]
    m_i, m_j = mu_dist[:, :, None], mu_dist[:, None, :]
    q, t = opts.q, opts.t

    # pass 1: everyone at r = 1; danger_k = sum over challengers i of EU(i -> k)
    p1 = win_probability(x, w, None, scale, present, opts.probability, geo)
    eu1 = expected_utility(p1, s[:, None, :], d, m_i, 1.0, q, t)
    pair = present[:, :, None] & present[:, None, :] & ~np.eye(n, dtype=bool)
    danger = np.where(pair, eu1, 0.0).sum(axis=1)
    acceptance, r = risk_exponents(danger, present)

    # pass 2: votes with each voter's r; receiver i judges a = EU_i(i -> j) with r_i and
    # b = EU_i(j -> i) with r_i ("receiver") or r_j ("own"). U^s, U^f depend only on |x_i - x_j|
    # and the exponent, so a and b share them (transposed for "own", as d is symmetric).
    p = win_probability(x, w, r, scale, present, opts.probability, geo)
    r_i = r[:, :, None]
    u_s, u_f = _success_failure(d, r_i)
    nc_a = _no_challenge(d, m_i, r_i, q, t)
    a = _combine(p, s[:, None, :], u_s, u_f, nc_a)
    if opts.perception == "receiver":
        nc_b = _no_challenge(d, m_j, r_i, q, t)
    else:
        u_s, u_f = u_s.transpose(0, 2, 1), u_f.transpose(0, 2, 1)
        nc_b = _no_challenge(d, m_j, r[:, None, :], q, t)
    b = _combine(p.transpose(0, 2, 1), s[:, :, None], u_s, u_f, nc_b)

    valid = geo.contest
    conf = valid & (b > a) & (a > 0)
    mixed = valid & (b > 0) & (a < 0)
    comp = mixed & (b > np.abs(a))
    capit = mixed & (np.abs(a) >= b) if opts.capitulation else np.zeros_like(mixed)
    xi, xj = x[:, :, None], x[:, None, :]
    target = np.where(comp, xi + (xj - xi) * np.abs(np.divide(a, b, where=comp, out=d * 0)), xj)
    offer = np.select([conf, comp, capit], [1, 2, 3], 0)
    move = np.abs(target - xi)

    tb = opts.tie_break
    if opts.offer_choice == "least_move":
        accepted, partner = _pick(offer > 0, move, target, tb)
    else:
        if opts.offer_choice == "scholz":
            # Scholz's compromise key is a weighted position, not a distance (a quirk; A.6)
            den = np.abs(a) + np.abs(b)
            key = np.divide(
                np.abs(a) * xi + np.abs(b) * xj,
                den,
                out=np.full_like(a, np.inf),
                where=comp & (den > 0),
            )
        else:
            key = move
        has1, i1 = _pick(conf, move, target, tb)
        has2, i2 = _pick(comp, key, target, tb)
        has3, i3 = _pick(capit, move, target, tb)
        accepted = has1 | has2 | has3
        partner = np.where(has1, i1, np.where(has2, i2, i3))
    chosen = np.take_along_axis(target, partner[:, :, None], axis=2)[:, :, 0]
    new_x = np.where(accepted, chosen, x)
    return RoundState(danger, acceptance, r, p, a, b, offer, target, accepted, partner, new_x)


# --------------------------------------------------------------------------------------------
# Optional compiled kernel (Numba): the same rounds row by row, bit for bit
# --------------------------------------------------------------------------------------------

#: Batch rows (samples x issues) from which the compiled kernel is used when Numba is installed
#: (below, loading it costs more than it saves). Tests set it to 0 or to a huge number to force
#: either path. The first call after the source changes compiles it (seconds; cached on disk).
NUMBA_MIN_ROWS = 64

#: Threads that run the compiled kernel on parts of the batch (None: one per CPU). Monte Carlo
#: worker processes set 1, since they already share out the CPUs.
KERNEL_THREADS: int | None = None
_ROWS_PER_THREAD = 256  # fewer rows per thread are not worth a thread

_kernel_cache: list[Any] = []  # [compiled kernel or None], filled on first use


def _rows_kernel(
    first,
    stop,
    x0,
    c,
    s,
    present,
    scale,
    tol,
    limit,
    own,
    capitulation,
    choice,
    lower_position,
    fixed,
    half,
    fw,
    median,
    traj,
    forecasts,
    ev_int,
    ev_float,
    rounds,
    stopped,
):  # pragma: no cover - compiled by Numba; the same code runs in Python in a test
    """Every round of every batch row, one row at a time: the arithmetic of
    :func:`bargaining_round` for ``q = 1`` and the pairwise probability, operation for
    operation in the same order, so that the results are identical bit for bit.

    It only skips work whose result is known exactly: products with a zero voting weight or
    distance, powers with exponent 1, the powers of positions already computed for another actor
    at the same position, sums and utilities that only absent actors' contests would read, and
    the rounds of a row whose positions repeat those of one of the last ``_CYCLE_WINDOW`` rounds
    (its trajectory and events repeat the cycle up to the limit, and are copied). Runs rows
    ``first`` to ``stop - 1`` of the batch. Outputs: ``traj`` (limit + 1, B, N) the positions;
    if ``median``, ``forecasts`` (limit + 1, B) the weighted median with weights ``fw`` (that of
    :func:`detente.models.central.weighted_median`); for the first ``E`` rows, ``ev_int``
    (limit, E, N, 2) the partner and offer type (0: none) of the offer each actor accepted in
    each round and ``ev_float`` (limit, E, N, 2) its ``a`` and ``b``; ``rounds`` (B,) the rounds
    each row ran and ``stopped`` (B,) whether its stopping rule fired. ``half`` is 0.5, passed
    in so that the compiler cannot rewrite ``0.5 ** r`` as a different function (``exp2``).
    """
    n = x0.shape[1]
    x = np.empty(n)
    new_x = np.empty(n)
    w = np.empty(n)
    r = np.empty(n)
    nc = np.empty(n)
    danger = np.empty(n)
    order = np.empty(n, dtype=np.int64)
    rep = np.empty(n, dtype=np.int64)
    d = np.empty((n, n))
    below = np.zeros((n, n), dtype=np.int64)
    contest = np.empty((n, n), dtype=np.bool_)
    cum = np.empty((n + 1, n))
    p = np.empty((n, n))
    u_s = np.empty((n, n))
    u_f = np.empty((n, n))
    best_k = np.empty(3)
    best_t = np.empty(3)
    has = np.empty(3, dtype=np.bool_)
    best_j = np.empty(3, dtype=np.int64)
    best_code = np.empty(3, dtype=np.int64)
    best_a = np.empty(3)
    best_b = np.empty(3)
    n_events = ev_int.shape[1]
    pres = np.empty(n, dtype=np.bool_)  # the row's present and s, read in the loops
    sal = np.empty(n)
    xs = np.empty(n)
    for row in range(first, stop):
        rounds[row] = 0
        stopped[row] = False
        sc = scale[row]
        for k in range(n):
            pres[k] = present[row, k]
            sal[k] = s[row, k]
        for k in range(n):
            x[k] = x0[row, k]
            w[k] = c[row, k] * s[row, k] * (1.0 if present[row, k] else 0.0)
            traj[0, row, k] = x[k]
        done = False
        for t in range(limit + 1):
            if median:  # the weighted median of the positions (same arithmetic as NumPy's)
                for k in range(n):
                    order[k] = k
                for k in range(1, n):
                    v = order[k]
                    m = k - 1
                    while m >= 0 and x[order[m]] > x[v]:
                        order[m + 1] = order[m]
                        m -= 1
                    order[m + 1] = v
                acc = 0.0
                for k in range(n):
                    acc = acc + fw[row, order[k]] if k > 0 else fw[row, order[k]]
                    danger[k] = acc  # scratch: cumulative weights
                lim = 0.5 * acc * (1 - 1e-12)
                pick = 0
                for k in range(n):
                    if danger[k] >= lim:
                        pick = k
                        break
                forecasts[t, row] = x[order[pick]]
            if done or t == limit:
                break
            # geometry: stable order by position (sorted above for the median), distances,
            # midpoint counts, contests
            if not median:
                for k in range(n):
                    order[k] = k
                for k in range(1, n):  # insertion sort: stable
                    v = order[k]
                    m = k - 1
                    while m >= 0 and x[order[m]] > x[v]:
                        order[m + 1] = order[m]
                        m -= 1
                    order[m + 1] = v
            # actors at one position share its sums and utilities: each group of equal
            # positions (in order) is represented by its first present member, else its first
            m = 0
            while m < n:
                e = m
                while e + 1 < n and x[order[e + 1]] == x[order[e]]:
                    e += 1
                k = order[m]
                for q in range(m, e + 1):
                    if pres[order[q]]:
                        k = order[q]
                        break
                for q in range(m, e + 1):
                    rep[order[q]] = k
                m = e + 1
            for i in range(n):  # |x_i - x_j| is symmetric, bit for bit
                d[i, i] = 0.0
                contest[i, i] = False
                for j in range(i + 1, n):
                    d[i, j] = d[j, i] = abs(x[i] - x[j]) / sc
                    contest[i, j] = contest[j, i] = pres[i] and pres[j] and x[i] != x[j]
            for q in range(n):
                xs[q] = x[order[q]]
            for rank in range(n):  # in position order: each pair once, midpoints growing
                i = order[rank]
                xi = xs[rank]
                cnt = rank  # from the actors strictly below x_i, all below every midpoint here
                while cnt > 0 and xs[cnt - 1] == xi:
                    cnt -= 1
                for q in range(rank + 1, n):
                    j = order[q]
                    mid = 0.5 * (xi + xs[q])  # the same bits as 0.5 * (x[j] + x[i])
                    while cnt < n and xs[cnt] < mid:
                        cnt += 1
                    below[i, j] = cnt
                    below[j, i] = cnt
            for rnd in range(2):  # pass 0 at r = 1, pass 1 with the risk exponents
                # vote totals: cumulative sums of w_k D_km over voters in position order
                for m in range(n):
                    if rep[m] != m or not pres[m]:  # only contests read the sums
                        continue
                    acc = 0.0
                    cum[0, m] = 0.0
                    for q in range(n):
                        k = order[q]
                        # a zero weight or distance adds exactly 0; x ** 1 is x
                        dk = d[k, m]
                        if w[k] != 0.0 and dk != 0.0:
                            if rnd == 0 or r[k] == 1.0:
                                acc = acc + w[k] * dk
                            else:
                                acc = acc + w[k] * dk ** r[k]
                        cum[q + 1, m] = acc
                # each pair once: i's and j's favour from the same sums, and one denominator
                # (fav_ij + fav_ji and fav_ji + fav_ij are the same number)
                for i in range(n):
                    p[i, i] = 0.0
                    for j in range(i + 1, n):
                        if not contest[i, j]:
                            p[i, j] = 0.0
                            p[j, i] = 0.0
                            continue
                        bl = below[i, j]
                        ri, rj = rep[i], rep[j]
                        c_i, c_j = cum[bl, ri], cum[bl, rj]
                        lower = c_j - c_i
                        if x[i] < x[j]:
                            f = lower
                        else:
                            f = (cum[n, rj] - cum[n, ri]) - lower
                        f_ij = f if f > 0.0 else 0.0
                        lower = c_i - c_j
                        if x[j] < x[i]:
                            f = lower
                        else:
                            f = (cum[n, ri] - cum[n, rj]) - lower
                        f_ji = f if f > 0.0 else 0.0
                        den = f_ij + f_ji
                        if den > 0:
                            p[i, j] = f_ij / den
                            p[j, i] = f_ji / den
                        else:
                            p[i, j] = 0.5
                            p[j, i] = 0.5
                if rnd == 0:
                    # danger_k: sum over challengers i of EU_i(i -> k) at r = 1
                    for k in range(n):
                        danger[k] = 0.0
                    for i in range(n):
                        for k in range(n):
                            if i == k or not (pres[i] and pres[k]):
                                eu = 0.0
                            else:
                                lo = max(0.5 - 0.5 * d[i, k], 0.0)
                                hi = 0.5 + 0.5 * d[i, k]
                                us, uf = 2 - 4 * lo, 2 - 4 * hi
                                pk = p[i, k]
                                sk = sal[k]
                                eu = sk * (pk * us + (1 - pk) * uf) + (1 - sk) * us - 0.0
                            danger[k] = danger[k] + eu if i > 0 else eu
                    hi_d, lo_d, anyone = -np.inf, np.inf, False
                    for k in range(n):
                        if pres[k]:
                            anyone = True
                            hi_d = max(hi_d, danger[k])
                            lo_d = min(lo_d, danger[k])
                    if not anyone:
                        hi_d, lo_d = 0.0, 0.0
                    spread = hi_d - lo_d
                    ok = spread > _DANGER_SPREAD_RTOL * max(max(abs(hi_d), abs(lo_d)), 1.0)
                    for k in range(n):
                        acc_k = (2 * danger[k] - hi_d - lo_d) / spread if ok and pres[k] else 0.0
                        r[k] = (1 - acc_k / 3) / (1 + acc_k / 3)
                        if pres[k]:  # read for contests only
                            nc[k] = 1.0 * (2 - 4 * half ** r[k])
            # U^s, U^f of receiver i against j with r_i (shared by actors at one position)
            for i in range(n):
                for j in range(n):
                    if rep[j] == j and pres[i] and pres[j] and x[i] != x[j]:
                        lo = max(0.5 - 0.5 * d[i, j], 0.0)
                        hi = 0.5 + 0.5 * d[i, j]
                        if r[i] != 1.0:
                            lo, hi = lo ** r[i], hi ** r[i]
                        u_s[i, j] = 2 - 4 * lo
                        u_f[i, j] = 2 - 4 * hi
                for j in range(n):
                    if contest[i, j] and rep[j] != j:
                        u_s[i, j] = u_s[i, rep[j]]
                        u_f[i, j] = u_f[i, rep[j]]
            # offers, and the one each receiver accepts
            moved = 0.0
            for i in range(n):
                xi = x[i]
                has[0] = has[1] = has[2] = False  # no slice: a view costs atomic counts
                for j in range(n):
                    if not contest[i, j]:
                        continue
                    pij, pji = p[i, j], p[j, i]
                    a = sal[j] * (pij * u_s[i, j] + (1 - pij) * u_f[i, j])
                    a = a + (1 - sal[j]) * u_s[i, j] - nc[i]
                    if own:
                        b = sal[i] * (pji * u_s[j, i] + (1 - pji) * u_f[j, i])
                        b = b + (1 - sal[i]) * u_s[j, i] - nc[j]
                    else:
                        b = sal[i] * (pji * u_s[i, j] + (1 - pji) * u_f[i, j])
                        b = b + (1 - sal[i]) * u_s[i, j] - nc[i]
                    kind = -1
                    xj = x[j]
                    target = xj
                    if b > a and a > 0:
                        kind = 0
                    elif b > 0 and a < 0:
                        if b > abs(a):
                            kind = 1
                            target = xi + (xj - xi) * abs(a / b)
                        elif capitulation:
                            kind = 2
                    if kind < 0:
                        continue
                    code = kind + 1
                    move = abs(target - xi)
                    key = move
                    if choice == 1:
                        kind = 0  # least move over every offer type
                    elif choice == 2 and kind == 1:
                        den = abs(a) + abs(b)
                        key = (abs(a) * xi + abs(b) * xj) / den if den > 0 else np.inf
                    if lower_position:
                        better = (
                            not has[kind]
                            or key < best_k[kind]
                            or (key == best_k[kind] and target < best_t[kind])
                        )
                    else:
                        better = not has[kind] or key < best_k[kind]
                    if better:
                        has[kind] = True
                        best_k[kind] = key
                        best_t[kind] = target
                        best_j[kind] = j
                        best_code[kind] = code
                        best_a[kind] = a
                        best_b[kind] = b
                new_x[i] = xi
                for kind in range(3):
                    if has[kind]:
                        new_x[i] = best_t[kind]
                        if row < n_events:
                            ev_int[t, row, i, 0] = best_j[kind]
                            ev_int[t, row, i, 1] = best_code[kind]
                            ev_float[t, row, i, 0] = best_a[kind]
                            ev_float[t, row, i, 1] = best_b[kind]
                        break
                moved = max(moved, abs(new_x[i] - xi))
            for k in range(n):
                x[k] = new_x[k]
                traj[t + 1, row, k] = x[k]
            rounds[row] = t + 1
            if not fixed and moved <= tol[row]:
                stopped[row] = True
                done = True
            elif t + 1 < limit:
                # a round is a function of the positions alone: positions that repeat those
                # after round u repeat rounds u .. t (none of which stopped the row) up to the
                # limit, so the rest of the trajectory is copied from the cycle
                for u in range(max(0, t + 1 - _CYCLE_WINDOW), t + 1):
                    same = True
                    for k in range(n):
                        v = traj[u, row, k]
                        if v != x[k] or np.signbit(v) != np.signbit(x[k]):
                            same = False
                            break
                    if not same:
                        continue
                    period = t + 1 - u
                    for t2 in range(t + 2, limit + 1):
                        src = u + (t2 - u) % period
                        for k in range(n):
                            traj[t2, row, k] = traj[src, row, k]
                        if median:
                            forecasts[t2, row] = forecasts[src, row]
                    if row < n_events:
                        for t2 in range(t + 1, limit):
                            src = u + (t2 - u) % period
                            for k in range(n):
                                for e in range(2):
                                    ev_int[t2, row, k, e] = ev_int[src, row, k, e]
                                    ev_float[t2, row, k, e] = ev_float[src, row, k, e]
                    rounds[row] = limit
                    done = True
                    break
        for t in range(rounds[row] + 1, limit + 1):
            for k in range(n):
                traj[t, row, k] = x[k]
            if median:
                forecasts[t, row] = forecasts[t - 1, row]


def _compiled_kernel() -> Any:
    """The Numba-compiled :func:`_rows_kernel`, or None without Numba (cached on disk)."""
    if not _kernel_cache:
        numba = _numba.load()  # None: not installed, or DETENTE_NO_NUMBA is set
        if numba is None:
            _kernel_cache.append(None)
        else:
            _kernel_cache.append(numba.njit(cache=True, nogil=True)(_rows_kernel))
    return _kernel_cache[0]


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@register
class ExpectedUtility(Model):
    """Bueno de Mesquita's expected-utility (challenge / offer) model of group decisions.

    Default variant: ``"paper"`` (pairwise win probability, least move within the offer types,
    capitulation on), stopped when no actor moves more than 0.5 % of the scale width, at most 20
    rounds. For forecasting this is the defensible choice: it is the model as BDM and Scholz et
    al. describe it, its probabilities are proper (``P_ij + P_ji = 1``), and on the EC example it
    settles (unanimity at 7.0 after three rounds), so the forecast does not hinge on an arbitrary
    round count. The ``"scholz"`` variant reproduces the published runs of Scholz's code
    (models.md A.9) but its probabilities are tiny by construction (one denominator over all
    dyads), its compromise choice is a coding quirk, and it oscillates (on EC Belgium jumps
    between about 4 and 10 for as long as it runs), so its forecast depends on where the run is
    cut. It is kept for replication. On random issues (uniform positions, saliences and
    capabilities; 300 draws) the paper variant stops within 20 rounds in 91 % of 10-actor and 80 %
    of 30-actor draws, mostly at unanimity; the Scholz variant in 26 % and 11 %.

    Masked (absent) actors neither challenge nor are challenged, do not vote and carry no weight
    in the forecast; they keep their (midpoint) position.
    """

    name = "bdm"
    title = "Bueno de Mesquita expected-utility model (Scholz et al. replication)"
    citation = (
        "Bueno de Mesquita (1994) 'Political forecasting: an expected utility method', in "
        "European Community Decision Making, Yale UP, 71-104; Scholz, Calbert & Smith (2011) "
        "'Unravelling Bueno De Mesquita's group decision model', J. Theoretical Politics "
        "23(4):510-531"
    )
    Options = BDMOptions
    dynamic = True

    def simulate(
        self,
        arrays: ScenarioArrays,
        rounds: int | None,
        rng: np.random.Generator,
    ) -> Simulation:
        """Run round by round until every (sample, issue) has stopped or the round limit.

        Parameters
        ----------
        arrays : ScenarioArrays
        rounds : int or None
            Round limit; None uses ``max_rounds``. The stopping rule applies either way (use
            ``stopping="fixed"`` to run exactly ``rounds`` rounds). A (sample, issue) that has
            stopped keeps its positions in later rounds.
        rng : numpy.random.Generator
            Unused: the model is deterministic.

        Returns
        -------
        Simulation
            ``positions`` (T+1, S, N, D) and ``forecasts`` (T+1, S, D) on the issue scales,
            ``events[t]`` the offers accepted in round ``t`` in sample 0 (type, actor, other,
            issue, from, to, a, b), ``converged`` True when every (sample, issue) stopped by the
            rule within the limit.
        """
        o = self.options
        limit = o.max_rounds if rounds is None else int(rounds)
        s_n, n, d_n = arrays.position.shape

        def rows(v: np.ndarray) -> np.ndarray:  # (S, N, D) -> (S*D, N)
            return np.ascontiguousarray(v.transpose(0, 2, 1)).reshape(s_n * d_n, n)

        present = rows(np.broadcast_to(arrays.mask, (s_n, n, d_n)))
        x0 = rows(arrays.position.astype(float))
        c = rows(arrays.capability.astype(float))
        s = rows(arrays.salience.astype(float))
        width = np.tile(arrays.scale_width.astype(float), s_n)
        if o.range_basis == "scale":
            scale = width.copy()
        else:
            hi = np.where(present, x0, -np.inf).max(axis=1)
            lo = np.where(present, x0, np.inf).min(axis=1)
            spread = hi - lo
            scale = np.where(np.isfinite(spread) & (spread > 0), spread, width)

        fw = c * s * present
        empty = fw.sum(axis=1, keepdims=True) <= 0
        # all weights zero: the present actors count equally; an issue nobody takes part in
        # forecasts the fill values of absent pairs, i.e. the scale midpoint
        fill = present | ~present.any(axis=1, keepdims=True)
        fw = np.where(empty & fill, 1.0, fw)

        batch = s_n * d_n
        kernel = self._kernel(batch)
        if kernel is not None:
            return self._simulate_compiled(
                kernel, x0, c, s, present, scale, width, fw, limit, (s_n, n, d_n), arrays
            )
        chunk = max(1, _CHUNK_ELEMENTS // max(n * n, 1))
        runs = []
        for start in range(0, batch, chunk):
            sl = slice(start, min(start + chunk, batch))
            runs.append(
                self._run(
                    x0[sl],
                    c[sl],
                    s[sl],
                    present[sl],
                    scale[sl],
                    width[sl],
                    fw[sl],
                    limit,
                    offset=start,
                    n_issues=d_n,
                    arrays=arrays,
                )
            )
        t_max = max(len(traj) for traj, _, _, _ in runs) - 1
        pos = np.empty((t_max + 1, batch, n))
        fc = np.empty((t_max + 1, batch))
        stopped = np.empty(batch, dtype=bool)
        events: list[list[dict[str, Any]]] = [[] for _ in range(t_max + 1)]
        for start, (traj, ftraj, done, ev) in zip(range(0, batch, chunk), runs, strict=True):
            sl = slice(start, start + traj[0].shape[0])
            k = len(traj)
            pos[:k, sl] = np.stack(traj)
            pos[k:, sl] = traj[-1]  # rows that stopped keep their positions
            fc[:k, sl] = np.stack(ftraj)
            fc[k:, sl] = ftraj[-1]
            stopped[sl] = done
            for t_i, evs in enumerate(ev):
                events[t_i].extend(evs)
        positions = pos.reshape(t_max + 1, s_n, d_n, n).transpose(0, 1, 3, 2)
        forecasts = fc.reshape(t_max + 1, s_n, d_n)
        return Simulation(
            positions=positions,
            forecasts=forecasts,
            events=events,
            converged=bool(stopped.all()),
        )

    def _simulate_compiled(
        self,
        kernel: Any,
        x0: np.ndarray,
        c: np.ndarray,
        s: np.ndarray,
        present: np.ndarray,
        scale: np.ndarray,
        width: np.ndarray,
        fw: np.ndarray,
        limit: int,
        shape: tuple[int, int, int],
        arrays: ScenarioArrays,
    ) -> Simulation:
        """:meth:`simulate` through the compiled kernel: the same numbers and events."""
        o = self.options
        s_n, n, d_n = shape
        batch = s_n * d_n
        median = o.forecast == "median"
        traj = np.empty((limit + 1, batch, n))
        fc = np.empty((limit + 1, batch))
        ev_int = np.zeros((limit, d_n, n, 2), dtype=np.int64)
        ev_float = np.zeros((limit, d_n, n, 2))
        rounds = np.zeros(batch, dtype=np.int64)
        stopped = np.zeros(batch, dtype=bool)
        args = (
            x0,
            c,
            s,
            present,
            scale,
            o.tol * width,
            limit,
            o.perception == "own",
            o.capitulation,
            ("typed_least_move", "least_move", "scholz").index(o.offer_choice),
            o.tie_break == "lower_position",
            o.stopping == "fixed",
            0.5,
            fw,
            median,
            traj,
            fc,
            ev_int,
            ev_float,
            rounds,
            stopped,
        )
        threads = max(1, min(KERNEL_THREADS or os.cpu_count() or 1, batch // _ROWS_PER_THREAD))
        if threads == 1:
            kernel(0, batch, *args)
        else:
            # the kernel releases the GIL; rows are independent, so the split changes nothing
            edges = np.linspace(0, batch, 4 * threads + 1).astype(int)
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda a, b: kernel(a, b, *args), edges[:-1], edges[1:]))
        t_max = int(rounds.max()) if batch else 0
        pos = traj[: t_max + 1]
        if median:
            fc = fc[: t_max + 1]
        else:  # each row's forecast is its own: all rounds at once give the loop's numbers
            fw_t = np.broadcast_to(fw, (t_max + 1, batch, n)).reshape(-1, n)
            fc = weighted_stat(pos.reshape(-1, n), fw_t, o.forecast).reshape(t_max + 1, batch)
        events: list[list[dict[str, Any]]] = [[]]
        for t in range(t_max):  # sample 0: batch row == issue
            out = []
            for issue, i in zip(*np.nonzero(ev_int[t, :, :, 1]), strict=True):
                j = int(ev_int[t, issue, i, 0])
                out.append(
                    {
                        "type": OFFER_TYPES[int(ev_int[t, issue, i, 1])],
                        "round": t + 1,
                        "actor": arrays.actor_ids[i],
                        "other": arrays.actor_ids[j],
                        "issue": arrays.issue_ids[issue],
                        "from": float(pos[t, issue, i]),
                        "to": float(pos[t + 1, issue, i]),
                        "a": float(ev_float[t, issue, i, 0]),
                        "b": float(ev_float[t, issue, i, 1]),
                    }
                )
            events.append(out)
        return Simulation(
            positions=pos.reshape(t_max + 1, s_n, d_n, n).transpose(0, 1, 3, 2),
            forecasts=fc.reshape(t_max + 1, s_n, d_n),
            events=events,
            converged=bool(stopped.all()),
        )

    def _kernel(self, rows: int) -> Any:
        """The compiled kernel if it applies to these options and ``rows`` batch rows."""
        o = self.options
        if (
            rows < max(NUMBA_MIN_ROWS, 1)
            or o.q != 1.0
            or o.probability != "pairwise"
            or o.stopping == "forecast_shift"
        ):
            return None
        kernel = _compiled_kernel()
        if kernel is not None and not _numba.usable(kernel):
            return None  # not compiled yet: NumPy gives the same numbers while it compiles
        return kernel

    def _run(
        self,
        x0: np.ndarray,
        c: np.ndarray,
        s: np.ndarray,
        present: np.ndarray,
        scale: np.ndarray,
        width: np.ndarray,
        fw: np.ndarray,
        limit: int,
        offset: int,
        n_issues: int,
        arrays: ScenarioArrays,
    ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, list[list[dict[str, Any]]]]:
        """Rounds for one chunk of batch rows starting at global row ``offset``.

        Events are recorded for the rows of sample 0 (global rows below ``n_issues``).
        """
        o = self.options
        x = x0.copy()
        traj = [x.copy()]
        ftraj = [weighted_stat(x, fw, o.forecast)]
        events: list[list[dict[str, Any]]] = [[]]
        active = np.arange(x.shape[0])
        stopped = np.zeros(x.shape[0], dtype=bool)
        quiet = np.zeros(x.shape[0], dtype=int)
        for _ in range(limit):
            if active.size == 0:
                break
            old = x[active]
            st = bargaining_round(
                old, c[active], s[active], present[active], scale[active], fw[active], o
            )
            x = x.copy()
            x[active] = st.new_x
            f = ftraj[-1].copy()
            f[active] = weighted_stat(st.new_x, fw[active], o.forecast)
            events.append(self._events(st, old, active + offset, n_issues, len(traj), arrays))
            traj.append(x)
            tol = o.tol * width[active]
            if o.stopping == "max_move":
                done = np.abs(st.new_x - old).max(axis=1) <= tol
            elif o.stopping == "forecast_shift":
                quiet[active] = np.where(
                    np.abs(f[active] - ftraj[-1][active]) <= tol, quiet[active] + 1, 0
                )
                done = quiet[active] >= o.patience
            else:
                done = np.zeros(active.size, dtype=bool)
            ftraj.append(f)
            stopped[active[done]] = True
            active = active[~done]
        return traj, ftraj, stopped, events

    @staticmethod
    def _events(
        st: RoundState,
        old: np.ndarray,
        rows: np.ndarray,
        n_issues: int,
        round_no: int,
        arrays: ScenarioArrays,
    ) -> list[dict[str, Any]]:
        """Accepted offers in sample 0 (global ``rows`` below ``n_issues``).

        A Python loop over the moves of one sample, for output only.
        """
        out: list[dict[str, Any]] = []
        for row in np.nonzero(rows < n_issues)[0]:
            issue = int(rows[row])  # sample 0: global batch row == issue index
            for i in np.nonzero(st.accepted[row])[0]:
                j = int(st.partner[row, i])
                out.append(
                    {
                        "type": OFFER_TYPES[int(st.offer[row, i, j])],
                        "round": round_no,
                        "actor": arrays.actor_ids[i],
                        "other": arrays.actor_ids[j],
                        "issue": arrays.issue_ids[issue],
                        "from": float(old[row, i]),
                        "to": float(st.new_x[row, i]),
                        "a": float(st.a[row, i, j]),
                        "b": float(st.b[row, i, j]),
                    }
                )
        return out
