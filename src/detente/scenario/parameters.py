"""A scenario's uncertain inputs as a named parameter vector.

Monte Carlo runs and sensitivity analyses need every uncertain Number of a scenario (core
sections, crisis and ratification sections) as one vector: a label people can read ("RUS
salience on enlargement", "crisis.p_win"), the distribution, and the interval its draws are
clipped to. :func:`uncertain_parameters` lists them; :func:`draw_values` draws all of them for
``S`` samples; :func:`quantile_values` maps points of the unit cube through each parameter's
inverse CDF (for Sobol and one-at-a-time designs); :func:`compile_all` compiles the core arrays
and the optional sections from given values.

Order of the vector (the order :func:`draw_values` draws in): the core slots in the document
order of :func:`detente.scenario.compile.core_slots` (so the core draws equal those of
``compile_scenario`` with the same generator), then the crisis Numbers in the order
``compile_crisis`` reads them, then the ratification Numbers in the order
``compile_ratification`` reads them. Point Numbers are not parameters (they never vary).

How the optional sections are compiled from values: each uncertain Number at a parameter's
path is replaced by a :class:`Given` Number carrying that parameter's values per sample, and
the section compilers run unchanged (``Given.sample`` returns the values, clipped as a draw
would be). Two consequences, both deliberate:

- a bloc ``spread`` or a default weight written once for all issues is one parameter, used on
  every issue it applies to (the compilers would otherwise draw it afresh per issue);
- the proposer's belief about the responder's cost of war (``crisis.private_cost``, or the
  responder's cost field read as the belief) is a distribution the proposer holds, not an
  analyst's uncertain input: it is never a parameter and stays the original Number.

The only randomness left in a compile from values is the spread of bloc members around a bloc's
ideal point (``compile_ratification`` draws one standard normal per member and issue), which the
caller supplies through ``rng``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, PrivateAttr

from detente.scenario.compile import Path, compile_values, core_slots
from detente.scenario.schema import Number, Scenario
from detente.scenario.uncertain import Uncertain

if TYPE_CHECKING:
    from detente.arrays import ScenarioArrays
    from detente.scenario.crisis import CrisisArrays, PieZero
    from detente.scenario.ratification import CompiledRatification

INF = math.inf


@dataclass(frozen=True)
class Parameter:
    """One uncertain input: where it is, what it is called, its distribution and clip."""

    path: Path
    label: str
    number: Uncertain
    clip: tuple[float, float]
    section: str  # "core", "crisis" or "ratification"

    def describe(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "path": ".".join(str(p) for p in self.path),
            "distribution": self.number.describe(),
        }


def _crisis_parameters(sc: Scenario) -> list[Parameter]:
    cr = sc.crisis
    if cr is None:
        return []
    out: list[tuple[Path, str, Uncertain | None, tuple[float, float]]] = [
        (("crisis", "stakes", k), f"crisis.stakes.{k}", w, (0.0, INF)) for k, w in cr.stakes.items()
    ]
    out += [
        (("crisis", "p_win"), "crisis.p_win", cr.p_win, (0.0, 1.0)),
        (("crisis", "cost_challenger"), "crisis.cost_challenger", cr.cost_challenger, (0.0, INF)),
        (("crisis", "cost_target"), "crisis.cost_target", cr.cost_target, (0.0, INF)),
    ]
    mob = cr.mobilisation
    if mob is not None:
        out += [
            (("crisis", "mobilisation", f), f"crisis.mobilisation.{f}", getattr(mob, f), clip)
            for f, clip in (
                ("cost_per_month", (0.0, INF)),
                ("months", (0.0, INF)),
                ("value_max", (1e-12, INF)),
            )
        ]
    out.append((("crisis", "deadline_months"), "crisis.deadline_months", cr.deadline_months,
                (0.0, INF)))  # fmt: skip
    ps = cr.power_shift
    if ps is not None:
        out += [
            (("crisis", "power_shift", "p_future"), "crisis.power_shift.p_future", ps.p_future,
             (0.0, 1.0)),
            (("crisis", "power_shift", "discount"), "crisis.power_shift.discount", ps.discount,
             (0.0, 1 - 1e-9)),
        ]  # fmt: skip
    if cr.brinkmanship is not None:
        out.append((("crisis", "brinkmanship", "hazard_per_month"),
                    "crisis.brinkmanship.hazard_per_month", cr.brinkmanship.hazard_per_month,
                    (0.0, INF)))  # fmt: skip
    out.append((("crisis", "audience_cost_convexity"), "crisis.audience_cost_convexity",
                cr.audience_cost_convexity, (1.0, INF)))  # fmt: skip
    out.append((("crisis", "talks_months"), "crisis.talks_months", cr.talks_months,
                (0.0, INF)))  # fmt: skip
    out += [
        (("crisis", "responses", t, "cost"), f"crisis.responses.{t}.cost", r.cost, (0.0, INF))
        for t, r in cr.responses.items()
        if t in cr.targets
    ]
    return [
        Parameter(path, label, u, clip, "crisis")
        for path, label, u, clip in out
        if u is not None and not u.is_point
    ]


def _ratification_parameters(sc: Scenario) -> list[Parameter]:
    lo = {i.id: i.scale.min for i in sc.issues}
    hi = {i.id: i.scale.max for i in sc.issues}
    out: list[Parameter] = []

    def add(path: Path, label: str, u: Uncertain | None, clip: tuple[float, float]) -> None:
        if u is not None and not u.is_point:
            out.append(Parameter(path, label, u, clip, "ratification"))

    for b, body in enumerate(sc.bodies):
        at = f"bodies.{body.id}"
        for iid, u in body.reversion.items():
            add(("bodies", b, "reversion", iid), f"{at}.reversion.{iid}", u, (lo[iid], hi[iid]))
        for k, bloc in enumerate(body.blocs):
            bat, bpath = f"{at}.blocs.{bloc.id}", ("bodies", b, "blocs", k)
            for iid, u in bloc.ideal.items():
                add((*bpath, "ideal", iid), f"{bat}.ideal.{iid}", u, (lo[iid], hi[iid]))
            if isinstance(bloc.spread, dict):
                for iid, u in bloc.spread.items():
                    add((*bpath, "spread", iid), f"{bat}.spread.{iid}", u, (0.0, INF))
            else:
                add((*bpath, "spread"), f"{bat}.spread", bloc.spread, (0.0, INF))
            for iid, u in bloc.weights.items():
                add((*bpath, "weights", iid), f"{bat}.weights.{iid}", u, (0.0, INF))
            add((*bpath, "approval_cost"), f"{bat}.approval_cost", bloc.approval_cost, (0.0, INF))
        for k, member in enumerate(body.members):
            mat, mpath = f"{at}.members.{member.id}", ("bodies", b, "members", k)
            for iid, u in member.ideal.items():
                add((*mpath, "ideal", iid), f"{mat}.ideal.{iid}", u, (lo[iid], hi[iid]))
            for iid, u in member.weights.items():
                add((*mpath, "weights", iid), f"{mat}.weights.{iid}", u, (0.0, INF))
            add((*mpath, "approval_cost"), f"{mat}.approval_cost", member.approval_cost, (0.0, INF))
    for f, form in enumerate(sc.forms):
        add(("forms", f, "revision_hazard"), f"forms.{form.id}.revision_hazard",
            form.revision_hazard, (0.0, 1.0))  # fmt: skip
        add(("forms", f, "horizon"), f"forms.{form.id}.horizon", form.horizon, (0.0, INF))
    for p, prop in enumerate(sc.proposals):
        for iid, u in prop.values.items():
            add(("proposals", p, "values", iid), f"proposals.{prop.id}.{iid}", u,
                (lo[iid], hi[iid]))  # fmt: skip
    return out


def uncertain_parameters(scenario: Scenario) -> list[Parameter]:
    """Every uncertain (non-point) Number of the scenario, in draw order (module docstring).

    >>> from detente.scenario import load_scenario
    >>> ps = uncertain_parameters(load_scenario("russia-nato-2021"))
    >>> "ITA position on enlargement" in [p.label for p in ps], "crisis.p_win" in [
    ...     p.label for p in ps]
    (True, True)
    """
    core = [
        Parameter(s.path, s.label, s.number, s.clip, "core")
        for s in core_slots(scenario)
        if s.number is not None and not s.number.is_point
    ]
    return core + _crisis_parameters(scenario) + _ratification_parameters(scenario)


def draw_values(params: list[Parameter], samples: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of every parameter, shape (P, S), in the vector's order, clipped like a compile."""
    out = np.empty((len(params), samples))
    for k, p in enumerate(params):
        out[k] = p.number.sample(rng, samples, p.clip)
    return out


