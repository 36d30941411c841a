"""The scenario schema: everything a user says about a negotiation, as pydantic models.

A scenario has core sections (``meta``, ``actors``, ``issues``, ``stances``) and optional sections
that later analyses read (``bodies``, ``forms``, ``forums``, ``proposals``, ``crisis``). Every model
forbids unknown keys, so a typo is an error, not a silently ignored field. Cross-references
(a stance naming an unknown actor, a position outside its issue's scale, ...) are checked in
:func:`cross_check`, which returns *all* problems with their locations.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from detente.scenario.uncertain import MIN_ABS, Uncertain, bounded

Loc = tuple[str | int, ...]
FORMAT_VERSION = 1

#: Most entries per section. They bound the memory any accepted scenario needs: the largest real
#: scenarios (DEU, KTAB) have under 50 actors and a few thousand stances.
LIMITS: dict[str, int] = {
    "actors": 1_000,
    "issues": 2_000,
    "stances": 50_000,
    "bodies": 100,
    "forms": 100,
    "forums": 100,
    "proposals": 1_000,
}
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", min_length=1, max_length=64),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)


class Number(Uncertain):
    """An uncertain number as a scenario field (point, range or distribution)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        obj = handler(schema)
        obj = handler.resolve_ref_schema(obj)
        return {
            "anyOf": [
                {"type": "number"},
                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                obj,
            ],
            "description": "a number, a range [low, high], or {dist: normal|triangular|uniform|"
            "beta, ...}; optionally with 'why'",
        }


class Source(Strict):
    """A public source the scenario's numbers rest on."""

    id: str | None = None
    title: str
    url: str | None = None
    date: dt.date | None = None
    note: str | None = None


class Meta(Strict):
    title: str = Field(min_length=1)
    as_of: dt.date | None = Field(default=None, description="date the scenario describes")
    domain: Literal["legislative", "security", "other"] | None = Field(
        default=None,
        description="kind of negotiation: legislative (a decision taken by the decision rule; "
        "the detente forecaster leads), security (a crisis), or other; docs/outcome.md",
    )
    description: str | None = None
    sources: list[Source | str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)


class Actor(Strict):
    id: Identifier
    name: str | None = None
    capability: Number = Field(description="relative clout, any number >= 0")
    why: str | None = Field(default=None, description="one-line rationale for the numbers")
    group: str | None = Field(
        default=None, description="free label, e.g. 'NATO' or 'eastern flank'"
    )
    audience_sensitivity: Number | None = Field(
        default=None,
        description="lambda >= 0: how much backing down from a public demand costs the leader "
        "at home (Fearon 1994); democracies higher",
    )


class Scale(Strict):
    min: float = 0.0
    max: float = 100.0

    @field_validator("min", "max", mode="before")
    @classmethod
    def _bounded(cls, v: Any, info: Any) -> Any:
        # checked before pydantic's float(): a 400-digit integer would not fit a float
        if isinstance(v, bool):  # pydantic would read true as 1, silently
            raise ValueError(f"expected a number, got {v}")
        if isinstance(v, int | float):
            return bounded(v, f"scale {info.field_name}", tiny=False)
        return v

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not self.min < self.max:
            raise ValueError(f"scale min ({self.min:g}) must be below max ({self.max:g})")
        return self


class Issue(Strict):
    id: Identifier
    name: str | None = None
    description: str | None = None
    scale: Scale = Field(default_factory=Scale)
    anchors: dict[float, str] = Field(
        default_factory=dict, description="labelled points of the scale, in words"
    )
    status_quo: Number | None = Field(
        default=None, description="reference point: what holds if no agreement is reached"
    )
    controlled_by: str | None = Field(
        default=None,
        description="the actor that decides this issue alone (its own deployments, its own "
        "law): no vote moves it; docs/scenario-format.md, 'Issue control and vetoes'",
    )
    veto: list[str] = Field(
        default_factory=list,
        description="actors whose consent moving the issue off its status quo needs "
        "(Tsebelis 2002: veto players)",
    )
    why: str | None = None

    @field_validator("anchors", mode="before")
    @classmethod
    def _bounded_anchor_keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for k in v:
                if isinstance(k, bool):  # pydantic would read true as the point 1, silently
                    raise ValueError(f"an anchor point must be a number, got {k}")
                if isinstance(k, int | float):
                    bounded(k, "an anchor point")
        return v

    @field_validator("anchors")
    @classmethod
    def _finite_anchor_keys(cls, v: dict[float, str]) -> dict[float, str]:
        for k in v:
            bounded(k, "an anchor point")
        return dict(sorted(v.items()))

    def label(self, x: float) -> str:
        """The nearest anchor's words, e.g. 'halt to the east (political moratorium)'."""
        if not self.anchors:
            return ""
        k = min(self.anchors, key=lambda a: (abs(a - x), a))
        return self.anchors[k]


