"""Compile a validated scenario into batched arrays.

A point compile (``samples=None``) holds one sample: the centre of every uncertain Number. A
Monte Carlo compile holds ``samples`` draws of every uncertain Number, taken in document order
(actors, issues, stances) from one ``numpy.random.Generator``, so the same seed gives the same
draws whatever is computed from them afterwards.
"""

from __future__ import annotations

import math

import numpy as np

from detente.arrays import ScenarioArrays
from detente.scenario.schema import Scenario
from detente.scenario.uncertain import Uncertain


def draw(
    u: Uncertain | None,
    samples: int | None,
    rng: np.random.Generator | None,
    clip: tuple[float, float] = (-math.inf, math.inf),
    default: float = math.nan,
) -> np.ndarray:
    """One value per sample: the centre for a point compile, draws for Monte Carlo."""
    n = 1 if samples is None else samples
    if u is None:
        return np.full(n, default)
    if samples is None or u.is_point:
        return np.full(n, min(max(u.centre, clip[0]), clip[1]))
    if rng is None:
        raise ValueError("a Monte Carlo compile needs a numpy Generator")
    return u.sample(rng, n, clip)


def compile_scenario(
    scenario: Scenario,
    samples: int | None = None,
    rng: np.random.Generator | None = None,
    name: str | None = None,
) -> ScenarioArrays:
    """Compile to :class:`ScenarioArrays` (see the module docstring for sampling order).

    >>> from detente.scenario import load_scenario
    >>> a = compile_scenario(load_scenario("ec-emissions-1994"))
    >>> a.position.shape[0]
    1
    """
    actor_ids = scenario.actor_ids()
    issue_ids = scenario.issue_ids()
    n_actors, n_issues = len(actor_ids), len(issue_ids)
    s = 1 if samples is None else samples
    a_index = {a: k for k, a in enumerate(actor_ids)}
    i_index = {i: k for k, i in enumerate(issue_ids)}
    lo = np.array([i.scale.min for i in scenario.issues], dtype=float)
    hi = np.array([i.scale.max for i in scenario.issues], dtype=float)

    actor_cap = np.empty((s, n_actors))
    sensitivity = np.zeros((s, n_actors))
    for k, actor in enumerate(scenario.actors):
        actor_cap[:, k] = draw(actor.capability, samples, rng, (0.0, math.inf))
        sensitivity[:, k] = draw(actor.audience_sensitivity, samples, rng, (0.0, math.inf), 0.0)
    status_quo = np.empty((s, n_issues))
    for k, issue in enumerate(scenario.issues):
        status_quo[:, k] = draw(issue.status_quo, samples, rng, (lo[k], hi[k]))

    mid = (lo + hi) / 2
    position = np.broadcast_to(mid, (s, n_actors, n_issues)).copy()
    salience = np.zeros((s, n_actors, n_issues))
    capability = np.repeat(actor_cap[:, :, None], n_issues, axis=2)
    demand = np.full((s, n_actors, n_issues), np.nan)
    publicity = np.zeros((s, n_actors, n_issues))
    mask = np.zeros((n_actors, n_issues), dtype=bool)
    for st in scenario.stances:
        a, d = a_index[st.actor], i_index[st.issue]
        mask[a, d] = True
        position[:, a, d] = draw(st.position, samples, rng, (lo[d], hi[d]))
        salience[:, a, d] = draw(st.salience, samples, rng, (0.0, 100.0)) / 100.0
        if st.capability is not None:
            capability[:, a, d] = draw(st.capability, samples, rng, (0.0, math.inf))
        demand[:, a, d] = draw(st.demand, samples, rng, (lo[d], hi[d]))
        publicity[:, a, d] = draw(st.publicity, samples, rng, (0.0, 1.0), 0.0)
    capability = np.where(mask, capability, 0.0)
    return ScenarioArrays(
        actor_ids=tuple(actor_ids),
        issue_ids=tuple(issue_ids),
        position=position,
        salience=salience,
        capability=capability,
        mask=mask,
        scale_min=lo,
        scale_max=hi,
        status_quo=status_quo,
        name=name or scenario.meta.title,
        demand=demand,
        publicity=publicity,
        audience_sensitivity=sensitivity,
    )
