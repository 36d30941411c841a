"""The slot forecaster v2: a convex choice among the positions on the table, read out at its median.

The outcome of an issue is treated as a choice among candidate slots: each distinct held
position (positions closer than :data:`SAME_POSITION` of the scale count as one; a slot held by
several actors enters once, through an offset of ``-log(multiplicity)`` on each of its actors)
and the compromise point (capability x salience weighted mean; Achen 2006). A slot's
probability comes from six base features (:data:`BASE_FEATURES`) and the weight-free
compromise-stage terms chosen by nested CV (:data:`COMPROMISE_TERMS` among
:data:`COMPROMISE_CANDIDATES`):

- ``distance``: |slot - unweighted mean of the held positions|, on 0..1 of the scale (0 for
  the compromise slot),
- ``support``: log of the capability x salience share of the actors at the slot (0 for the
  compromise slot; shares below :data:`SUPPORT_FLOOR` are clipped there),
- ``count``: share of the participating actors at the slot,
- ``compromise``: 1 for the compromise slot,
- ``compromise_unanimity``: 1 for the compromise slot on an issue decided by unanimity
  (``arrays.extras["unanimity"]``, or the DEU voting rule; 0 where unknown),
- ``parliament``: 1 for the slot of the actor named by the option ``parliament`` (absent
  from scenarios without that actor),
- ``compromise_log_positions`` (the one term selected, issue 21): on the compromise slot, the
  log of the number of distinct held positions. The other candidates
  (:func:`compromise_terms`: log number of actors, spread and range of the positions, the
  modal position's share of actors, Commission and Parliament at one position, distance of the
  unweighted mean from the scale's midpoint) are 0 in the shipped fit.

The probability has two stages: the compromise slot's probability is a logistic function of
its terms (all weight-free), and the held positions share the rest by a softmax of the other
four (a nested logit with the compromise as one nest). The log number of distinct positions
is what made an earlier single-softmax version more accurate but not monotone: there
P(compromise) falls as more distinct positions compete with it. As a weight-free term it keeps
that effect without letting the weights move mass to or from the compromise.

``variant="slot2_base"`` of the ``detente`` model is the same model without compromise-stage
terms (:data:`BASE_COEFFICIENTS`), as shipped before.

The point forecast is the **median of the slot probabilities** (the MAE-optimal read-out of a
discrete distribution). The predictive distribution smooths each slot with a Laplace kernel of
scale :data:`SMOOTHING` (chosen by cross-validated CRPS) on a grid of the scale, truncated to
the scale; it gives the median, the 50/80/90 % intervals and, where the outcome is known, the
continuous ranked probability score (CRPS).

Why these features and this read-out (monotonicity, issue 17)
-------------------------------------------------------------
More capability or salience behind a position never moves the forecast away from it, by
construction:

- the only features that depend on capability or salience are ``support``, whose coefficient is
  constrained to be >= 0, and the compromise slot's position. The compromise-stage terms are
  functions of the positions, the actor roles and the voting rule only. Raising actor i's weight
  raises the logit of i's slot by ``b log(W_i' / W_i)`` (the log of the total cancels in the
  softmax over the held positions), leaves the compromise's probability alone (its stage has no
  weight-dependent term) and moves the compromise slot towards x_i without passing it;
- every other feature (the distance to the *unweighted* mean, counts, indicators) does not
  depend on weights. A distance to the weighted compromise would break the property: when x_i
  lies between the forecast and the compromise, pulling the compromise towards x_i shifts
  probability to slots beyond x_i;
- so probability mass only moves towards x_i (never past it), and the median of a distribution
  whose mass moves towards a point moves towards that point and never past it. One limit:
  positions within :data:`SAME_POSITION` of x_i share its support, so mass can also move to
  them; the forecast then ends at most 0.5 points (of 100) from x_i on the far side.
- a mean read-out would not be safe: moving the compromise slot towards x_i moves the mean away
  from x_i when the mean lies on the other side of x_i.

The fit (:func:`detente.analyses.calibrate.fit_slot2`) is convex: a soft-target cross-entropy
with targets proportional to ``exp(-|slot - outcome| / 2 points)`` plus a small ridge, solved by
a damped projected Newton method with the exact Hessian from zero, the sign constraint as a
bound (:func:`detente.analyses.calibrate.newton_bounded`; no derivative-free optimiser).

Validated accuracy (docs/validation.md)
---------------------------------------
Grouped 10-fold CV on deu-train.tsv, split seeds 0-19, with the compromise-stage terms chosen
inside every training fold: mean out-of-fold MAE 21.73, ratio 0.937 to the compromise model
(slot2_base: 0.946; v1: 0.932). The CI of the difference excludes zero in 11 of 20 seeds
(slot2_base: 2). Leave-one-era-out pooled ratio 0.950 (slot2_base 0.949, v1: 0.979).
Out-of-fold interval coverage is 49.2 / 79.8 / 90.4 % at 50 / 80 / 90 %, and the CRPS is 15.77
points against 16.60 for the compromise model dressed with its own errors. It misses the issue's
bar of 0.93 (and 16 of 20 seeds); it is the default because it is monotone in capability and
salience (issue 17). Fit B (a pseudo-Huber fit of the predictive mean), its average with this
median, bagging and shrinkage toward the compromise were measured (on slot2_base) and did not
help (docs/validation.md), so the forecast is fit A's median alone.

Monte Carlo runs add this model's validated error to its draws as Laplace noise with the
declared mean absolute error (:data:`VALIDATED_ERROR`); out of fold those bands cover 48.1 /
75.6 / 91.0 % at 50 / 80 / 90 % (``monte_carlo_coverage``).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from detente.arrays import ScenarioArrays
from detente.models.central import WeightScheme, actor_weights, weighted_mean

#: Slot features of the first slot2 (``variant="slot2_base"``), in the order of the coefficient
#: vector.
BASE_FEATURES: tuple[str, ...] = (
    "distance",
    "support",
    "count",
    "compromise",
    "compromise_unanimity",
    "parliament",
)
#: Weight-free issue terms of the compromise stage among which the fit chooses by an inner
#: grouped CV (:func:`detente.analyses.calibrate.select_compromise_terms`); each is 0 on the held
#: positions, so it moves only P(compromise). See :func:`compromise_terms`.
COMPROMISE_CANDIDATES: tuple[str, ...] = (
    "compromise_log_positions",
    "compromise_log_actors",
    "compromise_spread",
    "compromise_range",
    "compromise_modal_share",
    "compromise_commission_parliament",
    "compromise_centre_offset",
)
#: Slot features of the v2 forecaster, in the order of the coefficient vector.
FEATURES: tuple[str, ...] = BASE_FEATURES + COMPROMISE_CANDIDATES
#: Lower bound of each coefficient (None: free). ``support`` is the only feature that depends
#: on capability or salience; >= 0 keeps the forecast monotone in them (module docstring).
LOWER_BOUNDS: dict[str, float | None] = {f: 0.0 if f == "support" else None for f in FEATURES}
#: Fitted on deu-train.tsv, treaty capabilities, by detente.analyses.calibrate.fit_slot2
#: (``detente calibrate`` writes the same numbers); full precision so that a refit reproduces
#: them. The compromise-stage terms not in :data:`COMPROMISE_TERMS` were not selected: 0.
COEFFICIENTS: dict[str, float] = {
    "distance": -2.2549780347399855,
    "support": 0.1759416024022425,
    "count": -0.9495690535203863,
    "compromise": -0.401009998184901,
    "compromise_unanimity": -0.5766482656459192,
    "parliament": 0.626933908393408,
    "compromise_log_positions": -0.6091537520635766,
    "compromise_log_actors": 0.0,
    "compromise_spread": 0.0,
    "compromise_range": 0.0,
    "compromise_modal_share": 0.0,
    "compromise_commission_parliament": 0.0,
    "compromise_centre_offset": 0.0,
}
#: The compromise-stage terms the inner-CV forward selection chose on the training file, in
#: the order they entered (:func:`detente.analyses.calibrate.select_compromise_terms`).
COMPROMISE_TERMS: tuple[str, ...] = ("compromise_log_positions",)
#: Laplace scale of the predictive distribution's kernels, in points of a 0-100 scale (chosen
#: by an inner grouped CV of the CRPS on the training file).
SMOOTHING = 1.0
#: Ridge penalty of the fit (on the mean cross-entropy per issue).
RIDGE = 1e-3
#: Scale of the fit's soft targets exp(-|slot - outcome| / scale), points of a 0-100 scale.
TARGET_SCALE = 2.0
#: What the shipped constants were fitted on, and their in-sample error.
TRAINING: dict[str, Any] = {
    "source": "deu-train.tsv",
    "issues": 238,
    "capability": "treaty",
    "mae": 21.13,
    "compromise_mae": 23.19,
}
#: Out-of-fold error of the point forecast on the training domain, 0-100 scale (the
#: compromise-stage terms chosen inside every training fold: nested).
VALIDATED_ERROR: dict[str, Any] = {
    "mae": 21.73,
    "scale": "0-100",
    "protocol": "10-fold CV grouped by proposal, mean over split seeds 0-19, terms chosen "
    "inside every training fold",
    "ratio_to_compromise": 0.937,
    "ci_excludes_zero_seeds": 11,
    #: out-of-fold coverage of the predictive distribution's intervals (mean over the seeds)
    "coverage": {"0.5": 0.492, "0.8": 0.798, "0.9": 0.904},
    "crps": 15.77,
    "crps_dressed_compromise": 16.60,
    #: out-of-fold coverage of the forecast +- Laplace noise with mean absolute error ``mae``:
    #: the bands Monte Carlo runs give (detente.analyses.montecarlo.with_model_error)
    "monte_carlo_coverage": {"0.5": 0.481, "0.8": 0.756, "0.9": 0.910},
}
#: The first slot2 (``variant="slot2_base"``): the base features only, as shipped before issue
#: 21's compromise-stage terms; its figures over the same 20 seeds.
BASE_COEFFICIENTS: dict[str, float] = {
    "distance": -2.254978034739987,
    "support": 0.17594160240224332,
    "count": -0.9495690535203912,
    "compromise": -1.0871594052581746,
    "compromise_unanimity": -0.5504512164607522,
    "parliament": 0.6269339083934073,
}
BASE_INTERVAL_TAILS: dict[str, float] = {"0.5": 0.26, "0.8": 0.12, "0.9": 0.075}
BASE_TRAINING: dict[str, Any] = {**TRAINING, "mae": 21.79}
BASE_VALIDATED_ERROR: dict[str, Any] = {
    "mae": 21.95,
    "scale": "0-100",
    "protocol": "10-fold CV grouped by proposal, mean over split seeds 0-19",
    "ratio_to_compromise": 0.946,
    "ci_excludes_zero_seeds": 2,
    "coverage": {"0.5": 0.493, "0.8": 0.797, "0.9": 0.902},
    "crps": 15.78,
    "crps_dressed_compromise": 16.60,
    "monte_carlo_coverage": {"0.5": 0.489, "0.8": 0.762, "0.9": 0.912},
}
#: where the coefficients were fitted: every output that shows this model says so
DOMAIN = "EU legislation (DEU I-III training data)"
#: Positions closer than this share of the scale width count as one slot (0.5 points of 100).
SAME_POSITION = 0.005
#: Support shares are clipped here before the log, so that an actor with zero weight has a
#: finite (very unlikely) slot.
SUPPORT_FLOOR = 1e-6
#: Grid of the predictive distribution: this many points over the scale (0.5 points of 100).
GRID_POINTS = 201
#: Central intervals reported, as coverage probabilities.
INTERVALS: tuple[float, ...] = (0.5, 0.8, 0.9)
#: Recalibrated tails: the L interval is [q(t), q(1 - t)] with t chosen by an inner grouped CV
#: on the training file so that it covers L of the out-of-fold outcomes (the slot
#: probabilities are flatter than the outcomes: nominal tails over-cover).
INTERVAL_TAILS: dict[str, float] = {"0.5": 0.245, "0.8": 0.12, "0.9": 0.075}


def unanimity_of(arrays: ScenarioArrays) -> np.ndarray:
    """(D,) float: 1 on issues decided by unanimity, 0 otherwise or where unknown."""
    d = arrays.n_issues
    if "unanimity" in arrays.extras:
        return np.broadcast_to(np.asarray(arrays.extras["unanimity"], dtype=float), (d,)).copy()
    deu = arrays.extras.get("deu")
    if deu is not None and getattr(deu, "n_issues", -1) == d:
        return (deu.column("voting_rule") == "Unan").astype(float)
    return np.zeros(d)


#: Actor id of the Commission for ``compromise_commission_parliament`` (DEU: ``com``).
COMMISSION = "com"


def compromise_terms(
    arrays: ScenarioArrays,
    x: np.ndarray,
    mask: np.ndarray,
    parliament: str | None,
    multiplicity: np.ndarray | None = None,
) -> np.ndarray:
    """(S, D, C) weight-free issue terms of :data:`COMPROMISE_CANDIDATES`.

    ``x`` (S, N, D) positions on 0..1, ``mask`` (S, N, D) participation. None of them uses
    capability or salience, so P(compromise) stays weight-free (monotonicity).
    ``multiplicity`` (S, N, D): how many participants share each actor's position, where the
    caller has counted them (:func:`slot2_features`).
    """
    present = np.maximum(mask.sum(axis=1), 1)  # (S, D)
    plain = np.where(mask, x, 0.0).sum(axis=1) / present
    if multiplicity is None:
        same = (np.abs(x[:, :, None, :] - x[:, None, :, :]) < SAME_POSITION) & (
            mask[:, :, None, :] & mask[:, None, :, :]
        )
        multiplicity = same.sum(axis=2)  # (S, N, D)
    distinct = np.where(mask, 1.0 / np.maximum(multiplicity, 1), 0.0).sum(axis=1)
    lo = np.where(mask, x, np.inf).min(axis=1)
    hi = np.where(mask, x, -np.inf).max(axis=1)
    both = np.zeros_like(plain)
    ids = arrays.actor_ids
    if parliament is not None and parliament in ids and COMMISSION in ids:
        i, j = ids.index(parliament), ids.index(COMMISSION)
        both = (mask[:, i] & mask[:, j] & (np.abs(x[:, i] - x[:, j]) < SAME_POSITION)).astype(float)
    terms = {
        "compromise_log_positions": np.log(np.maximum(distinct, 1.0)),
        "compromise_log_actors": np.log(present),
        "compromise_spread": np.where(mask, np.abs(x - plain[:, None, :]), 0.0).sum(axis=1)
        / present,
        "compromise_range": np.where(np.isfinite(hi - lo), hi - lo, 0.0),
        "compromise_modal_share": np.where(mask, multiplicity, 0).max(axis=1) / present,
        "compromise_commission_parliament": both,
        "compromise_centre_offset": np.abs(plain - 0.5),
    }
    return np.stack([terms[c] for c in COMPROMISE_CANDIDATES], axis=-1)


def _shared_positions(
    x: np.ndarray, mask: np.ndarray, share: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For every participant's position, the weight share of the participants within
    :data:`SAME_POSITION` of it (itself included) and their number, (S, N, D) each.

    The sums over the other actors ``j`` are taken one ``j`` at a time, in order, on (S, N, D)
    arrays: the additions NumPy makes reducing the (S, N, N, D) pairs over ``j``, in the same
    order, so the same bits, without the pairs' array (a third of the time).
    """
    if x.shape[1] == 0:
        return np.zeros(x.shape), np.zeros(x.shape, dtype=np.int_)
    held = count = None
    for j in range(x.shape[1]):
        near = (np.abs(x - x[:, j : j + 1, :]) < SAME_POSITION) & mask & mask[:, j : j + 1, :]
        term = near * share[:, j : j + 1, :]
        if held is None:
            held, count = term, near.astype(np.int_)
        else:
            held += term
            count += near
    return held, count


