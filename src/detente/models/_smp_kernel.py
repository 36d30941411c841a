"""One sample's deterministic SMP run to its stop rule, written for Numba (optional).

:func:`run_samples` repeats, sample by sample, what :func:`detente.models.smp._run_pool` does for
a whole pool with NumPy: assess the state, run a BCN turn, apply the stop rule. Every number is
computed with the same operations in the same order as the NumPy code, including NumPy's
pairwise summation over contiguous axes (:func:`_pw_sum`), so the final positions are the same
bits. Only quantities the run needs are computed: the bargain queues' coalitions are formed for
the pairs of options that share a queue, not for all pairs.

The code is plain Python. ``register_jitable`` (identity without Numba) lets the compiled
:func:`run_samples` call the helpers, compiled without reference counting (``_helper``); run as
Python, the same code checks the logic in tests on machines without Numba. Importing this module
imports Numba when it is installed, so :mod:`detente.models.smp` imports it only when a batch is
large enough to use it.

A run that has entered a cycle (the state after a turn repeats one of the last
:data:`CYCLE_WINDOW` states, and the stop rule has not fired in a whole period) would repeat it
up to ``max_turns``; its state there is taken from the cycle instead (:func:`_cycle_end`): the
same numbers. On the default scenario's Monte Carlo draws about 2 % of the samples cycle (period
2) and took a sixth of the turns.

Scope (see ``SMP._kernel_applies``): deterministic transitions, conditional PCE, victory
probability models Linear, Square, Quartic and Octic, every voting rule, risk adjustment, risk
range and third-party commitment, bargains S1P1 or S2P2 from the initiator's view only, no
accommodation matrix, at most 127 actors and 128 issues (sums over more than 128 numbers split
recursively in NumPy, which this code does not reproduce).
"""

from __future__ import annotations

import numpy as np

try:
    from numba.extending import register_jitable

    #: The helpers allocate nothing and only read and write arrays their caller owns, so they
    #: are compiled without reference counting: the atomic counts of every array argument and
    #: view were a third of the kernel's time.
    _helper = register_jitable(_nrt=False)
except ImportError:  # plain Python: the helpers are ordinary functions

    def _helper(f):  # type: ignore[no-redef]
        return f


#: Integer codes of the options the kernel takes (indices into these tuples).
VOTING_RULES = ("Prop", "Binary", "PropBin", "PropCbc", "Cubic", "ASymProsp")
VICTORY_MODELS = ("Linear", "Square", "Quartic", "Octic")
BIG_R_ADJUST = ("None", "OneThird", "Half", "TwoThirds", "Full")
BIG_R_RANGE = ("Min", "Mid", "Max")
COMMITS = ("NoCommit", "SemiCommit", "FullCommit")
MAX_SUM = 128  # longest sum whose NumPy order _pw_sum reproduces
#: States kept to find a run that has entered a cycle (periods up to this many turns).
CYCLE_WINDOW = 8

MIN_COALITION = 1e-8
MIN_CLTN_CHALLENGE = 1e-10
MIN_SIG_EDU = 1e-5
BARGAIN_MIN_W = 1e-6


@_helper
def _pw_sum(a, n):
    """NumPy's sum of ``a[:n]`` along a contiguous axis (pairwise, for ``n <= 128``)."""
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
    r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
    m8 = n - n % 8
    for i in range(8, m8, 8):
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(m8, n):
        res += a[i]
    return res


@_helper
def _vote(rule, w, du):
    """``vote_diff(rule, w, du)`` for one number (rule codes: :data:`VOTING_RULES`)."""
    if rule == 0:
        return w * du
    if rule == 1:
        return w * min(max(du / 1e-8, -1.0), 1.0)
    if rule == 2:
        return w * ((1.0 - 0.2) * du + 0.2 * min(max(du / 1e-8, -1.0), 1.0))
    if rule == 3:
        return w * ((1.0 - 0.5) * du + 0.5 * (du * du * du))
    if rule == 4:
        return w * (du * du * du)
    if du < 0:
        return w * du
    if du > 0:
        return (2.0 * w * du) / 3.0
    return 0.0


@_helper
def _bs_util(d, r):
    return (1.0 - d) * (1.0 + min(d, 1.0) * r)


