"""Ratification sections of a scenario: bodies, agreement forms, forums and proposals.

A deal negotiated at the table must still be ratified at home (Putnam 1988). The scenario says who
ratifies (``bodies``: members with ideal points, a threshold, a reversion point), which agreement
forms need which bodies (``forms``: a treaty needs the Senate, a declaration only the executive,
each with a revision hazard), where the negotiation can take place (``forums``) and the packages
on the table (``proposals``). The format contract is ``docs/scenario-format.md``.

This module holds the pydantic models, their cross-checks (registered with
:func:`detente.scenario.schema.section_check`) and :func:`compile_ratification`, which turns the
sections into batched arrays (leading sample axis) for :mod:`detente.analyses.ratification`.

Conventions of the compiled arrays
----------------------------------
- Ideal points are on the issues' own scales, shape (S, M, D) over *all* scenario issues.
- ``weight[s, m, d]`` is the member's weight on issue ``d``; 0 where the body does not weigh the
  issue or the member gave no ideal point on it (the member is indifferent there). The ideal
  point holds the scale midpoint in such cells, so that it is finite.
- ``reversion`` (S, D) is what holds if the body says no: the body's ``reversion`` where given,
  else the issue's status quo; NaN where neither is known (only allowed on issues the body does
  not weigh).
- Bloc members: ``count`` members around the bloc's ideal point. A point compile places member
  ``k`` of ``c`` at ``ideal + spread * Phi^-1((k - 1/2) / c)`` on every issue (the same quantile on
  every issue: a member hawkish on one issue is hawkish on all). A Monte Carlo compile draws
  every member's ideal point independently, ``N(ideal, spread^2)`` per issue. Both are clipped to
  the issue's scale, as every uncertain number is clipped to its field's range.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, StrictInt, field_validator, model_validator

from detente.scenario.schema import (
    Identifier,
    Loc,
    Number,
    Scenario,
    Strict,
    check_range,
    section_check,
)
from detente.scenario.uncertain import Uncertain, bounded

Ties = Literal["no", "yes"]

_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
THRESHOLD_HELP = (
    'a member count (e.g. 67), a fraction such as "2/3" (at least that share of the members), '
    '"majority" (more than half) or "unanimity" (every member)'
)


def _ties(v: Any) -> Any:
    # YAML is read by 1.2 rules (`no` is text), but a caller building the document in Python or
    # JSON may still pass a boolean: accept it rather than fail.
    if v is False:
        return "no"
    if v is True:
        return "yes"
    return v


#: Most members a body may have (bloc counts plus named members). The largest real chambers have
#: about 3,000 members; the bound keeps a Monte Carlo run's member arrays (samples x members x
#: issues) within memory.
MAX_MEMBERS = 10_000


class Bloc(Strict):
    """``count`` members whose ideal points scatter around the bloc's."""

    id: Identifier
    name: str | None = None
    count: StrictInt = Field(
        ge=1, description=f"number of members in the bloc (at most {MAX_MEMBERS:,} per body)"
    )
    ideal: dict[str, Number] = Field(
        min_length=1, description="issue -> the bloc's ideal point (Number on the issue's scale)"
    )
    spread: Number | dict[str, Number] = Field(
        default_factory=lambda: Number.model_validate(0),
        description="sd of the members' ideal points around the bloc's (one Number or per issue)",
    )
    weights: dict[str, Number] = Field(
        default_factory=dict, description="issue -> weight >= 0 (default 1 on every ideal issue)"
    )
    approval_cost: Number = Field(
        default_factory=lambda: Number.model_validate(0),
        description="the domestic price of approving an agreement with an adversary under "
        "pressure (Putnam 1988), in units of the weighted distance: a member votes yes only "
        "if the package beats the reversion by more than this",
    )
    why: str | None = None


class Member(Strict):
    """One named member of a body (a senator, a national parliament, a president)."""

    id: Identifier
    name: str | None = None
    ideal: dict[str, Number] = Field(min_length=1, description="issue -> ideal point")
    weights: dict[str, Number] = Field(
        default_factory=dict, description="issue -> weight >= 0 (default 1 on every ideal issue)"
    )
    approval_cost: Number = Field(
        default_factory=lambda: Number.model_validate(0),
        description="the domestic price of approving an agreement with an adversary under "
        "pressure (Putnam 1988), in units of the weighted distance: a member votes yes only "
        "if the package beats the reversion by more than this",
    )
    why: str | None = None


