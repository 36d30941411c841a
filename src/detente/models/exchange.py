"""Stokman & Van Oosten (1994) exchange model ("Decide"): vote trading across pairs of issues.

Per issue the outcome is the capability x salience weighted mean of positions,
``O_d = sum_i c_id s_id x_id / sum_i c_id s_id``. For every pair of issues (p, q), actors left of
the outcome on both issues can trade with actors right of it on both (groups A and D), and actors
left on one and right on the other with their mirror image (B and C). In an exchange the actor
with the larger salience ratio s_p/s_q "demands" p and "supplies" q: it moves its voting position
on q towards the partner, who moves on p towards it. Moves are sized so that both gain equally
(equal-gain rate, Stokman & Van Oosten 1994) or at a rate drawn between the two actors'
indifference rates (random rate). Within a round the exchange with the highest gain is executed
first, the exchanges that share an actor-issue with it are recomputed, and so on until none is
left. The round's outcome is the weighted mean over the voting positions; those who exchanged
then move their start position part of the way towards their voting position.

Matching ``decide-exchange-model`` (release 2022.1.28, the reference implementation; GPL-3, read
but not copied). The rules below reproduce its behaviour, details that the paper leaves open:

- positions are mapped to 0..100 per issue and moves must keep voting positions inside 0..100;
- an actor is "left" of the outcome when its position is <= the outcome;
- role assignment: when ``s_ip/s_iq < s_jp/s_jq`` the second-listed actor demands p, otherwise
  the first (so exact ties in the ratio go to the first); compared by cross-multiplication here;
- the first try moves the p-supplier all the way to the demander's position; when the demander's
  resulting move on q exceeds its distance, the q-supplier moves fully instead and the p-shift is
  backed out from the rate;
- ``check_nbs``: when a supplier's move would carry the outcome (as that exchange sees it) past
  the demander's own round-start position, the move is cut so the outcome stops there and the
  partner's move is recomputed from the rate;
- a move is valid when ``1e-10 < |move| <= 100``, the new position stays in 0..100, and the moves
  the exchange has recorded for that actor (see below) all have the same sign and a sum <= 100;
  an exchange with gain < 1e-10 is invalid, and an invalid exchange is dropped for the round;
- after an exchange is executed, each other exchange sees (a) the new voting position of an actor
  on the issue it supplied and (b) on an issue one of its own actors demands, the voting
  position the executed partner moved to ("updates"; when the same partner moves again, the
  smaller move towards the demander is kept, as the package does). An exchange whose actor's
  supply position changed keeps that actor's previous move in its history; the sign rule above
  then forbids moving back;
- the round outcome uses each actor's voting position after its last exchange on the issue;
- the start-position update, for actors that exchanged on the issue only:
  ``x' = (1 - (1 - s) * 0.4 - 0.1) * x + ((1 - s) * 0.4 + 0.1) * y``;
- ordering: all exchanges are listed by issue pair in file order, then A x D before B x C, then
  by actor in file order; each step the list is stably sorted by gain (highest first) and the
  first is executed, so exact ties go to the exchange that is earlier in the current list.

Batching: the exchange candidates are enumerated once as (issue pair x actor pair). Each round
keeps, per sample, only the exchanges that are live after the round's first computation (about
an eighth of the candidates), in the package's list order, padded to the largest count; every
per-exchange quantity is an array over (samples, live exchanges) and the quantities that do not
change within a round are gathered once. Each step executes, for every sample at once, that
sample's best exchange and recomputes only the exchanges that share an actor-issue with it, so
there is no per-sample Python loop. The package's re-sort of its list before every execution is
replaced by re-keying only the exchanges whose gain changed (see ``_Round``), which gives the
same order. The loop over steps within a round is inherently sequential. Memory grows as
samples x D^2 N^2 / 4 candidates while a round is set up, and as samples x live exchanges after.

Units: capability is relative, but the salience unit matters. Measured: halving every salience
moves the forecast by up to 3 points on china-soe-reform
(``tests/models/test_scale_invariance.py``). Give saliences on the scenario's 0..100 scale, as
``decide-exchange-model``'s inputs are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from detente.arrays import ScenarioArrays
from detente.models import _numba
from detente.models.base import Model, Simulation, register

_EPS_MOVE = 1e-10  # package: a move of at most 1e-10 is no move
_EPS_GAIN = 1e-10  # package: an exchange gaining less than 1e-10 is not made
_EPS_BOUND = 1e-9  # float slack on the 0..100 bounds (the package computes in Decimal)
_EPS_OUTCOME = 1e-9  # outcomes this close (0..100 scale) to a demander's position are at it
TIE_RTOL = 1e-12  # gains this close (relative) are equal: their difference is rounding noise


class ExchangeOptions(BaseModel):
    """Named choices of the exchange model (recorded by ``describe()``).

    Attributes
    ----------
    rate
        ``"equal_gain"``: both actors gain equally (Stokman & Van Oosten 1994).
        ``"random_rate"``: the rate delta_q / delta_p is drawn uniformly, once per exchange and
        round, between the two actors' indifference rates ``s_jp/s_jq`` and ``s_ip/s_iq``, so
        each split of the gains is equally likely; exchanges are ranked by the sum of the two
        gains (which for equal gain ranks exactly as the equal gain does) and need both gains
        >= 1e-10. This is detente's own reading of the random-rate idea (Dijkstra, Van Assen
        & Stokman, as cited in models.md E.3; the paper was not checked); it is not the
        package's randomised equal-gain variant. The draws are made per (sample, candidate)
        from the passed generator, so with the same seed a sample's draws depend on the batch
        it is run in.
    start_update
        ``"on"``: after each round, actors that exchanged on an issue move their start position
        towards their voting position with weight ``(1 - s) * salience_weight + fixed_weight``.
        ``"off"``: the next round starts from the voting positions.
    salience_weight, fixed_weight
        The weights of the start-position update (package defaults 0.4 and 0.1).
    tie
        Gains within a relative 1e-12 of the best count as tied (their difference is rounding
        noise). ``"first"``: the tied exchange earliest in the list goes first, as a stable sort
        does with exact ties (the package with ``ALLOW_RANDOM = False``; the package itself
        sees Decimal rounding noise in such ties and so may pick another of them).
        ``"random"``: one of the tied exchanges is drawn uniformly with the passed generator
        (the package's own random tie rule, a coin flip between the top two, is not copied).
    boundary
        What a supplier's move does when the outcome, as the exchange sees it, already sits at
        the demander's position (within 1e-9 on the 0..100 scale). ``"cut"``: any move would
        carry the outcome past it, so the move is cut to zero and the exchange lapses (the
        model's intent: no demander wants the outcome beyond its own position). ``"pass"``:
        the package's comparisons read in exact arithmetic (``<=`` and ``>=`` both hold at the
        boundary), so the move goes ahead. The package itself goes either way there, decided
        by 28-digit Decimal rounding noise.
    max_rounds
        Rounds to run; a run stops earlier when a round executes no exchange in any sample.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    rate: Literal["equal_gain", "random_rate"] = "equal_gain"
    start_update: Literal["on", "off"] = "on"
    salience_weight: float = Field(0.4, ge=0.0, le=1.0)
    fixed_weight: float = Field(0.1, ge=0.0, le=1.0)
    tie: Literal["first", "random"] = "first"
    boundary: Literal["cut", "pass"] = "cut"
    max_rounds: int = Field(10, ge=1, le=10_000)

    @model_validator(mode="after")
    def _weights_at_most_one(self) -> ExchangeOptions:
        # the start moves by (1 - s) * salience_weight + fixed_weight of the way: at most all
        if self.salience_weight + self.fixed_weight > 1.0:
            raise ValueError("salience_weight + fixed_weight must be <= 1")
        return self


@dataclass
class _Candidates:
    """Every (issue pair, actor pair) combination, in a fixed canonical order."""

    p: np.ndarray  # (E,) first issue of the pair (file order)
    q: np.ndarray  # (E,) second issue
    u: np.ndarray  # (E,) lower actor index
    v: np.ndarray  # (E,) higher actor index
    pair: np.ndarray  # (E,) issue-pair index


def _candidates(n: int, d: int) -> _Candidates:
    ip, iq = np.triu_indices(d, k=1)
    au, av = np.triu_indices(n, k=1)
    k = np.repeat(np.arange(ip.size), au.size)
    m = np.tile(np.arange(au.size), ip.size)
    return _Candidates(p=ip[k], q=iq[k], u=au[m], v=av[m], pair=k)


def weighted_outcome(x: np.ndarray, w: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Weighted mean of positions per issue, (S, N, D) -> (S, D).

    Where no present actor has weight (all saliences or capabilities zero), the unweighted mean
    of the present actors is returned instead (the package would return 0 there).
    """
    den = w.sum(axis=1)
    num = (w * x).sum(axis=1)
    m = np.broadcast_to(mask, x.shape)
    count = m.sum(axis=1)
    plain = np.where(count > 0, (x * m).sum(axis=1) / np.maximum(count, 1), 50.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), plain)


# Rows of _Round.inv, the per-exchange invariants of a round: s_ap, s_aq, s_bp, s_bq, then pairs
# (i's side, j's side) for the supplier's weight, the supplied issue's total weight, the
# demander's position there, the supplier's round-start position and the issue's weighted sum,
# then the rate. Rows of _Round.ix (flat indices into the ravelled arrays), pairs again:
# y[a, q], y[b, p]; dupd[b, q], dupd[a, p]; upd[b, q, a], upd[a, p, b].
_W, _DEN, _TARGET, _X_OWN, _TOT, _RATE = 4, 6, 8, 10, 12, 14
_CHUNK = 8192  # exchanges computed at once when a round starts
_DROP_MIN = 4  # rows from which a step drops finished samples (when half are)
_BATCH_CANDIDATES = 2_000_000  # forecast_many: samples x candidates per stacked batch
_Y, _DU, _UP = 0, 2, 4


def _compact(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the indices of the kept columns in their order, padded with column 0; and the
    mask of the real (not padding) entries."""
    count = keep.sum(axis=1)
    width = int(count.max(initial=0))
    rows, cols = np.nonzero(keep)  # row by row, columns in order
    first = np.cumsum(count) - count  # where each row's entries start in cols
    idx = np.zeros((keep.shape[0], width), dtype=np.intp)
    idx[rows, np.arange(rows.size) - first[rows]] = cols
    return idx, np.arange(width) < count[:, None]


# --------------------------------------------------------------------------------------------
# Optional compiled kernel (Numba) of _Round._compute: the same arithmetic exchange by exchange
# --------------------------------------------------------------------------------------------

#: Samples in a round from which the compiled kernel is used when Numba is installed (below,
#: loading Numba costs more than it saves). Tests set it to 0 or to a huge number to force
#: either path. The first call after the source changes compiles it (seconds; cached on disk).
NUMBA_MIN_SAMPLES = 16

_kernel_cache: list[Any] = []  # [compiled kernel or None], filled on first use


def _side(diff: float) -> float:
    """``np.where(abs(diff) <= _EPS_OUTCOME, 0, np.sign(diff))`` for one number."""
    if abs(diff) <= _EPS_OUTCOME:
        return 0.0
    if diff > 0.0:
        return 1.0
    if diff < 0.0:
        return -1.0
    return diff  # NaN


def _move_ok(move: float, x: float, hmin: float, hmax: float, hsum: float) -> bool:
    """:meth:`_Round._valid` for one move (np.maximum and np.minimum propagate NaN)."""
    size = abs(move)
    new = x + move
    if not (
        size > _EPS_MOVE
        and size <= 100.0
        and new >= -_EPS_BOUND
        and new <= 100.0 + _EPS_BOUND
        and hsum + move <= 100.0
    ):
        return False
    nan = hmax != hmax or hmin != hmin or move != move
    if nan:
        return False
    return max(hmax, move) < 0.0 or min(hmin, move) > 0.0


def _crossing(
    x: float,
    m: float,
    base: float,
    num: float,
    ws: float,
    den: float,
    target: float,
    side0: float,
    valid: bool,
) -> tuple[bool, bool]:
    """The ``crossing`` test of :meth:`_Round._compute` for one side of one exchange."""
    side1 = _side((num + ws * (x + m - base)) / den - target)
    return valid and side0 * side1 < 0.0, valid and side0 == 0.0 and side1 != 0.0


def _compute_one(
    f, inv, ix, y, hist, upd, dupd, res, alive, equal_gain, boundary_cut
):  # pragma: no cover - compiled by Numba; the same code runs in Python in a test
    """:meth:`_Round._compute` of exchange ``f`` (a flat index), operation for operation.

    ``inv`` (M, 15) and ``ix`` (M, 6) are the invariants and flat indices by exchange; ``y``,
    ``upd``, ``dupd`` the ravelled state; ``hist`` (6, M) and ``res`` (7, M); ``alive`` (M,).
    Writes ``res[:, f]`` and clears ``alive[f]`` if the exchange is not valid.
    """
    s_ap, s_aq, s_bp, s_bq = inv[f, 0], inv[f, 1], inv[f, 2], inv[f, 3]
    w_aq, w_bp = inv[f, _W], inv[f, _W + 1]
    den_q, den_p = inv[f, _DEN], inv[f, _DEN + 1]
    d_j, d_i = inv[f, _TARGET], inv[f, _TARGET + 1]
    own_i, own_j = inv[f, _X_OWN], inv[f, _X_OWN + 1]
    rate = inv[f, _RATE]
    x_i, x_j = y[ix[f, _Y]], y[ix[f, _Y + 1]]
    # first try: j moves all the way to i's position on p
    dist_p = abs(d_i - x_j)
    dist_q = abs(d_j - x_i)
    dp = dist_p * w_bp / den_p
    dq = rate * dp
    m_i = dq * den_q / w_aq
    m_j = dist_p
    if abs(m_i) > dist_q:
        dq = dist_q * w_aq / den_q
        dp = dq / rate
        m_i = dist_q
        m_j = dp * den_p / w_bp
    neg_i, neg_j = x_i > d_j, x_j > d_i
    if neg_i:
        m_i = -m_i
    if neg_j:
        m_j = -m_j
    valid = _move_ok(m_i, x_i, hist[0, f], hist[2, f], hist[4, f]) and _move_ok(
        m_j, x_j, hist[1, f], hist[3, f], hist[5, f]
    )
    g_i, g_j = s_ap * dp - s_aq * dq, s_bq * dq - s_bp * dp
    if equal_gain:
        valid = valid and abs(s_aq * dq - s_ap * dp) >= _EPS_GAIN
    else:
        valid = valid and g_i >= _EPS_GAIN and g_j >= _EPS_GAIN
    # check_nbs for i (supplier of q, demander j at d_j), then for j (supplier of p)
    upd_i, upd_j = upd[ix[f, _UP]], upd[ix[f, _UP + 1]]
    has_i, has_j = upd_i == upd_i, upd_j == upd_j
    base_i = upd_i if has_i else own_i
    base_j = upd_j if has_j else own_j
    num_i = inv[f, _TOT] + dupd[ix[f, _DU]]
    num_j = inv[f, _TOT + 1] + dupd[ix[f, _DU + 1]]
    side0_i = _side((num_i + w_aq * (x_i - base_i)) / den_q - d_j)
    side0_j = _side((num_j + w_bp * (x_j - base_j)) / den_p - d_i)
    cut_i, at_i = _crossing(x_i, m_i, base_i, num_i, w_aq, den_q, d_j, side0_i, valid)
    cut_j, at_j = _crossing(x_j, m_j, base_j, num_j, w_bp, den_p, d_i, side0_j, valid)
    if at_i:
        cut_i = boundary_cut
    if cut_i:
        nprime = num_i + (0.0 if has_i else w_aq * (x_i - own_i))
        delta = abs((d_j * den_q - nprime) / w_aq)
        shift = delta * w_aq / den_q
        dq, dp = shift, shift / rate
        m_i = -delta if neg_i else delta
        m_j = dp * den_p / w_bp
        if neg_j:
            m_j = -m_j
        # i's cut changed j's move: test j's side again
        cut_j, at_j = _crossing(x_j, m_j, base_j, num_j, w_bp, den_p, d_i, side0_j, valid)
    if at_j:
        cut_j = boundary_cut
    if cut_j:
        nprime = num_j + (0.0 if has_j else w_bp * (x_j - own_j))
        delta = abs((d_i * den_p - nprime) / w_bp)
        shift = delta * w_bp / den_p
        dp, dq = shift, shift * rate
        m_j = -delta if neg_j else delta
        m_i = dq * den_q / w_aq
        if neg_i:
            m_i = -m_i
    valid = (
        valid
        and _move_ok(m_i, x_i, hist[0, f], hist[2, f], hist[4, f])
        and _move_ok(m_j, x_j, hist[1, f], hist[3, f], hist[5, f])
    )
    g_i, g_j = s_ap * dp - s_aq * dq, s_bq * dq - s_bp * dp
    gain = abs(g_i) if equal_gain else g_i + g_j
    res[0, f], res[1, f], res[2, f], res[3, f] = m_i, m_j, dp, dq
    res[4, f], res[5, f], res[6, f] = gain, g_i, g_j
    alive[f] = alive[f] and valid and np.isfinite(gain)


def _compute_rows(
    flat, inv, ix, y, hist, upd, dupd, res, alive, equal_gain, boundary_cut
):  # pragma: no cover - compiled by Numba; the same code runs in Python in a test
    """:func:`_compute_one` for every exchange in ``flat``."""
    for k in range(flat.size):
        _compute_one(flat[k], inv, ix, y, hist, upd, dupd, res, alive, equal_gain, boundary_cut)


def _affected_rows(
    s, done, width, cells, inv, ix, y, hist, upd, dupd, res, alive, equal_gain, boundary_cut
):  # pragma: no cover - compiled by Numba; the same code runs in Python in a test
    """The second half of :meth:`_Round.execute`: find and recompute the affected exchanges.

    ``s`` are the rows that executed ``done`` (flat indices), ``cells`` (4, M) the actor-issue
    cells of every exchange. For each live exchange of those rows that shares a cell with the
    executed one (as in ``execute``), records the supplier's previous move in the history and
    recomputes it. Returns their flat indices, row by row in column order (as ``execute``).
    """
    out = np.empty(s.size * width, dtype=np.int64)
    n_out = 0
    for r in range(s.size):
        sup_a, sup_b = cells[0, done[r]], cells[1, done[r]]
        dem_a, dem_b = cells[2, done[r]], cells[3, done[r]]
        for f in range(s[r] * width, (s[r] + 1) * width):
            if not alive[f]:
                continue
            c_i, c_j, c_a, c_b = cells[0, f], cells[1, f], cells[2, f], cells[3, f]
            sup_i = c_i == sup_a or c_i == sup_b
            sup_j = c_j == sup_a or c_j == sup_b
            if not (sup_i or sup_j or c_a == dem_b or c_a == dem_a or c_b == dem_b or c_b == dem_a):
                continue
            # an actor whose supply position changed keeps its previous move in the history
            for side, changed in ((0, sup_i), (1, sup_j)):
                if changed:
                    m = res[side, f]
                    hist[side, f] = min(hist[side, f], m)
                    hist[2 + side, f] = max(hist[2 + side, f], m)
                    hist[4 + side, f] += m
            out[n_out] = f
            n_out += 1
    for k in range(n_out):
        _compute_one(out[k], inv, ix, y, hist, upd, dupd, res, alive, equal_gain, boundary_cut)
    return out[:n_out]


def _compiled_kernel() -> Any:
    """The Numba-compiled :func:`_compute_rows` and :func:`_affected_rows`, or None without
    Numba (cached on disk)."""
    if not _kernel_cache:
        numba = _numba.load()  # None: not installed, or DETENTE_NO_NUMBA is set
        if numba is None:
            _kernel_cache.append(None)
        else:
            jit = numba.njit(cache=True, nogil=True, error_model="numpy")
            for helper in (_side, _move_ok, _crossing, _compute_one, _compute_rows):
                globals()[helper.__name__] = jit(helper)
            _kernel_cache.append((_compute_rows, jit(_affected_rows)))
    return _kernel_cache[0]


class _Round:
    """State of one round: every candidate exchange of every sample, executed step by step.

    Only the exchanges that are live at the start of the round are kept, per sample, in the
    package's list order (``a``, ``b``, ``p``, ``q`` and every per-exchange array are
    (samples, live exchanges), padded with ``a = b = -1`` and ``alive = False``). Quantities that
    do not change within a round (saliences, weights, demand positions, rates) are gathered once
    into ``inv``; a step then touches only the exchanges that share an actor-issue with the one
    executed.

    The package re-sorts its list stably by gain before each execution and breaks ties by the
    list order before that sort. Instead of sorting, each exchange carries ``g_last`` (its gain
    at the last sort) and ``tb_last``, a key that orders exchanges of equal ``g_last`` as that
    sort left them, so the list order is the order of ``(-g_last, tb_last)``. After a sort only
    exchanges whose gain changed move; they get keys below (gain fell) or above (gain rose) every
    key in use, in their previous list order, which is where a stable sort puts them among the
    exchanges of equal gain.
    """

    def __init__(
        self,
        x0: np.ndarray,
        sal: np.ndarray,
        w: np.ndarray,
        mask: np.ndarray,
        cand: _Candidates,
        options: ExchangeOptions,
        rng: np.random.Generator,
    ) -> None:
        s_n, n, d = x0.shape
        self.opt = options
        self.rng = rng
        self.kernel = self._kernel(s_n)
        self.x0, self.sal, self.w = x0, sal, w
        self.den = w.sum(axis=1)  # (S, D)
        self.tot = (w * x0).sum(axis=1)  # (S, D)
        outcome = weighted_outcome(x0, w, mask)
        n_pairs, n_actor_pairs = d * (d - 1) // 2, n * (n - 1) // 2
        # candidates are issue pair major: (S, pair, actor pair) views of (S, E)
        ip, iq = np.triu_indices(d, k=1)  # as in _candidates
        small = np.int16 if 2 * n * n < 2**15 else np.int32
        au, av = (i.astype(small) for i in np.triu_indices(n, k=1))
        left = (x0 <= outcome[:, None, :]).astype(np.int8)
        code = left[:, :, ip] + 2 * left[:, :, iq]  # (S, N, pairs): 0 right/right .. 3 left/left
        gu = code[:, au, :].transpose(0, 2, 1)  # (S, pairs, actor pairs)
        gv = code[:, av, :].transpose(0, 2, 1)
        # the mask is (N, D) shared by every sample, or (S, N, D) when samples are separate
        # problems (Exchange.forecast_many); present is then (E,) or (S, E)
        present = (mask[..., cand.u, cand.p] & mask[..., cand.u, cand.q]) & (
            mask[..., cand.v, cand.p] & mask[..., cand.v, cand.q]
        )
        # groups A=0 (right, right) x D=3 and B=1 x C=2: exactly the pairs whose codes sum to 3
        eligible = present.reshape(*present.shape[:-1], n_pairs, n_actor_pairs) & (gu + gv == 3)
        u_first = gu < gv  # the A or B member is listed first
        first = np.where(u_first, au, av)
        second = np.where(u_first, av, au)
        kind = (np.minimum(gu, gv) == 1).astype(small)  # 0: A x D, 1: B x C
        # the package's list: eligible exchanges in creation order, i.e. by issue pair, then
        # kind, first and second actor (unique keys; small integers sort by radix)
        key = np.where(eligible, (kind * n + first) * n + second, small(2 * n * n))
        within = np.argsort(key, axis=2, kind="stable")
        idx = (within + (np.arange(n_pairs) * n_actor_pairs)[:, None]).reshape(s_n, -1)
        eligible = eligible.reshape(s_n, -1)
        first, second = first.reshape(s_n, -1), second.reshape(s_n, -1)
        keep, live = _compact(np.take_along_axis(eligible, idx, axis=1))
        idx = np.take_along_axis(idx, keep, axis=1)
        if options.rate == "random_rate":
            # drawn for every candidate, as before compaction, so the stream does not change
            draw = np.take_along_axis(rng.random(eligible.shape), idx, axis=1)
        first = np.take_along_axis(first, idx, axis=1).astype(np.intp)
        second = np.take_along_axis(second, idx, axis=1).astype(np.intp)
        p, q = cand.p[idx], cand.q[idx]
        si = np.arange(s_n)[:, None]
        # gathers by flat index into the ravelled (S, N, D) arrays
        sal1, w1, x01 = sal.reshape(-1), w.reshape(-1), x0.reshape(-1)
        row_f, row_s = (si * n + first) * d, (si * n + second) * d
        sfp, sfq = sal1[row_f + p], sal1[row_f + q]
        ssp, ssq = sal1[row_s + p], sal1[row_s + q]
        # role rule s_ip/s_iq < s_jp/s_jq, cross-multiplied (saliences are >= 0)
        swap = sfp * ssq < ssp * sfq
        a = np.where(swap, second, first)  # demands p, supplies q
        b = np.where(swap, first, second)  # demands q, supplies p
        s_ap, s_aq = np.where(swap, ssp, sfp), np.where(swap, ssq, sfq)
        s_bp, s_bq = np.where(swap, sfp, ssp), np.where(swap, sfq, ssq)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if options.rate == "equal_gain":
                rate = (s_bp + s_ap) / (s_bq + s_aq)  # delta_q / delta_p giving equal gains
            else:
                lo, hi = s_bp / s_bq, s_ap / s_aq
                rate = lo + draw * (hi - lo)
        cell_aq, cell_bp = (si * n + a) * d + q, (si * n + b) * d + p
        cell_bq, cell_ap = (si * n + b) * d + q, (si * n + a) * d + p
        den1, tot1 = self.den.reshape(-1), self.tot.reshape(-1)
        sq, sp = si * d + q, si * d + p
        inv = [s_ap, s_aq, s_bp, s_bq, w1[cell_aq], w1[cell_bp], den1[sq], den1[sp]]
        inv += [x01[cell_bq], x01[cell_ap], x01[cell_aq], x01[cell_bp], tot1[sq], tot1[sp], rate]
        ix = [cell_aq, cell_bp, cell_bq, cell_ap, cell_bq * n + a, cell_ap * n + b]
        # (15, S, K) while the round is set up; (S, K, 15) after, so that a recomputation
        # gathers whole rows
        self.inv, self.ix = np.stack(inv), np.stack(ix)
        self.rows_last = False
        self.a, self.b, self.p, self.q = a, b, p, q
        self.alive = live
        self.y = x0.copy()  # current voting positions
        self.exchanged = np.zeros(x0.shape, dtype=bool)
        self.upd = np.full((s_n, n, d, n), np.nan)  # (demander, issue, partner) -> position
        self.dupd = np.zeros((s_n, n, d))  # sum over partners of w * (update - x0)
        shape = a.shape
        # recorded moves of actor i (supplier of q) and j (supplier of p): min, max, sum
        # rows: min of i's, of j's; max of i's, of j's; sum of i's, of j's
        self.hist = np.zeros((6, *shape))
        self.hist[:2], self.hist[2:4] = np.inf, -np.inf
        # results: move_i, move_j, dp, dq, gain, gain_i, gain_j
        self.res = np.zeros((7, *shape))
        s_idx, e_idx = np.nonzero(self.alive)
        for lo in range(0, s_idx.size, _CHUNK):  # chunks keep the temporaries in cache
            self._compute(s_idx[lo : lo + _CHUNK], e_idx[lo : lo + _CHUNK])
        # keep only the live exchanges (their list order is kept)
        idx, live = _compact(self.alive)
        rows = (np.arange(s_n)[:, None] * self.alive.shape[1] + idx).reshape(-1)
        for name in ("a", "b", "p", "q"):
            setattr(self, name, getattr(self, name).reshape(-1)[rows].reshape(idx.shape))
        for name in ("inv", "ix"):
            arr = getattr(self, name)
            cols = arr.reshape(arr.shape[0], -1)[:, rows]
            setattr(self, name, np.ascontiguousarray(cols.T).reshape(*idx.shape, arr.shape[0]))
        self.rows_last = True
        for name in ("hist", "res"):
            arr = getattr(self, name)
            setattr(
                self, name, arr.reshape(arr.shape[0], -1)[:, rows].reshape(arr.shape[0], *idx.shape)
            )
        self.alive = live
        self.a = np.where(live, self.a, -1)
        self.b = np.where(live, self.b, -1)
        # actor-issue cells of each exchange: i's supply, j's supply, i's and j's demand
        a, b, p, q = self.a, self.b, self.p, self.q
        cells = np.stack((a * d + q, b * d + p, a * d + p, b * d + q))
        cells[:, ~live] = -1
        self.cells = cells.astype(np.int16 if n * d < 2**15 else np.int32)
        # flat indices of the exchanges recomputed since the last sort
        self.touched = np.flatnonzero(live)
        self.g_last = np.full(live.shape, np.inf)  # one gain for all: the creation order
        self.tb_last = np.broadcast_to(np.arange(live.shape[1], dtype=float), live.shape).copy()
        self.tb_range = [0.0, float(live.shape[1])]  # keys in use lie in [lo, hi)
        self.tied_prev: tuple[np.ndarray, ...] = ()  # tied exchanges and their previous keys
        # samples whose exchanges are all done are dropped from the arrays (see _drop_finished):
        # rows[r] is the sample held in row r; the full-size arrays are kept for finish()
        self.rows = np.arange(s_n)
        self.x0_all, self.sal_all, self.y_all, self.exchanged_all = x0, sal, None, None

    # views of the results, (S, live exchanges)
    move_i = property(lambda self: self.res[0])
    move_j = property(lambda self: self.res[1])
    dp = property(lambda self: self.res[2])
    dq = property(lambda self: self.res[3])
    gain = property(lambda self: self.res[4])
    gain_i = property(lambda self: self.res[5])
    gain_j = property(lambda self: self.res[6])

    def _by_exchange(self) -> tuple[np.ndarray, np.ndarray]:
        """Views of ``inv`` and ``ix`` with one row per exchange (flat index), for the kernel."""
        if self.rows_last:
            return self.inv.reshape(-1, self.inv.shape[2]), self.ix.reshape(-1, self.ix.shape[2])
        return self.inv.reshape(self.inv.shape[0], -1).T, self.ix.reshape(self.ix.shape[0], -1).T

    # -- per-exchange computation on flat index arrays ------------------------------------
    def _compute(self, s: np.ndarray, e: np.ndarray) -> None:
        """Recompute exchanges (s, e) from the current shared state (package ``calculate``).

        Quantities of i's side (supplier of q) and j's side (supplier of p) are handled as one
        array of length 2n, i's first, where the package treats them alike.
        """
        n = s.size
        if n == 0:
            return
        flat = s * self.alive.shape[1] + e
        if self.kernel is not None:
            inv, ix = self._by_exchange()
            self.kernel[0](
                flat,
                inv,
                ix,
                self.y.reshape(-1),
                self.hist.reshape(6, -1),
                self.upd.reshape(-1),
                self.dupd.reshape(-1),
                self.res.reshape(7, -1),
                self.alive.reshape(-1),
                self.opt.rate == "equal_gain",
                self.opt.boundary == "cut",
            )
            return
        if self.rows_last:
            c = self.inv.reshape(-1, self.inv.shape[2])[flat].T
            ix = self.ix.reshape(-1, self.ix.shape[2])[flat].T
        else:
            c = self.inv.reshape(self.inv.shape[0], -1)[:, flat]
            ix = self.ix.reshape(self.ix.shape[0], -1)[:, flat]
        s_ap, s_aq, s_bp, s_bq, rate = c[0], c[1], c[2], c[3], c[_RATE]
        w_aq, w_bp = c[_W], c[_W + 1]
        den_q, den_p = c[_DEN], c[_DEN + 1]
        d_j, d_i = c[_TARGET], c[_TARGET + 1]
        xs = self.y.reshape(-1)[ix[_Y : _Y + 2]].reshape(-1)  # current supply positions
        x_i, x_j = xs[:n], xs[n:]
        hist = self.hist.reshape(6, -1)[:, flat].reshape(3, 2 * n)  # recorded moves
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # first try: j moves all the way to i's position on p
            dist_p = np.abs(d_i - x_j)
            dist_q = np.abs(d_j - x_i)
            dp = dist_p * w_bp / den_p
            dq = rate * dp
            m_i = dq * den_q / w_aq
            m_j = dist_p
            over = np.abs(m_i) > dist_q
            dq = np.where(over, dist_q * w_aq / den_q, dq)
            dp = np.where(over, dq / rate, dp)
            m_i = np.where(over, dist_q, m_i)
            m_j = np.where(over, dp * den_p / w_bp, m_j)
            # moves point towards the partner (m_i and m_j are fresh arrays: negate in place)
            neg_i, neg_j = x_i > d_j, x_j > d_i
            np.negative(m_i, out=m_i, where=neg_i)
            np.negative(m_j, out=m_j, where=neg_j)
            ok = self._valid(np.concatenate((m_i, m_j)), xs, hist)
            valid = ok[:n] & ok[n:]
            g_i, g_j = s_ap * dp - s_aq * dq, s_bq * dq - s_bp * dp
            valid &= self._gain_ok(dp, dq, s_ap, s_aq, g_i, g_j)

            # check_nbs for i (supplier of q, demander j at d_j), then for j (supplier of p);
            # both sides are tested at once, j's again if i's cut changed j's move
            ws, den = c[_W : _W + 2].reshape(-1), c[_DEN : _DEN + 2].reshape(-1)
            target, x_own = c[_TARGET : _TARGET + 2].reshape(-1), c[_X_OWN : _X_OWN + 2].reshape(-1)
            upd = self.upd.reshape(-1)[ix[_UP : _UP + 2]].reshape(-1)
            has = ~np.isnan(upd)
            base = np.where(has, upd, x_own)
            num = c[_TOT : _TOT + 2].reshape(-1) + self.dupd.reshape(-1)[ix[_DU : _DU + 2]].reshape(
                -1
            )
            nbs0 = (num + ws * (xs - base)) / den
            side0 = np.where(np.abs(nbs0 - target) <= _EPS_OUTCOME, 0.0, np.sign(nbs0 - target))

            def crossing(xs, ms, base, num, ws, den, target, side0, valid):
                """Which moves are cut (past the demander) and which start at its position."""
                nbs1 = (num + ws * (xs + ms - base)) / den
                # cut when the move carries the outcome past the demander's position; an
                # outcome already at that position (within rounding) counts as passed by any
                # move
                side1 = np.where(np.abs(nbs1 - target) <= _EPS_OUTCOME, 0.0, np.sign(nbs1 - target))
                return valid & (side0 * side1 < 0), valid & (side0 == 0) & (side1 != 0)

            cut, at = crossing(
                xs, np.concatenate((m_i, m_j)), base, num, ws, den, target, side0, np.tile(valid, 2)
            )
            redo_j = False
            for k, side in enumerate("IJ"):
                h = slice(k * n, (k + 1) * n)
                if redo_j:  # i's cut changed j's move: test j's side again
                    cut[h], at[h] = crossing(
                        x_j, m_j, base[h], num[h], ws[h], den[h], target[h], side0[h], valid
                    )
                at_k, cut_k = at[h], cut[h]
                if at_k.any():
                    cut_k[at_k] = self._cut_at_boundary(s[at_k], e[at_k], side)
                if not cut_k.any():
                    continue
                redo_j = k == 0
                # the package measures the cut from the supply position, or from the recorded
                # update when this actor has one on r (its own position is overwritten there)
                nprime = num[h] + np.where(has[h], 0.0, ws[h] * (xs[h] - x_own[h]))
                delta = np.abs((target[h] * den[h] - nprime) / ws[h])
                shift = delta * ws[h] / den[h]
                if side == "I":
                    new_dq, new_dp = shift, shift / rate
                    new_mi = np.where(neg_i, -delta, delta)
                    new_mj = new_dp * den_p / w_bp
                    new_mj = np.where(neg_j, -new_mj, new_mj)
                else:
                    new_dp, new_dq = shift, shift * rate
                    new_mj = np.where(neg_j, -delta, delta)
                    new_mi = new_dq * den_q / w_aq
                    new_mi = np.where(neg_i, -new_mi, new_mi)
                dp, dq = np.where(cut_k, new_dp, dp), np.where(cut_k, new_dq, dq)
                m_i, m_j = np.where(cut_k, new_mi, m_i), np.where(cut_k, new_mj, m_j)
            ok = self._valid(np.concatenate((m_i, m_j)), xs, hist)
            valid &= ok[:n] & ok[n:]
            g_i, g_j = s_ap * dp - s_aq * dq, s_bq * dq - s_bp * dp
            if self.opt.rate == "equal_gain":
                gain = np.abs(g_i)
            else:
                gain = g_i + g_j
        self.res.reshape(7, -1)[:, flat] = np.stack((m_i, m_j, dp, dq, gain, g_i, g_j))
        self.alive.reshape(-1)[flat] &= valid & np.isfinite(gain)

    def _kernel(self, samples: int) -> Any:
        """The compiled :func:`_compute_rows` and :func:`_affected_rows` if they apply (else
        None: NumPy computes).

        It applies from ``NUMBA_MIN_SAMPLES`` samples, when Numba is installed, and only while
        the per-exchange rules are this class's own (verification code overrides some).
        """
        own = all(
            getattr(type(self), f) is getattr(_Round, f)
            for f in ("_compute", "execute", "_cut_at_boundary", "_gain_ok", "_valid")
        )
        if samples < max(NUMBA_MIN_SAMPLES, 1) or not own:
            return None
        kernel = _compiled_kernel()
        # not compiled yet: NumPy gives the same numbers now, a background process compiles it
        if kernel is not None and not all(_numba.usable(k) for k in kernel):
            return None
        return kernel

    def _cut_at_boundary(self, s: np.ndarray, e: np.ndarray, side: str) -> np.ndarray:
        """Whether moves from an outcome already at the demander's position are cut.

        One decision per (s, e); the ``boundary`` option decides. Verification code overrides
        this to replay the reference package's (rounding-noise) decisions.
        """
        return np.full(s.shape, self.opt.boundary == "cut")

    def _gain_ok(self, dp, dq, s_ap, s_aq, g_i, g_j) -> np.ndarray:
        if self.opt.rate == "equal_gain":
            return np.abs(s_aq * dq - s_ap * dp) >= _EPS_GAIN
        return (g_i >= _EPS_GAIN) & (g_j >= _EPS_GAIN)

    @staticmethod
    def _valid(move, x, hist) -> np.ndarray:
        """The package's ``is_move_valid`` on the recorded moves plus this one."""
        hmin, hmax, hsum = hist
        size = np.abs(move)
        new = x + move
        return (
            (size > _EPS_MOVE)
            & (size <= 100.0)
            & (new >= -_EPS_BOUND)
            & (new <= 100.0 + _EPS_BOUND)
            & (hsum + move <= 100.0)
            & ((np.maximum(hmax, move) < 0) | (np.minimum(hmin, move) > 0))
        )

    # -- one step: every sample executes its best exchange ---------------------------------
    def tied_top(self) -> np.ndarray:
        """Live exchanges whose gain is within ``TIE_RTOL`` of their sample's best, (S, K).

        Also re-sorts the list stably by gain, as the package does before each execution (by
        re-keying the exchanges whose gain changed; see the class docstring). The tied
        exchanges and their keys in the list order before this sort are kept in ``tied_prev``
        for the tie rule.
        """
        gain, alive = self.gain, self.alive
        width = alive.shape[1]
        best = np.where(alive, gain, -np.inf).max(axis=1, keepdims=True)
        tied = alive & (gain >= best - TIE_RTOL * np.abs(best))
        g_last, tb_last = self.g_last.reshape(-1), self.tb_last.reshape(-1)
        flat = np.flatnonzero(tied)
        self.tied_prev = (*np.divmod(flat, width), g_last[flat], tb_last[flat])
        # only exchanges recomputed since the last sort can have moved in the list (a repeat,
        # possible when execute runs twice between sorts, only uses up a spare key)
        k = self.touched[alive.reshape(-1)[self.touched]]
        g_old, g_new = g_last[k], gain.reshape(-1)[k]
        moved = g_old != g_new
        k, g_old, g_new = k[moved], g_old[moved], g_new[moved]
        if k.size:
            order = np.lexsort((tb_last[k], -g_old, k // width))  # previous order per sample
            fell = g_old[order] > g_new[order]
            lo, hi = self.tb_range
            n_fell = int(fell.sum())
            n_rose = order.size - n_fell
            keys = np.empty(order.size)
            keys[fell] = np.arange(lo - n_fell, lo)
            keys[~fell] = np.arange(hi, hi + n_rose)
            self.tb_range = [lo - n_fell, hi + n_rose]
            tb_last[k[order]] = keys
            g_last[k] = g_new
        self.touched = k[:0]
        return tied

    def step(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Execute each sample's best exchange; return (samples, exchanges) executed or None.

        The samples returned are the round's sample indices; the exchanges are columns of the
        current arrays (which hold sample 0 in row 0 while it has exchanges left).
        """
        active = self.alive.any(axis=1)
        n_active = np.count_nonzero(active)
        if not n_active:
            return None
        if self.opt.tie == "first" and active.size >= _DROP_MIN and 2 * n_active <= active.size:
            self._drop_finished(active)
            active = active[active]
        n_samples = self.alive.shape[0]
        self.tied_top()
        # tied exchanges in the list order before this sort (a stable sort keeps exact ties in
        # that order); "first" takes the earliest, "random" a uniformly drawn one
        ts, te, g_prev, tb_prev = self.tied_prev
        if ts.size == np.count_nonzero(active):  # no ties: one candidate per active sample
            if self.opt.tie == "random":
                self.rng.random(n_samples)  # drawn all the same, so the stream stays put
            self.execute(ts, te)
            return self.rows[ts], te
        order = np.lexsort((tb_prev, -g_prev, ts))
        ts, te = ts[order], te[order]
        start = np.searchsorted(ts, ts)  # first tied exchange of each sample, in list order
        if self.opt.tie == "random":
            count = np.bincount(ts, minlength=n_samples)
            pick = np.floor(self.rng.random(n_samples) * np.maximum(count, 1))
            chosen = np.arange(ts.size) - start == pick[ts]
        else:
            chosen = np.arange(ts.size) == start
        s, e = ts[chosen], te[chosen]
        self.execute(s, e)
        return self.rows[s], e

    def execute(self, s: np.ndarray, e: np.ndarray) -> None:
        """Execute exchange ``e[k]`` in sample ``s[k]`` and recompute the exchanges it affects.

        ``s`` must be sorted and free of repeats (one exchange per sample and step).
        """
        n_samples, width = self.alive.shape
        _, n, d = self.x0.shape
        done = s * width + e
        ix = self.ix.reshape(-1, self.ix.shape[2])[done]  # (k, 6)
        # both suppliers at once (i's then j's): their cells (a, q) and (b, p) and new positions;
        # the validity test allows 1e-9 of float slack beyond 0..100, keep positions on scale
        cell = ix[:, _Y : _Y + 2].T.reshape(-1)
        y = self.y.reshape(-1)
        moved = y[cell] + self.res.reshape(7, -1)[:2, done].reshape(-1)
        y_new = np.minimum(np.maximum(moved, 0.0), 100.0)
        self.alive.reshape(-1)[done] = False
        # updates seen by exchanges in which b demands q (partner a) and a demands p (partner b):
        # upd[b, q, a] and upd[a, p, b], and the sums dupd[b, q] and dupd[a, p] over partners
        k_up = ix[:, _UP : _UP + 2].T.reshape(-1)
        k_du = ix[:, _DU : _DU + 2].T.reshape(-1)
        upd = self.upd.reshape(-1)
        old = upd[k_up]
        start = self.x0.reshape(-1)[cell]  # the partner's round-start position there
        kept = np.where(start <= old, np.minimum(old, y_new), np.maximum(old, y_new))
        upd[k_up] = np.where(np.isnan(old), y_new, kept)
        row = self.upd.reshape(-1, n)[k_du]  # (2k, N): every partner's update
        have = ~np.isnan(row)
        at = (k_du - (k_du // d % n) * d)[:, None] + np.arange(n) * d  # (s, every actor, r)
        wr = self.w.reshape(-1)[at]
        x0r = self.x0.reshape(-1)[at]
        self.dupd.reshape(-1)[k_du] = np.where(
            have, wr * (np.where(have, row, 0.0) - x0r), 0.0
        ).sum(1)
        y[cell] = y_new
        self.exchanged.reshape(-1)[cell] = True
        # which live exchanges of these samples share an actor-issue with the executed one: i's
        # or j's supply cell is a cell the executed pair supplied, or i's or j's demand cell is
        # one the executed pair demanded
        if self.kernel is not None:
            inv, ix = self._by_exchange()
            touched = self.kernel[1](
                s,
                done,
                width,
                self.cells.reshape(4, -1),
                inv,
                ix,
                self.y.reshape(-1),
                self.hist.reshape(6, -1),
                self.upd.reshape(-1),
                self.dupd.reshape(-1),
                self.res.reshape(7, -1),
                self.alive.reshape(-1),
                self.opt.rate == "equal_gain",
                self.opt.boundary == "cut",
            )
            self.touched = np.concatenate((self.touched, touched))
            return
        sup_a, sup_b, dem_a, dem_b = self.cells.reshape(4, -1)[:, done][..., None]  # (k, 1)
        if s.size == n_samples:  # every sample (s is sorted and unique): no gather needed
            (c_i, c_j, c_a, c_b), alive = self.cells, self.alive
        else:
            (c_i, c_j, c_a, c_b), alive = self.cells[:, s], self.alive[s]
        sup_i = (c_i == sup_a) | (c_i == sup_b)
        sup_j = (c_j == sup_a) | (c_j == sup_b)
        dem = (c_a == dem_b) | (c_a == dem_a) | (c_b == dem_b) | (c_b == dem_a)
        flat = np.flatnonzero(alive & (sup_i | sup_j | dem))
        rows, cols = np.divmod(flat, width)
        ss = s[rows]
        # an actor whose supply position changed keeps its previous move in the history
        ki, kj = sup_i.reshape(-1)[flat], sup_j.reshape(-1)[flat]
        side = np.concatenate((np.zeros(ki.sum(), dtype=np.intp), np.ones(kj.sum(), dtype=np.intp)))
        pos = np.concatenate((ss[ki] * width + cols[ki], ss[kj] * width + cols[kj]))
        m = self.res[:2].reshape(2, -1)[side, pos]
        hist = self.hist.reshape(3, 2, -1)
        hist[0, side, pos] = np.minimum(hist[0, side, pos], m)
        hist[1, side, pos] = np.maximum(hist[1, side, pos], m)
        hist[2, side, pos] += m
        self._compute(ss, cols)
        self.touched = np.concatenate((self.touched, ss * width + cols))

    def _drop_finished(self, active: np.ndarray) -> None:
        """Keep only the rows of samples with live exchanges (a step's cost grows with rows).

        A dropped sample's voting positions are final for the round; they go back into the
        full-size arrays, read by :meth:`finish`. Flat indices into the (S, N, D) and
        (S, N, D, N) arrays move with their rows; columns (exchanges) stay where they are, so
        a step's choices and the list-order keys are unchanged. Only with the tie rule
        "first": the "random" rule draws one number per row and step.
        """
        keep = np.flatnonzero(active)
        if self.y_all is None:  # the full arrays are the current ones
            self.y_all, self.exchanged_all = self.y, self.exchanged
        else:
            self.y_all[self.rows] = self.y
            self.exchanged_all[self.rows] = self.exchanged
        _, n, d = self.x0.shape
        width = self.alive.shape[1]
        shift = (keep - np.arange(keep.size))[:, None, None]  # rows each kept row moves up
        stride = np.array([n * d] * 4 + [n * d * n] * 2)  # rows of ix: y, dupd, upd cells
        self.ix = self.ix[keep] - (shift * stride).astype(self.ix.dtype)
        for name in ("x0", "w", "y", "exchanged", "upd", "dupd", "inv"):
            setattr(self, name, getattr(self, name)[keep])
        for name in ("a", "b", "p", "q", "alive", "g_last", "tb_last"):
            setattr(self, name, getattr(self, name)[keep])
        for name in ("hist", "res", "cells"):
            setattr(self, name, getattr(self, name)[:, keep])
        row, col = np.divmod(self.touched, width)
        new_row = np.full(active.size, -1)
        new_row[keep] = np.arange(keep.size)
        row = new_row[row]
        self.touched = (row * width + col)[row >= 0]
        self.rows = self.rows[keep]

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """Voting positions and the next round's start positions, both (S, N, D)."""
        if self.y_all is not None:  # rows were dropped: back to every sample
            self.y_all[self.rows] = self.y
            self.exchanged_all[self.rows] = self.exchanged
            self.y, self.exchanged, self.x0 = self.y_all, self.exchanged_all, self.x0_all
            self.rows, self.y_all = np.arange(self.y.shape[0]), None
        voting = self.y
        if self.opt.start_update == "off":
            return voting, voting.copy()
        k = (1.0 - self.sal) * self.opt.salience_weight + self.opt.fixed_weight
        start = np.where(self.exchanged, (1.0 - k) * self.x0 + k * voting, self.x0)
        return voting, start


@register
class Exchange(Model):
    """Stokman & Van Oosten exchange model (equal-gain or random-rate), as in Decide."""

    # Exchanges execute one at a time within a round (each step batched over samples). On the
    # 11 x 10 default scenario: about 24 ms per draw in a batch of 1,000 and 0.5 s for a single
    # draw (benchmarks/exchange_batch.py, shared 2-core machine); still too slow for thousands of
    # draws by default.
    monte_carlo_default = False
    links_issues = True
    issue_control = "traded"  # a controlled issue moves only through the controller's trades
    name = "exchange"
    title = "Exchange model (Stokman & Van Oosten)"
    citation = (
        "Stokman & Van Oosten (1994) 'The exchange of voting positions: an object-oriented model "
        "of policy networks', in Bueno de Mesquita & Stokman (eds), European Community Decision "
        "Making, Yale UP, 105-127; reference implementation decide-exchange-model 2022.1.28"
    )
    Options = ExchangeOptions
    dynamic = True

    def simulate(
        self,
        arrays: ScenarioArrays,
        rounds: int | None,
        rng: np.random.Generator,
    ) -> Simulation:
        """Run exchange rounds.

        Parameters
        ----------
        arrays
            The scenario; positions are mapped to 0..100 per issue internally.
        rounds
            Number of rounds; None uses ``max_rounds``. The run stops early when a round
            executes no exchange in any sample (``converged`` is then True).
        rng
            Used for random rates and random tie-breaking only.

        Returns
        -------
        Simulation
            ``positions[t]`` are the voting positions after round t (index 0 the input),
            ``forecasts[t]`` the round outcome (weighted mean over those voting positions).
            ``events[t]`` lists sample 0's executed exchanges of round t in execution order.
        """
        opt = self.options
        limit = opt.max_rounds if rounds is None else int(rounds)
        lo, to_unit, x, sal, w = self._unit_arrays(arrays)
        mask = arrays.mask

        def back(v: np.ndarray) -> np.ndarray:
            return lo + v / to_unit

        positions = [arrays.position.copy()]
        forecasts = [back(weighted_outcome(x, w, mask))]
        events: list[list[dict[str, Any]]] = [[]]
        log: list[dict[str, Any]] = []  # sample 0's exchanges of the current round

        def on_step(state: _Round, done: tuple[np.ndarray, np.ndarray], t: int) -> None:
            s_idx, e_idx = done
            if s_idx[0] == 0:
                log.append(self._event(state, int(e_idx[0]), t, arrays, to_unit))

        def on_round(voting: np.ndarray) -> None:
            positions.append(np.where(mask, back(voting), arrays.position))
            forecasts.append(back(weighted_outcome(voting, w, mask)))
            events.append(log.copy())
            log.clear()

        _, converged = self._run(x, sal, w, mask, limit, rng, on_step, on_round)
        return Simulation(
            positions=np.stack(positions),
            forecasts=np.stack(forecasts),
            events=events,
            converged=converged,
        )

    @staticmethod
    def _unit_arrays(
        arrays: ScenarioArrays,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Scale minimum and factor to 0..100, and positions, saliences, weights on 0..100."""
        lo, width = arrays.scale_min, arrays.scale_width
        to_unit = 100.0 / width
        mask = arrays.mask
        x = np.where(mask, (arrays.position - lo) * to_unit, 50.0)
        sal = np.where(mask, arrays.salience, 0.0)
        w = np.where(mask, arrays.capability * arrays.salience, 0.0)
        return lo, to_unit, x, sal, w

    def _run(
        self,
        x: np.ndarray,
        sal: np.ndarray,
        w: np.ndarray,
        mask: np.ndarray,
        limit: int,
        rng: np.random.Generator,
        on_step: Callable[[_Round, tuple[np.ndarray, np.ndarray], int], None] | None = None,
        on_round: Callable[[np.ndarray], None] | None = None,
    ) -> tuple[np.ndarray, bool]:
        """Up to ``limit`` rounds on 0..100 arrays; the last voting positions and convergence.

        The run stops after a round in which no sample executes an exchange. ``mask`` is (N, D)
        or, for stacked independent problems, (S, N, D).
        """
        cand = _candidates(x.shape[1], x.shape[2])
        voting = x
        for t in range(1, limit + 1):
            state = _Round(x, sal, w, mask, cand, self.options, rng)
            any_exchange = False
            while (done := state.step()) is not None:
                any_exchange = True
                if on_step is not None:
                    on_step(state, done, t)
            voting, x = state.finish()
            if on_round is not None:
                on_round(voting)
            if not any_exchange:
                return voting, True
        return voting, False

    def forecast_many(self, parts: list[ScenarioArrays], seed: int) -> list[np.ndarray]:
        """Forecast independent problems (e.g. proposals) together, stacked along the samples.

        Parts with the same number of actors run as one batch. Each sample keeps its own part's
        mask (:class:`_Round` accepts an (S, N, D) mask), and parts with fewer issues than the
        batch are padded with issues in which no actor takes part, so no candidate exchange
        involves them and the real exchanges keep their list order: a sample sees exactly the
        exchanges it would see alone. Every step executes each sample's own best exchange. A
        sample whose round executes nothing stays where it is in later rounds (start and voting
        positions unchanged, and the default options draw nothing), so running on until the
        whole batch has converged leaves its forecast unchanged. The results equal per-part
        :meth:`forecast` calls (tested bit for bit on the DEU training proposals); the cost is
        that of the part needing most steps rather than the sum over parts.

        Parts with a single issue have no exchanges; they run as their own batch per shape, unpadded
        (their outcome's sums then run in the same order as alone). With ``rate="random_rate"``
        or ``tie="random"`` the draws would depend on the batch, so each part runs alone with a
        fresh ``np.random.default_rng(seed)``, as in the base class.
        """
        opt = self.options
        if opt.rate == "random_rate" or opt.tie == "random":
            return super().forecast_many(parts, seed)
        out: list[np.ndarray | None] = [None] * len(parts)
        groups: dict[tuple[int, int], list[int]] = {}
        for k, part in enumerate(parts):
            d = part.n_issues
            groups.setdefault((part.n_actors, d if d < 2 else -1), []).append(k)
        for (n, _), members in groups.items():
            # keep a batch's round set-up (samples x candidates) to a modest size
            d = max(parts[k].n_issues for k in members)
            per_sample = max(1, d * (d - 1) // 2 * n * (n - 1) // 2)
            cap = max(1, _BATCH_CANDIDATES // per_sample)
            start = 0
            while start < len(members):
                chunk, samples = [], 0
                while start < len(members) and (
                    not chunk or samples + parts[members[start]].n_samples <= cap
                ):
                    samples += parts[members[start]].n_samples
                    chunk.append(members[start])
                    start += 1
                stacked = self._forecast_stacked([parts[k] for k in chunk], seed)
                for k, f in zip(chunk, stacked, strict=True):
                    out[k] = f
        return out  # type: ignore[return-value]

    def _forecast_stacked(self, parts: list[ScenarioArrays], seed: int) -> list[np.ndarray]:
        """Final forecasts of parts with one actor count run as one padded batch."""
        d = max(p.n_issues for p in parts)
        unit = [self._unit_arrays(p) for p in parts]

        def stack(i: int, fill: float) -> np.ndarray:
            return np.concatenate(
                [
                    np.pad(u[i], ((0, 0), (0, 0), (0, d - p.n_issues)), constant_values=fill)
                    for u, p in zip(unit, parts, strict=True)
                ]
            )

        # padded issues: nobody takes part (position 50 as for masked cells, weight 0)
        x, sal, w = stack(2, 50.0), stack(3, 0.0), stack(4, 0.0)
        mask = np.concatenate(
            [
                np.pad(
                    np.broadcast_to(p.mask, p.position.shape), ((0, 0), (0, 0), (0, d - p.n_issues))
                )
                for p in parts
            ]
        )
        voting, _ = self._run(x, sal, w, mask, self.options.max_rounds, np.random.default_rng(seed))
        outcome = weighted_outcome(voting, w, mask)
        bounds = np.cumsum([0] + [p.n_samples for p in parts])
        return [
            lo + outcome[bounds[k] : bounds[k + 1], : p.n_issues] / to_unit
            for k, ((lo, to_unit, *_), p) in enumerate(zip(unit, parts, strict=True))
        ]

    @staticmethod
    def _event(
        state: _Round, e: int, t: int, arrays: ScenarioArrays, to_unit: np.ndarray
    ) -> dict[str, Any]:
        """One executed exchange of sample 0.

        Positions and shifts are on the issues' own scales; gains are utility on the 0..100
        scale the model works on (salience x outcome shift), as the package reports them.
        """
        a, b = int(state.a[0, e]), int(state.b[0, e])
        p, q = int(state.p[0, e]), int(state.q[0, e])
        lo = arrays.scale_min
        y_i, y_j = state.y[0, a, q], state.y[0, b, p]
        m_i, m_j = state.move_i[0, e], state.move_j[0, e]
        return {
            "type": "exchange",
            "round": t,
            "actors": [arrays.actor_ids[a], arrays.actor_ids[b]],
            "i": {
                "actor": arrays.actor_ids[a],
                "demands": arrays.issue_ids[p],
                "supplies": arrays.issue_ids[q],
                "from": float(lo[q] + (y_i - m_i) / to_unit[q]),
                "to": float(lo[q] + y_i / to_unit[q]),
                "shift": float(m_i / to_unit[q]),
                "gain": float(state.gain_i[0, e]),
            },
            "j": {
                "actor": arrays.actor_ids[b],
                "demands": arrays.issue_ids[q],
                "supplies": arrays.issue_ids[p],
                "from": float(lo[p] + (y_j - m_j) / to_unit[p]),
                "to": float(lo[p] + y_j / to_unit[p]),
                "shift": float(m_j / to_unit[p]),
                "gain": float(state.gain_j[0, e]),
            },
            "outcome_shift": {
                arrays.issue_ids[p]: float(state.dp[0, e] / to_unit[p]),
                arrays.issue_ids[q]: float(state.dq[0, e] / to_unit[q]),
            },
            "gain": float(state.gain[0, e]),
        }