def slot2_features(
    arrays: ScenarioArrays,
    *,
    weights: WeightScheme = "capability_salience",
    parliament: str | None = "ep",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate slots and their :data:`FEATURES` for every sample and issue.

    Returns
    -------
    slots : (S, K, D)
        Slot positions on 0..1 of the scale: the N actors, then the compromise (K = N + 1).
    features : (S, K, D, F)
        :data:`FEATURES` (the :data:`COMPROMISE_CANDIDATES` are 0 on the held positions).
    offset : (S, K, D)
        ``-log`` of the number of actors sharing the slot's position (0 for the compromise).
    valid : (S, K, D) bool
        Slots that exist (participating actors and the compromise).
    """
    s, n, d = arrays.position.shape
    x = arrays.normalised_position()
    mask = np.broadcast_to(arrays.mask, x.shape)
    w = actor_weights(arrays, weights)
    centre = weighted_mean(x, w)  # the compromise slot, (S, D)
    share = w / w.sum(axis=1, keepdims=True)
    present = mask.sum(axis=1, keepdims=True)
    # weight-free centre: distances to it do not move when capability or salience does
    plain = np.where(mask, x, 0.0).sum(axis=1, keepdims=True) / np.maximum(present, 1)
    held, multiplicity = _shared_positions(x, mask, share)
    support = np.log(np.maximum(held, SUPPORT_FLOOR))
    count = multiplicity / np.maximum(present, 1)
    is_parl = np.zeros((s, n, d))
    if parliament is not None and parliament in arrays.actor_ids:
        is_parl[:, arrays.actor_ids.index(parliament), :] = 1.0
    unan = np.broadcast_to(unanimity_of(arrays)[None, None, :], (s, 1, d))

    zeros = np.zeros((s, 1, d))
    slots = np.concatenate([x, centre[:, None, :]], axis=1)
    terms = compromise_terms(arrays, x, mask, parliament, multiplicity)  # (S, D, C)
    # the FEATURES of the actors' slots (0 .. n - 1) and of the compromise (n), filled in place;
    # the compromise slot moves with the weights; its distance would too, so it has none (its
    # indicator carries its level)
    feats = np.zeros((s, n + 1, d, 6 + terms.shape[2]))
    feats[:, :n, :, 0] = np.abs(x - plain)
    feats[:, :n, :, 1] = support
    feats[:, :n, :, 2] = count
    feats[:, n, :, 3] = 1.0
    feats[:, n, :, 4] = unan[:, 0, :]
    feats[:, :n, :, 5] = is_parl
    feats[:, n, :, 6:] = terms
    offset = np.concatenate([-np.log(np.maximum(multiplicity, 1)), zeros], axis=1)
    valid = np.concatenate([mask, np.ones((s, 1, d), dtype=bool)], axis=1)
    feats[~valid] = 0.0  # in place: only the absent actors' slots are written
    return slots, feats, offset, valid


#: Up to this many values :func:`expit` computes in Python (see there); above, SciPy's ufunc.
EXPIT_PYTHON_MAX = 4096
_EXP_MAX = 709.782712893384  # log of the largest double: exp of more overflows to inf


def _expit_one(v: float) -> float:
    if v != v:  # NaN
        return v
    if -v > _EXP_MAX:  # math.exp raises where C's exp returns inf, and 1 / (1 + inf) is 0
        return 0.0
    return 1.0 / (1.0 + math.exp(-v))


def expit(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, bit for bit as ``scipy.special.expit``.

    SciPy computes ``1 / (1 + std::exp(-x))`` in C++ with the C library's ``exp``, which is what
    :func:`math.exp` calls. Small arrays (a point forecast) are done element by element in
    Python, so that ``detente forecast`` need not import ``scipy.special`` (0.1-0.3 s of
    start-up); larger ones, or any once ``scipy.special`` is loaded (a Monte Carlo block's
    crisis analysis loads it), call SciPy. NumPy's own ``np.exp`` is not used: its SIMD routines may
    differ from the C library in the last bit. Both paths agree on 10^6 random values including
    overflow, infinities and NaN (tested).
    """
    z = np.asarray(z, dtype=float)
    if z.size > EXPIT_PYTHON_MAX or "scipy.special" in sys.modules:
        from scipy.special import expit as scipy_expit

        return scipy_expit(z)
    out = np.fromiter((_expit_one(v) for v in z.ravel().tolist()), float, count=z.size)
    return out.reshape(z.shape)


def slot_probabilities(
    features: np.ndarray, offset: np.ndarray, valid: np.ndarray, coef: np.ndarray, axis: int = 1
) -> np.ndarray:
    """Slot probabilities; the slot axis is ``axis`` and its last slot is the compromise.

    Two stages, so that weights cannot shift mass between the compromise and the positions:
    P(compromise) = logistic(``features @ coef`` at the compromise slot, i.e. the
    ``compromise`` and ``compromise_unanimity`` terms), and the held positions share the rest
    by a softmax of ``features @ coef + offset``, zero where invalid. (In a single softmax the
    compromise would gain whenever the total weight grows, since the positions' log shares
    fall while the compromise has none.)
    """
    f = np.moveaxis(features, axis, -2)
    o = np.moveaxis(offset, axis, -1)
    v = np.moveaxis(valid, axis, -1)
    z = f @ coef
    za = np.where(v[..., :-1], z[..., :-1] + o[..., :-1], -np.inf)
    za = za - za.max(axis=-1, keepdims=True)
    e = np.exp(za)
    share = e / e.sum(axis=-1, keepdims=True)
    pc = expit(z[..., -1])
    p = np.concatenate([(1.0 - pc)[..., None] * share, pc[..., None]], axis=-1)
    return np.moveaxis(p, -1, axis)


def weighted_median(values: np.ndarray, prob: np.ndarray, axis: int = -1) -> np.ndarray:
    """Lowest value at which the cumulative probability reaches 1/2, along ``axis``.

    >>> weighted_median(np.array([0.0, 0.3, 1.0]), np.array([0.2, 0.3, 0.5])).item()
    0.3
    """
    v = np.moveaxis(values, axis, -1)
    p = np.moveaxis(prob, axis, -1)
    order = np.argsort(v, axis=-1, kind="stable")
    vs = np.take_along_axis(v, order, -1)
    cum = np.take_along_axis(p, order, -1).cumsum(axis=-1)
    # a relative tolerance absorbs rounding when the mass splits exactly in half
    idx = (cum >= 0.5 - 1e-12).argmax(axis=-1)
    return np.take_along_axis(vs, idx[..., None], -1)[..., 0]


def grid_distribution(slots: np.ndarray, prob: np.ndarray, smoothing: float) -> np.ndarray:
    """Slot probabilities smoothed by Laplace kernels on the 0..1 grid, truncated to the scale.

    ``slots`` and ``prob`` have the slot axis last, (..., K); ``smoothing`` is the kernel scale
    on 0..1. Returns (..., G) masses on :func:`grid` summing to 1.
    """
    g = grid()
    kern = np.exp(-np.abs(g - slots[..., None]) / max(smoothing, 1e-9))  # (..., K, G)
    kern = kern / kern.sum(axis=-1, keepdims=True)  # each slot keeps its own mass on the scale
    return (prob[..., None] * kern).sum(axis=-2)


def grid() -> np.ndarray:
    """The support of the predictive distribution on 0..1: :data:`GRID_POINTS` points."""
    return np.linspace(0.0, 1.0, GRID_POINTS)


def grid_quantile(mass: np.ndarray, q: float) -> np.ndarray:
    """Lowest grid point at which the cumulative mass reaches ``q``; mass is (..., G)."""
    cum = mass.cumsum(axis=-1)
    return grid()[(cum >= q - 1e-12).argmax(axis=-1)]


def grid_crps(mass: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """CRPS of grid distributions (..., G) at outcomes (...), on 0..1 units.

    CRPS = E|X - y| - E|X - X'| / 2, with the second term from the sorted-support identity
    E|X - X'| = 2 sum_j q_j g_j (2 F_j - q_j - 1).
    """
    g = grid()
    cum = mass.cumsum(axis=-1)
    e_abs = (mass * np.abs(g - np.asarray(outcome)[..., None])).sum(axis=-1)
    spread = 2.0 * (mass * g * (2.0 * cum - mass - 1.0)).sum(axis=-1)
    return e_abs - 0.5 * spread


def empirical_crps(samples: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """CRPS of equally weighted samples (..., M) at outcomes (...): E|X-y| - E|X-X'|/2."""
    x = np.sort(samples, axis=-1)
    m = x.shape[-1]
    e_abs = np.abs(x - np.asarray(outcome)[..., None]).mean(axis=-1)
    # E|X - X'| over ordered samples: 2/m^2 sum_j (2j - m - 1) x_(j), j = 1..m
    j = np.arange(1, m + 1)
    spread = 2.0 * ((2 * j - m - 1) * x).sum(axis=-1) / m**2
    return e_abs - 0.5 * spread


def load_fit(path: str | Path) -> dict[str, Any]:
    """Read a fit written by ``detente calibrate`` (JSON) and check its coefficients."""
    fit = json.loads(Path(path).read_text())
    coef = fit.get("coefficients", {})
    # a fit without the compromise-stage terms (a slot2_base fit) has them at 0
    missing = [f for f in BASE_FEATURES if f not in coef]
    if missing:
        raise ValueError(f"{path}: fit has no coefficient for {', '.join(missing)}")
    if coef["support"] < 0:
        raise ValueError(f"{path}: the support coefficient must be >= 0 (monotonicity)")
    return fit


def slot2_predict(
    arrays: ScenarioArrays,
    coef: dict[str, float],
    *,
    weights: WeightScheme = "capability_salience",
    parliament: str | None = "ep",
) -> tuple[np.ndarray, np.ndarray]:
    """Slots (S, D, K) on 0..1 and their probabilities (S, D, K)."""
    slots, feats, offset, valid = slot2_features(arrays, weights=weights, parliament=parliament)
    c = np.array([coef.get(f, 0.0) for f in FEATURES], dtype=float)
    p = slot_probabilities(feats, offset, valid, c)
    return np.moveaxis(slots, 1, -1), np.moveaxis(p, 1, -1)


def predictive_summary(
    arrays: ScenarioArrays,
    coef: dict[str, float],
    smoothing_points: float,
    *,
    weights: WeightScheme = "capability_salience",
    parliament: str | None = "ep",
    outcome: np.ndarray | None = None,
    interval_tails: dict[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """Point forecast, predictive median and central intervals on the issues' scales.

    ``interval_tails`` (default :data:`INTERVAL_TAILS`) maps each level of :data:`INTERVALS`
    to the tail probability cut at either end.

    Returns arrays of shape (S, D): ``forecast`` (the slot median), ``median`` (of the
    smoothed distribution), ``lo50``/``hi50``, ``lo80``/``hi80``, ``lo90``/``hi90`` and, when
    ``outcome`` (S, D) or (D,) on the issues' scales is given, ``crps`` in scale units and
    ``pit`` (:func:`grid_pit`).
    """
    slots, p = slot2_predict(arrays, coef, weights=weights, parliament=parliament)
    mass = grid_distribution(slots, p, smoothing_points / 100.0)
    tails = INTERVAL_TAILS if interval_tails is None else interval_tails
    out = {
        "forecast": arrays.from_normalised(weighted_median(slots, p)),
        "median": arrays.from_normalised(grid_quantile(mass, 0.5)),
    }
    for level in INTERVALS:
        tail = tails[str(level)]
        tag = f"{round(100 * level)}"
        out[f"lo{tag}"] = arrays.from_normalised(grid_quantile(mass, tail))
        out[f"hi{tag}"] = arrays.from_normalised(grid_quantile(mass, 1.0 - tail))
    if outcome is not None:
        y = (np.broadcast_to(outcome, out["forecast"].shape) - arrays.scale_min) / (
            arrays.scale_width
        )
        out["crps"] = grid_crps(mass, y) * arrays.scale_width
        out["pit"] = grid_pit(mass, y)
    return out


def grid_pit(mass: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Mid-PIT of outcomes (...) on 0..1 under grid distributions (..., G).

    The mass below the outcome's grid cell plus half the cell's own (a point mass at the
    outcome counts half), so that a calibrated forecast gives a uniform PIT.
    """
    g = grid()
    at = np.clip(np.searchsorted(g, np.asarray(outcome), side="right") - 1, 0, len(g) - 1)
    cum = np.take_along_axis(mass.cumsum(axis=-1), at[..., None], -1)[..., 0]
    point = np.take_along_axis(mass, at[..., None], -1)[..., 0]
    return np.clip(cum - 0.5 * point, 0.0, 1.0)