@_helper
def _strength(model, c):
    """The victory model's transform of a coalition strength (``vProb``)."""
    if model == 0:
        return c
    c2 = c * c
    if model == 1:
        return c2
    c4 = c2 * c2
    if model == 2:
        return c4
    return c4 * c4  # Octic: square(square(c c))


@_helper
def _pair_coalitions(u, hi, lo, w, n, rule, buf_pos, buf_neg):
    """Coalition strengths (for hi, for lo) of options ``hi`` and ``lo``, voters' utilities
    ``u[hi]``, ``u[lo]`` (rows are indexed, not sliced: a view costs two atomic reference
    counts, which were a fifth of the kernel's time)."""
    if rule == 0 and n >= 8:  # Prop, the default: the sums as _pw_sum's, without the buffers
        v = (u[hi, 0] - u[lo, 0]) * w[0]
        p0, q0 = max(v, 0.0), max(-v, 0.0)
        v = (u[hi, 1] - u[lo, 1]) * w[1]
        p1, q1 = max(v, 0.0), max(-v, 0.0)
        v = (u[hi, 2] - u[lo, 2]) * w[2]
        p2, q2 = max(v, 0.0), max(-v, 0.0)
        v = (u[hi, 3] - u[lo, 3]) * w[3]
        p3, q3 = max(v, 0.0), max(-v, 0.0)
        v = (u[hi, 4] - u[lo, 4]) * w[4]
        p4, q4 = max(v, 0.0), max(-v, 0.0)
        v = (u[hi, 5] - u[lo, 5]) * w[5]
        p5, q5 = max(v, 0.0), max(-v, 0.0)
        v = (u[hi, 6] - u[lo, 6]) * w[6]
        p6, q6 = max(v, 0.0), max(-v, 0.0)
        v = (u[hi, 7] - u[lo, 7]) * w[7]
        p7, q7 = max(v, 0.0), max(-v, 0.0)
        m8 = n - n % 8
        for a in range(8, m8, 8):
            v = (u[hi, a] - u[lo, a]) * w[a]
            p0 += max(v, 0.0)
            q0 += max(-v, 0.0)
            v = (u[hi, a + 1] - u[lo, a + 1]) * w[a + 1]
            p1 += max(v, 0.0)
            q1 += max(-v, 0.0)
            v = (u[hi, a + 2] - u[lo, a + 2]) * w[a + 2]
            p2 += max(v, 0.0)
            q2 += max(-v, 0.0)
            v = (u[hi, a + 3] - u[lo, a + 3]) * w[a + 3]
            p3 += max(v, 0.0)
            q3 += max(-v, 0.0)
            v = (u[hi, a + 4] - u[lo, a + 4]) * w[a + 4]
            p4 += max(v, 0.0)
            q4 += max(-v, 0.0)
            v = (u[hi, a + 5] - u[lo, a + 5]) * w[a + 5]
            p5 += max(v, 0.0)
            q5 += max(-v, 0.0)
            v = (u[hi, a + 6] - u[lo, a + 6]) * w[a + 6]
            p6 += max(v, 0.0)
            q6 += max(-v, 0.0)
            v = (u[hi, a + 7] - u[lo, a + 7]) * w[a + 7]
            p7 += max(v, 0.0)
            q7 += max(-v, 0.0)
        s_pos = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
        s_neg = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
        for a in range(m8, n):
            v = (u[hi, a] - u[lo, a]) * w[a]
            s_pos += max(v, 0.0)
            s_neg += max(-v, 0.0)
        return MIN_COALITION + s_pos, MIN_COALITION + s_neg
    if rule == 0:
        for a in range(n):
            v = (u[hi, a] - u[lo, a]) * w[a]
            buf_pos[a] = max(v, 0.0)
            buf_neg[a] = max(-v, 0.0)
    else:
        for a in range(n):
            v = _vote(rule, w[a], u[hi, a] - u[lo, a])
            buf_pos[a] = max(v, 0.0)
            buf_neg[a] = max(-v, 0.0)
    return MIN_COALITION + _pw_sum(buf_pos, n), MIN_COALITION + _pw_sum(buf_neg, n)


