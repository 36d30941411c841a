"""A plain-Python, one-draw-at-a-time reference of KTAB's SMP 1.4 with its default options.

Written from ``shared/reference/ktab-smp.md`` (the turn rules) and the structure of
``detente.models.smp`` (which quantities a turn needs), with lists, floats and :mod:`math` only:
no NumPy, no vectorisation, no caching beyond what a straightforward implementation keeps. It
serves two purposes:

- an independent cross-check of the batched model (``tests/models/test_smp_reference.py`` and
  ``benchmarks/bench_smp.py`` compare the two);
- the "straightforward per-draw Python loop" against which the batched model's speed is quoted.

Only the default options are implemented (Prop votes, Linear victory probabilities, Conditional
PCE, OneThird / Mid risk estimates, SemiCommit third parties, S2P2 bargains from the
initiator's view, Deterministic transitions, identity ideal adjustment, expected outcome). Sums
run in plain left-to-right order, so results agree with the batched model to rounding (about
1e-15), except where rounding decides an exact tie.

Usage: ``forecast(arrays)`` for a one-sample :class:`detente.arrays.ScenarioArrays` returns
one forecast per issue on the issues' scales (a list of floats); ``run(x, sal, cap, turns)``
works on plain nested lists on the 0..1 scale.
"""

from __future__ import annotations

import math

MIN_COALITION = 1e-8
MIN_CLTN_CHALLENGE = 1e-10
MIN_SIG_EDU = 1e-5
POS_TOL = 1e-3
BARGAIN_MIN_W = 1e-6


def bs_util(d: float, r: float) -> float:
    """Utility of a normalised distance: (1 - d)(1 + d r) up to 1, (1 - d)(1 + r) beyond."""
    if d <= 1.0:
        return (1.0 - d) * (1.0 + d * r)
    return (1.0 - d) * (1.0 + r)


def bv_diff(ideal: list[float], pos: list[float], sal: list[float]) -> float:
    """Salience-weighted distance, normalised by the salience vector's norm."""
    num = 0.0
    den = 0.0
    for y, x, s in zip(ideal, pos, sal, strict=True):
        num += (s * (y - x)) ** 2
        den += s * s
    return math.sqrt(num / den) if den > 0 else 0.0


def round4(v: float) -> float:
    return math.trunc(0.5 + v * 10000.0) / 10000.0


def pce(weights: list[float], util: list[list[float]]) -> list[float]:
    """Prop votes -> coalitions -> Linear victory -> Conditional PCE over the options.

    ``util[a][m]``: utility of option m to voter a. Returns one probability per option.
    """
    m_ = len(util[0])
    c = [[MIN_COALITION] * m_ for _ in range(m_)]
    for hi in range(m_):
        for lo in range(hi):
            pos = 0.0
            neg = 0.0
            for w, u in zip(weights, util, strict=True):
                v = w * (u[hi] - u[lo])
                if v > 0:
                    pos += v
                else:
                    neg -= v
            c[hi][lo] += pos
            c[lo][hi] += neg
    p = []
    for a in range(m_):
        prod = 1.0
        for b in range(m_):
            prod *= 0.5 if a == b else c[a][b] / (c[a][b] + c[b][a])
        p.append(prod)
    tot = sum(p)
    return [v / tot for v in p]


def assess(x, y, sal, cap):
    """Distances, objective risk attitudes R, estimates rhat[h][i] and own utilities U^a[a][n]."""
    n_ = len(x)
    vd = [[bv_diff(y[i], x[j], sal[i]) for j in range(n_)] for i in range(n_)]
    p = pce(cap, [[1.0 - vd[a][m] for m in range(n_)] for a in range(n_)])
    p_min, p_max = min(p), max(p)
    if p_max > p_min:
        risk = [(3 * v - (p_max + 2 * p_min)) / (2 * (p_max - p_min)) for v in p]
    else:
        risk = [0.0] * n_
    rhat = [[(2 * risk[h] + risk[i]) / 3 for i in range(n_)] for h in range(n_)]
    u_own = [[bs_util(vd[a][b], rhat[a][a]) for b in range(n_)] for a in range(n_)]
    return vd, risk, rhat, u_own


