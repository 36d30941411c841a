"""Compile a validated scenario into batched arrays.

A point compile (``samples=None``) holds one sample: the centre of every uncertain Number. A
Monte Carlo compile holds ``samples`` draws of every uncertain Number, taken in document order
(actors, issues, stances) from one ``numpy.random.Generator``, so the same seed gives the same
draws whatever is computed from them afterwards.

Drawing and compiling are separate steps: :func:`core_slots` lists every Number the core arrays
read (with the interval its draws are clipped to), :func:`draw_core` draws them, and
:func:`compile_values` builds the arrays from given values per sample. Monte Carlo runs and
sensitivity analyses use the two steps apart (values drawn once for every sample, or set by a
design); :func:`compile_scenario` chains them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

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


#: A slot's address in the scenario document, e.g. ``("stances", 3, "salience")``.
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Slot:
    """One Number the core compile reads: where it is, its clip interval and its default.

    ``number`` is None where the scenario leaves an optional field out (the compile then uses
    ``default``). ``label`` names the slot for people ("RUS salience on enlargement").
    """

    path: Path
    number: Uncertain | None
    clip: tuple[float, float]
    default: float
    label: str


def core_slots(scenario: Scenario) -> list[Slot]:
    """Every Number the core arrays read, in the document order a Monte Carlo compile draws.

    Order: each actor's capability and audience sensitivity; each issue's status quo; each
    stance's position, salience, capability override, public demand and publicity.
    """
    lo = [i.scale.min for i in scenario.issues]
    hi = [i.scale.max for i in scenario.issues]
    i_index = {i.id: k for k, i in enumerate(scenario.issues)}
    inf = math.inf
    out: list[Slot] = []
    for k, actor in enumerate(scenario.actors):
        a = actor.id
        out.append(
            Slot(
                ("actors", k, "capability"),
                actor.capability,
                (0.0, inf),
                math.nan,
                f"{a} capability",
            )
        )
        out.append(
            Slot(
                ("actors", k, "audience_sensitivity"),
                actor.audience_sensitivity,
                (0.0, inf),
                0.0,
                f"{a} audience sensitivity",
            )
        )
    for k, issue in enumerate(scenario.issues):
        out.append(
            Slot(
                ("issues", k, "status_quo"),
                issue.status_quo,
                (lo[k], hi[k]),
                math.nan,
                f"status quo of {issue.id}",
            )
        )
    for k, st in enumerate(scenario.stances):
        d = i_index[st.issue]
        on = f"on {st.issue}"
        out += [
            Slot(
                ("stances", k, "position"),
                st.position,
                (lo[d], hi[d]),
                math.nan,
                f"{st.actor} position {on}",
            ),
            Slot(
                ("stances", k, "salience"),
                st.salience,
                (0.0, 100.0),
                math.nan,
                f"{st.actor} salience {on}",
            ),
        ]
        if st.capability is not None:
            out.append(
                Slot(
                    ("stances", k, "capability"),
                    st.capability,
                    (0.0, inf),
                    math.nan,
                    f"{st.actor} capability {on}",
                )
            )
        out += [
            Slot(
                ("stances", k, "demand"),
                st.demand,
                (lo[d], hi[d]),
                math.nan,
                f"{st.actor} public demand {on}",
            ),
            Slot(
                ("stances", k, "publicity"),
                st.publicity,
                (0.0, 1.0),
                0.0,
                f"{st.actor} publicity {on}",
            ),
        ]
    return out


def draw_core(
    scenario: Scenario, samples: int | None = None, rng: np.random.Generator | None = None
) -> dict[Path, np.ndarray]:
    """Values of every core slot, shape (S,) each: centres, or draws in document order."""
    return {s.path: draw(s.number, samples, rng, s.clip, s.default) for s in core_slots(scenario)}


def compile_values(
    scenario: Scenario,
    values: Mapping[Path, np.ndarray],
    samples: int | None = None,
    name: str | None = None,
) -> ScenarioArrays:
    """Compile the core arrays from given values per sample.

    Parameters
    ----------
    scenario
        A validated scenario.
    values
        Slot path -> values of shape (S,) on the scenario's own scales (salience 0..100). A slot
        left out takes its centre (or its default where the field is absent). Values are
        clipped to the slot's interval, as draws are.
    samples
        ``S``; None for one sample.
    name
        Name recorded in the arrays (default: the scenario's title).
    """
    s = 1 if samples is None else samples

    def value(slot: Slot) -> np.ndarray:
        given = values.get(slot.path)
        if given is None:
            return draw(slot.number, None, None, slot.clip, slot.default).repeat(s)
        given = np.asarray(given, dtype=float)
        if given.shape != (s,):
            raise ValueError(f"values of {slot.label} have shape {given.shape}, expected {(s,)}")
        return np.clip(given, slot.clip[0], slot.clip[1])

    slots = {sl.path: sl for sl in core_slots(scenario)}

    def get(*path: str | int) -> np.ndarray:
        return value(slots[path])

    actor_ids = scenario.actor_ids()
    issue_ids = scenario.issue_ids()
    n_actors, n_issues = len(actor_ids), len(issue_ids)
    a_index = {a: k for k, a in enumerate(actor_ids)}
    i_index = {i: k for k, i in enumerate(issue_ids)}
    lo = np.array([i.scale.min for i in scenario.issues], dtype=float)
    hi = np.array([i.scale.max for i in scenario.issues], dtype=float)

    actor_cap = np.empty((s, n_actors))
    sensitivity = np.zeros((s, n_actors))
    for k in range(n_actors):
        actor_cap[:, k] = get("actors", k, "capability")
        sensitivity[:, k] = get("actors", k, "audience_sensitivity")
    status_quo = np.empty((s, n_issues))
    for k in range(n_issues):
        status_quo[:, k] = get("issues", k, "status_quo")

    mid = (lo + hi) / 2
    position = np.broadcast_to(mid, (s, n_actors, n_issues)).copy()
    salience = np.zeros((s, n_actors, n_issues))
    capability = np.repeat(actor_cap[:, :, None], n_issues, axis=2)
    demand = np.full((s, n_actors, n_issues), np.nan)
    publicity = np.zeros((s, n_actors, n_issues))
    mask = np.zeros((n_actors, n_issues), dtype=bool)
    for k, st in enumerate(scenario.stances):
        a, d = a_index[st.actor], i_index[st.issue]
        mask[a, d] = True
        position[:, a, d] = get("stances", k, "position")
        salience[:, a, d] = get("stances", k, "salience") / 100.0
        if st.capability is not None:
            capability[:, a, d] = get("stances", k, "capability")
        demand[:, a, d] = get("stances", k, "demand")
        publicity[:, a, d] = get("stances", k, "publicity")
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
        controlled_by=(
            tuple(i.controlled_by for i in scenario.issues)
            if any(i.controlled_by for i in scenario.issues)
            else None
        ),
        veto=tuple(tuple(i.veto) for i in scenario.issues)
        if any(i.veto for i in scenario.issues)
        else None,
    )


def compile_scenario(
    scenario: Scenario,
    samples: int | None = None,
    rng: np.random.Generator | None = None,
    name: str | None = None,
) -> ScenarioArrays:
    """Compile to :class:`ScenarioArrays` (see the module docstring for sampling order).

    Draws every core Number (:func:`draw_core`), then compiles from the values
    (:func:`compile_values`).

    >>> from detente.scenario import load_scenario
    >>> a = compile_scenario(load_scenario("ec-emissions-1994"))
    >>> a.position.shape[0]
    1
    """
    return compile_values(scenario, draw_core(scenario, samples, rng), samples, name)
