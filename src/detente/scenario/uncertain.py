"""Uncertain numbers: a point, a range, or a named distribution.

Any number in a scenario may be written as

- a point: ``40``;
- a range: ``[30, 50]`` (uniform between the two);
- a distribution: ``{dist: normal, mean: 40, sd: 5}``,
  ``{dist: triangular, low: 30, mode: 40, high: 60}``, ``{dist: uniform, low: 30, high: 50}``,
  ``{dist: beta, alpha: 2, beta: 5, low: 0, high: 100}``;
- any of these with a rationale: ``{value: 40, why: "..."}`` or ``{dist: ..., why: "..."}``.

The *centre* is what a point analysis uses: the point itself, the midpoint of a range or uniform,
the mean of a normal or beta, and the mode of a triangular (the analyst's most likely value).
Draws are clipped to the field's allowed interval (a normal belief about a salience cannot go
below 0), which the compiler passes to :meth:`Uncertain.sample`.

>>> Uncertain.model_validate([30, 50]).centre
40.0
>>> Uncertain.model_validate({"dist": "triangular", "low": 0, "mode": 10, "high": 40}).centre
10.0
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

Dist = Literal["point", "uniform", "normal", "triangular", "beta"]

#: Largest magnitude of any number in a scenario. Positions, scales, capabilities and the
#: crisis parameters all stay within +-1e12, so that the models' products and sums of squares
#: (at most a few factors of such numbers, summed over actors) stay far from float overflow.
MAX_ABS = 1e12
#: Smallest magnitude of a point on an issue's scale other than 0 (positions, demands, status
#: quo, scale bounds): BDM measures distances against the spread of the positions, which for
#: positions of 1e-300 is itself 1e-300, and the ratios overflow.
MIN_ABS = 1e-12

_PARAMS: dict[str, tuple[str, ...]] = {
    "point": ("value",),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "beta": ("alpha", "beta", "low", "high"),
}


def bounded(x: float | int, name: str, tiny: bool = True) -> float:
    """``x`` as a float, checked to be finite and within :data:`MAX_ABS`; -0.0 becomes 0.0.

    ``tiny=False`` also refuses magnitudes between 0 and :data:`MIN_ABS` (points on a scale).

    Raises
    ------
    ValueError
        If ``x`` is NaN, infinite or larger in magnitude than :data:`MAX_ABS`.
    """
    # compare whole numbers before float(): a 400-digit integer would raise OverflowError
    if isinstance(x, int) and abs(x) > MAX_ABS:
        raise ValueError(f"{name} is too large; numbers lie between -1e12 and 1e12")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x}")
    if abs(x) > MAX_ABS:
        raise ValueError(f"{name} {x:g} is too large; numbers lie between -1e12 and 1e12")
    if not tiny and 0 < abs(x) < MIN_ABS:
        raise ValueError(f"{name} {x:g} is too small; write 0 or a number of at least 1e-12")
    # -0.0 + 0.0 is +0.0: numpy rejects a normal with scale -0.0 although -0.0 >= 0
    return x + 0.0


def _finite(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ValueError(f"{name} must be a number, got {_brief(x)}")
    return bounded(x, name)


def _brief(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


class Uncertain(BaseModel):
    """A number that may be uncertain. See the module docstring for the accepted forms."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Dist = "point"
    value: float | None = None
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None
    alpha: float | None = None
    beta: float | None = None
    why: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, raw: Any) -> Any:
        if isinstance(raw, Uncertain):
            return raw
        if isinstance(raw, bool):
            raise ValueError(f"expected a number, a range [low, high] or a distribution, got {raw}")
        if isinstance(raw, int | float):
            return {"dist": "point", "value": _finite(raw, "value")}
        if isinstance(raw, list | tuple):
            if len(raw) != 2:
                raise ValueError(f"a range is written [low, high] with two numbers, got {raw!r}")
            lo, hi = (_finite(v, "range bound") for v in raw)
            return {"dist": "uniform", "low": lo, "high": hi}
        if isinstance(raw, dict):
            data = dict(raw)
            if "dist" not in data:
                if "value" in data:
                    data["dist"] = "point"
                else:
                    raise ValueError(
                        "a distribution needs 'dist' (normal, triangular, uniform, beta) "
                        "or 'value' for a point"
                    )
            dist = data["dist"]
            # a mapping or list here is unhashable: test the type before the lookup
            if not isinstance(dist, str) or dist not in _PARAMS:
                raise ValueError(
                    f"unknown dist {_brief(dist)}; allowed: point, uniform, normal, triangular, "
                    "beta"
                )
            if dist == "beta":
                data.setdefault("low", 0.0)
                data.setdefault("high", 1.0)
            allowed = {"dist", "why", *_PARAMS[dist]}
            extra = sorted(set(data) - allowed)
            if extra:
                raise ValueError(
                    f"{dist} takes {', '.join(_PARAMS[dist])}; unexpected: {', '.join(extra)}"
                )
            missing = [p for p in _PARAMS[dist] if p not in data]
            if missing:
                raise ValueError(
                    f"{dist} needs {', '.join(_PARAMS[dist])}; missing: {', '.join(missing)}"
                )
            for p in _PARAMS[dist]:
                data[p] = _finite(data[p], p)
            return data
        raise ValueError(
            f"expected a number, a range [low, high] or a distribution, got {type(raw).__name__}"
        )

    @model_validator(mode="after")
    def _check(self) -> Uncertain:
        d = self.dist
        if d in ("uniform", "triangular", "beta") and not self.low <= self.high:  # type: ignore[operator]
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        if d == "triangular" and not self.low <= self.mode <= self.high:  # type: ignore[operator]
            raise ValueError(f"mode ({self.mode}) must lie between low and high")
        if d == "normal" and self.sd < 0:  # type: ignore[operator]
            raise ValueError(f"sd must be >= 0, got {self.sd}")
        if d == "beta" and (self.alpha <= 0 or self.beta <= 0):  # type: ignore[operator]
            raise ValueError("beta needs alpha > 0 and beta > 0")
        return self

    @property
    def is_point(self) -> bool:
        return self.dist == "point"

    @property
    def draws_randomness(self) -> bool:
        """Whether :meth:`sample` consumes the generator (a point draws nothing)."""
        return not self.is_point

    @property
    def centre(self) -> float:
        """The value a point analysis uses (see module docstring)."""
        d = self.dist
        if d == "point":
            return float(self.value)  # type: ignore[arg-type]
        if d == "uniform":
            return (self.low + self.high) / 2  # type: ignore[operator]
        if d == "normal":
            return float(self.mean)  # type: ignore[arg-type]
        if d == "triangular":
            return float(self.mode)  # type: ignore[arg-type]
        a, b = self.alpha, self.beta
        return self.low + (self.high - self.low) * a / (a + b)  # type: ignore[operator]

    @property
    def support(self) -> tuple[float, float]:
        """Smallest interval holding every possible draw (infinite for a normal)."""
        d = self.dist
        if d == "point":
            return (float(self.value), float(self.value))  # type: ignore[arg-type]
        if d == "normal":
            if self.sd == 0:
                return (float(self.mean), float(self.mean))  # type: ignore[arg-type]
            return (-math.inf, math.inf)
        return (float(self.low), float(self.high))  # type: ignore[arg-type]

    def sample(
        self,
        rng: np.random.Generator,
        n: int,
        clip: tuple[float, float] = (-math.inf, math.inf),
    ) -> np.ndarray:
        """``n`` draws, clipped to ``clip``. A point returns ``n`` copies and draws nothing.

        >>> import numpy as np
        >>> draws = Uncertain.model_validate({"dist": "normal", "mean": 50, "sd": 80}).sample(
        ...     np.random.default_rng(0), 4, clip=(0, 100))
        >>> bool(draws.min() >= 0 and draws.max() <= 100)
        True
        """
        d = self.dist
        if d == "point":
            out = np.full(n, float(self.value))  # type: ignore[arg-type]
        elif d == "uniform":
            out = rng.uniform(self.low, self.high, n)
        elif d == "normal":
            out = rng.normal(self.mean, self.sd, n)
        elif d == "triangular":
            if self.low == self.high:
                out = np.full(n, float(self.low))  # type: ignore[arg-type]
            else:
                out = rng.triangular(self.low, self.mode, self.high, n)
        else:
            out = self.low + (self.high - self.low) * rng.beta(self.alpha, self.beta, n)  # type: ignore[operator]
        return np.clip(out, clip[0], clip[1])

    def describe(self) -> str:
        """Short human-readable form, e.g. ``40`` or ``normal(40, 5)``."""
        d = self.dist
        if d == "point":
            return f"{self.value:g}"
        if d == "uniform":
            return f"[{self.low:g}, {self.high:g}]"
        if d == "normal":
            return f"normal({self.mean:g}, sd {self.sd:g})"
        if d == "triangular":
            return f"triangular({self.low:g}, {self.mode:g}, {self.high:g})"
        return f"beta({self.alpha:g}, {self.beta:g}) on [{self.low:g}, {self.high:g}]"
