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

Batching: the exchange candidates are enumerated once as (issue pair x actor pair) and every
per-exchange quantity is an array over (samples, candidates); each step executes, for every
sample at once, that sample's best exchange and recomputes only the affected candidates, so
there is no per-sample Python loop. The loop over steps within a round is inherently sequential.
Memory grows as samples x D^2 N^2 / 4 candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from detente.arrays import ScenarioArrays
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


class _Round:
    """State of one round: every candidate exchange of every sample, executed step by step."""

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
        self.x0, self.sal, self.w = x0, sal, w
        self.den = w.sum(axis=1)  # (S, D)
        self.tot = (w * x0).sum(axis=1)  # (S, D)
        outcome = weighted_outcome(x0, w, mask)
        left = x0 <= outcome[:, None, :]
        group = left[:, :, cand.p].astype(np.int64) + 2 * left[:, :, cand.q]  # (S, N, E)
        e = np.arange(cand.p.size)
        gu, gv = group[:, cand.u, e], group[:, cand.v, e]  # (S, E)
        present = (mask[cand.u, cand.p] & mask[cand.u, cand.q]) & (
            mask[cand.v, cand.p] & mask[cand.v, cand.q]
        )
        # groups A=0 (right, right) x D=3 and B=1 x C=2: exactly the pairs whose codes sum to 3
        eligible = present[None, :] & (gu + gv == 3)
        u_first = gu < gv  # the A or B member is listed first
        first = np.where(u_first, cand.u, cand.v)
        second = np.where(u_first, cand.v, cand.u)
        kind = (np.minimum(gu, gv) == 1).astype(np.int64)  # 0: A x D, 1: B x C
        order_key = ((cand.pair * 2 + kind) * n + first) * n + second
        si = np.arange(s_n)[:, None]
        sfp, sfq = sal[si, first, cand.p], sal[si, first, cand.q]
        ssp, ssq = sal[si, second, cand.p], sal[si, second, cand.q]
        # role rule s_ip/s_iq < s_jp/s_jq, cross-multiplied (saliences are >= 0)
        swap = sfp * ssq < ssp * sfq
        self.a = np.where(swap, second, first)  # demands p, supplies q
        self.b = np.where(swap, first, second)  # demands q, supplies p
        self.p = np.broadcast_to(cand.p, self.a.shape)
        self.q = np.broadcast_to(cand.q, self.a.shape)
        self.alive = eligible.copy()
        # the package's list (candidate indices in list order): creation order, then re-sorted
        # stably by gain before each execution
        self.order = np.argsort(order_key, axis=1, kind="stable")
        self.previous_order = self.order
        self.y = x0.copy()  # current voting positions
        self.exchanged = np.zeros(x0.shape, dtype=bool)
        self.upd = np.full((s_n, n, d, n), np.nan)  # (demander, issue, partner) -> position
        self.dupd = np.zeros((s_n, n, d))  # sum over partners of w * (update - x0)
        shape = self.a.shape
        self.hist = {
            side: (np.full(shape, np.inf), np.full(shape, -np.inf), np.zeros(shape))
            for side in "IJ"
        }
        self.move_i = np.zeros(shape)
        self.move_j = np.zeros(shape)
        self.dp = np.zeros(shape)
        self.dq = np.zeros(shape)
        self.gain = np.zeros(shape)
        self.gain_i = np.zeros(shape)
        self.gain_j = np.zeros(shape)
        if options.rate == "random_rate":
            self.draw = rng.random(shape)
        s_idx, e_idx = np.nonzero(self.alive)
        self._compute(s_idx, e_idx)

    # -- per-exchange computation on flat index arrays ------------------------------------
    def _compute(self, s: np.ndarray, e: np.ndarray) -> None:
        """Recompute exchanges (s, e) from the current shared state (package ``calculate``)."""
        if s.size == 0:
            return
        a, b, p, q = self.a[s, e], self.b[s, e], self.p[s, e], self.q[s, e]
        sal, w, x0 = self.sal, self.w, self.x0
        s_ap, s_aq, s_bp, s_bq = sal[s, a, p], sal[s, a, q], sal[s, b, p], sal[s, b, q]
        w_aq, w_bp = w[s, a, q], w[s, b, p]
        den_p, den_q = self.den[s, p], self.den[s, q]
        x_i, x_j = self.y[s, a, q], self.y[s, b, p]  # current supply positions
        d_i, d_j = x0[s, a, p], x0[s, b, q]  # demand positions (round start)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.opt.rate == "equal_gain":
                rate = (s_bp + s_ap) / (s_bq + s_aq)  # delta_q / delta_p giving equal gains
            else:
                lo, hi = s_bp / s_bq, s_ap / s_aq
                rate = lo + self.draw[s, e] * (hi - lo)
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
            m_i = np.where(x_i > d_j, -m_i, m_i)
            m_j = np.where(x_j > d_i, -m_j, m_j)
            hi_i = tuple(h[s, e] for h in self.hist["I"])
            hi_j = tuple(h[s, e] for h in self.hist["J"])
            valid = self._valid(m_i, x_i, hi_i) & self._valid(m_j, x_j, hi_j)
            g_i, g_j = s_ap * dp - s_aq * dq, s_bq * dq - s_bp * dp
            valid &= self._gain_ok(dp, dq, s_ap, s_aq, g_i, g_j)

            # check_nbs for i (supplier of q, demander j at d_j), then for j (supplier of p)
            for side in "IJ":
                if side == "I":
                    z, r, xs, ms, ws, den, target = b, q, x_i, m_i, w_aq, den_q, d_j
                    actor = a
                else:
                    z, r, xs, ms, ws, den, target = a, p, x_j, m_j, w_bp, den_p, d_i
                    actor = b
                upd = self.upd[s, z, r, actor]
                has = ~np.isnan(upd)
                base = np.where(has, upd, x0[s, actor, r])
                num = self.tot[s, r] + self.dupd[s, z, r]
                nbs0 = (num + ws * (xs - base)) / den
                nbs1 = (num + ws * (xs + ms - base)) / den
                # cut when the move carries the outcome past the demander's position; an
                # outcome already at that position (within rounding) counts as passed by any move
                side0 = np.where(np.abs(nbs0 - target) <= _EPS_OUTCOME, 0.0, np.sign(nbs0 - target))
                side1 = np.where(np.abs(nbs1 - target) <= _EPS_OUTCOME, 0.0, np.sign(nbs1 - target))
                at = valid & (side0 == 0) & (side1 != 0)
                cut = valid & (side0 * side1 < 0)
                if at.any():
                    cut[at] = self._cut_at_boundary(s[at], e[at], side)
                if not cut.any():
                    continue
                # the package measures the cut from the supply position, or from the recorded
                # update when this actor has one on r (its own position is overwritten there)
                nprime = num + np.where(has, 0.0, ws * (xs - x0[s, actor, r]))
                delta = np.abs((target * den - nprime) / ws)
                shift = delta * ws / den
                if side == "I":
                    new_dq, new_dp = shift, shift / rate
                    new_mi = np.where(x_i > d_j, -delta, delta)
                    new_mj = new_dp * den_p / w_bp
                    new_mj = np.where(x_j > d_i, -new_mj, new_mj)
                else:
                    new_dp, new_dq = shift, shift * rate
                    new_mj = np.where(x_j > d_i, -delta, delta)
                    new_mi = new_dq * den_q / w_aq
                    new_mi = np.where(x_i > d_j, -new_mi, new_mi)
                dp, dq = np.where(cut, new_dp, dp), np.where(cut, new_dq, dq)
                m_i, m_j = np.where(cut, new_mi, m_i), np.where(cut, new_mj, m_j)
            valid &= self._valid(m_i, x_i, hi_i) & self._valid(m_j, x_j, hi_j)
            g_i, g_j = s_ap * dp - s_aq * dq, s_bq * dq - s_bp * dp
            if self.opt.rate == "equal_gain":
                gain = np.abs(g_i)
            else:
                gain = g_i + g_j
        self.move_i[s, e], self.move_j[s, e] = m_i, m_j
        self.dp[s, e], self.dq[s, e] = dp, dq
        self.gain[s, e], self.gain_i[s, e], self.gain_j[s, e] = gain, g_i, g_j
        self.alive[s, e] &= valid & np.isfinite(gain)

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
        """Live exchanges whose gain is within ``TIE_RTOL`` of their sample's best, (S, E).

        Also re-sorts the list stably by gain, as the package does before each execution; the
        list is nearly sorted already, which the stable sort (timsort) exploits.
        """
        key = np.where(self.alive, -self.gain, np.inf)
        self.previous_order = self.order
        perm = np.argsort(np.take_along_axis(key, self.order, axis=1), axis=1, kind="stable")
        self.order = np.take_along_axis(self.order, perm, axis=1)
        best = np.where(self.alive, self.gain, -np.inf).max(axis=1, keepdims=True)
        return self.alive & (self.gain >= best - TIE_RTOL * np.abs(best))

    def step(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Execute each sample's best exchange; return (samples, exchanges) executed or None."""
        active = self.alive.any(axis=1)
        if not active.any():
            return None
        tied = self.tied_top()
        # tied exchanges in the order of the list before this sort (a stable sort keeps exact
        # ties in that order); "first" takes the earliest, "random" a uniformly drawn one
        listed = np.take_along_axis(tied, self.previous_order, axis=1)
        if self.opt.tie == "random":
            count = listed.sum(axis=1)
            pick = np.floor(self.rng.random(tied.shape[0]) * np.maximum(count, 1))
            pos = np.argmax(np.cumsum(listed, axis=1) > pick[:, None], axis=1)
        else:
            pos = np.argmax(listed, axis=1)
        top = self.previous_order[np.arange(tied.shape[0]), pos]
        s = np.nonzero(active)[0]
        e = top[s]
        self.execute(s, e)
        return s, e

    def execute(self, s: np.ndarray, e: np.ndarray) -> None:
        """Execute exchange ``e[k]`` in sample ``s[k]`` and recompute the exchanges it affects."""
        a, b, p, q = self.a[s, e], self.b[s, e], self.p[s, e], self.q[s, e]
        # the validity test allows 1e-9 of float slack beyond 0..100; keep positions on scale
        y_i = np.clip(self.y[s, a, q] + self.move_i[s, e], 0.0, 100.0)
        y_j = np.clip(self.y[s, b, p] + self.move_j[s, e], 0.0, 100.0)
        self.alive[s, e] = False
        # updates seen by exchanges in which b demands q (partner a) and a demands p (partner b)
        for z, r, partner, y_new in ((b, q, a, y_i), (a, p, b, y_j)):
            old = self.upd[s, z, r, partner]
            start = self.x0[s, partner, r]
            kept = np.where(start <= old, np.minimum(old, y_new), np.maximum(old, y_new))
            self.upd[s, z, r, partner] = np.where(np.isnan(old), y_new, kept)
            row = self.upd[s, z, r, :]  # (k, N)
            have = ~np.isnan(row)
            wr = self.w[s, :, r]
            x0r = self.x0[s, :, r]
            self.dupd[s, z, r] = np.where(have, wr * (np.where(have, row, 0.0) - x0r), 0.0).sum(1)
        self.y[s, a, q] = y_i
        self.y[s, b, p] = y_j
        self.exchanged[s, a, q] = True
        self.exchanged[s, b, p] = True
        # which live exchanges of these samples share an actor-issue with the executed one
        sa, sb = self.a[s], self.b[s]
        sp, sq = self.p[s], self.q[s]
        a_, b_, p_, q_ = a[:, None], b[:, None], p[:, None], q[:, None]
        sup_i = ((sa == a_) & (sq == q_)) | ((sa == b_) & (sq == p_))
        sup_j = ((sb == a_) & (sp == q_)) | ((sb == b_) & (sp == p_))
        dem = (
            ((sa == b_) & (sp == q_))
            | ((sb == b_) & (sq == q_))
            | ((sa == a_) & (sp == p_))
            | ((sb == a_) & (sq == p_))
        )
        affected = self.alive[s] & (sup_i | sup_j | dem)
        rows, cols = np.nonzero(affected)
        ss = s[rows]
        # an actor whose supply position changed keeps its previous move in the history
        for side, sup, moves in (("I", sup_i, self.move_i), ("J", sup_j, self.move_j)):
            keep = sup[rows, cols]
            ks, ke = ss[keep], cols[keep]
            hmin, hmax, hsum = self.hist[side]
            m = moves[ks, ke]
            hmin[ks, ke] = np.minimum(hmin[ks, ke], m)
            hmax[ks, ke] = np.maximum(hmax[ks, ke], m)
            hsum[ks, ke] += m
        self._compute(ss, cols)

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """Voting positions and the next round's start positions, both (S, N, D)."""
        voting = self.y
        if self.opt.start_update == "off":
            return voting, voting.copy()
        k = (1.0 - self.sal) * self.opt.salience_weight + self.opt.fixed_weight
        start = np.where(self.exchanged, (1.0 - k) * self.x0 + k * voting, self.x0)
        return voting, start


@register
class Exchange(Model):
    """Stokman & Van Oosten exchange model (equal-gain or random-rate), as in Decide."""

    # Exchanges execute one at a time within a round (each step batched over samples), about
    # 0.15 s per draw on an 11 x 10 scenario: too slow for thousands of draws by default.
    monte_carlo_default = False
    links_issues = True
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
        lo, width = arrays.scale_min, arrays.scale_width
        to_unit = 100.0 / width
        mask = arrays.mask
        x = np.where(mask, (arrays.position - lo) * to_unit, 50.0)
        sal = np.where(mask, arrays.salience, 0.0)
        w = np.where(mask, arrays.capability * arrays.salience, 0.0)
        cand = _candidates(arrays.n_actors, arrays.n_issues)

        def back(v: np.ndarray) -> np.ndarray:
            return lo + v / to_unit

        positions = [arrays.position.copy()]
        forecasts = [back(weighted_outcome(x, w, mask))]
        events: list[list[dict[str, Any]]] = [[]]
        converged = False
        for t in range(1, limit + 1):
            state = _Round(x, sal, w, mask, cand, opt, rng)
            log: list[dict[str, Any]] = []
            any_exchange = False
            while (done := state.step()) is not None:
                any_exchange = True
                s_idx, e_idx = done
                if s_idx[0] == 0:
                    log.append(self._event(state, int(e_idx[0]), t, arrays, to_unit))
            voting, x = state.finish()
            positions.append(np.where(mask, back(voting), arrays.position))
            forecasts.append(back(weighted_outcome(voting, w, mask)))
            events.append(log)
            if not any_exchange:
                converged = True
                break
        return Simulation(
            positions=np.stack(positions),
            forecasts=np.stack(forecasts),
            events=events,
            converged=converged,
        )

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