class Stance(Strict):
    """One actor on one issue: a row of the stakeholder table."""

    actor: str
    issue: str
    position: Number
    salience: Number = Field(description="0-100: how much the issue matters to the actor")
    capability: Number | None = Field(
        default=None, description="override of the actor's capability on this issue"
    )
    demand: Number | None = Field(
        default=None, description="public demand on the issue's scale, if it differs"
    )
    publicity: Number | None = Field(
        default=None,
        description="0..1: 0 private, 0.5 a leader's statement, 1 a published draft treaty",
    )
    why: str | None = None


class Scenario(Strict):
    """A negotiation described as data."""

    detente: int = Field(default=1, description="scenario format version")
    meta: Meta
    actors: list[Actor] = Field(min_length=1, max_length=LIMITS["actors"])
    issues: list[Issue] = Field(min_length=1, max_length=LIMITS["issues"])
    stances: list[Stance] = Field(min_length=1, max_length=LIMITS["stances"])
    bodies: list[ratification.Body] = Field(default_factory=list, max_length=LIMITS["bodies"])
    forms: list[ratification.Form] = Field(default_factory=list, max_length=LIMITS["forms"])
    forums: list[ratification.Forum] = Field(default_factory=list, max_length=LIMITS["forums"])
    proposals: list[ratification.Proposal] = Field(
        default_factory=list, max_length=LIMITS["proposals"]
    )
    crisis: _crisis.Crisis | None = None

    @field_validator("detente", mode="before")
    @classmethod
    def _not_a_bool(cls, v: Any) -> Any:
        if isinstance(v, bool):  # pydantic would read true as version 1, silently
            raise ValueError(f"expected the format version {FORMAT_VERSION}, got {v}")
        return v

    @field_validator("detente")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v != FORMAT_VERSION:
            raise ValueError(
                f"scenario format version {v} is not supported; this detente reads version "
                f"{FORMAT_VERSION} (write `detente: {FORMAT_VERSION}` or leave it out)"
            )
        return v

    def actor_ids(self) -> list[str]:
        return [a.id for a in self.actors]

    def issue_ids(self) -> list[str]:
        return [i.id for i in self.issues]

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def actor(self, actor_id: str) -> Actor:
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)


# --------------------------------------------------------------------------------------------
# Cross-checks: every problem at once, each with its location in the document.

CrossCheck = Callable[[Scenario], list[tuple[Loc, str]]]
_SECTION_CHECKS: list[CrossCheck] = []


def section_check(fn: CrossCheck) -> CrossCheck:
    """Register a cross-check for an optional section (ratification, crisis, ...)."""
    _SECTION_CHECKS.append(fn)
    return fn


def _within(u: Uncertain, lo: float, hi: float) -> bool:
    s_lo, s_hi = u.support
    if u.dist == "normal":  # unbounded draws are clipped at compile time; the centre must fit
        s_lo = s_hi = u.centre
    return lo <= s_lo and s_hi <= hi


def check_range(
    u: Uncertain | None, lo: float, hi: float, loc: Loc, what: str
) -> list[tuple[Loc, str]]:
    """Problem if ``u`` (centre and support) is not inside [lo, hi]."""
    if u is None or _within(u, lo, hi):
        return []
    if math.isinf(hi):
        return [(loc, f"{what} {u.describe()} is not allowed; it must be at least {lo:g}")]
    return [(loc, f"{what} {u.describe()} is outside the allowed range {lo:g} to {hi:g}")]


def check_on_scale(u: Uncertain | None, loc: Loc, what: str) -> list[tuple[Loc, str]]:
    """Problem if a point on an issue's scale is nonzero but closer to 0 than MIN_ABS."""
    if u is None:
        return []
    for x in (u.centre, *u.support):
        if 0 < abs(x) < MIN_ABS:
            return [(loc, f"{what} {x:g} is too small; write 0 or a number of at least 1e-12")]
    return []