class Body(Strict):
    """A ratifying body: members with ideal points, a threshold and a reversion point."""

    id: Identifier
    name: str | None = None
    actor: str | None = Field(default=None, description="the actor whose ratifiers these are")
    threshold: StrictInt | str = Field(description=THRESHOLD_HELP)
    ties: Ties = Field(
        default="no",
        description="how a member indifferent between the package and the reversion votes",
    )
    issues: list[str] | None = Field(
        default=None, description="issues the members weigh (default: all in their ideal points)"
    )
    reversion: dict[str, Number] = Field(
        default_factory=dict,
        description="issue -> what holds if the body says no (default: the issue's status quo)",
    )
    blocs: list[Bloc] = Field(default_factory=list)
    members: list[Member] = Field(default_factory=list)
    why: str | None = None

    @field_validator("ties", mode="before")
    @classmethod
    def _ties_from_yaml_bool(cls, v: Any) -> Any:
        return _ties(v)

    @field_validator("threshold")
    @classmethod
    def _threshold_form(cls, v: int | str) -> int | str:
        if isinstance(v, int):
            if v < 1:
                raise ValueError(f"threshold must be at least 1 member, got {v}; {THRESHOLD_HELP}")
            return v
        word = v.strip().lower()
        if word in ("majority", "unanimity"):
            return word
        m = _FRACTION.match(word)
        if not m:
            raise ValueError(f"threshold {v!r} is not understood; write {THRESHOLD_HELP}")
        num, den = int(m.group(1)), int(m.group(2))
        if den == 0 or not 0 < num <= den:
            raise ValueError(f'threshold fraction {v!r} must lie in (0, 1], e.g. "2/3"')
        return f"{num}/{den}"

    @model_validator(mode="after")
    def _has_members(self) -> Body:
        if not self.blocs and not self.members:
            raise ValueError("a body needs members: give blocs, members or both")
        if self.n_members > MAX_MEMBERS:
            raise ValueError(
                f"the body has {self.n_members:,} members; at most {MAX_MEMBERS:,} are allowed "
                "(bloc counts plus named members)"
            )
        return self

    @property
    def n_members(self) -> int:
        return sum(b.count for b in self.blocs) + len(self.members)

    def quota(self) -> int:
        """Yes votes needed, from the threshold and the member count.

        A fraction ``a/b`` needs at least that share: ``ceil(n * a / b)`` (2/3 of 100 is 67);
        ``majority`` needs more than half: ``floor(n / 2) + 1`` (226 of 450); ``unanimity`` all.

        >>> bloc = {"id": "b", "count": 100, "ideal": {"x": 1}}
        >>> Body(id="s", threshold="2/3", blocs=[bloc]).quota()
        67
        """
        n = self.n_members
        t = self.threshold
        if isinstance(t, int):
            return t
        if t == "unanimity":
            return n
        if t == "majority":
            return n // 2 + 1
        num, den = (int(p) for p in t.split("/"))
        return -(-n * num // den)  # exact integer ceiling

    def weighed_issues(self) -> list[str]:
        """The issues the members weigh: ``issues`` if given, else all issues in ideal points."""
        if self.issues is not None:
            return list(self.issues)
        seen: dict[str, None] = {}
        for m in [*self.blocs, *self.members]:
            for k in m.ideal:
                seen.setdefault(k, None)
        return list(seen)


def _scale_point(v: Any) -> Any:
    """A value in ``fixes`` or ``bounds``: a plain number (not true/false or text) that is 0 or at
    least 1e-12 in magnitude, like every other point on an issue's scale."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"expected a number on the issue's scale, got {repr(v)[:40]}")
    return bounded(v, "value", tiny=False)


def _bound_pair(v: Any) -> Any:
    if not isinstance(v, list | tuple) or len(v) != 2:
        raise ValueError(
            f"expected [low, high], two numbers on the issue's scale, got {repr(v)[:40]}"
        )
    return v


ScalePoint = Annotated[float, BeforeValidator(_scale_point)]


class Form(Strict):
    """A form the agreement can take, and the bodies that must ratify it."""

    id: Identifier
    name: str | None = None
    ratified_by: list[str] = Field(
        default_factory=list,
        description="ids of the bodies that must all pass it (empty: no ratification vote)",
    )
    legally_binding: bool = False
    fixes: dict[str, ScalePoint] = Field(
        default_factory=dict,
        description="issue id -> the value this form commits every package it carries to "
        "(e.g. a treaty fixes the legal-form issue at 'legally binding'); applied before every "
        "signature and vote",
    )
    bounds: dict[str, Annotated[tuple[ScalePoint, ScalePoint], BeforeValidator(_bound_pair)]] = (
        Field(
            default_factory=dict,
            description="issue id -> [low, high]: the range this form confines a package's value "
            "to (a package outside it is carried at the nearer end)",
        )
    )
    revision_hazard: Number = Field(
        default_factory=lambda: Number.model_validate(0),
        description="probability per year that the agreement is revised or abandoned (0..1)",
    )
    horizon: Number | None = Field(
        default=None, description="years over which durable value is counted (>= 0)"
    )
    why: str | None = None


class Forum(Strict):
    """A venue: who sits at the table and which forms it can produce."""

    id: Identifier
    name: str | None = None
    members: list[str] = Field(min_length=1, description="actor ids at the table")
    forms: list[str] | None = Field(
        default=None, description="ids of the forms this forum can produce (default: all)"
    )
    why: str | None = None


class Proposal(Strict):
    """A package on the table: values on some issues; the others keep the status quo."""

    id: Identifier
    name: str | None = None
    by: str | None = Field(default=None, description="the actor proposing it")
    values: dict[str, Number] = Field(
        default_factory=dict, description="issue -> Number on the issue's scale"
    )
    form: str | None = Field(
        default=None,
        description="the agreement form its author proposes (a form id); the outcome model and "
        "the advisor evaluate the proposal in this form",
    )
    why: str | None = None


# --------------------------------------------------------------------------------------------
# Cross-checks


def _duplicates(key: str, items: list[Any]) -> list[tuple[Loc, str]]:
    counts = Counter(x.id for x in items)
    return [
        ((key, n, "id"), f"duplicate id {x.id!r}; {key} ids must be unique")
        for n, x in enumerate(items)
        if counts[x.id] > 1
    ]


def _known(kind: str, names: Any) -> str:
    return f"known {kind}: {', '.join(names) if names else '(none)'}"


@section_check
def check_bodies(sc: Scenario) -> list[tuple[Loc, str]]:
    """Actor, issue and scale references of every body; thresholds against member counts."""
    out: list[tuple[Loc, str]] = _duplicates("bodies", sc.bodies)
    issues = {i.id: i for i in sc.issues}
    actors = sc.actor_ids()
    for b, body in enumerate(sc.bodies):
        at: Loc = ("bodies", b)
        if body.actor is not None and body.actor not in actors:
            out.append(
                ((*at, "actor"), f"unknown actor {body.actor!r}; {_known('actors', actors)}")
            )
        weighed = body.weighed_issues()
        if body.issues is not None:
            for n, iid in enumerate(body.issues):
                if iid not in issues:
                    out.append(
                        ((*at, "issues", n), f"unknown issue {iid!r}; {_known('issues', issues)}")
                    )
            for iid, c in Counter(body.issues).items():
                if c > 1:
                    out.append(
                        ((*at, "issues"), f"issue {iid!r} is listed {c} times; list each once")
                    )
        for iid, u in body.reversion.items():
            loc = (*at, "reversion", iid)
            if iid not in issues:
                out.append((loc, f"unknown issue {iid!r}; {_known('issues', issues)}"))
                continue
            s = issues[iid].scale
            out += check_range(u, s.min, s.max, loc, "reversion")
        for iid in weighed:
            if iid in issues and iid not in body.reversion and issues[iid].status_quo is None:
                out.append(
                    (
                        (*at, "reversion"),
                        f"issue {iid!r} has no status quo, so the body needs "
                        f"`reversion: {{{iid}: ...}}` (what holds if it says no)",
                    )
                )
        ids = Counter([x.id for x in body.blocs] + [x.id for x in body.members])
        for key, group in (("blocs", body.blocs), ("members", body.members)):
            for k, m in enumerate(group):
                mat: Loc = (*at, key, k)
                if ids[m.id] > 1:
                    out.append(
                        (
                            (*mat, "id"),
                            f"duplicate id {m.id!r}; bloc and member ids in a body must be unique",
                        )
                    )
                out += _check_ideal(m, mat, issues, weighed, body.issues is not None)
        n = body.n_members
        q = body.quota()
        if q > n:
            out.append(
                (
                    (*at, "threshold"),
                    f"threshold {q} is larger than the body's {n} members; it can never "
                    f"pass. Allowed: 1 to {n}, or {THRESHOLD_HELP}",
                )
            )
    return out


def _check_ideal(
    m: Bloc | Member, at: Loc, issues: dict[str, Any], weighed: list[str], explicit: bool
) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    for iid, u in m.ideal.items():
        loc = (*at, "ideal", iid)
        if iid not in issues:
            out.append((loc, f"unknown issue {iid!r}; {_known('issues', issues)}"))
            continue
        if explicit and iid not in weighed:
            out.append(
                (
                    loc,
                    f"issue {iid!r} is not among the body's issues "
                    f"({', '.join(weighed)}); add it there or drop it here",
                )
            )
        s = issues[iid].scale
        out += check_range(u, s.min, s.max, loc, "ideal point")
    for iid, u in m.weights.items():
        loc = (*at, "weights", iid)
        if iid not in m.ideal:
            out.append(
                (
                    loc,
                    f"weight on {iid!r} but no ideal point there; weights are allowed "
                    f"on the ideal's issues: {', '.join(m.ideal)}",
                )
            )
            continue
        out += check_range(u, 0, math.inf, loc, "weight")
    out += check_range(m.approval_cost, 0, math.inf, (*at, "approval_cost"), "approval cost")
    if isinstance(m, Bloc):
        if isinstance(m.spread, dict):
            for iid, u in m.spread.items():
                loc = (*at, "spread", iid)
                if iid not in m.ideal:
                    out.append(
                        (
                            loc,
                            f"spread on {iid!r} but no ideal point there; allowed: "
                            f"{', '.join(m.ideal)}",
                        )
                    )
                    continue
                out += check_range(u, 0, math.inf, loc, "spread")
        else:
            out += check_range(m.spread, 0, math.inf, (*at, "spread"), "spread")
    return out


@section_check
def check_forms(sc: Scenario) -> list[tuple[Loc, str]]:
    """Body references, hazard on 0..1, horizon >= 0 and given whenever the hazard can be > 0."""
    out = _duplicates("forms", sc.forms)
    bodies = [b.id for b in sc.bodies]
    for f, form in enumerate(sc.forms):
        at: Loc = ("forms", f)
        for n, bid in enumerate(form.ratified_by):
            if bid not in bodies:
                out.append(
                    ((*at, "ratified_by", n), f"unknown body {bid!r}; {_known('bodies', bodies)}")
                )
        for bid, c in Counter(form.ratified_by).items():
            if c > 1:
                out.append(
                    ((*at, "ratified_by"), f"body {bid!r} is listed {c} times; list each once")
                )
        out += check_range(
            form.revision_hazard,
            0,
            1,
            (*at, "revision_hazard"),
            "revision hazard (probability per year)",
        )
        out += check_range(form.horizon, 0, math.inf, (*at, "horizon"), "horizon (years)")
        out += _check_commitments(sc, form, at)
        if form.horizon is None and form.revision_hazard.support[1] > 0:
            out.append(
                (
                    (*at, "horizon"),
                    "a revision hazard above 0 needs a horizon: the number of years over "
                    "which durable value is counted, e.g. `horizon: 20`",
                )
            )
    return out


def _check_commitments(sc: Scenario, form: Form, at: Loc) -> list[tuple[Loc, str]]:
    """``fixes`` and ``bounds`` name known issues and stay on their scales."""
    out: list[tuple[Loc, str]] = []
    scales = {i.id: (i.scale.min, i.scale.max) for i in sc.issues}
    for key, items in (("fixes", form.fixes), ("bounds", form.bounds)):
        for iid, v in items.items():
            loc: Loc = (*at, key, iid)
            if iid not in scales:
                out.append((loc, f"unknown issue {iid!r}; {_known('issues', list(scales))}"))
                continue
            lo, hi = scales[iid]
            vals = (v,) if key == "fixes" else tuple(v)
            if not all(math.isfinite(x) and lo <= x <= hi for x in vals):
                out.append((loc, f"must lie on the issue's scale, {lo:g} to {hi:g}"))
            elif key == "bounds" and v[0] > v[1]:
                out.append((loc, "give [low, high] with low <= high"))
            if key == "bounds" and iid in form.fixes:
                out.append((loc, f"{iid!r} is already fixed by `fixes`; give it in one of the two"))
    return out


@section_check
def check_forums(sc: Scenario) -> list[tuple[Loc, str]]:
    """Actor and form references of every forum."""
    out = _duplicates("forums", sc.forums)
    actors = sc.actor_ids()
    forms = [f.id for f in sc.forms]
    for g, forum in enumerate(sc.forums):
        at: Loc = ("forums", g)
        for n, aid in enumerate(forum.members):
            if aid not in actors:
                out.append(
                    ((*at, "members", n), f"unknown actor {aid!r}; {_known('actors', actors)}")
                )
        for aid, c in Counter(forum.members).items():
            if c > 1:
                out.append(((*at, "members"), f"actor {aid!r} is listed {c} times; list each once"))
        for n, fid in enumerate(forum.forms or []):
            if fid not in forms:
                out.append(((*at, "forms", n), f"unknown form {fid!r}; {_known('forms', forms)}"))
    return out


@section_check
def check_proposals(sc: Scenario) -> list[tuple[Loc, str]]:
    """Proposer, issues and values on scale; no silent gap where a body needs a value."""
    out = _duplicates("proposals", sc.proposals)
    actors = sc.actor_ids()
    issues = {i.id: i for i in sc.issues}
    weighed = {iid for b in sc.bodies for iid in b.weighed_issues()}
    for p, prop in enumerate(sc.proposals):
        at: Loc = ("proposals", p)
        if prop.by is not None and prop.by not in actors:
            out.append(((*at, "by"), f"unknown actor {prop.by!r}; {_known('actors', actors)}"))
        forms = [f.id for f in sc.forms]
        if prop.form is not None and prop.form not in forms:
            out.append(((*at, "form"), f"unknown form {prop.form!r}; {_known('forms', forms)}"))
        for iid, u in prop.values.items():
            loc = (*at, "values", iid)
            if iid not in issues:
                out.append((loc, f"unknown issue {iid!r}; {_known('issues', issues)}"))
                continue
            s = issues[iid].scale
            out += check_range(u, s.min, s.max, loc, "value")
        for iid, issue in issues.items():
            if iid in weighed and iid not in prop.values and issue.status_quo is None:
                out.append(
                    (
                        (*at, "values"),
                        f"the proposal leaves out {iid!r}, which has no status quo to keep "
                        "and which a body weighs; give a value for it",
                    )
                )
    return out


# --------------------------------------------------------------------------------------------
# Compiled arrays


class _Deferred(ABC):
    """An array of a :class:`CompiledBody` built on its first read (:class:`_Later`)."""

    shape: tuple[int, int, int]

    @abstractmethod
    def build(self) -> np.ndarray:
        """The array, of :attr:`shape`."""


class _Later:
    """A field of a frozen dataclass that may be given as a :class:`_Deferred`, built on its
    first read. A Monte Carlo block votes through products that read neither the members'
    ideal points nor their weights as (S, M, D) arrays; those that are read are built as
    they always were."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:  # a required field: no class-level default
            raise AttributeError(self.name)
        value = obj.__dict__[self.name]
        if isinstance(value, _Deferred):
            value = obj.__dict__[self.name] = value.build()
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


class _RowWeights(_Deferred):
    """A body's weights (S, M, D), given per group of members that share them: ``rows`` of
    (first member, stop, their weights (S, D)); :meth:`build` fills the array."""

    def __init__(self, shape: tuple[int, int, int], rows: list[tuple[int, int, np.ndarray]]):
        self.shape, self.rows = shape, rows

    def build(self) -> np.ndarray:
        w = np.empty(self.shape)
        for start, stop, row in self.rows:
            w[:, start:stop, :] = row[:, None, :]
        return w


class _BlocPoints(_Deferred):
    """A body's ideal points (S, M, D) as its blocs' issue-major arrays (D, S, count)
    (``parts`` of (first member, stop, array)); :meth:`build` transposes them in."""

    def __init__(self, shape: tuple[int, int, int], parts: list[tuple[int, int, np.ndarray]]):
        self.shape, self.parts = shape, parts

    def build(self) -> np.ndarray:
        z = np.empty(self.shape)
        for start, stop, zb in self.parts:
            z[:, start:stop, :] = zb.transpose(1, 2, 0)
        return z


@dataclass(frozen=True)
class CompiledBody:
    """A body as arrays (see the module docstring for the conventions).

    ``member_ids`` names bloc members ``bloc[k]`` (1-based) and named members by their id;
    ``member_bloc`` gives each member's bloc id (None for a named member).

    A Monte Carlo compile of a body of blocs whose weights are the same in every sample gives
    ``ideal`` and ``weight`` as :class:`_Deferred` values, built (the same arrays) on their
    first read: its votes read :attr:`weighted_ideal`, :attr:`weight_sum` and
    :attr:`weight_t`, which the compile sets, and rarely the two arrays themselves.
    """

    id: str
    ideal: np.ndarray = _Later()  # type: ignore[assignment]  # (S, M, D)
    weight: np.ndarray = _Later()  # type: ignore[assignment]  # (S, M, D) >= 0
    reversion: np.ndarray  # (S, D)
    threshold: int
    ties: Ties = "no"
    member_ids: tuple[str, ...] = ()
    member_bloc: tuple[str | None, ...] = ()
    name: str | None = None
    actor: str | None = None
    #: an upper bound on every ``|ideal|`` (the compile's: the issues' scale limits), which lets
    #: a vote skip the exact tie tolerance away from ties; inf if unknown
    ideal_limit: float = math.inf
    #: (S, M) each member's domestic price of approving (Putnam 1988); None: nobody has one
    approval_cost: np.ndarray | None = None

    def __post_init__(self) -> None:
        s, m, d = self.__dict__["ideal"].shape  # (without building deferred arrays)
        w_shape = self.__dict__["weight"].shape  # (without building deferred weights)
        if w_shape != (s, m, d):
            raise ValueError(f"weight has shape {w_shape}, expected {(s, m, d)}")
        if self.reversion.shape != (s, d):
            raise ValueError(f"reversion has shape {self.reversion.shape}, expected {(s, d)}")
        if not self.member_ids:
            object.__setattr__(self, "member_ids", tuple(f"m{k + 1}" for k in range(m)))
        if not self.member_bloc:
            object.__setattr__(self, "member_bloc", (None,) * m)
        if len(self.member_ids) != m or len(self.member_bloc) != m:
            raise ValueError("member_ids/member_bloc do not match the member axis")
        if not 1 <= self.threshold <= m:
            raise ValueError(
                f"threshold must be between 1 and the {m} members, got {self.threshold}"
            )

    @property
    def n_members(self) -> int:
        return self.__dict__["ideal"].shape[1]

    @property
    def n_samples(self) -> int:
        return self.__dict__["ideal"].shape[0]

    @cached_property
    def weighted_ideal(self) -> np.ndarray:
        """``w * z``, 0 where the weight is 0, shape (S, M, D); computed once per body.

        The body's arrays must not be modified after construction.
        """
        on = self.weight > 0
        # the product where weighed, +0.0 elsewhere: np.where(on, w * z, 0.0) without the
        # full product and a second (S, M, D) temporary
        return np.multiply(self.weight, self.ideal, out=np.zeros(self.weight.shape), where=on)

    @cached_property
    def weight_sum(self) -> np.ndarray:
        """``sum_d w_d`` per member, shape (S, M); computed once per body."""
        return self.weight.sum(axis=2)

    @cached_property
    def weight_t(self) -> np.ndarray:
        """The weights as the votes' matrix products read them, (S, D, M): a view of
        :attr:`weight`, or, where the compile found the same weights in every sample, of one
        (M, D) matrix repeated over the samples. The products are taken sample by sample, each
        with a (D, M) matrix of the same values and strides either way: the same bits."""
        pattern = self.__dict__.get("_weight_pattern")
        if pattern is not None:
            return np.broadcast_to(pattern.T, (self.n_samples, *pattern.T.shape))
        return np.swapaxes(self.weight, 1, 2)

    @cached_property
    def ideal_bound(self) -> np.ndarray:
        """Largest ``|z|`` over the weighed cells, per sample (S,): scales the tie tolerance."""
        return np.abs(np.where(self.weight > 0, self.ideal, 0.0)).max(axis=(1, 2))

    @property
    def label(self) -> str:
        return self.name or self.id

    @classmethod
    def from_points(
        cls,
        ideal: np.ndarray | list,
        reversion: np.ndarray | list | float,
        threshold: int,
        *,
        weight: np.ndarray | list | None = None,
        ties: Ties = "no",
        id: str = "body",
        **kw: Any,
    ) -> CompiledBody:
        """Build a body from numbers: ``ideal`` (M,), (M, D) or (S, M, D); weights default 1.

        >>> CompiledBody.from_points([1.0, 2.0, 3.0], 0.0, 2).ideal.shape
        (1, 3, 1)
        """
        z = np.asarray(ideal, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        if z.ndim == 2:
            z = z[None]
        s, m, d = z.shape
        w = np.ones((s, m, d)) if weight is None else np.asarray(weight, dtype=float)
        w = np.broadcast_to(w, (s, m, d)).copy()
        r = np.broadcast_to(np.asarray(reversion, dtype=float), (s, d)).copy()
        return cls(id=id, ideal=z, weight=w, reversion=r, threshold=int(threshold), ties=ties, **kw)


@dataclass(frozen=True)
class CompiledForm:
    """A form: indices of its bodies in ``CompiledRatification.bodies``, hazard and horizon (S,)."""

    id: str
    bodies: tuple[int, ...]
    hazard: np.ndarray  # (S,)
    horizon: np.ndarray  # (S,), 0 where not given
    legally_binding: bool = False
    name: str | None = None
    #: (issue index, value) pairs the form fixes, and (index, low, high) it bounds
    fixed: tuple[tuple[int, float], ...] = ()
    bounded: tuple[tuple[int, float, float], ...] = ()

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def commits(self) -> bool:
        """Whether the form changes the packages it carries."""
        return bool(self.fixed or self.bounded)

    def carry(self, x: np.ndarray) -> np.ndarray:
        """The package(s) ``x`` (..., D) as this form carries them: fixed issues set, bounded
        issues clipped. A form that commits nothing returns ``x`` itself.

        >>> f = CompiledForm("treaty", (), np.zeros(1), np.zeros(1), fixed=((1, 0.0),),
        ...                  bounded=((0, 10.0, 20.0),))
        >>> f.carry(np.array([[50.0, 80.0, 30.0]])).tolist()
        [[20.0, 0.0, 30.0]]
        """
        if not self.commits:
            return x
        y = np.array(x, dtype=float, copy=True)
        for j, v in self.fixed:
            y[..., j] = v
        for j, lo, hi in self.bounded:
            y[..., j] = np.clip(y[..., j], lo, hi)
        return y


@dataclass(frozen=True)
class CompiledForum:
    """A forum: the actors at the table and the forms it can produce."""

    id: str
    actors: tuple[str, ...]
    forms: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True)
class CompiledRatification:
    """All ratification sections as arrays, sharing the scenario's issue axis."""

    issue_ids: tuple[str, ...]
    scale_min: np.ndarray  # (D,)
    scale_max: np.ndarray  # (D,)
    status_quo: np.ndarray  # (S, D)
    bodies: tuple[CompiledBody, ...]
    forms: tuple[CompiledForm, ...]
    forums: tuple[CompiledForum, ...]
    proposal_ids: tuple[str, ...]
    packages: np.ndarray  # (S, P, D): the proposals, status quo where a proposal is silent
    proposal_names: tuple[str | None, ...] = ()

    @property
    def n_samples(self) -> int:
        return self.status_quo.shape[0]

    def body(self, body_id: str) -> CompiledBody:
        return next(b for b in self.bodies if b.id == body_id)

    def form(self, form_id: str) -> CompiledForm:
        return next(f for f in self.forms if f.id == form_id)

    def form_bodies(self, form: CompiledForm | str) -> tuple[CompiledBody, ...]:
        f = self.form(form) if isinstance(form, str) else form
        return tuple(self.bodies[i] for i in f.bodies)

    def package(self, proposal_id: str) -> np.ndarray:
        """One proposal's package, shape (S, D)."""
        return self.packages[:, self.proposal_ids.index(proposal_id)]


def carrier(sc: Scenario, form_id: str | None) -> Any:
    """The function that carries a package (..., D) in form ``form_id`` of ``sc``
    (:meth:`CompiledForm.carry`); the identity for no form or an unknown one."""
    form = next((f for f in sc.forms if f.id == form_id), None)
    if form is None or not (form.fixes or form.bounds):
        return lambda x: x
    d_of = {iid: j for j, iid in enumerate(sc.issue_ids())}
    compiled = CompiledForm(
        id=form.id,
        bodies=(),
        hazard=np.zeros(1),
        horizon=np.zeros(1),
        **_commitments(form, d_of),
    )
    return compiled.carry


def _commitments(form: Form, d_of: dict[str, int]) -> dict[str, tuple]:
    """A form's ``fixes`` and ``bounds`` as (issue index, value) and (index, low, high) tuples."""
    return {
        "fixed": tuple((d_of[i], float(v)) for i, v in form.fixes.items()),
        "bounded": tuple((d_of[i], float(a), float(b)) for i, (a, b) in form.bounds.items()),
    }


class _Drawer:
    """Centres (point compile) or clipped draws (Monte Carlo), always shape (S,)."""

    def __init__(self, samples: int, rng: np.random.Generator | None):
        self.s, self.rng = samples, rng

    def __call__(self, u: Uncertain, lo: float = -math.inf, hi: float = math.inf) -> np.ndarray:
        if self.rng is None:
            return np.full(self.s, min(max(u.centre, lo), hi))
        if u.is_point:  # what Uncertain.sample gives, without its dispatch (draws nothing)
            out = np.full(self.s, float(u.value))  # type: ignore[arg-type]
            return np.clip(out, lo, hi, out=out)
        return u.sample(self.rng, self.s, clip=(lo, hi))


def compile_ratification(
    sc: Scenario,
    *,
    samples: int = 1,
    rng: np.random.Generator | None = None,
    status_quo: np.ndarray | None = None,
) -> CompiledRatification:
    """Turn the ratification sections into arrays with a leading sample axis.

    Parameters
    ----------
    sc
        A validated scenario (run :func:`detente.scenario.schema.cross_check` first).
    samples
        Number of samples ``S``.
    rng
        None for a point compile (every Number at its centre, bloc members at evenly spaced
        normal quantiles, the same values in every sample); a generator for a Monte Carlo
        compile (every Number drawn per sample, bloc members drawn at random), in document order.
    status_quo
        (S, D) status quo per sample, e.g. ``ScenarioArrays.status_quo`` of the same run, so that
        reversions and proposals share its draws. Default: the issues' status quos (centres, or
        draws in a Monte Carlo compile), NaN where unknown.

    Returns
    -------
    CompiledRatification
    """
    draw = _Drawer(samples, rng)
    issue_ids = tuple(sc.issue_ids())
    d_of = {iid: j for j, iid in enumerate(issue_ids)}
    lo = np.array([i.scale.min for i in sc.issues])
    hi = np.array([i.scale.max for i in sc.issues])
    mid = (lo + hi) / 2
    s, d = samples, len(issue_ids)
    if status_quo is None:
        sq = np.full((s, d), np.nan)
        for j, issue in enumerate(sc.issues):
            if issue.status_quo is not None:
                sq[:, j] = draw(issue.status_quo, lo[j], hi[j])
    else:
        sq = np.broadcast_to(np.asarray(status_quo, dtype=float), (s, d)).copy()

    bodies = tuple(_compile_body(b, sq, d_of, lo, hi, mid, draw) for b in sc.bodies)
    body_index = {b.id: n for n, b in enumerate(bodies)}
    forms = []
    for f in sc.forms:
        hazard = draw(f.revision_hazard, 0.0, 1.0)
        horizon = np.zeros(s) if f.horizon is None else draw(f.horizon, 0.0)
        forms.append(
            CompiledForm(
                id=f.id,
                name=f.name,
                bodies=tuple(body_index[b] for b in f.ratified_by),
                hazard=hazard,
                horizon=horizon,
                legally_binding=f.legally_binding,
                **_commitments(f, d_of),
            )
        )
    all_forms = tuple(f.id for f in sc.forms)
    forums = tuple(
        CompiledForum(
            id=g.id,
            name=g.name,
            actors=tuple(g.members),
            forms=all_forms if g.forms is None else tuple(g.forms),
        )
        for g in sc.forums
    )
    packages = np.repeat(sq[:, None, :], len(sc.proposals), axis=1)
    for p, prop in enumerate(sc.proposals):
        for iid, u in prop.values.items():
            j = d_of[iid]
            packages[:, p, j] = draw(u, lo[j], hi[j])
    return CompiledRatification(
        issue_ids=issue_ids,
        scale_min=lo,
        scale_max=hi,
        status_quo=sq,
        bodies=bodies,
        forms=tuple(forms),
        forums=forums,
        proposal_ids=tuple(p.id for p in sc.proposals),
        proposal_names=tuple(p.name for p in sc.proposals),
        packages=packages,
    )


def _weighted_rows(
    ideal: np.ndarray,
    weight: np.ndarray | None,
    rows: list[tuple[int, int, np.ndarray, np.ndarray]],
    pattern: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:attr:`CompiledBody.weighted_ideal` and :attr:`CompiledBody.weight_sum` of a body whose
    members ``start:stop`` share the weights ``row`` (S, D): ``w * z`` where ``w > 0``, else
    +0.0, and the row's sum over the issues; the same operations element by element, so the
    same bits as the properties' formulas on the full arrays.

    ``pattern`` (M, D), where given, is the weights of every sample (``weight`` is then not
    read). A weight of 0 gives ``0 * z``, which is +0.0 already where ``z`` has no sign bit:
    cells are only set to +0.0 in the columns whose ideal points may have one (``signed``
    (D,) of each row: issues the row's members place at the midpoint of a scale with a
    negative midpoint, or draw on a scale reaching 0 or below) or whose weights hold a NaN.
    """
    weighted = np.multiply(ideal, pattern) if pattern is not None else np.multiply(weight, ideal)
    weight_sum = np.empty(ideal.shape[:2])
    for start, stop, row, signed in rows:
        off = ~(row > 0)
        for j in np.flatnonzero(off.any(axis=0) & (signed | np.isnan(row).any(axis=0))):
            col = off[:, j]
            if col.all():  # an issue the body or the bloc does not weigh
                weighted[:, start:stop, j] = 0.0
            else:
                weighted[col, start:stop, j] = 0.0
        weight_sum[:, start:stop] = row.sum(axis=1)[:, None]
    return weighted, weight_sum


def _same_rows(rows: list[tuple[int, int, np.ndarray, np.ndarray]]) -> bool:
    """Whether every row (S, D) holds the same bits in every sample."""
    for _, _, row, _ in rows:
        bits = row.view(np.int64)
        if not (bits == bits[:1]).all():
            return False
    return True


#: members x samples x issues of a bloc up to which its ideal points are scaled and clipped in
#: one operation over every issue it draws (a small bloc: one call instead of one per issue);
#: a larger bloc's are scaled issue by issue, each right after its draws (still in cache)
_BATCH_CELLS = 1 << 15


def _scale_draws(
    zb: np.ndarray,
    order: list[int],
    centre: np.ndarray,
    sd: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> None:
    """``clip(centre + sd * N, lo, hi)`` in place on the standard normals of the issues
    ``order`` of ``zb`` (D, S, c), with ``centre`` and ``sd`` (D, S), or (D, 1) where they are
    the same in every sample: ``N *= sd``, ``+= centre``, clip, the same operations element
    by element whether issue by issue or over a run of consecutive issues at once."""
    js = sorted(order)
    if js and js[-1] - js[0] + 1 == len(js):
        runs = [slice(js[0], js[-1] + 1)]
    else:
        runs = [slice(j, j + 1) for j in js]
    for sl in runs:
        z = zb[sl]
        z *= sd[sl, :, None]
        z += centre[sl, :, None]
        np.clip(z, lo[sl, None, None], hi[sl, None, None], out=z)


@lru_cache(maxsize=1024)
def _bloc_member_ids(bloc_id: str, count: int) -> tuple[str, ...]:
    """Names of a bloc's members, ``bloc[1]`` .. ``bloc[count]`` (the same in every block)."""
    return tuple(f"{bloc_id}[{k + 1}]" for k in range(count))


def _weigh(weighted: np.ndarray, pattern: np.ndarray, rows: list) -> None:
    """``weighted`` (S, M, D), holding the ideal points, times the weights ``pattern`` (M, D)
    of every sample, in place: ``w * z`` where ``w > 0``, else +0.0. A weight of 0 gives +0.0
    already where ``z`` has no sign bit; the other columns of each row (``signed``) are
    set."""
    np.multiply(weighted, pattern, out=weighted)
    for start, stop, row, signed in rows:
        w = row[0]
        for j in np.flatnonzero(~(w > 0) & (signed | np.isnan(w))):
            weighted[:, start:stop, j] = 0.0


def _compile_body(
    body: Body,
    sq: np.ndarray,
    d_of: dict[str, int],
    lo: np.ndarray,
    hi: np.ndarray,
    mid: np.ndarray,
    draw: _Drawer,
) -> CompiledBody:
    s, d = sq.shape
    weighed = [d_of[i] for i in body.weighed_issues()]
    reversion = sq.copy()
    for iid, u in body.reversion.items():
        j = d_of[iid]
        reversion[:, j] = draw(u, lo[j], hi[j])
    ids: list[str] = []
    blocs: list[str | None] = []
    prices: list[tuple[Number, int]] = []
    # the default weight, 1: a point, which draws nothing, so one array serves every issue
    w_one = draw(Number.model_validate(1), 0.0)
    zero = Number.model_validate(0)
    keep = np.zeros(d, dtype=bool)
    keep[weighed] = True
    # a weight of 0 times an ideal point without a sign bit is +0.0 already: issues where a
    # drawn ideal point is >= lo > 0, or an undrawn one is the midpoint, without a sign bit
    drawn_signed = ~(lo > 0)
    mid_signed = np.signbit(mid)
    n_members = body.n_members
    shape = (s, n_members, d)
    # a bloc's ideal points are built issue-major, (D, S, count), so that its draws on one
    # issue are one contiguous (S, count) block, drawn, scaled and clipped in place; the draws
    # are made in the same order as ever, and the result is (S, M, D) as always. A bloc's or
    # member's weights are the same for its members: one (S, D) row broadcast over them.
    # A Monte Carlo compile of blocs whose weights are the same in every sample (given as
    # points) also weighs each issue's ideal points as (S, count) blocks, w * z with one
    # number w, and builds the weighted ideal points from them; the (S, M, D) ideal points
    # and weights, which a vote does not read, are built only if something reads them.
    planes = draw.rng is not None and not body.members
    weighted = np.empty(shape) if planes else None
    ideal = None if planes else np.empty(shape)
    parts: list[tuple[int, int, np.ndarray]] = []  # (first member, stop, (D, S, count))
    rows: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # (start, stop, weights, signed)
    start = 0
    for bloc in body.blocs:
        c = bloc.count
        stop = start + c
        zb = np.empty((d, s, c))
        wb = np.zeros((s, d))
        drawn = np.zeros(d, dtype=bool)
        batch = draw.rng is not None and d * s * c <= _BATCH_CELLS
        if batch:
            centres, sds = np.empty((d, s)), np.empty((d, s))
            order: list[int] = []
            points = True  # every centre and spread the same in every sample
        if draw.rng is None:
            from scipy.special import ndtri  # lazy: keeps CLI start-up fast

            offsets = ndtri((np.arange(c) + 0.5) / c)
        # one spread for every issue, drawn once where drawing it again would give the same
        # values and consume no randomness (a point, or given values)
        shared_sd = sd_rows = None
        if not isinstance(bloc.spread, dict) and not (
            draw.rng is not None and bloc.spread.draws_randomness
        ):
            shared_sd = draw(bloc.spread, 0.0)
        for iid, u in bloc.ideal.items():
            j = d_of[iid]
            centre = draw(u, lo[j], hi[j])  # (S,)
            if shared_sd is not None:
                sp = bloc.spread
                sd = shared_sd
            else:
                sp = bloc.spread.get(iid, zero) if isinstance(bloc.spread, dict) else bloc.spread
                sd = draw(sp, 0.0)
            wu = bloc.weights.get(iid)
            wb[:, j] = w_one if wu is None else draw(wu, 0.0)
            zj = zb[j]
            if draw.rng is None:
                np.clip(centre[:, None] + sd[:, None] * offsets[None, :], lo[j], hi[j], out=zj)
            elif batch:
                # the normals now, in the same order as ever; the arithmetic after the loop
                draw.rng.standard_normal(out=zj)
                centres[j], sds[j] = centre, sd
                points &= u.is_point and sp.is_point
                order.append(j)
            else:
                # centre + sd * N, in place (the same operations, so the same bits). A
                # point (the same value in every sample) enters as that one number, one
                # spread for every issue as a whole (S, count) array: both faster than
                # broadcasting (S,) values along every row
                draw.rng.standard_normal(out=zj)
                if sp.is_point:
                    zj *= sd[0]
                elif shared_sd is not None:
                    if sd_rows is None:
                        sd_rows = np.repeat(shared_sd[:, None], c, axis=1)
                    zj *= sd_rows
                else:
                    zj *= sd[:, None]
                zj += centre[0] if u.is_point else centre[:, None]
                np.clip(zj, lo[j], hi[j], out=zj)
            drawn[j] = True
        if batch:
            if points:  # one number per issue (the same values, in longer loops)
                centres, sds = centres[:, :1], sds[:, :1]
            _scale_draws(zb, order, centres, sds, lo, hi)
        for j in np.flatnonzero(~drawn):
            zb[j] = mid[j]
        wb[:, ~keep] = 0.0  # issues the body does not weigh count for no one
        signed = np.where(drawn, drawn_signed, mid_signed)
        parts.append((start, stop, zb))
        if planes and not _same_rows([(start, stop, wb, signed)]):
            # weights that vary over the samples: back to the (S, M, D) arrays
            planes, weighted = False, None
            ideal = _BlocPoints(shape, parts[:-1]).build()
        # the ideal points (S, count, D), into the weighted points' array where they are
        # weighed in place below, or into the ideal points'
        (weighted if planes else ideal)[:, start:stop, :] = zb.transpose(1, 2, 0)
        rows.append((start, stop, wb, signed))
        ids += _bloc_member_ids(bloc.id, c)
        blocs += [bloc.id] * c
        prices.append((bloc.approval_cost, c))
        start = stop
    for member in body.members:
        ideal[:, start, :] = mid[None, :]
        wm = np.zeros((s, d))
        drawn = np.zeros(d, dtype=bool)
        for iid, u in member.ideal.items():
            j = d_of[iid]
            ideal[:, start, j] = draw(u, lo[j], hi[j])
            wu = member.weights.get(iid)
            wm[:, j] = w_one if wu is None else draw(wu, 0.0)
            drawn[j] = True
        wm[:, ~keep] = 0.0
        rows.append((start, start + 1, wm, np.where(drawn, drawn_signed, mid_signed)))
        ids.append(member.id)
        blocs.append(None)
        prices.append((member.approval_cost, 1))
        start += 1
    pattern = None
    if _same_rows(rows):
        # the same weights in every sample (weights given as points): one (M, D) matrix,
        # which the votes' products read (CompiledBody.weight_t); the full array is built
        # only if something reads it
        pattern = np.empty((n_members, d))
        for a, b, row, _ in rows:
            pattern[a:b] = row[0]
        weight: np.ndarray | _RowWeights = _RowWeights(shape, [r[:3] for r in rows])
    else:
        weight = _RowWeights(shape, [r[:3] for r in rows]).build()
    if planes:
        _weigh(weighted, pattern, rows)
        # each member's weights summed over the issues as a row's sum (the same row of values
        # in every sample): the same bits as the rows' sums
        weight_sum = np.repeat(pattern.sum(axis=1)[None, :], s, axis=0)
        ideal_in: np.ndarray | _BlocPoints = _BlocPoints(shape, parts)
    else:
        weighted, weight_sum = _weighted_rows(
            ideal, None if pattern is not None else weight, rows, pattern
        )
        ideal_in = ideal
    cost = None
    if any(not (u.is_point and u.centre == 0) for u, _ in prices):
        # drawn after every ideal point, so that adding a price moves no earlier draw
        cost = np.concatenate(
            [np.repeat(draw(u, 0.0)[:, None], k, axis=1) for u, k in prices], axis=1
        )
    out = CompiledBody(
        id=body.id,
        name=body.name,
        actor=body.actor,
        approval_cost=cost,
        ideal=ideal_in,  # type: ignore[arg-type]
        weight=weight,  # type: ignore[arg-type]
        reversion=reversion,
        threshold=body.quota(),
        ties=body.ties,
        member_ids=tuple(ids),
        member_bloc=tuple(blocs),
        ideal_limit=float(np.maximum(np.abs(lo), np.abs(hi)).max(initial=0.0)),
    )
    # the body-only quantities of a vote, from the per-bloc weight rows (same bits as the
    # cached properties compute them from the full arrays)
    out.__dict__["weighted_ideal"] = weighted
    out.__dict__["weight_sum"] = weight_sum
    if pattern is not None:
        out.__dict__["_weight_pattern"] = pattern
    return out