@_helper
def _assess(x, y, sal, cap, den, n, d, rule, vmodel, adjust, r_range, vdiff, rhat, risk,
            u_own, rn, tmp, buf_pos, buf_neg, cmat, p):  # fmt: skip
    """:func:`detente.models.smp._assess` (``report=False``) for one sample, in place."""
    for i in range(n):
        for j in range(n):
            for k in range(d):
                t = (y[i, k] - x[j, k]) * sal[i, k]
                tmp[k] = t * t
            num = _pw_sum(tmp, d)
            vdiff[i, j] = np.sqrt(num / den[i]) if den[i] > 0 else 0.0
    # risk-neutral utilities, options (positions) first, voters last
    for j in range(n):
        for a in range(n):
            rn[j, a] = 1.0 - vdiff[a, j]
    for hi in range(n):
        cmat[hi, hi] = MIN_COALITION
        for lo in range(hi):
            c_hi, c_lo = _pair_coalitions(rn, hi, lo, cap, n, rule, buf_pos, buf_neg)
            cmat[hi, lo] = c_hi
            cmat[lo, hi] = c_lo
    for i in range(n):
        prod = 1.0
        for j in range(n):
            if i == j:
                pv = 0.5
            else:
                f_ij = _strength(vmodel, cmat[i, j])
                pv = f_ij / (f_ij + _strength(vmodel, cmat[j, i]))
            prod = pv if j == 0 else prod * pv
        p[i] = prod
    tot = _pw_sum(p, n)
    p_min, p_max = np.inf, -np.inf
    for i in range(n):
        p[i] = p[i] / tot
        p_min = min(p_min, p[i])
        p_max = max(p_max, p[i])
    span = p_max - p_min
    for i in range(n):
        if not span > 0:
            risk[i] = 0.0
        elif r_range == 0:
            risk[i] = (p[i] - p_min) / span
        elif r_range == 1:
            risk[i] = (3 * p[i] - (p_max + 2 * p_min)) / (2 * span)
        else:
            risk[i] = (2 * p[i] - (p_max + p_min)) / span
    for h in range(n):
        r_h = risk[h]
        for i in range(n):
            r_i = risk[i]
            if adjust == 0:
                rhat[h, i] = r_h + 0.0 * r_i
            elif adjust == 1:
                rhat[h, i] = ((2.0 * r_h) + r_i) / 3.0
            elif adjust == 2:
                rhat[h, i] = (r_h + r_i) / 2
            elif adjust == 3:
                rhat[h, i] = (r_h + (2.0 * r_i)) / 3.0
            else:
                rhat[h, i] = r_i + 0.0 * r_h
    for a in range(n):
        r_own = rhat[a, a]
        for j in range(n):
            u_own[a, j] = _bs_util(vdiff[a, j], r_own)


@_helper
def _round4(v):
    return np.trunc(0.5 + v * 10000.0) / 10000.0


