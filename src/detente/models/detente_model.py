"""detente's own forecaster: a choice among the positions on the table, centred on the compromise.

Legislative outcomes are rarely a weighted average of the positions: 64 % of the kept DEU
training issues have an outcome within half a point of some actor's position. The detente model
treats the forecast as a choice among "slots": each actor's position (duplicates share one
slot's worth of mass) and the compromise itself (capability x salience weighted mean; Achen
2006). A slot's probability is a softmax of

- ``distance``: |slot - compromise| / scale width (closer slots are likelier),
- ``support``: share of the total capability x salience held by actors at that position,
- ``count``: share of the participating actors at that position,
- ``compromise``: 1 for the compromise slot,
- ``parliament``: 1 for the position of the actor named by the option ``parliament`` (DEU:
  the European Parliament, id ``"ep"``; the term is simply absent from scenarios without it),
- ``status_quo``: 1 for an extra slot at the status quo; only with the option
  ``status_quo="slot"``. Where the status quo is unknown that slot is dropped, and a
  ``UserWarning`` says on how many issues.

The forecast is the probability-weighted mean of the slots. When all actors share a position,
every slot holds it, so the forecast is that position.

Variants
--------
This is ``variant="v1"``. The default is ``variant="slot2"`` (or ``fit=model.json`` from
``detente calibrate``), the forecaster v2 of :mod:`detente.models.slot2`: a convex fit, a
median read-out, a predictive distribution with calibrated intervals, and monotone in
capability and salience by construction. ``variant="slot2_base"`` is slot2 without its
compromise-stage term (the log number of distinct positions, chosen by nested CV for issue 21).
v1 is not monotone: its fitted support weight is negative, so more capability behind a position
can move its forecast away from that position (``tests/models/test_slot2.py``).
docs/validation.md compares them over 20 split seeds of grouped CV: mean ratio to the
compromise model 0.937 for slot2 (CI excluding zero in 11 of 20 seeds), 0.946 for slot2_base
(2 of 20), 0.932 for v1 (15 of 20). slot2 travels better across eras than v1 (leave-one-era-out
pooled 0.950 against 0.979). All miss the required ratio of 0.93; slot2 is the default because
a forecaster that moves away from an actor who gains clout (v1, in 43% of random scenarios)
cannot lead any output (issue 17), and its intervals are calibrated.

Fitted constants and cross-validated accuracy
---------------------------------------------
:data:`COEFFICIENTS` were fitted on ``deu-train.tsv`` only (238 kept issues, 95 proposals;
capability = treaty voting weights, largest state = 100, Commission and Parliament = 100) by
:func:`detente.analyses.calibrate.fit_detente`. The fit minimises the expected absolute error
of the slot choice plus a small ridge penalty, using Powell's method started from zero.
In-sample MAE 20.68 against 23.19 for the compromise model.

Nested 10-fold cross-validation grouped by proposal refits the coefficients inside every fold
(:func:`detente.analyses.calibrate.cross_validate_detente`). Out-of-fold MAE for split seeds
0-9: 21.38, 21.39, 21.19, 21.84, 21.74, 21.47, 22.05, 22.04, 21.36, 21.15. The mean, 21.56, is
7.0 % below the compromise model's 23.19 (the range is -4.9 % to -8.8 %). The paired
proposal-bootstrap 95 % CI of the difference excludes zero for 7 of the 10 splits; for seed 0
it is -3.18 to -0.41 points. The goal of a 10 % reduction was not reached.

A status-quo slot (fitted coefficient -1.58, with the other coefficients refitted as
:data:`COEFFICIENTS_WITH_STATUS_QUO`) gives the same cross-validated error: mean 21.68 over the
same 10 splits. The default therefore ignores the status quo, and ``status_quo="slot"`` is kept
as an option.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from detente.arrays import ScenarioArrays
from detente.models import slot2
from detente.models.base import Model, register
from detente.models.central import WeightScheme, actor_weights, weighted_mean

#: Slot features, in the order of the coefficient vector.
FEATURES: tuple[str, ...] = ("distance", "support", "count", "compromise", "parliament")
#: Fitted on deu-train.tsv (see the module docstring). Units: distance on 0..1 of the scale.
COEFFICIENTS: dict[str, float] = {
    "distance": -19.14,
    "support": -11.63,
    "count": 6.37,
    "compromise": -5.92,
    "parliament": 5.39,
}
#: Coefficients of the variant with a status-quo slot (option ``status_quo="slot"``), all
#: refitted together on deu-train.tsv (in-sample MAE 20.53).
COEFFICIENTS_WITH_STATUS_QUO: dict[str, float] = {
    "distance": -19.50,
    "support": -11.87,
    "count": 5.76,
    "compromise": -7.07,
    "parliament": 5.21,
    "status_quo": -1.58,
}
#: Positions closer than this share of the scale width count as the same position.
SAME_POSITION = 0.005


class DetenteOptions(BaseModel):
    """Options of the detente forecaster.

    ``variant="v1"`` is the forecaster documented above; ``"slot2"`` is the convex slot
    forecaster of :mod:`detente.models.slot2` (median read-out, predictive distribution), and
    ``"slot2_base"`` the same without the compromise-stage terms of issue 21 (its first
    version, kept for side-by-side comparison).
    ``fit`` names a JSON fit written by ``detente calibrate`` (slot2 only).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    variant: Literal["v1", "slot2", "slot2_base"] = "slot2"
    weights: WeightScheme = "capability_salience"
    parliament: str | None = "ep"
    status_quo: Literal["ignore", "slot"] = "ignore"
    fit: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fit_implies_slot2(cls, data: Any) -> Any:
        # a fit file is always a slot2 fit: `-m detente:fit=model.json` needs no variant
        if isinstance(data, dict) and data.get("fit") is not None and "variant" not in data:
            return {**data, "variant": "slot2"}
        return data

    @model_validator(mode="after")
    def _check(self) -> DetenteOptions:
        if self.variant != "v1" and self.status_quo != "ignore":
            raise ValueError("status_quo='slot' exists only for variant='v1'")
        if self.fit is not None and self.variant != "slot2":
            raise ValueError("fit=FILE needs variant='slot2' (a fit from `detente calibrate`)")
        return self