def quantile(u: Uncertain, q: np.ndarray) -> np.ndarray:
    """The inverse CDF of a Number at probabilities ``q`` (unclipped).

    >>> quantile(Uncertain.model_validate([10, 20]), np.array([0.0, 0.5, 1.0])).tolist()
    [10.0, 15.0, 20.0]
    """
    from scipy.special import betaincinv, ndtri  # lazy: keeps CLI start-up fast

    q = np.asarray(q, dtype=float)
    d = u.dist
    if d == "point":
        return np.full(q.shape, float(u.value))  # type: ignore[arg-type]
    if d == "uniform":
        return u.low + q * (u.high - u.low)  # type: ignore[operator]
    if d == "normal":
        if u.sd == 0:
            return np.full(q.shape, float(u.mean))  # type: ignore[arg-type]
        return u.mean + u.sd * ndtri(q)  # type: ignore[operator]
    if d == "triangular":
        a, c, b = float(u.low), float(u.mode), float(u.high)  # type: ignore[arg-type]
        if a == b:
            return np.full(q.shape, a)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(q * (b - a) * (c - a))
        right = b - np.sqrt((1 - q) * (b - a) * (b - c))
        return np.where(q < fc, left, right)
    return u.low + (u.high - u.low) * betaincinv(u.alpha, u.beta, q)  # type: ignore[operator]