@_helper
def _turn(x, sal, cap, sal_tot, den, n, d, rule, vmodel, commit, ivb_n, vdiff, rhat, risk,
          u_own, x_new, tp, tn, tmp, buf_pos, buf_neg, target, b_init, b_rcvr, u_opt,
          pv_opt, c_done, queue, qprob, work, vdt):  # fmt: skip
    """One BCN turn of :func:`detente.models.smp._turn` (InitOnlyInterp, Conditional PCE)."""
    # 1. each actor's best challenge (challenge_matrix with h = k = i)
    weight, r_m, uni_m, unn_m, a_m, c_m = work[0], work[1], work[2], work[3], work[4], work[5]
    for m in range(n):
        weight[m] = sal_tot[m] * cap[m]
        for j in range(n):
            vdt[j, m] = vdiff[m, j]
    for i in range(n):
        w_i = weight[i]
        r_own = rhat[i, i]
        uii = _bs_util(vdiff[i, i], r_own)
        best = -np.inf
        t_best = 0
        p_best = 0.0
        nan_seen = False
        # what third party m brings to i's contests that does not depend on the target j
        for m in range(n):
            r_in = rhat[i, m]
            u_ni = _bs_util(vdiff[m, i], r_in)
            u_nn = _bs_util(vdiff[m, m], r_in)
            three_i = u_ni + u_ni + u_ni
            two_i_k = u_ni + u_ni + u_nn
            if commit == 2:  # FullCommit
                a_m[m], c_m[m] = three_i, three_i
            elif commit == 1:  # SemiCommit
                a_m[m], c_m[m] = two_i_k, three_i
            else:
                a_m[m], c_m[m] = two_i_k, two_i_k
            r_m[m], uni_m[m], unn_m[m] = r_in, u_ni, u_nn
        for j in range(n):
            if j == i:
                continue  # -inf: never above ``best`` (a first maximum at j = i stays -inf)
            uij = _bs_util(vdiff[i, j], r_own)
            r_ij = rhat[i, j]
            uji = _bs_util(vdiff[j, i], r_ij)
            ujj = _bs_util(vdiff[j, j], r_ij)
            a_i = _vote(rule, w_i, uii - uij)
            a_j = _vote(rule, weight[j], uji - ujj)
            chij = (MIN_CLTN_CHALLENGE + max(a_i, 0.0)) + max(a_j, 0.0)
            chji = (MIN_CLTN_CHALLENGE + max(-a_i, 0.0)) + max(-a_j, 0.0)
            # no branch in this loop, so that it runs in SIMD lanes (the same IEEE operations,
            # the same bits); i and j are no third parties: their terms are zero. The default
            # options (Prop: a vote is w * du; SemiCommit) have their own copy without the
            # option tests, which the compiler does not take out of the loop: a tenth of the
            # kernel's time
            if rule == 0 and commit == 1:
                for m in range(tp.shape[0]):  # to the padding (run_samples)
                    u_ni, u_nn = uni_m[m], unn_m[m]
                    u_nj = _bs_util(vdt[j, m], r_m[m])
                    w_m = weight[m]
                    v0 = w_m * (u_ni - u_nj)
                    cni = max(v0, 0.0) + chij
                    cnj = max(-v0, 0.0) + chji
                    p_in = cni / (cni + cnj)
                    p_jn = 1.0 - p_in
                    two_j = u_nj + u_nj
                    b_t = two_j + u_nj
                    d_t = two_j + u_nn
                    u_ik_j = p_in * a_m[m] + b_t * p_jn
                    u_i_jk = p_in * c_m[m] + d_t * p_jn
                    v = w_m * (u_ik_j - u_i_jk)
                    tp[m] = max(v, 0.0)
                    tn[m] = min(v, 0.0)
            else:
                for m in range(n):
                    u_ni, u_nn = uni_m[m], unn_m[m]
                    u_nj = _bs_util(vdt[j, m], r_m[m])
                    w_m = weight[m]
                    v0 = _vote(rule, w_m, u_ni - u_nj)
                    cni = max(v0, 0.0) + chij
                    cnj = max(-v0, 0.0) + chji
                    p_in = cni / (cni + cnj)
                    p_jn = 1.0 - p_in
                    two_j = u_nj + u_nj
                    b_t = two_j + (u_nn if commit == 0 else u_nj)
                    d_t = two_j + (u_nn if commit != 2 else u_nj)
                    u_ik_j = p_in * a_m[m] + b_t * p_jn
                    u_i_jk = p_in * c_m[m] + d_t * p_jn
                    v = _vote(rule, w_m, u_ik_j - u_i_jk)
                    tp[m] = max(v, 0.0)
                    tn[m] = min(v, 0.0)
            tp[i] = tn[i] = tp[j] = tn[j] = 0.0
            chij = chij + _pw_sum(tp, n)
            chji = chji - _pw_sum(tn, n)
            phij = chij / (chij + chji)
            phji = chji / (chij + chji)
            s_j = sal_tot[j]
            eu_sq = uii + uij
            eu_vict = uii + uii
            eu_cntst = phij * eu_vict + phji * (uij + uij)
            edu = ((1 - s_j) * eu_vict + s_j * eu_cntst) - eu_sq
            if nan_seen:
                continue
            if edu != edu:  # NumPy's argmax stops at the first NaN
                nan_seen = True
                best, t_best, p_best = edu, j, phij
            elif edu > best:
                best, t_best, p_best = edu, j, phij
        target[i] = t_best if best > MIN_SIG_EDU else -1
        if target[i] < 0:
            continue
        # 2. the bargain, from the initiator's view
        tg = t_best
        p_i, p_j = p_best, 1 - p_best
        for k in range(d):
            s_i, s_j = sal[i, k], sal[tg, k]
            if ivb_n == 2:
                wi = (s_i * s_i) * (p_i * p_i)
                wj = (s_j * s_j) * (p_j * p_j)
            else:
                wi = s_i * p_i
                wj = s_j * p_j
            tot = wi + BARGAIN_MIN_W + wj
            b_init[i, k] = _round4(((wi + BARGAIN_MIN_W) * x[i, k] + wj * x[tg, k]) / tot)
            b_rcvr[i, k] = _round4((wi * x[i, k] + (BARGAIN_MIN_W + wj) * x[tg, k]) / tot)

    # 3. utility to voter a of the status quo (option 0) and of the state after bargain b (1 + b)
    for a in range(n):
        for j in range(n):
            tmp[j] = u_own[a, j]
        u_row = _pw_sum(tmp, n)
        u_opt[0, a] = u_row / n
        for b in range(n):
            if target[b] < 0:
                continue
            for k in range(d):
                t = (x[a, k] - b_init[b, k]) * sal[a, k]
                buf_pos[k] = t * t
                t = (x[a, k] - b_rcvr[b, k]) * sal[a, k]
                buf_neg[k] = t * t
            if den[a] > 0:
                dist_i = np.sqrt(_pw_sum(buf_pos, d) / den[a])
                dist_r = np.sqrt(_pw_sum(buf_neg, d) / den[a])
            else:
                dist_i = dist_r = 0.0
            u_bi = _bs_util(dist_i, risk[a])
            u_br = _bs_util(dist_r, risk[a])
            u_opt[1 + b, a] = (u_bi + u_br + ((u_row - u_own[a, b]) - u_own[a, target[b]])) / n

    # 4. every actor's queue goes to the vote; the first most probable option is adopted
    for i in range(n + 1):
        for j in range(n + 1):
            c_done[i, j] = False
    for k in range(n):
        length = 1
        queue[0] = 0
        for b in range(n):
            if target[b] >= 0 and (b == k or target[b] == k):
                queue[length] = 1 + b
                length += 1
        for q in range(length):
            o_q = queue[q]
            prod = 1.0
            for r in range(length):
                o_r = queue[r]
                if o_q == o_r:
                    pv = 0.5
                else:
                    hi, lo = max(o_q, o_r), min(o_q, o_r)
                    if not c_done[hi, lo]:  # the pair's victory probabilities, once a turn
                        c_hi, c_lo = _pair_coalitions(u_opt, hi, lo, cap, n, rule, buf_pos, buf_neg)
                        f_hi, f_lo = _strength(vmodel, c_hi), _strength(vmodel, c_lo)
                        pv_opt[hi, lo] = f_hi / (f_hi + f_lo)
                        pv_opt[lo, hi] = f_lo / (f_lo + f_hi)
                        c_done[hi, lo] = True
                    pv = pv_opt[o_q, o_r]
                prod = pv if r == 0 else prod * pv
            qprob[q] = prod
        tot = _pw_sum(qprob, length)
        chosen = 0
        best = -np.inf
        for q in range(length):
            pq = qprob[q] / tot
            if pq > best:
                best, chosen = pq, q
        opt = queue[chosen]
        for m in range(d):
            if opt == 0:
                x_new[k, m] = x[k, m]
            elif opt - 1 == k:
                x_new[k, m] = b_init[k, m]
            else:
                x_new[k, m] = b_rcvr[opt - 1, m]


