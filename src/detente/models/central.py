"""Central-tendency models: mean, compromise (Achen) and weighted median.

These are the baselines of the field. On the DEU data the compromise model, the capability x
salience weighted mean, is still the forecaster to beat (Achen 2006; Thomson et al. 2006).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from detente.arrays import ScenarioArrays
from detente.models.base import Model, register

WeightScheme = Literal["capability_salience", "capability", "salience", "equal"]


class WeightOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: WeightScheme = "capability_salience"


def actor_weights(arrays: ScenarioArrays, scheme: WeightScheme) -> np.ndarray:
    """Per (sample, actor, issue) weights under a named scheme, zero where absent.

    Where every present actor has weight zero on an issue (for example all saliences are 0), the
    present actors count equally, so that the outcome is still defined.
    """
    mask = np.broadcast_to(arrays.mask, arrays.position.shape)
    if scheme == "capability_salience":
        w = arrays.capability * arrays.salience
    elif scheme == "capability":
        w = arrays.capability.copy()
    elif scheme == "salience":
        w = arrays.salience.copy()
    else:
        w = np.ones_like(arrays.position)
    w = np.where(mask, w, 0.0)
    empty = w.sum(axis=1, keepdims=True) <= 0
    return np.where(empty & mask, 1.0, w)


def weighted_mean(position: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over the actor axis: (S, N, D) -> (S, D)."""
    return (weights * position).sum(axis=1) / weights.sum(axis=1)


def weighted_median(position: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Lowest position at which the cumulative weight reaches half the total: (S, N, D) -> (S, D).

    Ties: when the cumulative weight lands exactly on half the total at some position (an even
    split), the lower of the two middle positions is returned. A relative tolerance of 1e-12 on
    the half-total absorbs rounding in the cumulative sum.

    >>> import numpy as np
    >>> p = np.array([[[0.0], [50.0], [100.0]]])
    >>> weighted_median(p, np.array([[[1.0], [1.0], [1.0]]])).item()
    50.0
    >>> weighted_median(p, np.array([[[1.0], [0.0], [1.0]]])).item()
    0.0
    """
    order = np.argsort(position, axis=1, kind="stable")
    sorted_pos = np.take_along_axis(position, order, axis=1)
    cum = np.cumsum(np.take_along_axis(weights, order, axis=1), axis=1)
    half = 0.5 * cum[:, -1:, :]
    reached = cum >= half * (1 - 1e-12)
    # zero-weight actors cannot be the median: the index is the first actor reaching half,
    # and the actor there always carries weight because cum only grows through weighted actors.
    idx = np.argmax(reached, axis=1)[:, None, :]
    return np.take_along_axis(sorted_pos, idx, axis=1)[:, 0, :]


@register
class Mean(Model):
    """Unweighted mean of the positions of the actors taking part in each issue."""

    name = "mean"
    title = "Mean of positions"
    citation = "Baseline; see Thomson et al. (2006) The European Union Decides, ch. 2"

    def forecast(self, arrays: ScenarioArrays, rng: np.random.Generator) -> np.ndarray:
        return weighted_mean(arrays.position, actor_weights(arrays, "equal"))


@register
class Compromise(Model):
    """Capability x salience weighted mean: Achen's compromise model (the NBS limit)."""

    name = "compromise"
    title = "Compromise model (weighted mean)"
    citation = (
        "Achen (2006) 'Evaluating political decision-making models', in Thomson et al. (eds), "
        "The European Union Decides, Cambridge UP, 264-298"
    )
    Options = WeightOptions

    def forecast(self, arrays: ScenarioArrays, rng: np.random.Generator) -> np.ndarray:
        return weighted_mean(arrays.position, actor_weights(arrays, self.options.weights))


@register
class WeightedMedian(Model):
    """Weighted median: the position no weighted majority prefers to move away from (1-D)."""

    name = "median"
    title = "Weighted median"
    citation = (
        "Black (1948) 'On the rationale of group decision-making', JPE 56(1):23-34; "
        "Bueno de Mesquita (1994) in European Community Decision Making, Yale UP"
    )
    Options = WeightOptions

    def forecast(self, arrays: ScenarioArrays, rng: np.random.Generator) -> np.ndarray:
        return weighted_median(arrays.position, actor_weights(arrays, self.options.weights))