def quantile_values(params: list[Parameter], q: np.ndarray) -> np.ndarray:
    """Map probabilities ``q`` (P, S) in [0, 1] to parameter values (P, S), clipped."""
    q = np.asarray(q, dtype=float)
    out = np.empty(q.shape)
    for k, p in enumerate(params):
        out[k] = np.clip(quantile(p.number, q[k]), p.clip[0], p.clip[1])
    return out


def centre_values(params: list[Parameter], samples: int = 1) -> np.ndarray:
    """Every parameter at its centre (what a point compile uses), shape (P, S)."""
    return np.array(
        [np.full(samples, min(max(p.number.centre, p.clip[0]), p.clip[1])) for p in params]
    ).reshape(len(params), samples)


# --------------------------------------------------------------------------------------------
# Compiling from values


class Given(Number):
    """A Number whose per-sample values are already decided (a draw, or a design point).

    The section compilers call ``sample(rng, n, clip)`` on every uncertain Number; a Given
    returns its values, clipped as a draw would be, and consumes no randomness.
    """

    _values: np.ndarray = PrivateAttr()

    @classmethod
    def of(cls, number: Uncertain, values: np.ndarray) -> Given:
        g = cls.model_construct(**number.model_dump())
        g._values = np.asarray(values, dtype=float)
        return g

    @property
    def is_point(self) -> bool:
        return False

    @property
    def draws_randomness(self) -> bool:
        return False  # its values are given

    def sample(
        self,
        rng: np.random.Generator | None,
        n: int,
        clip: tuple[float, float] = (-INF, INF),
    ) -> np.ndarray:
        if self._values.shape != (n,):
            raise ValueError(f"{n} samples asked of a Given holding {self._values.shape}")
        return np.clip(self._values, clip[0], clip[1])


def _replace(obj: Any, path: Path, new: Any) -> Any:
    """A copy of ``obj`` with the item at ``path`` replaced (shallow copies along the path)."""
    if not path:
        return new
    key, rest = path[0], path[1:]
    if isinstance(obj, BaseModel):
        return obj.model_copy(update={key: _replace(getattr(obj, key), rest, new)})  # type: ignore[dict-item]
    if isinstance(obj, list):
        out = list(obj)
        out[key] = _replace(obj[key], rest, new)  # type: ignore[index]
        return out
    if isinstance(obj, dict):
        out = dict(obj)
        out[key] = _replace(obj[key], rest, new)
        return out
    raise TypeError(f"cannot follow {key!r} into {type(obj).__name__}")


def with_values(scenario: Scenario, params: list[Parameter], values: np.ndarray) -> Scenario:
    """The scenario with every crisis and ratification parameter replaced by a :class:`Given`.

    Core parameters are left as they are (:func:`compile_values` reads them directly).
    """
    sc = scenario
    cr = sc.crisis
    if cr is not None and cr.private_cost is None and any(p.section == "crisis" for p in params):
        # the belief is read from the responder's cost field: keep the original distribution
        responder = cr.cost_target if cr.proposer_id == cr.challenger else cr.cost_challenger
        sc = _replace(sc, ("crisis", "private_cost"), responder)
    for k, p in enumerate(params):
        if p.section != "core":
            sc = _replace(sc, p.path, Given.of(p.number, values[k]))
    return sc


@dataclass(frozen=True)
class Compiled:
    """Everything compiled from one set of values: core arrays and the optional sections."""

    arrays: ScenarioArrays
    crisis: CrisisArrays | None
    ratification: CompiledRatification | None


def compile_all(
    scenario: Scenario,
    params: list[Parameter],
    values: np.ndarray,
    rng: np.random.Generator,
    pie_zero: PieZero = "scale",
    name: str | None = None,
) -> Compiled:
    """Compile the core arrays, the crisis section and the ratification sections from values.

    Parameters
    ----------
    scenario
        A validated scenario.
    params
        Its parameter vector (:func:`uncertain_parameters`).
    values
        (P, S) values of the parameters.
    rng
        Generator for the spread of bloc members (the only randomness left; module docstring).
    pie_zero
        Passed to :func:`detente.scenario.crisis.compile_crisis`.
    name
        Name recorded in the arrays.
    """
    from detente.scenario.crisis import compile_crisis
    from detente.scenario.ratification import compile_ratification

    values = np.asarray(values, dtype=float)
    if values.shape[0] != len(params):
        raise ValueError(f"{values.shape[0]} rows of values for {len(params)} parameters")
    s = values.shape[1]
    core = {p.path: values[k] for k, p in enumerate(params) if p.section == "core"}
    arrays = compile_values(scenario, core, s, name)
    sub = with_values(scenario, params, values)
    crisis = None
    if scenario.crisis is not None:
        crisis = compile_crisis(sub, arrays, s, rng, pie_zero=pie_zero)
    ratification = None
    if scenario.bodies or scenario.forms or scenario.proposals:
        ratification = compile_ratification(sub, samples=s, rng=rng, status_quo=arrays.status_quo)
    return Compiled(arrays=arrays, crisis=crisis, ratification=ratification)