@_helper
def _distance(x, a, b, d, tmp):
    """Euclidean distance of positions a and b (NumPy's sum order)."""
    for k in range(d):
        t = x[a, k] - x[b, k]
        tmp[k] = t * t
    return np.sqrt(_pw_sum(tmp, d))


@_helper
def _win_probabilities(x, cap, n, d, vmodel, u_own, tmp, buf_pos, buf_neg, is_rep, uo_t, cmat,
                       p, rep_of):  # fmt: skip
    """``_win_probabilities``' ``rep_prob`` (into ``p``) and ``rep_of`` of the assessed state.

    KTAB's greedy merging of positions closer than 1e-3, then the conditional PCE over the
    representatives with Prop voting and capability weights (``pDist(-1)``).
    """
    for a in range(n):  # sequential by definition: a represents itself unless an earlier one
        is_rep[a] = True
        for b in range(a):
            if is_rep[b] and _distance(x, a, b, d, tmp) < 1e-3:
                is_rep[a] = False
                break
    for a in range(n):  # the last representative within tolerance (posProb)
        for b in range(n - 1, -1, -1):
            if is_rep[b] and _distance(x, a, b, d, tmp) < 1e-3:
                rep_of[a] = b
                break
    for m in range(n):
        for a in range(n):
            uo_t[m, a] = u_own[a, m]
    for hi in range(n):
        for lo in range(hi):
            if is_rep[hi] and is_rep[lo]:
                c_hi, c_lo = _pair_coalitions(uo_t, hi, lo, cap, n, 0, buf_pos, buf_neg)
            else:
                c_hi = c_lo = MIN_COALITION
            cmat[hi, lo] = c_hi
            cmat[lo, hi] = c_lo
    for i in range(n):
        if not is_rep[i]:
            p[i] = 0.0
            continue
        prod = 1.0
        for j in range(n):
            if not is_rep[j]:
                pv = 1.0
            elif i == j:
                pv = 0.5
            else:
                f_ij = _strength(vmodel, cmat[i, j])
                pv = f_ij / (f_ij + _strength(vmodel, cmat[j, i]))
            prod = pv if j == 0 else prod * pv
        p[i] = prod
    tot = _pw_sum(p, n)
    for i in range(n):
        p[i] = p[i] / tot


