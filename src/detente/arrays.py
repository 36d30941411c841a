"""Compiled scenario arrays: the one data structure every model reads.

A scenario compiles to arrays with a leading batch axis, ``S`` samples x ``N`` actors x ``D``
issues. Sample axis 0 of a point compile holds the centre of every uncertain input; a Monte Carlo
compile holds one draw per sample. Models are pure functions of these arrays, so one call runs
thousands of draws.

Conventions
-----------
- ``position`` is on each issue's own scale (``scale_min`` .. ``scale_max``).
- ``salience`` is on 0..1 (the scenario's 0..100 divided by 100).
- ``capability`` is >= 0 and relative; it may differ by issue (per-issue overrides).
- ``mask[n, d]`` is False where actor ``n`` takes no part in issue ``d``. There, salience and
  capability are 0 and position holds the issue's scale midpoint, so that a model which forgets the
  mask still sees finite numbers; models must nevertheless weight by the mask.
- ``status_quo`` is NaN on issues whose status quo (reference point) is unknown.
- ``demand`` (S, N, D) is an actor's public demand, NaN where it made none; ``publicity``
  (S, N, D) on 0..1 says how publicly it is staked; ``audience_sensitivity`` (S, N) is the
  domestic cost of backing down (Fearon 1994). These three are optional (None when unknown).
- ``controlled_by`` and ``veto`` (per issue, by actor id) say who decides an issue alone and
  whose consent moving it needs; ids survive :meth:`take_actors` (docs/scenario-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class ScenarioArrays:
    """Batched numeric view of a scenario (see module docstring for conventions)."""

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    position: np.ndarray  # (S, N, D)
    salience: np.ndarray  # (S, N, D) on 0..1
    capability: np.ndarray  # (S, N, D) >= 0
    mask: np.ndarray  # (N, D) bool
    scale_min: np.ndarray  # (D,)
    scale_max: np.ndarray  # (D,)
    status_quo: np.ndarray  # (S, D), NaN where unknown
    name: str = "scenario"
    demand: np.ndarray | None = None  # (S, N, D), NaN where no public demand
    publicity: np.ndarray | None = None  # (S, N, D) on 0..1
    audience_sensitivity: np.ndarray | None = None  # (S, N)
    #: per issue, the id of the actor that decides it alone (None: nobody); None: no control
    controlled_by: tuple[str | None, ...] | None = None
    #: per issue, the ids of the actors whose consent moving it off the status quo needs
    veto: tuple[tuple[str, ...], ...] | None = None
    extras: dict = field(default_factory=dict, compare=False, repr=False)  # labels, metadata

    def __post_init__(self) -> None:
        s, n, d = self.position.shape
        for label, arr in (("salience", self.salience), ("capability", self.capability)):
            if arr.shape != (s, n, d):
                raise ValueError(f"{label} has shape {arr.shape}, expected {(s, n, d)}")
        if self.mask.shape != (n, d):
            raise ValueError(f"mask has shape {self.mask.shape}, expected {(n, d)}")
        if self.status_quo.shape != (s, d):
            raise ValueError(f"status_quo has shape {self.status_quo.shape}, expected {(s, d)}")
        if len(self.actor_ids) != n or len(self.issue_ids) != d:
            raise ValueError("actor_ids/issue_ids do not match the array shapes")

    @property
    def n_samples(self) -> int:
        return self.position.shape[0]

    @property
    def n_actors(self) -> int:
        return self.position.shape[1]

    @property
    def n_issues(self) -> int:
        return self.position.shape[2]

    @property
    def scale_width(self) -> np.ndarray:
        """Width of each issue's scale, shape (D,)."""
        return self.scale_max - self.scale_min

    def weights(self) -> np.ndarray:
        """Capability x salience, zero where the actor is absent, shape (S, N, D)."""
        return self.capability * self.salience * self.mask

    def normalised_position(self) -> np.ndarray:
        """Positions mapped to 0..1 on each issue's scale, shape (S, N, D)."""
        return (self.position - self.scale_min) / self.scale_width

    def from_normalised(self, x: np.ndarray) -> np.ndarray:
        """Map values on 0..1 (last axis = issues) back to the issues' scales."""
        return self.scale_min + x * self.scale_width

    def take_samples(self, index: slice | np.ndarray | int) -> ScenarioArrays:
        """A view restricted to some samples (keeps the leading axis)."""
        if isinstance(index, int | np.integer):
            index = slice(int(index), int(index) + 1)

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[index]

        return replace(
            self,
            position=self.position[index],
            salience=self.salience[index],
            capability=self.capability[index],
            status_quo=self.status_quo[index],
            demand=pick(self.demand),
            publicity=pick(self.publicity),
            audience_sensitivity=pick(self.audience_sensitivity),
        )

    def take_actors(self, keep: np.ndarray | list[int]) -> ScenarioArrays:
        """A view restricted to some actors (e.g. a forum's participants)."""
        keep = np.asarray(keep)

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[:, keep]

        return replace(
            self,
            actor_ids=tuple(self.actor_ids[i] for i in keep),
            position=self.position[:, keep],
            salience=self.salience[:, keep],
            capability=self.capability[:, keep],
            mask=self.mask[keep],
            demand=pick(self.demand),
            publicity=pick(self.publicity),
            audience_sensitivity=pick(self.audience_sensitivity),
        )

    def with_positions(self, position: np.ndarray) -> ScenarioArrays:
        """The same scenario with new positions (same shape)."""
        return replace(self, position=position)

    @classmethod
    def from_table(
        cls,
        position: np.ndarray,
        salience: np.ndarray,
        capability: np.ndarray,
        *,
        mask: np.ndarray | None = None,
        scale_min: float | np.ndarray = 0.0,
        scale_max: float | np.ndarray = 100.0,
        status_quo: np.ndarray | None = None,
        actor_ids: list[str] | tuple[str, ...] | None = None,
        issue_ids: list[str] | tuple[str, ...] | None = None,
        name: str = "table",
    ) -> ScenarioArrays:
        """Build arrays directly from numbers, for tests, benchmarks and importers.

        ``position`` and ``salience`` may be (N, D) or (S, N, D); ``salience`` is on 0..1.
        ``capability`` may be (N,), (N, D) or (S, N, D).

        >>> a = ScenarioArrays.from_table([[10.0], [90.0]], [[1.0], [1.0]], [1.0, 3.0])
        >>> a.position.shape, a.capability[0, :, 0].tolist()
        ((1, 2, 1), [1.0, 3.0])
        """
        pos = np.asarray(position, dtype=float)
        if pos.ndim == 2:
            pos = pos[None]
        s, n, d = pos.shape
        sal = np.broadcast_to(np.asarray(salience, dtype=float), (s, n, d)).copy()
        cap = np.asarray(capability, dtype=float)
        if cap.ndim == 1:
            cap = cap[:, None]
        cap = np.broadcast_to(cap, (s, n, d)).copy()
        m = np.ones((n, d), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        lo = np.broadcast_to(np.asarray(scale_min, dtype=float), (d,)).copy()
        hi = np.broadcast_to(np.asarray(scale_max, dtype=float), (d,)).copy()
        if status_quo is None:
            sq = np.full((s, d), np.nan)
        else:
            sq = np.broadcast_to(np.asarray(status_quo, dtype=float), (s, d)).copy()
        sal = np.where(m, sal, 0.0)
        cap = np.where(m, cap, 0.0)
        pos = np.where(m, pos, (lo + hi) / 2)
        if actor_ids is None:
            actor_ids = [f"a{i}" for i in range(n)]
        if issue_ids is None:
            issue_ids = [f"i{j}" for j in range(d)]
        return cls(
            actor_ids=tuple(actor_ids),
            issue_ids=tuple(issue_ids),
            position=pos,
            salience=sal,
            capability=cap,
            mask=m,
            scale_min=lo,
            scale_max=hi,
            status_quo=sq,
            name=name,
        )