def challenge(i, j, vd, rhat, weight, sal_tot):
    """i's estimate that it beats j and i's expected gain from challenging j (probEduChlg)."""

    def u(a: int, b: int) -> float:  # U^i[a, b]
        return bs_util(vd[a][b], rhat[i][a])

    uii, uij, uji, ujj = u(i, i), u(i, j), u(j, i), u(j, j)
    a_i = weight[i] * (uii - uij)
    a_j = weight[j] * (uji - ujj)
    chij = MIN_CLTN_CHALLENGE + max(a_i, 0.0) + max(a_j, 0.0)
    chji = MIN_CLTN_CHALLENGE + max(-a_i, 0.0) + max(-a_j, 0.0)
    pos = 0.0
    neg = 0.0
    for n in range(len(vd)):
        if n in (i, j):
            continue
        u_ni, u_nj, u_nn = u(n, i), u(n, j), u(n, n)
        v0 = weight[n] * (u_ni - u_nj)  # n's vote in the little (i:j) contest
        cni = chij + max(v0, 0.0)
        cnj = chji + max(-v0, 0.0)
        p = cni / (cni + cnj)
        join_i = p * (u_ni + u_ni + u_nn) + (1 - p) * (u_nj + u_nj + u_nj)  # SemiCommit
        join_j = p * (u_ni + u_ni + u_ni) + (1 - p) * (u_nj + u_nj + u_nn)
        v = weight[n] * (join_i - join_j)
        if v > 0:
            pos += v
        else:
            neg -= v
    chij += pos
    chji += neg
    p_ij = chij / (chij + chji)
    eu_sq = uii + uij
    eu_vict = uii + uii
    eu_cntst = p_ij * eu_vict + (1 - p_ij) * (uij + uij)
    eu_chlg = (1 - sal_tot[j]) * eu_vict + sal_tot[j] * eu_cntst
    return p_ij, eu_chlg - eu_sq


def turn(x, sal, cap, sal_tot, state):
    """One BCN turn; returns the new positions."""
    vd, risk, rhat, u_own = state
    n_ = len(x)
    d_ = len(x[0])
    weight = [sal_tot[i] * cap[i] for i in range(n_)]
    bargains = []  # (initiator, receiver, initiator's point, receiver's point)
    for i in range(n_):
        best, target, p_best = -math.inf, -1, 0.0
        for j in range(n_):
            if j == i:
                continue
            p_ij, gain = challenge(i, j, vd, rhat, weight, sal_tot)
            if gain > best:
                best, target, p_best = gain, j, p_ij
        if best <= MIN_SIG_EDU:
            continue
        j = target
        p_i, p_j = p_best, 1 - p_best
        b_i, b_j = [], []
        for d in range(d_):
            w_i = (sal[i][d] ** 2) * (p_i**2)
            w_j = (sal[j][d] ** 2) * (p_j**2)
            tot = w_i + BARGAIN_MIN_W + w_j
            b_i.append(round4(((w_i + BARGAIN_MIN_W) * x[i][d] + w_j * x[j][d]) / tot))
            b_j.append(round4((w_i * x[i][d] + (BARGAIN_MIN_W + w_j) * x[j][d]) / tot))
        bargains.append((i, j, b_i, b_j))

    # value of each bargain to each voter a, and of the status quo
    row = [sum(u_own[a]) for a in range(n_)]
    u_sq = [row[a] / n_ for a in range(n_)]
    u_bargain = []
    for ini, rcv, b_i, b_j in bargains:
        vals = []
        for a in range(n_):
            u_i = bs_util(bv_diff(x[a], b_i, sal[a]), risk[a])
            u_j = bs_util(bv_diff(x[a], b_j, sal[a]), risk[a])
            vals.append((u_i + u_j + (row[a] - u_own[a][ini] - u_own[a][rcv])) / n_)
        u_bargain.append(vals)

    x_new = [list(p) for p in x]
    for k in range(n_):
        queue = [m for m, b in enumerate(bargains) if k in (b[0], b[1])]
        if not queue:
            continue
        util = [[u_sq[a]] + [u_bargain[m][a] for m in queue] for a in range(n_)]
        p = pce(cap, util)
        chosen = max(range(len(p)), key=lambda q: (p[q], -q))  # first maximum
        if chosen > 0:
            ini, _, b_i, b_j = bargains[queue[chosen - 1]]
            x_new[k] = list(b_i if ini == k else b_j)
    return x_new