@_helper
def _same_state(x, hist, slot):
    """Whether ``x`` equals ``hist[slot]`` bit for bit (0.0 and -0.0 differ; NaN never equal)."""
    n, d = x.shape
    for i in range(n):
        for k in range(d):
            a, b = x[i, k], hist[slot, i, k]
            if a != b or np.signbit(a) != np.signbit(b):
                return False
    return True


@_helper
def _cycle_end(x, hist, step_hist, step, it, min_iter, max_turns):
    """Where the state ``x`` after turn ``it`` repeats the state after an earlier turn ``u``
    (within the last :data:`CYCLE_WINDOW` turns) whose stop checks all ran (``u + 1 >=
    min_iter``) without stopping: set ``x`` to the state after turn ``max_turns`` and return
    True; else False and ``x`` unchanged.

    A turn is a function of the positions alone, so the run repeats the turns ``u + 1 .. it``
    forever: the same states, steps and stop-rule ratios (``d01`` is fixed after turn 1), none
    of which stopped it, up to ``max_turns``. The state there is the one ``(max_turns - u) mod
    (it - u)`` turns after ``u``: the same numbers as running the turns, without running them.
    A repeat ``x_t = x_u`` gives the same step ``x_{t-1} -> x_t`` as ``x_{u-1} -> x_u`` from
    the second time round the cycle on, so states are compared only where the steps agree.
    """
    for period in range(1, min(CYCLE_WINDOW, it) + 1):
        u = it - period
        if u + 1 < min_iter or step_hist[u % CYCLE_WINDOW] != step:
            continue
        if _same_state(x, hist, u % CYCLE_WINDOW):
            last = (u + (max_turns - u) % period) % CYCLE_WINDOW
            n, d = x.shape
            for i in range(n):
                for k in range(d):
                    x[i, k] = hist[last, i, k]
            return True
    return False


