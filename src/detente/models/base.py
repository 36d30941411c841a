"""The model protocol: a name, a citation, named options, and pure functions on arrays.

Every model subclasses :class:`Model` and is added to the registry with :func:`register`. A model
implements :meth:`Model.forecast` (outcome per sample and issue) and, when it has dynamics,
:meth:`Model.simulate` (the whole round-by-round trajectory). Static models inherit a one-round
``simulate``. The generic conformance suite in ``tests/models/conformance.py`` runs against every
registered model.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from detente.arrays import ScenarioArrays


class NoOptions(BaseModel):
    """Options of a model that has none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Simulation:
    """A model run round by round.

    ``positions`` has shape (T+1, S, N, D) and ``forecasts`` (T+1, S, D); index 0 is the input.
    ``events[t]`` lists what happened in round ``t`` (``events[0]`` is empty) for sample 0 only,
    each event a JSON-ready dict with at least a ``"type"`` key: why an actor moved.
    ``converged`` says whether the model's stopping rule fired before the round limit.
    ``agreement`` is (S, D) bool where a model can report "no agreement" (e.g. Nash bargaining
    with no point better than disagreement for all); None when the model always agrees.
    """

    positions: np.ndarray
    forecasts: np.ndarray
    events: list[list[dict[str, Any]]] = field(default_factory=list)
    converged: bool = True
    agreement: np.ndarray | None = None

    @property
    def rounds(self) -> int:
        return self.positions.shape[0] - 1

    @property
    def final(self) -> np.ndarray:
        """Forecast after the last round, shape (S, D)."""
        return self.forecasts[-1]


#: How a model treats an issue one actor controls and an issue with veto players
#: (docs/scenario-format.md, "Issue control and vetoes"):
#: - ``"fixed"``: voting and weighted-mean models have no way to compensate an actor, so a
#:   controlled issue stays at the controller's position and a vetoed issue stays within the
#:   veto players' win-set of the status quo (Tsebelis 2002);
#: - ``"traded"``: exchange models move a controlled issue only through trades the controller
#:   makes (Stokman & Van Oosten 1994), so the outcome is the controller's position after its
#:   exchanges; veto players consent as their positions stand after the exchanges;
#: - ``"joint"``: the Nash bargaining solution bargains over all issues at once and every actor
#:   must gain overall (its participation constraint), so a controller or veto player that
#:   concedes on its issue is compensated on others (issue linkage; Sebenius 1983).
IssueControl = Literal["fixed", "traded", "joint"]


def apply_issue_control(
    rule: IssueControl,
    arrays: ScenarioArrays,
    forecast: np.ndarray,
    final_position: np.ndarray | None = None,
) -> np.ndarray:
    """The forecast (S, D) with controlled and vetoed issues held as ``rule`` says.

    ``final_position`` (S, N, D) is where the actors stand after the model's rounds (the
    ``"traded"`` rule reads it); without it the input positions are used. A controller absent
    from the arrays (a forum without it) cannot be overruled there: the issue keeps its status
    quo. A veto player absent from a forum is left to the ratifying bodies.
    """
    if arrays.controlled_by is None and arrays.veto is None:
        return forecast
    out = np.array(forecast, dtype=float, copy=True)
    if rule == "joint":
        return out
    ids = arrays.actor_ids
    pos = arrays.position if rule == "fixed" or final_position is None else final_position
    for d, who in enumerate(arrays.controlled_by or ()):
        if who is None:
            continue
        if who in ids:
            out[..., d] = pos[..., ids.index(who), d]
        else:
            sq = arrays.status_quo[..., d]
            out[..., d] = np.where(np.isnan(sq), out[..., d], sq)
    for d, players in enumerate(arrays.veto or ()):
        present = [ids.index(v) for v in players if v in ids]
        if not present:
            continue
        q = arrays.status_quo[..., d]
        p = pos[..., present, d]
        r = np.abs(q[..., None] - p)
        lo, hi = (p - r).max(axis=-1), (p + r).min(axis=-1)
        out[..., d] = np.where(np.isnan(q), out[..., d], np.clip(out[..., d], lo, hi))
    return out