def outcome(x, sal, cap, mask):
    """Expected outcome: PCE over the unique positions, each actor's share of its position's
    probability, the share-weighted mean of present actors' positions per issue."""
    n_ = len(x)
    d_ = len(x[0])
    _, _, _, u_own = assess(x, x, sal, cap)
    reps: list[int] = []
    for a in range(n_):
        if not any(math.dist(x[a], x[r]) < POS_TOL for r in reps):
            reps.append(a)
    p_rep = pce(cap, [[u_own[a][r] for r in reps] for a in range(n_)])
    rep_of = [
        max(q for q, r in enumerate(reps) if math.dist(x[a], x[r]) < POS_TOL) for a in range(n_)
    ]
    holders = [rep_of.count(rep_of[a]) for a in range(n_)]
    share = [p_rep[rep_of[a]] / holders[a] for a in range(n_)]
    out = []
    for d in range(d_):
        tot = sum(share[a] for a in range(n_) if mask[a][d])
        if tot > 0:
            out.append(sum(share[a] * x[a][d] for a in range(n_) if mask[a][d]) / tot)
        else:
            present = [x[a][d] for a in range(n_) if mask[a][d]]
            out.append(sum(present) / len(present))
    return out


def run(x0, sal, cap, mask, turns: int | None = None, max_iter: int = 100):
    """Turns to KTAB's stop rule (at most ``turns``); returns (final positions, outcome, turns)."""
    min_iter, ratio_stop, min_sig = 2, 0.02, 1e-4
    limit = max_iter if turns is None else min(turns, max_iter)
    sal_tot = [sum(s) for s in sal]
    x = [list(p) for p in x0]
    d01 = 0.0
    it = 0
    while it < limit:
        it += 1
        x_new = turn(x, sal, cap, sal_tot, assess(x, x, sal, cap))
        step = sum(math.dist(a, b) for a, b in zip(x_new, x, strict=True))
        if it == 1:
            d01 = step + min_sig
        x = x_new
        if it >= min_iter and step / d01 < ratio_stop:
            break
    return x, outcome(x, sal, cap, mask), it


def inputs(arrays, sample: int = 0):
    """Plain-list inputs of one sample, prepared as the batched model does."""
    lo = arrays.scale_min.tolist()
    width = arrays.scale_width.tolist()
    mask = arrays.mask.tolist()
    keep = [a for a in range(arrays.n_actors) if any(mask[a])]  # absent actors sit out
    x, sal, cap = [], [], []
    for a in keep:
        pos = arrays.position[sample, a].tolist()
        x.append([min(max((p - lo[d]) / width[d], 0.0), 1.0) for d, p in enumerate(pos)])
        s = [
            v if m else 0.0
            for v, m in zip(arrays.salience[sample, a].tolist(), mask[a], strict=True)
        ]
        tot = sum(s)
        sal.append([v / tot for v in s] if tot > 1.0 else s)
        c = [v for v, m in zip(arrays.capability[sample, a].tolist(), mask[a], strict=True) if m]
        cap.append(sum(c) / len(c))
    return x, sal, cap, [mask[a] for a in keep], lo, width


def forecast(arrays, sample: int = 0, turns: int | None = None) -> list[float]:
    """One sample's forecast per issue, on the issues' scales."""
    x, sal, cap, mask, lo, width = inputs(arrays, sample)
    _, out, _ = run(x, sal, cap, mask, turns)
    return [lo[d] + v * width[d] for d, v in enumerate(out)]