def run_samples(first, stop, x0, sal, cap, rule, vmodel, adjust, r_range, commit, ivb_n,
                min_iter, max_turns, min_delta_ratio, min_sig_delta, x_end, turns, rep_prob,
                rep_of):  # fmt: skip
    """Run samples ``first..stop-1`` of ``x0`` (S, N, D) to the stop rule.

    Fills ``x_end`` (S, N, D) final positions, ``turns`` (S,) and, of the final state, the
    win probabilities of the representative positions ``rep_prob`` (S, N; 0 elsewhere) and
    each actor's representative ``rep_of`` (S, N), as ``smp._win_probabilities``. ``sal``
    (S, N, D) saliences, ``cap`` (S, N) capabilities; the option codes index the tuples at the
    top of this module; ``ivb_n`` is 1 (S1P1) or 2 (S2P2).
    """
    n, d = x0.shape[1], x0.shape[2]
    size = max(n, d) + 1
    vdiff = np.empty((n, n))
    rhat = np.empty((n, n))
    u_own = np.empty((n, n))
    rn = np.empty((n, n))
    cmat = np.empty((n, n))
    risk = np.empty(n)
    p = np.empty(n)
    den = np.empty(n)
    sal_tot = np.empty(n)
    tmp = np.empty(size)
    buf_pos = np.empty(size)
    buf_neg = np.empty(size)
    # the third parties' terms (tp, tn) and the rows they are computed from (work, vdt) have
    # zero columns up to a multiple of 4, so that the defaults' loop over them runs in whole
    # SIMD lanes; the extra terms are finite and never summed
    n_pad = (n + 3) // 4 * 4
    tp = np.zeros(n_pad)
    tn = np.zeros(n_pad)
    target = np.empty(n, dtype=np.int64)
    b_init = np.zeros((n, d))
    b_rcvr = np.zeros((n, d))
    u_opt = np.empty((n + 1, n))
    pv_opt = np.empty((n + 1, n + 1))
    c_done = np.zeros((n + 1, n + 1), dtype=np.bool_)
    queue = np.empty(n + 1, dtype=np.int64)
    qprob = np.empty(n + 1)
    work = np.zeros((6, n_pad))
    vdt = np.zeros((n, n_pad))
    is_rep = np.empty(n, dtype=np.bool_)
    x = np.empty((n, d))
    x_new = np.empty((n, d))
    hist = np.empty((CYCLE_WINDOW, n, d))  # the last states, state t at t % CYCLE_WINDOW
    step_hist = np.empty(CYCLE_WINDOW)  # the step that led to each of them
    for s in range(first, stop):
        for i in range(n):
            for k in range(d):
                x[i, k] = x0[s, i, k]
                tmp[k] = sal[s, i, k] * sal[s, i, k]
            den[i] = _pw_sum(tmp, d)
            for k in range(d):
                tmp[k] = sal[s, i, k]
            sal_tot[i] = _pw_sum(tmp, d)
        it = 0
        d01 = 0.0
        for i in range(n):
            for k in range(d):
                hist[0, i, k] = x[i, k]
        step_hist[0] = np.nan
        while it < max_turns:
            _assess(x, x, sal[s], cap[s], den, n, d, rule, vmodel, adjust, r_range, vdiff,
                    rhat, risk, u_own, rn, tmp, buf_pos, buf_neg, cmat, p)  # fmt: skip
            _turn(x, sal[s], cap[s], sal_tot, den, n, d, rule, vmodel, commit, ivb_n, vdiff,
                  rhat, risk, u_own, x_new, tp, tn, tmp, buf_pos, buf_neg, target, b_init,
                  b_rcvr, u_opt, pv_opt, c_done, queue, qprob, work, vdt)  # fmt: skip
            for i in range(n):
                for k in range(d):
                    t = x_new[i, k] - x[i, k]
                    tmp[k] = t * t
                p[i] = np.sqrt(_pw_sum(tmp, d))
            step = _pw_sum(p, n)
            it += 1
            if it == 1:
                d01 = step + min_sig_delta
            ratio = step / d01
            for i in range(n):
                for k in range(d):
                    x[i, k] = x_new[i, k]
            if it >= min_iter and ratio < min_delta_ratio:
                break
            if it < max_turns and _cycle_end(x, hist, step_hist, step, it, min_iter, max_turns):
                it = max_turns  # x is now the state at the last turn (see _cycle_end)
                break
            slot = it % CYCLE_WINDOW
            step_hist[slot] = step
            for i in range(n):
                for k in range(d):
                    hist[slot, i, k] = x[i, k]
        for i in range(n):
            for k in range(d):
                x_end[s, i, k] = x[i, k]
        turns[s] = it
        _assess(x, x, sal[s], cap[s], den, n, d, rule, vmodel, adjust, r_range, vdiff, rhat,
                risk, u_own, rn, tmp, buf_pos, buf_neg, cmat, p)  # fmt: skip
        _win_probabilities(x, cap[s], n, d, vmodel, u_own, tmp, buf_pos, buf_neg, is_rep, rn,
                           cmat, rep_prob[s], rep_of[s])  # fmt: skip