def _controlled(name: str, fn: Any) -> Any:
    """Wrap a subclass's forecast, simulate or forecast_many with :func:`apply_issue_control`."""
    if name == "forecast":

        @functools.wraps(fn)
        def forecast(self, arrays, rng, *args, **kw):
            out = fn(self, arrays, rng, *args, **kw)
            return apply_issue_control(self.issue_control, arrays, out)

        return forecast
    if name == "simulate":

        @functools.wraps(fn)
        def simulate(self, arrays, rounds, rng, *args, **kw):
            sim = fn(self, arrays, rounds, rng, *args, **kw)
            if arrays.controlled_by is None and arrays.veto is None:
                return sim
            sim.forecasts = np.stack(
                [
                    apply_issue_control(
                        self.issue_control, arrays, sim.forecasts[t], sim.positions[t]
                    )
                    for t in range(sim.forecasts.shape[0])
                ]
            )
            return sim

        return simulate

    @functools.wraps(fn)
    def forecast_many(self, parts, seed, *args, **kw):
        return [
            apply_issue_control(self.issue_control, p, f)
            for p, f in zip(parts, fn(self, parts, seed, *args, **kw), strict=True)
        ]

    return forecast_many


class Model:
    """Base class of every model. Subclasses set the class attributes and ``forecast``."""

    name: ClassVar[str]
    title: ClassVar[str]
    citation: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions
    dynamic: ClassVar[bool] = False
    #: Whether Monte Carlo commands (crisis intervals, montecarlo) run the model by default.
    #: Models whose cost per draw makes thousands of draws slow opt out; users can still name
    #: them with --model.
    monte_carlo_default: ClassVar[bool] = True
    #: Whether the model bargains over issues jointly (trades, multi-dimensional spatial
    #: bargaining). Such a model must see only the issues decided together (a backtest runs it
    #: one proposal at a time); the others treat every issue on its own and batch freely.
    links_issues: ClassVar[bool] = False
    #: How the model holds controlled and vetoed issues (:data:`IssueControl`).
    issue_control: ClassVar[IssueControl] = "fixed"

    def __init_subclass__(cls, **kw: Any) -> None:
        # one rule for every model, applied after the model's own computation
        super().__init_subclass__(**kw)
        for name in ("forecast", "simulate", "forecast_many"):
            fn = cls.__dict__.get(name)
            if fn is not None:
                setattr(cls, name, _controlled(name, fn))

    def __init__(self, **options: Any) -> None:
        self.options = self.Options(**options)

    def describe(self) -> dict[str, Any]:
        """Name, citation and the options in force: recorded in every output."""
        return {
            "model": self.name,
            "title": self.title,
            "citation": self.citation,
            "options": self.options.model_dump(mode="json"),
            "issue_control": self.issue_control,
        }

    def forecast(self, arrays: ScenarioArrays, rng: np.random.Generator) -> np.ndarray:
        """Outcome per sample and issue, shape (S, D), on the issues' scales."""
        return self.simulate(arrays, rounds=None, rng=rng).final

    def forecast_many(self, parts: list[ScenarioArrays], seed: int) -> list[np.ndarray]:
        """Forecast several independent problems (e.g. a backtest's proposals), one per part.

        Each part is forecast as if on its own, with a fresh ``np.random.default_rng(seed)``;
        the result list pairs with ``parts``. This default loops; a model whose per-call cost
        dominates may override it to batch parts of one shape, with identical results.
        """
        return [self.forecast(p, np.random.default_rng(seed)) for p in parts]

    def simulate(
        self,
        arrays: ScenarioArrays,
        rounds: int | None,
        rng: np.random.Generator,
    ) -> Simulation:
        """Round-by-round run. Static models: round 0 only, whose forecast is the outcome."""
        if type(self).forecast is Model.forecast:
            raise TypeError(f"model {self.name} must override forecast or simulate")
        out = self.forecast(arrays, rng)
        return Simulation(positions=arrays.position[None], forecasts=out[None], events=[[]])


_REGISTRY: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Class decorator: make a model available by its ``name``."""
    for attr in ("name", "title", "citation"):
        if not isinstance(getattr(cls, attr, None), str):
            raise TypeError(f"{cls.__name__} needs a string class attribute {attr!r}")
    old = _REGISTRY.get(cls.name)
    # the same class imported twice under another module path (e.g. doctest collection) is
    # fine; two different classes claiming one name are not
    if old is not None and old.__qualname__ != cls.__qualname__:
        raise ValueError(f"two models are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def monte_carlo_models() -> list[str]:
    """Names of the models Monte Carlo commands run when the user names none."""
    return [n for n, cls in registry().items() if cls.monte_carlo_default]


def registry() -> dict[str, type[Model]]:
    """All registered models by name, in registration order."""
    from detente import models  # noqa: F401  (importing the package registers the models)

    return dict(_REGISTRY)