def slot_features(
    arrays: ScenarioArrays,
    *,
    weights: WeightScheme = "capability_salience",
    parliament: str | None = "ep",
    status_quo: Literal["ignore", "slot"] = "ignore",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate slots and their features for every sample and issue.

    Returns
    -------
    slots : (S, K, D)
        Slot positions on 0..1 of the scale: the N actors, the compromise and, with
        ``status_quo="slot"``, the status quo (K = N + 1 or N + 2).
    features : (S, K, D, F)
        :data:`FEATURES` (plus a status-quo indicator when ``status_quo="slot"``).
    offset : (S, K, D)
        ``-log`` of the number of actors sharing the slot's position (0 for other slots), so
        that a position held by several actors is one slot's worth before the features act.
    valid : (S, K, D) bool
        Slots that exist (participating actors, a known status quo).
    """
    s, n, d = arrays.position.shape
    x = arrays.normalised_position()
    mask = np.broadcast_to(arrays.mask, x.shape)
    w = actor_weights(arrays, weights)
    centre = weighted_mean(x, w)  # (S, D)
    share = w / w.sum(axis=1, keepdims=True)
    # pairwise "same position" among participating actors: (S, N, N, D); N is small (tens)
    same = (np.abs(x[:, :, None, :] - x[:, None, :, :]) < SAME_POSITION) & (
        mask[:, :, None, :] & mask[:, None, :, :]
    )
    support = (same * share[:, None, :, :]).sum(axis=2)
    multiplicity = same.sum(axis=2)
    count = multiplicity / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    dist = np.abs(x - centre[:, None, :])
    is_parl = np.zeros((s, n, d))
    if parliament is not None and parliament in arrays.actor_ids:
        is_parl[:, arrays.actor_ids.index(parliament), :] = 1.0

    zeros = np.zeros((s, 1, d))
    slots = np.concatenate([x, centre[:, None, :]], axis=1)
    feats = [
        np.concatenate([dist, zeros], axis=1),
        np.concatenate([support, zeros], axis=1),
        np.concatenate([count, zeros], axis=1),
        np.concatenate([np.zeros((s, n, d)), np.ones((s, 1, d))], axis=1),
        np.concatenate([is_parl, zeros], axis=1),
    ]
    offset = np.concatenate([-np.log(np.maximum(multiplicity, 1)), zeros], axis=1)
    valid = np.concatenate([mask, np.ones((s, 1, d), dtype=bool)], axis=1)
    if status_quo == "slot":
        sq = (arrays.status_quo - arrays.scale_min) / arrays.scale_width
        known = np.isfinite(sq)
        if not known.all():
            warnings.warn(
                f"detente: status quo unknown on {int((~known).sum())} sample-issue(s); "
                "forecasting without the status-quo slot there",
                UserWarning,
                stacklevel=3,
            )
        sq_slot = np.where(known, sq, 0.0)[:, None, :]
        sq_dist = np.abs(sq_slot - centre[:, None, :])
        slots = np.concatenate([slots, sq_slot], axis=1)
        feats = [
            np.concatenate([f, extra], axis=1)
            for f, extra in zip(feats, [sq_dist, zeros, zeros, zeros, zeros], strict=True)
        ]
        feats.append(np.concatenate([np.zeros((s, n + 1, d)), np.ones((s, 1, d))], axis=1))
        offset = np.concatenate([offset, zeros], axis=1)
        valid = np.concatenate([valid, known[:, None, :]], axis=1)
    return slots, np.stack(feats, axis=-1), offset, valid


def slot_probabilities(
    features: np.ndarray, offset: np.ndarray, valid: np.ndarray, coef: np.ndarray
) -> np.ndarray:
    """Softmax over the slot axis (axis 1) of ``features @ coef + offset``, zero where invalid."""
    z = np.where(valid, features @ coef + offset, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def detente_forecast(
    arrays: ScenarioArrays,
    coef: np.ndarray | None = None,
    *,
    weights: WeightScheme = "capability_salience",
    parliament: str | None = "ep",
    status_quo: Literal["ignore", "slot"] = "ignore",
) -> np.ndarray:
    """Forecast (S, D) on the issues' scales; ``coef`` defaults to the fitted constants."""
    if coef is None:
        if status_quo == "slot":
            coef = np.array([COEFFICIENTS_WITH_STATUS_QUO[f] for f in (*FEATURES, "status_quo")])
        else:
            coef = np.array([COEFFICIENTS[f] for f in FEATURES])
    slots, feats, offset, valid = slot_features(
        arrays, weights=weights, parliament=parliament, status_quo=status_quo
    )
    p = slot_probabilities(feats, offset, valid, np.asarray(coef, dtype=float))
    return arrays.from_normalised((p * slots).sum(axis=1))


#: where the coefficients were fitted: every output that shows this model says so
DOMAIN = "EU legislation (DEU I-III training data)"
#: out-of-fold error on the training domain (module docstring), in points of a 0-100 scale
VALIDATED_ERROR = {"mae": 21.56, "scale": "0-100", "protocol": "10-fold CV grouped by proposal"}


@register
class Detente(Model):
    """Choice among the positions on the table around the compromise (fitted on DEU)."""

    name = "detente"
    title = "detente forecaster (choice among the positions on the table)"
    citation = (
        "detente validation on DEU I-III training data (docs/validation.md); builds on Achen "
        "(2006) 'Evaluating political decision-making models', in Thomson et al. (eds), The "
        "European Union Decides, Cambridge UP"
    )
    Options = DetenteOptions

    def _slot2_fit(self) -> dict:
        """The slot2 fit in force: the shipped constants, or the file named by ``fit``."""
        if self.options.fit is not None:
            return slot2.load_fit(self.options.fit)
        if self.options.variant == "slot2_base":
            return {
                "coefficients": dict(slot2.BASE_COEFFICIENTS),
                "compromise_terms": [],
                "smoothing": slot2.SMOOTHING,
                "interval_tails": dict(slot2.BASE_INTERVAL_TAILS),
                "ridge": slot2.RIDGE,
                "target_scale": slot2.TARGET_SCALE,
                "training": dict(slot2.BASE_TRAINING),
                "domain": slot2.DOMAIN,
                "validated_error": dict(slot2.BASE_VALIDATED_ERROR),
            }
        return {
            "coefficients": dict(slot2.COEFFICIENTS),
            "compromise_terms": list(slot2.COMPROMISE_TERMS),
            "smoothing": slot2.SMOOTHING,
            "interval_tails": dict(slot2.INTERVAL_TAILS),
            "ridge": slot2.RIDGE,
            "target_scale": slot2.TARGET_SCALE,
            "training": dict(slot2.TRAINING),
            "domain": slot2.DOMAIN,
            "validated_error": dict(slot2.VALIDATED_ERROR),
        }

    def describe(self) -> dict:
        d = super().describe()
        if self.options.variant != "v1":
            fit = self._slot2_fit()
            d["fitted"] = {
                **{f: fit["coefficients"].get(f, 0.0) for f in slot2.FEATURES},
                "compromise_terms": list(fit.get("compromise_terms", [])),
                "smoothing": fit["smoothing"],
                "interval_tails": fit.get("interval_tails", dict(slot2.INTERVAL_TAILS)),
                **{k: fit[k] for k in ("ridge", "target_scale", "training") if k in fit},
            }
            d["domain"] = fit.get("domain", slot2.DOMAIN)
            d["validated_error"] = dict(fit.get("validated_error", slot2.VALIDATED_ERROR))
            return d
        slot = self.options.status_quo == "slot"
        d["fitted"] = dict(COEFFICIENTS_WITH_STATUS_QUO if slot else COEFFICIENTS)
        d["domain"] = DOMAIN
        d["validated_error"] = dict(VALIDATED_ERROR)
        return d

    def predictive(
        self, arrays: ScenarioArrays, outcome: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """slot2 only: forecast, predictive median, 50/80/90 % intervals (and CRPS), (S, D)."""
        if self.options.variant == "v1":
            raise ValueError("predictive distributions exist for the slot2 variants only")
        fit = self._slot2_fit()
        return slot2.predictive_summary(
            arrays,
            fit["coefficients"],
            fit["smoothing"],
            weights=self.options.weights,
            parliament=self.options.parliament,
            outcome=outcome,
            interval_tails=fit.get("interval_tails"),
        )

    def forecast(self, arrays: ScenarioArrays, rng: np.random.Generator) -> np.ndarray:
        if self.options.variant != "v1":
            slots, p = slot2.slot2_predict(
                arrays,
                self._slot2_fit()["coefficients"],
                weights=self.options.weights,
                parliament=self.options.parliament,
            )
            return arrays.from_normalised(slot2.weighted_median(slots, p))
        return detente_forecast(
            arrays,
            weights=self.options.weights,
            parliament=self.options.parliament,
            status_quo=self.options.status_quo,
        )
