"""KTAB's Spatial Model of Politics (SMP 1.4) with its probabilistic Condorcet election.

A re-implementation, batched over samples, of the bargain-challenge-negotiate (BCN) dynamics of
the KAPSARC Toolkit for Behavioral Analysis (KTAB, MIT licence): ``examples/smp/libsrc/smp.cpp``,
``smpbcn.cpp`` and ``KTAB/kmodel/libsrc/kmodel.cpp``. No code is copied; the maths is described in
``shared/reference/ktab-smp.md`` and was checked against the C++ where that note is terse.

Each turn, for every sample at once:

1. distances ``d_i(x_j)`` from actor ``i``'s ideal to ``j``'s position, weighted by ``i``'s
   saliences and normalised by their norm;
2. risk attitudes ``R_i`` from the probabilistic Condorcet election (PCE) over all positions,
   with risk-neutral utilities and capability-weighted votes;
3. every actor's estimate ``U^h`` of everybody's risk-aware utilities;
4. for every ordered pair ``(i, j)`` the expected gain to ``i`` of challenging ``j``
   (``probEduChlg`` with third parties' "little coalition" votes); each actor picks its best
   target (first maximum, only when the gain exceeds 1e-5);
5. a bargain is interpolated between initiator and target (round4, the 1e-6 asymmetry);
6. each actor's queue (status quo, own proposal, proposals aimed at it) goes to a vote of all
   actors (capability weights); Deterministic mode adopts the first most probable bargain,
   Stochastic mode draws one from the passed-in ``numpy.random.Generator``;
7. ideals move by the accommodation matrix (identity by default: ideal = new position);
8. the stop rule ``smpStopFn``: stop at ``max_iter`` or, from ``min_iter`` on, when the total
   movement of this turn over that of the first (plus 1e-4) is below ``min_delta_ratio``.

What a KTAB user reads as the outcome: the log prints the position history and, per turn, the
probability that each actor's *position* wins the PCE over the unique positions (``pDist(-1)``,
positions closer than 1e-3 merged). We expose both. The forecast of a turn is, by default
(``outcome="expected"``), the probability-weighted mean of the positions under that
distribution (each unique position counted once: its probability is shared equally by the actors
holding it); ``outcome="most_probable"`` returns the most probable position instead.

Differences from KTAB that cannot change a deterministic result except at exact ties:

- KTAB 1.4 fills the bargain queues from several threads, so their order (which decides exact
  ties between equally probable bargains) depends on scheduling. Here a queue is ordered:
  status quo first, then bargains by initiator index.
- Sums run in NumPy's order, not KTAB's left-to-right order (last-bit differences).
- Stochastic mode draws from NumPy's ``Generator``; KTAB's mt19937_64-based PRNG is not
  reproduced (its stochastic runs are not reproducible even in KTAB, threads share one generator).
- Where every option has the same PCE probability (e.g. all actors at one position) KTAB's
  ``bigRfromProb`` divides 0 by 0 and aborts; here every actor is then risk neutral (R = 0).
- KTAB requires each actor's saliences to sum to at most 1; larger sums (possible in generic
  scenario arrays) are rescaled to sum to 1.
- Capability is a scalar in SMP: the mean of an actor's capability over the issues it takes
  part in. Saliences of absent actor-issue pairs are 0 (see :mod:`detente.arrays`), and
  absent pairs are left out of the forecast's weighted mean.
- Units: as in KTAB, capabilities are not only relative. KTAB's absolute constants (a
  challenge needs an expected gain above 1e-5, bargains carry a 1e-6 asymmetry, the stop rule
  adds 1e-4) meet gains that grow with the capabilities, so multiplying every capability by
  1e-6 moves the forecast (2.15 points on ec-emissions-1994;
  ``tests/models/test_scale_invariance.py``). Keep capabilities in KTAB's range, as its inputs.

Two quirks of KTAB 1.4 that only non-default options reach are reproduced on purpose:
with ``InitRcvrInterp`` and ``PWCompInterp`` the target's view of the bargain is built from
``probEduChlg(j, i, i, j)``'s *expected gain to i* where a probability is expected, and the
power-weighted compromise weighs the target's view by the initiator's capability times the
target's total salience. The reference log (``20170530_ref-dummyData_3Dim.txt``, the
"from 6's perspective" and "Power-weighted compromise" lines) shows both.

Cost: step 4 is O(N^3) per turn and sample (:func:`challenge_matrix`, with the third parties'
votes fused into reused buffers); KTAB's O(N^4) ``calcUtils`` is logging only and is skipped.
Samples are processed in chunks so that the (S, N, N, N) temporaries stay small, and samples whose
stop rule has fired are no longer computed. The only Python loops are over turns, over the actors
in KTAB's greedy merging of equal positions (sequential by definition), over distinct bargain-queue
lengths, and over Markov PCE iterations.

Outputs: :class:`SMPSimulation` adds ``win_prob`` (KTAB's "prob" lines), ``fractional_change``
(KTAB's "Fractional change compared to first step") and ``turns`` to the usual trajectory; the
events of sample 0 list, per turn, each actor's challenge (target, expected gain, estimated
probability of winning), the bargains proposed, each actor's queue with its PCE probabilities
and the bargain adopted, the win probabilities of the new state and the stop-rule ratio.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator

from detente.arrays import ScenarioArrays

# KTAB's option vocabularies live with the KTAB importer, which checks files against them
from detente.io.ktab_options import (
    BargnModel,
    BigRAdjust,
    BigRRange,
    InterVecBrgn,
    PCEModel,
    StateTransitions,
    ThirdPartyCommit,
    VictoryProbModel,
    VotingRule,
)
from detente.models import _numba
from detente.models.base import Model, Simulation, register

#: KTAB's numerical constants (names as in the C++).
MIN_COALITION = 1e-8  # Model::coalitions minC
MIN_CLTN_CHALLENGE = 1e-10  # probEduChlg minCltn
MIN_SIG_EDU = 1e-5  # bestChallenge threshold on the expected gain
POS_TOL = 1e-3  # SMPModel::posTol, Euclidean on the 0..1 scale
BARGAIN_MIN_W = 1e-6  # interpBrgnSnPm / S2PMax minW


class SMPOptions(BaseModel):
    """KTAB SMP's nine enumerated options (defaults as KTAB), stop rule, ideal adjustment.

    Option values are KTAB's own names (as in its XML ``<ModelParameters>``).
    ``ideal_adjustment`` is the N x N accommodation matrix ``A`` (rows: adjusting actor,
    columns: reference position; entries in 0..1, row sums at most 1); None means the identity
    (KTAB's CSV default: ideal = current position).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    victory_prob_model: VictoryProbModel = "Linear"
    pce_model: PCEModel = "Conditional"
    state_transitions: StateTransitions = "Deterministic"
    voting_rule: VotingRule = "Prop"
    big_r_adjust: BigRAdjust = "OneThird"
    big_r_range: BigRRange = "Mid"
    third_party_commit: ThirdPartyCommit = "SemiCommit"
    inter_vec_brgn: InterVecBrgn = "S2P2"
    bargn_model: BargnModel = "InitOnlyInterp"
    min_iter: int = 2
    max_iter: int = 100
    min_delta_ratio: float = 0.02
    min_sig_delta: float = 1e-4
    ideal_adjustment: tuple[tuple[float, ...], ...] | None = None
    outcome: Literal["expected", "most_probable"] = "expected"

    @field_validator("ideal_adjustment")
    @classmethod
    def _check_adjustment(cls, v):
        if v is None:
            return v
        a = np.asarray(v, dtype=float)
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise ValueError("ideal_adjustment must be a square N x N matrix")
        if np.any(a < 0) or np.any(a > 1):
            raise ValueError("ideal_adjustment entries must lie in 0..1")
        if np.any(a.sum(axis=1) > 1 + 1e-10):
            raise ValueError("each row of ideal_adjustment must sum to at most 1")
        return tuple(tuple(float(x) for x in row) for row in a)


# ----------------------------------------------------------------------------------------------
# Pure functions (KTAB names in the docstrings). All broadcast over leading axes.


def bs_util(d: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    """Scalar utility of a normalised distance ``d`` for risk attitude ``r`` (``bsUtil``).

    ``(1 - d)(1 + d r)`` for ``d <= 1``, ``(1 - d)(1 + r)`` beyond.

    >>> float(bs_util(np.array(0.25), 0.5))
    0.84375
    """
    d = np.asarray(d, dtype=float)
    # min(d, 1) r is exactly d r below 1 and exactly r above: one expression for both branches
    return (1.0 - d) * (1.0 + np.minimum(d, 1.0) * r)


def bv_diff(delta: np.ndarray, sal: np.ndarray) -> np.ndarray:
    """Salience-weighted distance ``sqrt(sum (s d)^2 / sum s^2)`` over the last axis (``bvDiff``).

    An actor with no salience at all has distance 0 to everything (KTAB asserts instead).
    """
    num = np.square(delta * sal).sum(axis=-1)
    den = np.square(sal).sum(axis=-1)
    safe = np.where(den > 0, den, 1.0)
    return np.where(den > 0, np.sqrt(num / safe), 0.0)


def vote(rule: VotingRule, w: np.ndarray, u_i: np.ndarray, u_j: np.ndarray) -> np.ndarray:
    """Vote of weight ``w`` for option i over j given utilities (``Model::vote``).

    >>> float(vote("Prop", 2.0, 0.75, 0.5)), float(vote("ASymProsp", 3.0, 0.75, 0.5))
    (0.5, 0.5)
    """
    return vote_diff(rule, w, np.asarray(u_i, dtype=float) - u_j)


def vote_diff(rule: VotingRule, w: np.ndarray, du: np.ndarray, inplace: bool = False) -> np.ndarray:
    """:func:`vote` from the utility difference ``du``; ``inplace`` may overwrite ``du``."""
    if rule == "Prop":
        return np.multiply(du, w, out=du) if inplace else w * du
    if rule == "Binary":
        return w * np.clip(du / 1e-8, -1.0, 1.0)
    if rule == "PropBin":
        return w * ((1 - 0.2) * du + 0.2 * np.clip(du / 1e-8, -1.0, 1.0))
    if rule == "PropCbc":
        return w * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == "Cubic":
        return w * (du * du * du)
    if rule == "ASymProsp":
        return np.where(du < 0, w * du, np.where(du > 0, (2.0 * w * du) / 3.0, 0.0))
    raise ValueError(f"unknown voting rule {rule!r}")


def victory_prob(
    model: VictoryProbModel, s1: np.ndarray, s2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that coalition strengths ``s1`` beat ``s2`` and vice versa (``vProb``).

    Binary: a 10 % advantage wins outright (the loser keeps 1e-6), linear in between.

    >>> p1, p2 = victory_prob("Square", np.array(3.0), np.array(1.0))
    >>> float(p1), float(p2)
    (0.9, 0.1)
    """
    s1 = np.asarray(s1, dtype=float)
    s2 = np.asarray(s2, dtype=float)
    if model == "Linear":
        x1, x2 = s1, s2
    elif model == "Square":
        x1, x2 = s1 * s1, s2 * s2
    elif model == "Quartic":
        x1, x2 = np.square(s1 * s1), np.square(s2 * s2)
    elif model == "Octic":
        x1, x2 = np.square(np.square(s1 * s1)), np.square(np.square(s2 * s2))
    elif model == "Binary":
        thresh, min_x = 1.10, 1e-6
        r12 = s1 / (s1 + s2)
        p12 = (r12 * (thresh + 1.0) - 1.0) / (thresh - 1.0)
        win1 = s1 >= thresh * s2
        win2 = ~win1 & (s2 >= thresh * s1)
        x1 = np.where(win1, 1.0, np.where(win2, min_x, p12))
        x2 = np.where(win1, min_x, np.where(win2, 1.0, 1 - p12))
    else:
        raise ValueError(f"unknown victory probability model {model!r}")
    tot = x1 + x2
    return x1 / tot, x2 / tot


def coalitions(
    rule: VotingRule, w: np.ndarray, u: np.ndarray, opt_mask: np.ndarray | None = None
) -> np.ndarray:
    """Coalition strengths ``C[i, j]`` for option i against j (``Model::coalitions``).

    ``w`` (..., A) voter weights, ``u`` (..., A, M) utilities of the options to the voters.
    Like KTAB, each pair is voted once with the higher index first (this matters only for
    asymmetric rules such as ASymProsp); every entry starts at 1e-8, the diagonal stays there.
    Masked options (``opt_mask`` False) get the floor only.
    """
    # voters last, so the sums run over contiguous data
    return _coalitions_t(rule, w, np.swapaxes(u, -1, -2), opt_mask)


@cache
def _pairs(m: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs KTAB votes on, ``hi > lo`` (``np.tril_indices(m, -1)``, computed once)."""
    hi, lo = np.tril_indices(m, -1)
    hi.flags.writeable = lo.flags.writeable = False
    return hi, lo


@cache
def _lower(m: int) -> np.ndarray:
    """Strictly lower triangle mask (cached)."""
    t = np.tri(m, m, -1, dtype=bool)
    t.flags.writeable = False
    return t


@cache
def _eye(m: int) -> np.ndarray:
    """Identity mask (cached)."""
    e = np.eye(m, dtype=bool)
    e.flags.writeable = False
    return e


def _coalitions_t(
    rule: VotingRule, w: np.ndarray, ut: np.ndarray, opt_mask: np.ndarray | None = None
) -> np.ndarray:
    """:func:`coalitions` from utilities laid out options first, ``ut`` (..., M, A)."""
    m = ut.shape[-2]
    hi, lo = _pairs(m)
    if rule == "Prop":  # w (u_hi - u_lo), as vote() computes it, without the extra temporaries
        v = np.subtract(ut[..., hi, :], ut[..., lo, :])
        v *= w[..., None, :]
    else:
        v = vote(rule, w[..., None, :], ut[..., hi, :], ut[..., lo, :])  # (..., P, A)
    c = np.full((*ut.shape[:-2], m, m), MIN_COALITION)
    c[..., hi, lo] = MIN_COALITION + np.maximum(v, 0.0).sum(axis=-1)
    np.negative(v, out=v)
    c[..., lo, hi] = MIN_COALITION + np.maximum(v, 0.0, out=v).sum(axis=-1)
    if opt_mask is not None:
        both = opt_mask[..., :, None] & opt_mask[..., None, :]
        c = np.where(both, c, MIN_COALITION)
    return c


def victory_matrix(model: VictoryProbModel, c: np.ndarray) -> np.ndarray:
    """Square matrix of Prob[option i beats j] from coalition strengths (``vProb(vpm, c)``)."""
    m = c.shape[-1]
    ct = np.swapaxes(c, -1, -2)
    if model == "Linear":
        # pair (a, b) is evaluated as C[a,b] / (C[a,b] + C[b,a]) from either side: since
        # addition commutes, this is the general branch below without the triangle selection
        p = c / (c + ct)
        p[..., np.arange(m), np.arange(m)] = 0.5
        return p
    p1, p2 = victory_prob(model, c, ct)  # pair (a, b) evaluated as (C[a,b], C[b,a])
    p = np.where(_lower(m), p1, np.swapaxes(p2, -1, -2))
    return np.where(_eye(m), 0.5, p)


def cond_pce(pv: np.ndarray, opt_mask: np.ndarray | None = None) -> np.ndarray:
    """Conditional PCE: ``P_i`` proportional to the product of ``pv[i, j]`` (``condPCE``)."""
    if opt_mask is not None:
        pv = np.where(opt_mask[..., None, :], pv, 1.0)
    p = np.prod(pv, axis=-1)
    if opt_mask is not None:
        p = np.where(opt_mask, p, 0.0)
    return p / p.sum(axis=-1, keepdims=True)


def _uniform_start(shape: tuple[int, ...], opt_mask: np.ndarray | None) -> np.ndarray:
    if opt_mask is None:
        return np.full(shape, 1.0 / shape[-1])
    n = opt_mask.sum(axis=-1, keepdims=True)
    return np.where(opt_mask, 1.0 / n, 0.0)


def markov_uniform_pce(pv: np.ndarray, opt_mask: np.ndarray | None = None) -> np.ndarray:
    """Markov PCE with uniform challenges (``markovUniformPCE``), tolerance 1e-6.

    Iterates ``q_i = (1/n) sum_j pv[i,j] (p_i + p_j)``, ``p <- (p + q)/2`` until the largest
    change is at most 1e-6; each problem in the batch stops at its own iteration, as alone.
    """
    p = _uniform_start(pv.shape[:-1], opt_mask)
    if opt_mask is not None:
        pv = np.where(opt_mask[..., None, :] & opt_mask[..., :, None], pv, 0.0)
        n = opt_mask.sum(axis=-1, keepdims=True)
    else:
        n = pv.shape[-1]
    active = np.ones(pv.shape[:-2], dtype=bool)
    for _ in range(1000):
        q = (pv * (p[..., :, None] + p[..., None, :])).sum(axis=-1) / n
        change = np.abs(q - p).max(axis=-1)
        p = np.where(active[..., None], (p + q) / 2.0, p)
        active = active & (change > 1e-6)
        if not active.any():
            return p
    raise RuntimeError("markovUniformPCE did not converge in 1000 iterations")


def markov_incentive_pce(
    c: np.ndarray, model: VictoryProbModel, opt_mask: np.ndarray | None = None
) -> np.ndarray:
    """Markov PCE with challenge rates proportional to ``C_ij V_ij`` (``markovIncentivePCE``).

    Tolerance 1e-8, as KTAB.
    """
    pv = victory_matrix(model, c)
    m = c.shape[-1]
    inc = c * pv + np.where(np.eye(m, dtype=bool), 1e-10, 0.0)
    if opt_mask is not None:
        both = opt_mask[..., :, None] & opt_mask[..., None, :]
        inc = np.where(both, inc, 0.0)
        pv = np.where(both, pv, 0.0)
    col = inc.sum(axis=-2, keepdims=True)
    chlg = inc / np.where(col > 0, col, 1.0)  # chlg[i, j] = P[i challenges j | j favourite]
    p = _uniform_start(c.shape[:-1], opt_mask)
    active = np.ones(c.shape[:-2], dtype=bool)
    chlg_t = np.swapaxes(chlg, -1, -2)
    for _ in range(1000):
        ct = p[..., :, None] * chlg_t  # ct[i, j] = p_i * chlg[j, i]
        q = (pv * (ct + np.swapaxes(ct, -1, -2))).sum(axis=-1)
        change = np.abs(q - p).max(axis=-1)
        p = np.where(active[..., None], (p + q) / 2.0, p)
        active = active & (change > 1e-8)
        if not active.any():
            return p
    raise RuntimeError("markovIncentivePCE did not converge in 1000 iterations")


def pce(
    pce_model: PCEModel,
    vp_model: VictoryProbModel,
    c: np.ndarray,
    opt_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Option probabilities and the victory matrix from coalition strengths (``probCE2``)."""
    pv = victory_matrix(vp_model, c)
    if pce_model == "Conditional":
        p = cond_pce(pv, opt_mask)
    elif pce_model == "MarkovUniform":
        p = markov_uniform_pce(pv, opt_mask)
    elif pce_model == "MarkovIncentive":
        p = markov_incentive_pce(c, vp_model, opt_mask)
    else:
        raise ValueError(f"unknown PCE model {pce_model!r}")
    return p, pv


def scalar_pce(
    w: np.ndarray,
    u: np.ndarray,
    rule: VotingRule,
    vp_model: VictoryProbModel,
    pce_model: PCEModel,
    opt_mask: np.ndarray | None = None,
) -> np.ndarray:
    """Vote, coalitions and PCE in one call (``Model::scalarPCE``): (..., A), (..., A, M)."""
    c = coalitions(rule, w, u, opt_mask)
    return pce(pce_model, vp_model, c, opt_mask)[0]


def big_r_from_prob(p: np.ndarray, big_r_range: BigRRange) -> np.ndarray:
    """Risk attitudes from win probabilities (``bigRfromProb``), over the last axis.

    Mid maps to [-1/2, 1], Min to [0, 1], Max to [-1, 1]; the most likely winner is the most
    risk averse. Where all probabilities are equal KTAB divides by zero; we return 0.
    """
    p_min = p.min(axis=-1, keepdims=True)
    p_max = p.max(axis=-1, keepdims=True)
    span = p_max - p_min
    ok = span > 0
    safe = np.where(ok, span, 1.0)
    if big_r_range == "Min":
        r = (p - p_min) / safe
    elif big_r_range == "Mid":
        r = (3 * p - (p_max + 2 * p_min)) / (2 * safe)
    elif big_r_range == "Max":
        r = (2 * p - (p_max + p_min)) / safe
    else:
        raise ValueError(f"unknown BigRRange {big_r_range!r}")
    return np.where(ok, r, 0.0)


def est_nra(r_h: np.ndarray, r_i: np.ndarray, adjust: BigRAdjust) -> np.ndarray:
    """h's estimate of i's risk attitude (``Model::estNRA``).

    >>> float(est_nra(np.array(1.0), np.array(-0.5), "OneThird"))
    0.5
    """
    if adjust == "Full":
        return r_i + 0.0 * r_h
    if adjust == "TwoThirds":
        return (r_h + (2.0 * r_i)) / 3.0
    if adjust == "Half":
        return (r_h + r_i) / 2
    if adjust == "OneThird":
        return ((2.0 * r_h) + r_i) / 3.0
    if adjust == "None":
        return r_h + 0.0 * r_i
    raise ValueError(f"unknown BigRAdjust {adjust!r}")


def vprob_little(
    rule: VotingRule,
    w_n: np.ndarray,
    u_ni: np.ndarray,
    u_nj: np.ndarray,
    c_i: np.ndarray,
    c_j: np.ndarray,
) -> np.ndarray:
    """Third party n's estimate that i wins once n joins its side (``Actor::vProbLittle``)."""
    v = vote(rule, w_n, u_ni, u_nj)
    cni = np.where(v > 0, c_i + v, c_i)
    cnj = np.where(v < 0, c_j - v, c_j)
    return cni / (cni + cnj)


def third_party_vote(
    w_k: np.ndarray,
    rule: VotingRule,
    commit: ThirdPartyCommit,
    p_ik: np.ndarray,
    p_jk: np.ndarray,
    u_ki: np.ndarray,
    u_kj: np.ndarray,
    u_kk: np.ndarray,
) -> np.ndarray:
    """Third party k's vote in the (i:j) contest, sum-of-utilities form (``thirdPartyVoteSU``)."""
    if commit == "FullCommit":
        u_ik_def_j, u_j_def_ik = u_ki + u_ki + u_ki, u_kj + u_kj + u_kj
        u_i_def_jk, u_jk_def_i = u_ki + u_ki + u_ki, u_kj + u_kj + u_kj
    elif commit == "SemiCommit":
        u_ik_def_j, u_j_def_ik = u_ki + u_ki + u_kk, u_kj + u_kj + u_kj
        u_i_def_jk, u_jk_def_i = u_ki + u_ki + u_ki, u_kj + u_kj + u_kk
    elif commit == "NoCommit":
        u_ik_def_j, u_j_def_ik = u_ki + u_ki + u_kk, u_kj + u_kj + u_kk
        u_i_def_jk, u_jk_def_i = u_ki + u_ki + u_kk, u_kj + u_kj + u_kk
    else:
        raise ValueError(f"unknown ThirdPartyCommit {commit!r}")
    u_ik_j = (p_ik * u_ik_def_j) + (p_jk * u_j_def_ik)
    u_i_jk = (p_ik * u_i_def_jk) + (p_jk * u_jk_def_i)
    return vote(rule, w_k, u_ik_j, u_i_jk)


def round4(x: np.ndarray) -> np.ndarray:
    """KTAB's ``round4``: ``int(0.5 + 1e4 x) / 1e4`` (truncation toward zero)."""
    return np.trunc(0.5 + x * 10000.0) / 10000.0


def interp_bargain(
    ivb: InterVecBrgn,
    t_i: np.ndarray,
    s_i: np.ndarray,
    p_i: np.ndarray,
    t_j: np.ndarray,
    s_j: np.ndarray,
    p_j: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension bargain coordinates for i and j (``interpBrgnSnPm`` / ``S2PMax``).

    S1P1/S2P2 weight each side by salience^n x probability^m, keep a 1e-6 extra weight on the
    actor's own side (so both get almost the same point and 0/0 cannot occur) and round to
    four decimals. S2PMax moves each side toward the other by a probability-gap rule.
    """
    if ivb in ("S1P1", "S2P2"):
        n = 1 if ivb == "S1P1" else 2
        w_i = (s_i**n) * (p_i**n)
        w_j = (s_j**n) * (p_j**n)
        tot = w_i + BARGAIN_MIN_W + w_j
        b_i = round4(((w_i + BARGAIN_MIN_W) * t_i + w_j * t_j) / tot)
        b_j = round4((w_i * t_i + (BARGAIN_MIN_W + w_j) * t_j) / tot)
        return b_i, b_j
    if ivb == "S2PMax":
        d_i = np.where(p_j > p_i, p_j - p_i, 0.0)
        d_j = np.where(p_i > p_j, p_i - p_j, 0.0)
        s_i2, s_j2 = s_i * s_i, s_j * s_j
        dik = (d_i * s_j2) / ((d_i * s_j2) + BARGAIN_MIN_W + ((1 - d_i) * s_i2))
        djk = (d_j * s_i2) / ((d_j * s_i2) + BARGAIN_MIN_W + ((1 - d_j) * s_j2))
        return t_i + dik * (t_j - t_i), t_j + djk * (t_i - t_j)
    raise ValueError(f"unknown InterVecBrgn {ivb!r}")


def _take(a: np.ndarray, idx: np.ndarray, axis: int) -> np.ndarray:
    return np.take_along_axis(a, idx, axis=axis)


def prob_edu_challenge(
    vdiff: np.ndarray,
    rhat: np.ndarray,
    weight: np.ndarray,
    sal_total: np.ndarray,
    h: np.ndarray,
    k: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    rule: VotingRule,
    commit: ThirdPartyCommit,
) -> tuple[np.ndarray, np.ndarray]:
    """h's estimate of P[i beats j] and of the expected gain to k of i challenging j.

    KTAB's ``probEduChlg`` for a batch of quadruples. ``vdiff`` (S, N, N) distances from
    ideals to positions, ``rhat`` (S, N, N) estimated risk attitudes ``rhat[h, i]``, ``weight``
    (S, N) = total salience x capability, ``sal_total`` (S, N); ``h, k, i, j`` (S, P) indices.
    Returns two (S, P) arrays. The victory probability here is always linear in coalition
    strength; j resists with probability equal to its total salience.
    """
    s_, n_ = weight.shape

    def util(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # U^h[a, b], all (S, P)
        d = _take(vdiff.reshape(s_, n_ * n_), a * n_ + b, 1)
        r = _take(rhat.reshape(s_, n_ * n_), h * n_ + a, 1)
        return bs_util(d, r)

    uii, uij, uji, ujj = util(i, i), util(i, j), util(j, i), util(j, j)
    uki, ukj = util(k, i), util(k, j)
    w_i, w_j = _take(weight, i, 1), _take(weight, j, 1)
    a_i = vote(rule, w_i, uii, uij)
    a_j = vote(rule, w_j, uji, ujj)
    chij = MIN_CLTN_CHALLENGE + np.maximum(a_i, 0.0)
    chji = MIN_CLTN_CHALLENGE + np.maximum(-a_i, 0.0)
    chij = chij + np.maximum(a_j, 0.0)
    chji = chji + np.maximum(-a_j, 0.0)

    # third parties n: U^h[n, i], U^h[n, j], U^h[n, n], each (S, P, N)
    vd_t = np.swapaxes(vdiff, 1, 2)  # vd_t[s, b, n] = vdiff[s, n, b]
    r_hn = rhat[np.arange(s_)[:, None], h]  # (S, P, N): h's estimate of n's risk attitude
    u_ni = bs_util(vd_t[np.arange(s_)[:, None], i], r_hn)
    u_nj = bs_util(vd_t[np.arange(s_)[:, None], j], r_hn)
    u_nn = bs_util(np.diagonal(vdiff, axis1=1, axis2=2)[:, None, :], r_hn)
    w_n = weight[:, None, :]
    p_in = vprob_little(rule, w_n, u_ni, u_nj, chij[..., None], chji[..., None])
    v_n = third_party_vote(w_n, rule, commit, p_in, 1.0 - p_in, u_ni, u_nj, u_nn)
    n_idx = np.arange(n_)
    third = (n_idx != i[..., None]) & (n_idx != j[..., None])
    v_n = np.where(third, v_n, 0.0)
    chij = chij + np.maximum(v_n, 0.0).sum(axis=-1)
    chji = chji + np.maximum(-v_n, 0.0).sum(axis=-1)

    phij = chij / (chij + chji)
    phji = chji / (chij + chji)
    s_j = _take(sal_total, j, 1)
    eu_sq = uki + ukj
    eu_vict = uki + uki
    eu_cntst = phij * eu_vict + phji * (ukj + ukj)
    eu_chlg = (1 - s_j) * eu_vict + s_j * eu_cntst
    return phij, eu_chlg - eu_sq


def _third_party_votes(
    rule: VotingRule,
    commit: ThirdPartyCommit,
    w_n: np.ndarray,
    u_ni: np.ndarray,
    u_nj: np.ndarray,
    u_nn: np.ndarray,
    chij: np.ndarray,
    chji: np.ndarray,
) -> np.ndarray:
    """Third parties' votes in each (i:j) contest (sign: for i), all arrays broadcasting.

    :func:`vprob_little` and :func:`third_party_vote` with the same operations in the same
    order, fused into a few reused buffers (allocating fresh arrays for every step dominated
    the cost). ``u_nj`` is overwritten.
    """
    v0 = vote(rule, w_n, u_ni, u_nj)  # n's vote in the little (i:j) contest
    cni = np.maximum(v0, 0.0)
    cni += chij
    cnj = np.negative(v0, out=v0)
    np.maximum(cnj, 0.0, out=cnj)
    cnj += chji
    tot = np.add(cni, cnj, out=cnj)
    p_in = np.divide(cni, tot, out=cni)
    p_jn = np.subtract(1.0, p_in, out=tot)
    # u(ik > j) = p A + (1 - p) B and u(i > jk) = p C + (1 - p) D (see third_party_vote)
    three_i = u_ni + u_ni + u_ni
    two_i_k = u_ni + u_ni + u_nn
    a_t, c_t = {
        "FullCommit": (three_i, three_i),
        "SemiCommit": (two_i_k, three_i),
        "NoCommit": (two_i_k, two_i_k),
    }[commit]
    b_plus_k = commit == "NoCommit"
    d_plus_k = commit != "FullCommit"
    u_ik_j = np.multiply(p_in, a_t)
    two_j = np.add(u_nj, u_nj)
    buf = np.add(two_j, u_nn if b_plus_k else u_nj)
    buf *= p_jn
    u_ik_j += buf
    u_i_jk = np.multiply(p_in, c_t, out=p_in)
    np.add(two_j, u_nn if d_plus_k else u_nj, out=buf)
    buf *= p_jn
    u_i_jk += buf
    du = np.subtract(u_ik_j, u_i_jk, out=u_ik_j)
    return vote_diff(rule, w_n, du, inplace=True)


def _pairwise_sum(terms: list[np.ndarray]) -> np.ndarray:
    """``np.stack(terms, -1).sum(-1)`` bit for bit, without building the stacked array.

    NumPy adds the numbers along a contiguous axis by pairwise summation: fewer than 8 numbers
    left to right; up to 128 in eight interleaved partial sums combined as a tree, then the
    remainder left to right; more split in two halves (sizes multiples of 8). Reproducing that
    order on whole arrays keeps sums over a short axis identical while running over long
    contiguous arrays (a reduction over a short last axis is several times slower).
    """
    n = len(terms)
    if n < 8:
        res = 0.0 + terms[0]
        for t in terms[1:]:
            res += t
        return res
    if n <= 128:
        r = [terms[k].copy() for k in range(8)]
        m8 = n - n % 8
        for i in range(8, m8, 8):
            for k in range(8):
                r[k] += terms[i + k]
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for t in terms[m8:]:
            res += t
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_sum(terms[:n2]) + _pairwise_sum(terms[n2:])


def challenge_matrix(
    vdiff: np.ndarray,
    rhat: np.ndarray,
    weight: np.ndarray,
    sal_total: np.ndarray,
    rule: VotingRule,
    commit: ThirdPartyCommit,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`prob_edu_challenge` for every pair with ``h = k = i``: each actor's own view.

    The same arithmetic laid out by broadcasting instead of gathering, one third party n at a
    time on (N_i, N_j, S) planes; the sums over n follow NumPy's own summation order
    (:func:`_pairwise_sum`), so the result is that of one (S, N, N, N) reduction. Returns
    ``p[s, i, j]`` (i's estimate that it beats j) and ``edu[s, i, j]`` (expected gain to i of
    challenging j); the diagonal is meaningless.
    """
    n_ = weight.shape[1]
    r_own = np.diagonal(rhat, axis1=1, axis2=2)  # rhat[i, i]
    vd_diag = np.diagonal(vdiff, axis1=1, axis2=2)
    uii = bs_util(vd_diag, r_own)[:, :, None]  # (S, N_i, 1)
    uij = bs_util(vdiff, r_own[:, :, None])  # U^i[i, j]
    uji = bs_util(np.swapaxes(vdiff, 1, 2), rhat)  # U^i[j, i] = u(vd[j, i], rhat[i, j])
    ujj = bs_util(vd_diag[:, None, :], rhat)  # U^i[j, j]
    a_i = vote(rule, weight[:, :, None], uii, uij)
    a_j = vote(rule, weight[:, None, :], uji, ujj)
    chij = MIN_CLTN_CHALLENGE + np.maximum(a_i, 0.0)
    chji = MIN_CLTN_CHALLENGE + np.maximum(-a_i, 0.0)
    chij = chij + np.maximum(a_j, 0.0)
    chji = chji + np.maximum(-a_j, 0.0)

    # third parties n one at a time on (N_i, N_j, S) planes, the terms of the sums over n:
    # with the samples last, every operand that does not depend on i or j still runs along
    # the contiguous sample axis (broadcasting over a short inner axis is several times slower)
    vd_t = np.ascontiguousarray(np.moveaxis(vdiff, 0, -1))  # vd_t[a, b, s] = vdiff[s, a, b]
    rh_t = np.ascontiguousarray(np.moveaxis(rhat, 0, -1))
    w_t = np.ascontiguousarray(weight.T)
    cij_t = np.ascontiguousarray(np.moveaxis(chij, 0, -1))
    cji_t = np.ascontiguousarray(np.moveaxis(chji, 0, -1))
    pos_terms, neg_terms = [], []
    for n in range(n_):
        r_in = rh_t[:, n]  # (N_i, S): i's estimate of n's risk attitude
        d_nj = vd_t[n][None]  # (1, N_j, S)
        u_ni = bs_util(vd_t[n], r_in)[:, None]  # U^i[n, i], (N_i, 1, S)
        u_nn = bs_util(vd_t[n, n], r_in)[:, None]  # U^i[n, n]
        u_nj = (1.0 - d_nj) * (1.0 + np.minimum(d_nj, 1.0) * r_in[:, None])  # U^i[n, j]
        v = _third_party_votes(rule, commit, w_t[n], u_ni, u_nj, u_nn, cij_t, cji_t)
        v[n] = 0.0  # n is no third party in its own contests
        v[:, n] = 0.0
        pos_terms.append(np.maximum(v, 0.0))
        neg_terms.append(np.minimum(v, 0.0, out=v))
    chij = chij + np.moveaxis(_pairwise_sum(pos_terms), -1, 0)
    chji = chji - np.moveaxis(_pairwise_sum(neg_terms), -1, 0)

    phij = chij / (chij + chji)
    phji = chji / (chij + chji)
    s_j = sal_total[:, None, :]
    eu_sq = uii + uij
    eu_vict = uii + uii
    eu_cntst = phij * eu_vict + phji * (uij + uij)
    eu_chlg = (1 - s_j) * eu_vict + s_j * eu_cntst
    return phij, eu_chlg - eu_sq


# ----------------------------------------------------------------------------------------------
# The BCN turn


@dataclass
class _State:
    """Per-sample derived quantities of one state (a chunk of samples)."""

    vdiff: np.ndarray  # (S, N, N) ideal of i to position of j
    risk: np.ndarray  # (S, N) objective R_i
    rhat: np.ndarray  # (S, N, N) h's estimate of i's R
    u_own: np.ndarray  # (S, N, N) U^a[a, n] = aUtil[a](a, n)
    win_prob: np.ndarray  # (S, N) probability that actor i's position wins
    rep_prob: np.ndarray  # (S, N) probability mass on representative actors (0 elsewhere)
    rep_of: np.ndarray  # (S, N) index of the representative holding actor i's position


def _unique_positions(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KTAB's greedy ``ueIndices`` over positions closer than 1e-3 (Euclidean, 0..1 scale).

    Returns ``is_rep`` (S, N), ``equiv`` (S, N, N) and ``last_rep`` (S, N): the last
    representative equivalent to each actor, which is what ``posProb`` reports. The loop over
    actors is sequential by definition (a position is a representative only if no earlier
    representative is within tolerance); it is vectorised over samples.
    """
    s_, n_, _ = x.shape
    dist = np.sqrt(np.square(x[:, :, None, :] - x[:, None, :, :]).sum(-1))
    equiv = dist < POS_TOL
    is_rep = np.zeros((s_, n_), dtype=bool)
    for a in range(n_):
        is_rep[:, a] = ~np.any(equiv[:, a, :a] & is_rep[:, :a], axis=1)
    cand = equiv & is_rep[:, None, :]
    last_rep = n_ - 1 - np.argmax(cand[:, :, ::-1], axis=2)
    return is_rep, equiv, last_rep


def _assess(x, y, sal, cap, opts: SMPOptions, report: bool = True) -> _State:
    """Utilities, risk attitudes and (``report``) the reported win probabilities of one state.

    The win probabilities (``pDist(-1)``) do not feed back into the dynamics: with ``report``
    False they are left None (see :func:`_win_probabilities`).
    """
    delta = y[:, :, None, :] - x[:, None, :, :]
    delta *= sal[:, :, None, :]
    num = np.square(delta, out=delta).sum(axis=-1)  # bv_diff's sum, without its temporaries
    den = np.square(sal).sum(axis=-1)[:, :, None]
    safe = np.where(den > 0, den, 1.0)
    vdiff = np.where(den > 0, np.sqrt(num / safe), 0.0)
    rn_util = 1.0 - vdiff  # bs_util(vdiff, 0): (1 - d)(1 + min(d, 1) 0) is exactly 1 - d
    c = _coalitions_t(opts.voting_rule, cap, np.swapaxes(rn_util, 1, 2))
    p, _ = pce(opts.pce_model, opts.victory_prob_model, c)
    risk = big_r_from_prob(p, opts.big_r_range)
    rhat = est_nra(risk[:, :, None], risk[:, None, :], opts.big_r_adjust)
    r_own = np.diagonal(rhat, axis1=1, axis2=2)
    u_own = bs_util(vdiff, r_own[:, :, None])
    st = _State(vdiff, risk, rhat, u_own, None, None, None)  # type: ignore[arg-type]
    if report:
        _win_probabilities(x, st, cap, opts)
    return st


def _win_probabilities(x, st: _State, cap, opts: SMPOptions) -> None:
    """pDist(-1): Prop voting (hard-coded in KTAB) over unique positions, capability weights."""
    is_rep, _, last_rep = _unique_positions(x)
    p_rep = scalar_pce(
        cap, st.u_own, "Prop", opts.victory_prob_model, opts.pce_model, opt_mask=is_rep
    )
    st.win_prob = np.take_along_axis(p_rep, last_rep, axis=1)
    st.rep_prob, st.rep_of = p_rep, last_rep


def _forecast(x: np.ndarray, st: _State, mask: np.ndarray, outcome: str) -> np.ndarray:
    """Outcome of a state on the 0..1 scale, (S, D); see the module docstring."""
    s_, n_, _ = x.shape
    share = np.take_along_axis(st.rep_prob, st.rep_of, axis=1)
    count = np.zeros((s_, n_))
    np.add.at(count, (np.arange(s_)[:, None], st.rep_of), 1.0)
    holders = np.take_along_axis(count, st.rep_of, axis=1)
    pi = share / holders  # each actor's share of its position's probability
    m = mask[None, :, :] if mask.ndim == 2 else mask
    if outcome == "expected":
        w = pi[:, :, None] * m
        tot = w.sum(axis=1)
        fallback = (x * m).sum(axis=1) / m.sum(axis=1)
        return np.where(tot > 0, (w * x).sum(axis=1) / np.where(tot > 0, tot, 1.0), fallback)
    score = np.where(m, pi[:, :, None], -1.0)
    best = np.argmax(score, axis=1)  # first most probable actor present on each issue
    return np.take_along_axis(x, best[:, None, :], axis=1)[:, 0, :]


@dataclass
class _Turn:
    """Result of one BCN turn for a chunk of samples."""

    x_new: np.ndarray
    target: np.ndarray  # (S, N) best target or -1
    gain: np.ndarray  # (S, N) expected gain of the best challenge (nan if none)
    p_win: np.ndarray  # (S, N) initiator's estimate that it beats its target
    b_init: np.ndarray  # (S, B, D) bargain coordinates proposed to the initiator
    b_rcvr: np.ndarray  # (S, B, D) ... to the receiver
    b_who: np.ndarray  # (B, 2) initiator index (by bargain slot) and view (0 own, 1 target)
    b_valid: np.ndarray  # (S, B)
    b_rcvr_idx: np.ndarray  # (S, B)
    queue: np.ndarray  # (S, N, L) bargain slot per queue position, -1 = status quo, -2 = pad
    queue_prob: np.ndarray  # (S, N, L)
    chosen: np.ndarray  # (S, N) queue position chosen


def _queue_cond_pce(u_opt, cap, qi, valid, lengths, opts: SMPOptions) -> np.ndarray:
    """Conditional PCE over every actor's bargain queue, (S, N, L).

    An option's utility to a voter does not depend on the queue it is in, and a queue lists
    its options in ascending option order, so the coalition and victory matrices of all
    options are computed once per sample and each queue reads its submatrix. The product over
    a queue's options runs left to right (padding multiplies by 1.0) and the normalising sum
    runs over the queue's own length: the same operations as a vote over each queue alone.
    """
    s_, n_, length = qi.shape
    pv = victory_matrix(opts.victory_prob_model, _coalitions_t(opts.voting_rule, cap, u_opt))
    ss = np.arange(s_)[:, None, None, None]
    pq = pv[ss, qi[:, :, :, None], qi[:, :, None, :]]  # (S, N, L, L)
    pq[np.broadcast_to(~valid[:, :, None, :], pq.shape)] = 1.0
    p = np.prod(pq, axis=-1)
    p[~valid] = 0.0
    if length < 8:  # numpy sums fewer than 8 numbers left to right: trailing zeros are exact
        tot = p.sum(axis=-1)
    else:
        tot = np.empty((s_, n_))
        for ell in np.unique(lengths):
            sel = lengths == ell
            tot[sel] = p[sel, :ell].sum(axis=-1)
    return p / tot[..., None]


def _queue_pce_by_length(u_opt, cap, qi, valid, lengths, length, opts: SMPOptions) -> np.ndarray:
    """The PCE over every bargain queue, queues grouped by length (any PCE model)."""
    s_, n_, _ = qi.shape
    u_q = np.take_along_axis(u_opt[:, None, :, :], qi[..., None], axis=2)  # (S, N, L, A)
    u_q = np.swapaxes(u_q, 2, 3)  # (S, N_k, A, L)
    # queues are grouped by length so that no work is spent on padding, and a queue holding
    # only the status quo needs no vote
    prob = np.zeros((s_, n_, length))
    prob[..., 0] = np.where(lengths == 1, 1.0, 0.0)
    w_q = np.broadcast_to(cap[:, None, :], (s_, n_, n_))
    for ell in np.unique(lengths[lengths > 1]):
        sel = lengths == ell
        prob[sel, :ell] = scalar_pce(
            w_q[sel], u_q[sel][..., :ell], opts.voting_rule, opts.victory_prob_model, opts.pce_model
        )
    return prob


def _turn(x, st: _State, sal, cap, sal_tot, opts: SMPOptions, rng) -> _Turn:
    s_, n_, d_ = x.shape
    weight = sal_tot * cap
    rule, commit = opts.voting_rule, opts.third_party_commit
    ar = np.arange(n_)

    # expected gain to i of challenging j, as i sees it: all pairs at once, (S, N, N)
    p_ij, edu = challenge_matrix(st.vdiff, st.rhat, weight, sal_tot, rule, commit)
    edu = np.where(np.eye(n_, dtype=bool), -np.inf, edu)
    target = np.argmax(edu, axis=2)  # first maximum: KTAB's strict '>' in ascending j
    best = np.take_along_axis(edu, target[..., None], axis=2)[..., 0]
    has = best > MIN_SIG_EDU
    target = np.where(has, target, -1)
    tj = np.where(has, target, 0)
    p_win = np.take_along_axis(p_ij, tj[..., None], axis=2)[..., 0]

    # bargains from the initiator's view, (S, N, D)
    pos_j = np.take_along_axis(x, tj[..., None], axis=1)
    sal_j = np.take_along_axis(sal, tj[..., None], axis=1)
    pi_ = p_win[..., None]
    bi_own, bj_own = interp_bargain(opts.inter_vec_brgn, x, sal, pi_, pos_j, sal_j, 1 - pi_)
    if opts.bargn_model == "InitOnlyInterp":
        b_init, b_rcvr = bi_own, bj_own
        b_who = np.stack([ar, np.zeros(n_, dtype=int)], axis=1)
        b_valid, b_rcvr_idx = has, tj
    else:
        # target's view: KTAB passes probEduChlg(j, i, i, j)'s expected gain as "probability"
        _, g = prob_edu_challenge(
            st.vdiff, st.rhat, weight, sal_tot, tj, np.broadcast_to(ar, (s_, n_)),
            np.broadcast_to(ar, (s_, n_)), tj, rule, commit,
        )  # fmt: skip
        g = g[..., None]
        bi_tgt, bj_tgt = interp_bargain(opts.inter_vec_brgn, x, sal, g, pos_j, sal_j, 1 - g)
        if opts.bargn_model == "InitRcvrInterp":
            b_init = np.stack([bi_own, bi_tgt], axis=2).reshape(s_, 2 * n_, d_)
            b_rcvr = np.stack([bj_own, bj_tgt], axis=2).reshape(s_, 2 * n_, d_)
            b_who = np.stack([np.repeat(ar, 2), np.tile([0, 1], n_)], axis=1)
            b_valid = np.repeat(has, 2, axis=1)
            b_rcvr_idx = np.repeat(tj, 2, axis=1)
        else:  # PWCompInterp, with KTAB's weights c_i S_i and c_i S_j
            w_i = (cap * sal_tot)[..., None]
            w_j = (cap * np.take_along_axis(sal_tot, tj, axis=1))[..., None]
            b_init = (w_i * bi_own + w_j * bi_tgt) / (w_i + w_j)
            b_rcvr = (w_i * bj_own + w_j * bj_tgt) / (w_i + w_j)
            b_who = np.stack([ar, np.full(n_, 2)], axis=1)
            b_valid, b_rcvr_idx = has, tj
    nb = b_init.shape[1]
    b_init_idx = np.broadcast_to(b_who[:, 0], (s_, nb))

    # queues: slot 0 the status quo, then bargain b if actor k is its initiator or receiver
    involved = b_valid[:, None, :] & (
        (b_init_idx[:, None, :] == ar[None, :, None])
        | (b_rcvr_idx[:, None, :] == ar[None, :, None])
    )  # (S, N_k, B)
    slots = np.concatenate([np.ones((s_, n_, 1), dtype=bool), involved], axis=2)
    order = np.argsort(~slots, axis=2, kind="stable")
    length = int(slots.sum(axis=2).max())
    order = order[:, :, :length]
    valid = np.take_along_axis(slots, order, axis=2)  # (S, N, L)
    queue = np.where(valid, order - 1, -2)

    # utility to voter a of the state after bargain b: (S, B, A), bv_diff and bs_util with the
    # salience norms computed once
    s_a = sal[:, None, :, :]
    den = np.square(sal).sum(axis=-1)[:, None, :]
    has_den = den > 0
    safe = np.where(has_den, den, 1.0)
    r_a = st.risk[:, None, :]

    def u_of(b: np.ndarray) -> np.ndarray:
        delta = x[:, None, :, :] - b[:, :, None, :]
        delta *= s_a
        num = np.square(delta, out=delta).sum(axis=-1)
        return bs_util(np.where(has_den, np.sqrt(num / safe), 0.0), r_a)

    u_bi, u_br = u_of(b_init), u_of(b_rcvr)
    u_row = st.u_own.sum(axis=2)  # (S, A)
    u_a_init = np.take_along_axis(st.u_own, b_init_idx[:, None, :], axis=2)  # (S, A, B)
    u_a_rcvr = np.take_along_axis(st.u_own, b_rcvr_idx[:, None, :], axis=2)
    u_b = (u_bi + u_br + np.swapaxes(u_row[:, :, None] - u_a_init - u_a_rcvr, 1, 2)) / n_
    u_sq = u_row / n_
    u_opt = np.concatenate([u_sq[:, None, :], u_b], axis=1)  # (S, 1+B, A)
    qi = np.where(valid, order, 0)  # (S, N, L)
    lengths = valid.sum(axis=2)
    if opts.pce_model == "Conditional":
        prob = _queue_cond_pce(u_opt, cap, qi, valid, lengths, opts)
    else:
        prob = _queue_pce_by_length(u_opt, cap, qi, valid, lengths, length, opts)
    if opts.state_transitions == "Deterministic":
        chosen = np.argmax(prob, axis=2)  # first maximum (ndxMaxAbs)
    else:
        draw = rng.random((s_, n_))
        cdf = np.cumsum(prob, axis=2)
        chosen = np.minimum((cdf <= draw[..., None]).sum(axis=2), length - 1)
        chosen = np.where(valid[np.arange(s_)[:, None], ar, chosen], chosen, 0)
    slot = np.take_along_axis(queue, chosen[..., None], axis=2)[..., 0]  # -1 = status quo
    bsel = np.maximum(slot, 0)
    is_init = np.take_along_axis(b_init_idx, bsel, axis=1) == ar
    new_i = np.take_along_axis(b_init, bsel[..., None], axis=1)
    new_r = np.take_along_axis(b_rcvr, bsel[..., None], axis=1)
    moved = np.where(is_init[..., None], new_i, new_r)
    x_new = np.where((slot >= 0)[..., None], moved, x)
    return _Turn(
        x_new=x_new,
        target=target,
        gain=np.where(has, best, np.nan),
        p_win=p_win,
        b_init=b_init,
        b_rcvr=b_rcvr,
        b_who=b_who,
        b_valid=b_valid,
        b_rcvr_idx=b_rcvr_idx,
        queue=queue,
        queue_prob=prob,
        chosen=chosen,
    )


#: Numbers per O(N^3) temporary in a pool of deterministic runs (see :func:`_run_pool`).
_POOL_NUMBERS = 2.5e5

#: Samples from which deterministic forecasts use the compiled kernel
#: (:mod:`detente.models._smp_kernel`) when Numba is installed: below, importing Numba and
#: loading the kernel cost more than they save. Tests set it to 0 or to a huge number to force
#: either path. The first call after the source changes compiles it (about a minute; cached on
#: disk).
NUMBA_MIN_SAMPLES = 64

#: Threads that run the compiled kernel on parts of the batch (None: one per CPU). Monte Carlo
#: worker processes set 1, since they already share out the CPUs.
KERNEL_THREADS: int | None = None
_SAMPLES_PER_THREAD = 16  # fewer samples per thread are not worth a thread

_kernel_cache: list[Any] = []  # [compiled kernel or None], filled on first use


def _compiled_kernel() -> Any:
    """The Numba-compiled ``_smp_kernel.run_samples``, or None without Numba (cached on disk)."""
    if not _kernel_cache:
        numba = _numba.load()  # None: not installed, or DETENTE_NO_NUMBA is set
        if numba is None:
            _kernel_cache.append(None)
        else:
            from detente.models import _smp_kernel

            # NumPy's error model: x / 0 gives inf or nan as in NumPy instead of raising, and
            # without the zero checks the inner loops run in SIMD lanes
            jit = numba.njit(cache=True, nogil=True, error_model="numpy")
            _kernel_cache.append(jit(_smp_kernel.run_samples))
    return _kernel_cache[0]


def _kernel_applies(opts: SMPOptions, n_actors: int, n_issues: int) -> bool:
    """Whether the compiled kernel computes these runs (see :mod:`detente.models._smp_kernel`)."""
    return (
        opts.state_transitions == "Deterministic"
        and opts.pce_model == "Conditional"
        and opts.victory_prob_model in ("Linear", "Square", "Quartic", "Octic")
        and opts.inter_vec_brgn in ("S1P1", "S2P2")
        and opts.bargn_model == "InitOnlyInterp"
        and opts.ideal_adjustment is None
        and n_actors < 128
        and n_issues <= 128
    )


def _run_kernel(
    kernel, x0, sal, cap, max_turns: int, opts: SMPOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic runs through ``kernel`` (compiled, or run as Python).

    Returns the final positions (S, N, D) and, of the final state, the win probabilities of
    the representative positions and each actor's representative (``_State.rep_prob`` and
    ``rep_of``), each (S, N).
    """
    from detente.models import _smp_kernel as k

    s_, n_ = x0.shape[:2]
    x_end = np.empty(x0.shape)  # C order, as _run_pool's: NumPy's sum order follows the layout
    turns = np.zeros(s_, dtype=np.int64)
    rep_prob = np.empty((s_, n_))
    rep_of = np.empty((s_, n_), dtype=np.int64)
    args = (
        np.ascontiguousarray(x0, dtype=float),
        np.ascontiguousarray(sal, dtype=float),
        np.ascontiguousarray(cap, dtype=float),
        k.VOTING_RULES.index(opts.voting_rule),
        k.VICTORY_MODELS.index(opts.victory_prob_model),
        k.BIG_R_ADJUST.index(opts.big_r_adjust),
        k.BIG_R_RANGE.index(opts.big_r_range),
        k.COMMITS.index(opts.third_party_commit),
        1 if opts.inter_vec_brgn == "S1P1" else 2,
        int(opts.min_iter),
        int(max_turns),
        float(opts.min_delta_ratio),
        float(opts.min_sig_delta),
        x_end,
        turns,
        rep_prob,
        rep_of,
    )
    threads = max(1, min(KERNEL_THREADS or os.cpu_count() or 1, s_ // _SAMPLES_PER_THREAD))
    if threads == 1:
        kernel(0, s_, *args)
    else:
        # the kernel releases the GIL; samples are independent, so the split changes nothing
        edges = np.linspace(0, s_, 4 * threads + 1).astype(int)
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda a, b: kernel(a, b, *args), edges[:-1], edges[1:]))
    return x_end, rep_prob, rep_of


def _run_pool(x0, sal, cap, acc, max_turns: int, opts: SMPOptions, pool: int):
    """Deterministic BCN runs to the stop rule with ``pool`` samples in flight.

    Returns the final positions and ideals, each (S, N, D). A sample's turns depend on its own
    arrays only (every operation is per sample), so which samples share a pool changes nothing.
    """
    s_ = x0.shape[0]
    x_end, y_end = x0.copy(), x0.copy()
    if max_turns <= 0 or s_ == 0:
        return x_end, y_end
    sal_tot = sal.sum(axis=2)
    lag = None if acc is None else 1.0 - np.minimum(acc.sum(axis=1), 1.0)
    rows = np.zeros(0, dtype=int)
    x = y = x0[:0]
    st: _State | None = None
    it = np.zeros(0, dtype=int)
    d01 = np.zeros(0)
    nxt = 0
    while True:
        free = pool - rows.size
        if free > 0 and nxt < s_:
            new = np.arange(nxt, min(s_, nxt + free))
            nxt = int(new[-1]) + 1
            st_new = _assess(x0[new], x0[new], sal[new], cap[new], opts, report=False)
            if st is None or rows.size == 0:
                st = st_new
            else:
                st = _State(*(
                    None if getattr(st, f) is None
                    else np.concatenate([getattr(st, f), getattr(st_new, f)])
                    for f in _State.__dataclass_fields__
                ))  # fmt: skip
            rows = np.concatenate([rows, new])
            x = np.concatenate([x, x0[new]])
            y = np.concatenate([y, x0[new]])
            it = np.concatenate([it, np.zeros(new.size, dtype=int)])
            d01 = np.concatenate([d01, np.zeros(new.size)])
        if rows.size == 0:
            return x_end, y_end
        tr = _turn(x, st, sal[rows], cap[rows], sal_tot[rows], opts, None)
        x_new = tr.x_new
        if acc is None:
            y_new = x_new
        else:
            y_new = np.einsum("ij,sjd->sid", acc, x_new) + lag[None, :, None] * y
        step = np.sqrt(np.square(x_new - x).sum(axis=2)).sum(axis=1)
        it += 1
        first = it == 1
        d01[first] = step[first] + opts.min_sig_delta
        ratio = step / d01
        stop = (it >= max_turns) | ((it >= opts.min_iter) & (ratio < opts.min_delta_ratio))
        x, y = x_new, y_new
        if stop.any():
            x_end[rows[stop]] = x[stop]
            y_end[rows[stop]] = y[stop]
            keep = ~stop
            rows, x, y, it, d01 = rows[keep], x[keep], y[keep], it[keep], d01[keep]
        if rows.size:
            st = _assess(x, y, sal[rows], cap[rows], opts, report=False)


@dataclass
class SMPSimulation(Simulation):
    """A :class:`Simulation` plus SMP's own per-turn outputs.

    ``win_prob`` (T+1, S, N): probability that each actor's position wins at each state
    (KTAB's "prob" lines). ``fractional_change`` (T, S): the stop rule's ratio per turn
    (KTAB's "Fractional change compared to first step"); NaN after a sample stopped.
    ``turns`` (S,): turns each sample ran before its stop rule fired (or the limit).
    """

    win_prob: np.ndarray | None = None
    fractional_change: np.ndarray | None = None
    turns: np.ndarray | None = None


@register
class SMP(Model):
    """KTAB's Spatial Model of Politics (SMP 1.4): BCN dynamics with a probabilistic Condorcet
    election; deterministic default options reproduce KTAB's reference logs."""

    links_issues = True
    name = "smp"
    title = "KTAB Spatial Model of Politics (SMP 1.4)"
    citation = (
        "Wise, Lester & Efird (2015-2017) KTAB Spatial Model of Politics, KAPSARC Toolkit for "
        "Behavioral Analysis, release 1.4 (MIT licence), https://github.com/KAPSARC/KTAB; "
        "Wise (2015) 'A Spatial Model of Politics', KAPSARC discussion paper"
    )
    Options = SMPOptions
    dynamic = True

    def _inputs(self, arrays: ScenarioArrays):
        """Positions (0..1), saliences, scalar capabilities and the accommodation matrix.

        ``arrays`` must hold present actors only (see :meth:`simulate`).
        """
        n_ = arrays.n_actors
        if n_ < 2:
            raise ValueError("SMP needs at least two actors")
        x0 = np.clip(arrays.normalised_position(), 0.0, 1.0)
        sal = np.where(arrays.mask, arrays.salience, 0.0)
        tot = sal.sum(axis=2, keepdims=True)
        sal = np.where(tot > 1.0, sal / np.where(tot > 1.0, tot, 1.0), sal)
        m = arrays.mask[None].astype(float)
        cap = (arrays.capability * m).sum(axis=2) / np.maximum(m.sum(axis=2), 1.0)
        if np.any(cap <= 0):
            raise ValueError("SMP needs a positive capability for every actor")
        acc = None
        if self.options.ideal_adjustment is not None:
            acc = np.asarray(self.options.ideal_adjustment, dtype=float)
            if acc.shape != (n_, n_):
                raise ValueError(f"ideal_adjustment is {acc.shape}, expected {(n_, n_)}")
        return x0, sal, cap, acc

    def forecast(self, arrays: ScenarioArrays, rng: np.random.Generator) -> np.ndarray:
        """``simulate(arrays, None, rng).final`` without recording the trajectory.

        Deterministic runs keep a pool of samples in flight and replace those whose stop rule
        has fired by waiting ones, so that no turn is spent on a handful of slow samples; the
        win probabilities that only the log and the outcome need are computed once, at the
        final state. Each sample's result is identical to :meth:`simulate`'s. Stochastic runs
        call :meth:`simulate` (its draws are consumed chunk by chunk, in sample order).
        """
        if self.options.state_transitions == "Stochastic":
            return self.simulate(arrays, None, rng).final
        present = arrays.mask.any(axis=1)
        if not present.all():
            arrays = arrays.take_actors(np.flatnonzero(present))
        x0, sal, cap, acc = self._inputs(arrays)
        out = self._forecast_pool(x0, sal, cap, acc, arrays.mask)
        return arrays.from_normalised(out)

    def forecast_many(self, parts: list[ScenarioArrays], seed: int) -> list[np.ndarray]:
        """Forecast independent problems (e.g. a backtest's proposals) in shared pools.

        Deterministic runs without an accommodation matrix: parts with the same number of
        present actors and issues are stacked on the sample axis and run through one pool
        (each sample keeps its own saliences, capabilities, issue mask and scales), so each
        part's forecast is identical to ``forecast(part, ...)``. Otherwise (Stochastic
        transitions, whose draws depend on the batch, or an ``ideal_adjustment`` tied to one
        actor count) the parts are forecast one at a time with a fresh
        ``np.random.default_rng(seed)`` each, as :meth:`Model.forecast_many`. With Numba, the
        pools go through the compiled kernel once all parts together hold
        ``NUMBA_MIN_SAMPLES`` samples.
        """
        o = self.options
        if o.state_transitions == "Stochastic" or o.ideal_adjustment is not None:
            return super().forecast_many(parts, seed)
        groups: dict[tuple[int, int], list[tuple[int, ScenarioArrays, tuple]]] = {}
        for k, part in enumerate(parts):
            present = part.mask.any(axis=1)
            if not present.all():
                part = part.take_actors(np.flatnonzero(present))
            x0, sal, cap, _ = self._inputs(part)
            groups.setdefault(x0.shape[1:], []).append((k, part, (x0, sal, cap)))
        out: list[np.ndarray | None] = [None] * len(parts)
        total = sum(p.n_samples for p in parts)
        for members in groups.values():
            x0, sal, cap = (np.concatenate([m[2][f] for m in members]) for f in range(3))
            mask = np.concatenate(
                [np.broadcast_to(p.mask, (p.n_samples, *p.mask.shape)) for _, p, _ in members]
            )
            res = self._forecast_pool(x0, sal, cap, None, mask, samples=total)
            start = 0
            for k, part, _ in members:
                out[k] = part.from_normalised(res[start : start + part.n_samples])
                start += part.n_samples
        return out  # type: ignore[return-value]

    def _kernel(self, samples: int, n_actors: int, n_issues: int) -> Any:
        """The compiled kernel if it applies to these options and this batch, else None."""
        if samples < max(NUMBA_MIN_SAMPLES, 1) or not _kernel_applies(
            self.options, n_actors, n_issues
        ):
            return None
        kernel = _compiled_kernel()
        # not compiled yet: NumPy gives the same numbers now, a background process compiles it
        if kernel is not None and not _numba.usable(kernel):
            return None
        return kernel

    def _forecast_pool(
        self, x0, sal, cap, acc, mask, pool: int | None = None, samples: int | None = None
    ) -> np.ndarray:
        """Final forecasts (0..1 scale) of deterministic runs; ``mask`` (N, D) or (S, N, D).

        ``samples`` is the size of the whole batch this pool belongs to, which decides whether
        the compiled kernel is worth loading (default: this pool's).
        """
        o = self.options
        s_, n_, d_ = x0.shape
        if pool is None:
            pool = max(8, int(_POOL_NUMBERS // (n_**3 + n_ * n_ * d_)))
        kernel = self._kernel(samples or s_, n_, d_) if acc is None else None
        if kernel is not None:
            x_end, rep_prob, rep_of = _run_kernel(kernel, x0, sal, cap, o.max_iter, o)
            st = _State(*[None] * 5, rep_prob, rep_of)  # type: ignore[arg-type]
            return _forecast(x_end, st, mask, o.outcome)
        x_end, y_end = _run_pool(x0, sal, cap, acc, o.max_iter, o, pool)
        out = np.empty((s_, d_))
        for start in range(0, s_, pool):
            sl = slice(start, start + pool)
            st = _assess(x_end[sl], y_end[sl], sal[sl], cap[sl], o)
            out[sl] = _forecast(x_end[sl], st, mask if mask.ndim == 2 else mask[sl], o.outcome)
        return out

    def simulate(
        self,
        arrays: ScenarioArrays,
        rounds: int | None,
        rng: np.random.Generator,
        chunk: int | None = None,
    ) -> SMPSimulation:
        """Run the BCN turns until the stop rule fires.

        ``rounds`` caps the number of turns (the stop rule still applies); None uses
        ``max_iter``. ``chunk`` is the number of samples processed together (default: sized so
        that each O(N^3) temporary holds about a million numbers, 8 MB: small chunks stay in
        cache). Samples that stop early keep their final state in the padded trajectory.
        Actors that take part in no issue are left out of the bargaining (KTAB has no notion of
        an absent actor) and keep their input positions.
        """
        present = arrays.mask.any(axis=1)
        if not present.all():
            keep = np.flatnonzero(present)
            sim = self.simulate(arrays.take_actors(keep), rounds, rng, chunk)
            full = np.broadcast_to(
                arrays.position[None], (sim.positions.shape[0], *arrays.position.shape)
            ).copy()
            full[:, :, keep] = sim.positions
            sim.positions = full
            return sim
        o = self.options
        s_, n_, d_ = arrays.position.shape
        x0, sal, cap, acc = self._inputs(arrays)
        max_turns = o.max_iter if rounds is None else min(int(rounds), o.max_iter)
        if chunk is None:
            chunk = max(8, int(1e6 // (n_**3 + n_ * n_ * d_)))
        parts = []
        for start in range(0, s_, chunk):
            sl = slice(start, min(s_, start + chunk))
            parts.append(
                self._run_chunk(
                    x0[sl], sal[sl], cap[sl], acc, arrays.mask, max_turns, rng, start == 0, arrays
                )
            )
        t_max = max(p["positions"].shape[0] for p in parts)

        def pad(a: np.ndarray, length: int, fill: float | None) -> np.ndarray:
            """Extend along time to ``length``: repeat the last state, or fill (e.g. NaN)."""
            extra = length - a.shape[0]
            if extra <= 0:
                return a
            if fill is None:
                tail = np.repeat(a[-1:], extra, axis=0)
            else:
                tail = np.full((extra, *a.shape[1:]), fill)
            return np.concatenate([a, tail], axis=0)

        def joined(key: str, length: int, fill: float | None) -> np.ndarray:
            return np.concatenate([pad(p[key], length, fill) for p in parts], axis=1)

        pos = joined("positions", t_max, None)
        events = parts[0]["events"]
        events = events + [[] for _ in range(t_max - len(events))]
        return SMPSimulation(
            positions=arrays.from_normalised(pos),
            forecasts=arrays.from_normalised(joined("forecasts", t_max, None)),
            events=events,
            converged=bool(np.all(np.concatenate([p["stopped"] for p in parts]))),
            win_prob=joined("win_prob", t_max, None),
            fractional_change=joined("frac", t_max - 1, np.nan),
            turns=np.concatenate([p["turns"] for p in parts]),
        )

    def _run_chunk(self, x0, sal, cap, acc, mask, max_turns, rng, log_events, arrays):
        o = self.options
        s_ = x0.shape[0]
        sal_tot = sal.sum(axis=2)
        x = x0.copy()
        y = x0.copy()
        st = _assess(x, y, sal, cap, o)
        positions = [x.copy()]
        forecasts = [_forecast(x, st, mask, o.outcome)]
        win = [st.win_prob.copy()]
        fracs: list[np.ndarray] = []
        events: list[list[dict[str, Any]]] = [[]]
        active = np.ones(s_, dtype=bool)
        stopped_by_rule = np.zeros(s_, dtype=bool)
        turns = np.zeros(s_, dtype=int)
        d01 = np.zeros(s_)
        it = 0
        while active.any() and it < max_turns:
            it += 1
            idx = np.flatnonzero(active)
            sub = _State(*(getattr(st, f)[idx] for f in _State.__dataclass_fields__))
            tr = _turn(x[idx], sub, sal[idx], cap[idx], sal_tot[idx], o, rng)
            x_new = x.copy()
            x_new[idx] = tr.x_new
            if acc is None:
                y_new = x_new.copy()
            else:
                lag = 1.0 - np.minimum(acc.sum(axis=1), 1.0)
                y_new = np.einsum("ij,sjd->sid", acc, x_new) + lag[None, :, None] * y
                y_new[~active] = y[~active]
            step = np.sqrt(np.square(x_new - x).sum(axis=2)).sum(axis=1)
            if it == 1:
                d01 = step + o.min_sig_delta
            ratio = step / d01
            frac = np.where(active, ratio, np.nan)
            fracs.append(frac)
            turns[idx] = it
            stop_now = active & (it >= o.min_iter) & (ratio < o.min_delta_ratio)
            log_now = log_events and bool(active[0])
            if log_now:
                events.append(self._events(tr, 0, arrays, ratio[0]))
            elif log_events:
                events.append([])
            x, y = x_new, y_new
            st_new = _assess(x[idx], y[idx], sal[idx], cap[idx], o)
            st = _State(*(self._scatter(getattr(st, f), getattr(st_new, f), idx)
                          for f in _State.__dataclass_fields__))  # fmt: skip
            stopped_by_rule |= stop_now
            active = active & ~stop_now
            positions.append(x.copy())
            forecasts.append(_forecast(x, st, mask, o.outcome))
            win.append(st.win_prob.copy())
            if log_now:
                events[-1].append(
                    {
                        "type": "win_probabilities",
                        "state": it,
                        "prob": dict(zip(arrays.actor_ids, st.win_prob[0].tolist(), strict=True)),
                    }
                )
        if log_events and len(events) > 1:
            events[1].insert(
                0,
                {
                    "type": "win_probabilities",
                    "state": 0,
                    "prob": dict(zip(arrays.actor_ids, win[0][0].tolist(), strict=True)),
                },
            )
        return {
            "positions": np.stack(positions),
            "forecasts": np.stack(forecasts),
            "win_prob": np.stack(win),
            "frac": np.stack(fracs) if fracs else np.zeros((0, s_)),
            "events": events,
            "stopped": stopped_by_rule,
            "turns": turns,
        }

    @staticmethod
    def _scatter(old: np.ndarray, new: np.ndarray, idx: np.ndarray) -> np.ndarray:
        out = old.copy()
        out[idx] = new
        return out

    @staticmethod
    def _events(tr: _Turn, row: int, arrays: ScenarioArrays, frac: float):
        """JSON-ready events of one turn for sample ``idx[row]`` (sample 0)."""
        ids = arrays.actor_ids

        def scale(v: np.ndarray) -> list[float]:
            return arrays.from_normalised(v).tolist()

        ev: list[dict[str, Any]] = []
        n_ = len(ids)
        for i in range(n_):
            t = int(tr.target[row, i])
            ev.append(
                {
                    "type": "challenge",
                    "actor": ids[i],
                    "target": ids[t] if t >= 0 else None,
                    "expected_gain": float(tr.gain[row, i]) if t >= 0 else None,
                    "prob_win": float(tr.p_win[row, i]) if t >= 0 else None,
                }
            )
        views = {0: "initiator", 1: "receiver", 2: "power_weighted_compromise"}
        for b in range(tr.b_init.shape[1]):
            if not tr.b_valid[row, b]:
                continue
            ini, view = int(tr.b_who[b, 0]), int(tr.b_who[b, 1])
            ev.append(
                {
                    "type": "bargain",
                    "bargain": b,
                    "initiator": ids[ini],
                    "receiver": ids[int(tr.b_rcvr_idx[row, b])],
                    "view": views[view],
                    "initiator_position": scale(tr.b_init[row, b]),
                    "receiver_position": scale(tr.b_rcvr[row, b]),
                }
            )
        for k in range(n_):
            q = tr.queue[row, k]
            keep = q > -2
            ch = int(tr.chosen[row, k])
            ev.append(
                {
                    "type": "adopt",
                    "actor": ids[k],
                    "queue": ["status_quo" if s == -1 else int(s) for s in q[keep]],
                    "probabilities": tr.queue_prob[row, k][keep].tolist(),
                    "adopted": "status_quo" if q[ch] == -1 else int(q[ch]),
                    "position": scale(tr.x_new[row, k]),
                }
            )
        ev.append({"type": "stop_rule", "fractional_change": float(frac)})
        return ev