def cross_check(sc: Scenario) -> list[tuple[Loc, str]]:
    """All problems that need more than one field to see, with their locations."""
    problems: list[tuple[Loc, str]] = []
    for key, items in (("actors", sc.actors), ("issues", sc.issues)):
        first: dict[str, int] = {}
        for n, x in enumerate(items):
            if x.id in first:
                problems.append(
                    (
                        (key, n, "id"),
                        f"duplicate id {x.id!r} (also entry {first[x.id] + 1}); ids must be unique",
                    )
                )
            first.setdefault(x.id, n)
    for n, a in enumerate(sc.actors):
        problems += check_range(
            a.capability, 0, math.inf, ("actors", n, "capability"), "capability"
        )
        problems += check_range(
            a.audience_sensitivity,
            0,
            math.inf,
            ("actors", n, "audience_sensitivity"),
            "audience sensitivity",
        )
    issues = {i.id: i for i in sc.issues}
    actors = set(sc.actor_ids())
    for n, i in enumerate(sc.issues):
        lo, hi = i.scale.min, i.scale.max
        for k in i.anchors:
            if not lo <= k <= hi:
                problems.append(
                    (
                        (("issues", n, "anchors")),
                        f"anchor {k:g} is outside the scale {lo:g} to {hi:g}",
                    )
                )
        problems += check_range(i.status_quo, lo, hi, ("issues", n, "status_quo"), "status quo")
        problems += check_on_scale(i.status_quo, ("issues", n, "status_quo"), "status quo")
    seen: dict[tuple[str, str], int] = {}
    for n, s in enumerate(sc.stances):
        if s.actor not in actors:
            problems.append(
                (
                    ("stances", n, "actor"),
                    f"unknown actor {s.actor!r}; known: {', '.join(sorted(actors))}",
                )
            )
        if s.issue not in issues:
            problems.append(
                (("stances", n, "issue"), f"unknown issue {s.issue!r}; known: {', '.join(issues)}")
            )
            continue
        pair = (s.actor, s.issue)
        if pair in seen:
            problems.append(
                (
                    ("stances", n),
                    f"actor {s.actor!r} already has a stance on {s.issue!r} "
                    f"(entry {seen[pair] + 1}); one stance per actor and issue",
                )
            )
        seen.setdefault(pair, n)
        sc_ = issues[s.issue].scale
        problems += check_range(
            s.position, sc_.min, sc_.max, ("stances", n, "position"), "position"
        )
        problems += check_range(s.demand, sc_.min, sc_.max, ("stances", n, "demand"), "demand")
        problems += check_on_scale(s.position, ("stances", n, "position"), "position")
        problems += check_on_scale(s.demand, ("stances", n, "demand"), "demand")
        problems += check_range(s.salience, 0, 100, ("stances", n, "salience"), "salience")
        problems += check_range(
            s.capability, 0, math.inf, ("stances", n, "capability"), "capability"
        )
        problems += check_range(s.publicity, 0, 1, ("stances", n, "publicity"), "publicity")
    covered = {s.issue for s in sc.stances}
    for n, i in enumerate(sc.issues):
        if i.id not in covered:
            problems.append(
                (
                    ("issues", n, "id"),
                    f"issue {i.id!r} has no stances; give at least one actor's position",
                )
            )
    saliences = [s.salience.centre for s in sc.stances]
    if len(saliences) >= 2 and max(saliences) <= 1 and any(x > 0 for x in saliences):
        problems.append(
            (
                ("stances", 0, "salience"),
                "every salience lies between 0 and 1, but salience is on 0-100; "
                "multiply by 100 (a 0-1 scale is never read silently)",
            )
        )
    for check in _SECTION_CHECKS:
        problems += check(sc)
    return problems


def json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario format, for editors checking YAML as it is typed."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "detente scenario"
    return schema


# Optional sections register their cross-checks on import; their models are resolved lazily.
from detente.scenario import control as _control  # noqa: E402, F401  (registers its checks)
from detente.scenario import crisis as _crisis  # noqa: E402
from detente.scenario import ratification  # noqa: E402
