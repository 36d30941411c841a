"""The model protocol: a name, a citation, named options, and pure functions on arrays.

Every model subclasses :class:`Model` and is added to the registry with :func:`register`. A model
implements :meth:`Model.forecast` (outcome per sample and issue) and, when it has dynamics,
:meth:`Model.simulate` (the whole round-by-round trajectory). Static models inherit a one-round
``simulate``. The generic conformance suite in ``tests/models/conformance.py`` runs against every
registered model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

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

    def __init__(self, **options: Any) -> None:
        self.options = self.Options(**options)

    def describe(self) -> dict[str, Any]:
        """Name, citation and the options in force: recorded in every output."""
        return {
            "model": self.name,
            "title": self.title,
            "citation": self.citation,
            "options": self.options.model_dump(mode="json"),
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
