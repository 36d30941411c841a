"""Would a package be ratified, in which form, and if not, who blocks it (``detente ratify``).

:func:`ratify_report` is a pure function of a validated scenario and its compiled arrays. Without
a proposal or ``ISSUE=VALUE`` items it checks every proposal of the scenario and every registered
model's forecast, in every form (or the forms given). For each package and form it gives the
votes of every body (yes votes, threshold, passed) and, for a form that fails, which body blocks
it, by how many votes, and the members who would have to be won over. ``ISSUE=VALUE`` items go
on top of the proposal (or of the status quo when no proposal is named).

Moved here from ``detente.commands.ratify`` (issue 19: the CLI and the workbench call it through
:func:`detente.api.ratify`); names and signatures are unchanged.
"""

from __future__ import annotations

import math
import os
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from detente.analyses.forked import Forked
from detente.analyses.ratification import (
    ForumOptions,
    durable_value,
    form_votes,
    forum_forecast,
    margins,
    nearest_ratifiable_many,
    pivot,
    ratification_probability,
    spatial_utility,
    to_win_over,
)
from detente.arrays import ScenarioArrays
from detente.errors import InputError, Problem
from detente.models import get_model, registry
from detente.scenario.ratification import CompiledRatification, compile_ratification
from detente.scenario.schema import Scenario
from detente.scenario.uncertain import MIN_ABS

#: spawn key of the nearest-package searches' streams in the run's ``SeedSequence``
#: (:func:`nearest_rng`); 0 and 1 are the Monte Carlo engine's, 2 the sensitivity bootstrap's
NEAREST_KEY = 3


@dataclass
class Package:
    """A package to check: a proposal, a model's forecast or values given on the command line."""

    id: str
    kind: Literal["proposal", "forecast", "custom"]
    values: np.ndarray  # (D,)
    name: str | None = None
    by: str | None = None
    model: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _problem(source: str, fld: str, message: str) -> InputError:
    return InputError(Problem(source=source, field=fld, message=message))


def parse_set(items: list[str], sc: Scenario, source: str = "command line") -> dict[str, float]:
    """``ISSUE=VALUE`` strings to values, checked against the scenario's issues and scales.

    Raises
    ------
    InputError
        On a malformed item, an unknown issue or a value off the issue's scale.
    """
    out: dict[str, float] = {}
    ids = sc.issue_ids()
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise _problem(source, "--set", f"{item!r} is not ISSUE=VALUE, e.g. --set {ids[0]}=50")
        if key not in ids:
            raise _problem(source, "--set", f"unknown issue {key!r}; known: {', '.join(ids)}")
        try:
            value = float(raw)
        except ValueError:
            raise _problem(
                source, "--set", f"{key}={raw!r}: the value must be a number on the issue's scale"
            ) from None
        scale = sc.issue(key).scale
        if not (math.isfinite(value) and scale.min <= value <= scale.max):
            raise _problem(
                source,
                "--set",
                f"{key}={raw.strip()} is off the scale; allowed: {scale.min:g} to {scale.max:g}",
            )
        if 0 < abs(value) < MIN_ABS:  # as for every point on a scale in the scenario
            raise _problem(
                source,
                "--set",
                f"{key}={raw.strip()} is too small; write 0 or a number of at least 1e-12",
            )
        out[key] = value
    return out


def _group(ids: list[str], blocs: list[str | None]) -> str:
    """'15 of republicans, manchin' from member ids and their blocs."""
    counts = Counter(b for b in blocs if b is not None)
    named = [i for i, b in zip(ids, blocs, strict=True) if b is None]
    parts = [f"{c} of {b}" for b, c in counts.items()] + named
    return ", ".join(parts)


def ratify_report(
    sc: Scenario,
    arrays: ScenarioArrays,
    *,
    source: str = "scenario",
    forms: list[str] | None = None,
    proposal: str | None = None,
    set_values: list[str] | None = None,
    forum: str | None = None,
    forum_options: ForumOptions | None = None,
    samples: int = 0,
    nearest: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Check packages in forms; a JSON-ready report (see the module docstring).

    Parameters
    ----------
    sc, arrays
        A validated scenario and its point compile (sample 0 is used).
    source
        Name of the scenario for error messages.
    forms
        Form ids to check (default: all, or the forum's forms).
    proposal, set_values
        A single package: a proposal's values and/or ``ISSUE=VALUE`` items on top of it.
        Without either, every proposal and every registered model's forecast is checked.
    forum
        Restrict to a forum: models forecast with only its members at the table
        (:func:`detente.analyses.ratification.forum_forecast`) and only its forms are checked.
    forum_options
        How outsiders count in a forum's forecasts.
    samples
        Monte Carlo draws of the ratifiers' ideal points for the probability of ratification
        (0: none).
    nearest
        Also search the nearest ratifiable package for every form that fails.
    seed
        Seed of the run: one generator for the forecasts and draws; each nearest-package search
        draws from its own stream of the seed, keyed by the form and the package
        (:func:`nearest_rng`), so that its result does not depend on the other packages
        checked, their order or the number of ``workers``.
    progress
        Called with (package-form checks done, checks in all) after each check (the slow part
        with ``nearest``); the report is the same with or without it.
    workers
        Processes for the nearest-package searches (:class:`_SearchPool`): with 2 or more
        (and ``os.fork``), forked children search too: one starts on the proposals' packages
        while this process computes the forecasts, and the rest are shared out between this
        process and ``workers - 1`` children. The report is the same for every number.
        Forking is unsafe in a process with threads (the web server): only the CLI asks for
        more than 1.

    Raises
    ------
    InputError
        Unknown form, forum or proposal; bad ``--set`` items; a scenario without forms.
    """
    rng = np.random.default_rng(seed)
    if not sc.forms:
        raise _problem(
            source,
            "forms",
            "the scenario has no forms; ratify needs `bodies` and "
            "`forms` (see docs/scenario-format.md)",
        )
    comp = compile_ratification(sc, status_quo=arrays.status_quo[:1])
    form_ids = [f.id for f in comp.forms]
    forum_opts = forum_options or ForumOptions()
    forum_obj = None
    if forum is not None:
        known = [g.id for g in comp.forums]
        if forum not in known:
            raise _problem(
                source, "--forum", f"unknown forum {forum!r}; known: {', '.join(known) or '(none)'}"
            )
        forum_obj = comp.forums[known.index(forum)]
    chosen = forms or (list(forum_obj.forms) if forum_obj else form_ids)
    for f in chosen:
        if f not in form_ids:
            raise _problem(source, "--form", f"unknown form {f!r}; known: {', '.join(form_ids)}")

    skipped: dict[str, str] = {}
    # the nearest-package searches: those of the scenario's proposals start in a forked child
    # (workers >= 2) as soon as they are known, while this process computes the forecasts
    pool = _SearchPool(comp, seed, workers)

    def early(proposals: list[Package]) -> None:
        if nearest and pool.parallel:
            pool.start(_failing(comp, chosen, proposals))

    try:
        packages = _packages(
            sc,
            arrays,
            comp,
            source,
            proposal,
            set_values,
            forum_obj,
            forum_opts,
            rng,
            skipped,
            early,
        )
        mc = compile_ratification(sc, samples=samples, rng=rng) if samples > 0 else None
        report: dict[str, Any] = {
            "scenario": sc.meta.title,
            "issues": list(comp.issue_ids),
            "status_quo": _values(comp, comp.status_quo[0]),
            "forum": forum,
            "options": {
                "forum": forum_opts.model_dump(mode="json") if forum else None,
                "ties": {b.id: b.ties for b in comp.bodies},
                "samples": samples,
                "seed": seed,
            },
            "packages": [],
            "skipped": skipped,
        }
        utils_sq = spatial_utility(arrays.take_samples(0), comp.status_quo[:1])[0]
        checks, done = len(packages) * len(chosen), 0
        if progress is not None:
            progress(0, checks)
        searched: list[tuple[_Search, dict[str, Any]]] = []
        for pkg in packages:
            entry: dict[str, Any] = {
                "id": pkg.id,
                "kind": pkg.kind,
                "name": pkg.name,
                "by": pkg.by,
                "model": pkg.model,
                "values": _values(comp, pkg.values),
                "forms": [],
            }
            u_x = spatial_utility(arrays.take_samples(0), pkg.values[None])[0]
            for fid in chosen:
                form = comp.form(fid)
                bodies = comp.form_bodies(form)
                form_entry = _form_entry(comp, form, bodies, pkg, u_x, utils_sq, arrays, mc)
                entry["forms"].append(form_entry)
                if nearest and not form_entry["ratified"] and bodies:
                    searched.append(
                        (_Search(fid, pkg.id, form.carry(pkg.values[None])), form_entry)
                    )
                else:
                    done += 1
                    if progress is not None:
                        progress(done, checks)
            report["packages"].append(entry)

        def step() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, checks)

        results = pool.finish([job for job, _ in searched], step)
    except BaseException:
        pool.abort()  # a forked child still searching is stopped
        raise
    for job, form_entry in searched:
        form_entry["nearest"] = results[job.key]
    return report


def nearest_rng(seed: int, form_id: str, package_id: str) -> np.random.Generator:
    """The generator of one nearest-package search: the run's ``SeedSequence`` child keyed by
    :data:`NEAREST_KEY` and the CRC-32 of the form's and the package's ids."""
    key = zlib.crc32(f"{form_id}\x1f{package_id}".encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(NEAREST_KEY, key)))


@dataclass(frozen=True)
class _Search:
    """One nearest-package search: the form, the package and the package as the form carries
    it, ``x`` (1, D)."""

    form_id: str
    package_id: str
    x: np.ndarray

    @property
    def key(self) -> tuple[str, str]:
        return self.form_id, self.package_id


def _failing(comp: CompiledRatification, chosen: list[str], pkgs: list[Package]) -> list[_Search]:
    """The searches ``ratify_report`` makes for ``pkgs``: every form that has bodies and does
    not ratify the package as it carries it (as :func:`_form_entry` decides)."""
    out = []
    for pkg in pkgs:
        for fid in chosen:
            form = comp.form(fid)
            bodies = comp.form_bodies(form)
            x = form.carry(pkg.values[None])
            if bodies and not form_votes(x, bodies).ratified[0]:
                out.append(_Search(fid, pkg.id, x))
    return out


def _nearest_of(
    comp: CompiledRatification, seed: int, jobs: list[_Search]
) -> list[dict[str, Any] | None]:
    """The form entries' ``nearest`` for ``jobs``, in order: values and distance, or None where
    none was found. The searches of one form run side by side
    (:func:`~detente.analyses.ratification.nearest_ratifiable_many`), each as it runs alone."""
    out: list[dict[str, Any] | None] = [None] * len(jobs)
    by_form: dict[str, list[int]] = {}
    for k, job in enumerate(jobs):
        by_form.setdefault(job.form_id, []).append(k)
    for fid, ks in by_form.items():
        form = comp.form(fid)
        # search only packages the form can carry: its fixed issues pinned, bounded ones clipped
        lo, hi = comp.scale_min.copy(), comp.scale_max.copy()
        for j, v in form.fixed:
            lo[j] = hi[j] = v
        for j, a, b in form.bounded:
            lo[j], hi[j] = a, b
        found = nearest_ratifiable_many(
            [jobs[k].x for k in ks],
            comp.form_bodies(form),
            comp.scale_min,
            comp.scale_max,
            [nearest_rng(seed, fid, jobs[k].package_id) for k in ks],
            within=(lo, hi),
        )
        for k, res in zip(ks, found, strict=True):
            if res.found[0]:
                near = dict(zip(comp.issue_ids, res.package[0].tolist(), strict=True))
                out[k] = {"values": near, "distance": float(res.distance[0])}
    return out


class _SearchPool:
    """Runs the nearest-package searches, on ``workers`` processes where ``os.fork`` exists.

    :meth:`start` forks a child for searches known early (the proposals', while this process
    computes the forecasts); :meth:`finish` shares the remaining searches out between this
    process (the first of every ``workers``) and ``workers - 1`` forked children, and collects
    every result. Each search draws from its own stream (:func:`nearest_rng`), so the results
    are the same in every process and for every number of workers.
    """

    def __init__(self, comp: CompiledRatification, seed: int, workers: int) -> None:
        self.comp, self.seed = comp, seed
        self.parallel = workers >= 2 and hasattr(os, "fork")
        self.workers = workers if self.parallel else 1
        self.children: list[Forked] = []

    def run(self, jobs: list[_Search]) -> list[dict[str, Any] | None]:
        return _nearest_of(self.comp, self.seed, jobs)

    def abort(self) -> None:
        """Stop and reap the children (the report failed: their results are not needed)."""
        for child in self.children:
            child.stop()
        self.children = []

    def start(self, jobs: list[_Search]) -> None:
        if jobs:
            self.children.append(Forked(self.run, jobs))

    def finish(
        self, jobs: list[_Search], step: Callable[[], None]
    ) -> dict[tuple[str, str], dict[str, Any] | None]:
        """The result of every search in ``jobs`` by its (form, package); ``step()`` after each
        one (the children's when they are collected)."""
        started = {job.key for child in self.children for job in child.args[0]}
        rest = [job for job in jobs if job.key not in started]
        n = min(self.workers, len(rest))
        if n >= 2:
            for w in range(1, n):
                self.children.append(Forked(self.run, rest[w::n]))
            rest = rest[::n]
        out = {}
        for job, res in zip(rest, self.run(rest), strict=True):
            out[job.key] = res
            step()
        while self.children:
            child = self.children[0]
            got = child.result()
            self.children.pop(0)
            for job, res in zip(child.args[0], got, strict=True):
                out[job.key] = res
                step()
        return out


def _num(v: float) -> float | None:
    """A JSON-safe number: None for NaN (an unknown status quo)."""
    return None if np.isnan(v) else round(float(v), 6)


def _values(comp: CompiledRatification, x: np.ndarray) -> dict[str, float | None]:
    return {i: _num(v) for i, v in zip(comp.issue_ids, x, strict=True)}


def _packages(
    sc: Scenario,
    arrays: ScenarioArrays,
    comp: CompiledRatification,
    source: str,
    proposal: str | None,
    set_values: list[str] | None,
    forum: Any,
    forum_opts: ForumOptions,
    rng: np.random.Generator,
    skipped: dict[str, str],
    early: Callable[[list[Package]], None] | None = None,
) -> list[Package]:
    """The packages to check; a model that cannot forecast the scenario goes to ``skipped``.
    Without a proposal or ``ISSUE=VALUE`` items, ``early`` is called with the scenario's
    proposals before the models forecast."""
    props = {p.id: p for p in sc.proposals}
    if proposal is not None and proposal not in props:
        raise _problem(
            source,
            "--proposal",
            f"unknown proposal {proposal!r}; known: {', '.join(props) or '(none)'}",
        )
    if proposal is not None or set_values:
        base = comp.package(proposal)[0] if proposal else comp.status_quo[0]
        x = base.copy()
        overrides = parse_set(set_values or [], sc, source)
        for k, v in overrides.items():
            x[comp.issue_ids.index(k)] = v
        if proposal and not overrides:
            p = props[proposal]
            return [Package(id=p.id, kind="proposal", values=x, name=p.name, by=p.by)]
        label = proposal or "status quo"
        sets = ", ".join(f"{k}={v:g}" for k, v in overrides.items())
        return [Package(id="custom", kind="custom", values=x, name=f"{label} with {sets}")]
    out = [
        Package(id=p.id, kind="proposal", values=comp.packages[0, n], name=p.name, by=p.by)
        for n, p in enumerate(sc.proposals)
    ]
    if early is not None:
        early(out)
    point = arrays.take_samples(0)
    for name in registry():
        model = get_model(name)
        try:
            if forum is None:
                y = model.forecast(point, rng)[0]
            else:
                y = forum_forecast(point, forum, model, rng, forum_opts)[0]
        except ValueError as exc:
            # e.g. SMP with an actor of capability 0: the other models' forecasts still count
            skipped[name] = str(exc)
            continue
        out.append(
            Package(
                id=f"forecast:{name}",
                kind="forecast",
                values=y,
                name=f"{model.title} forecast",
                model=model.describe(),
            )
        )
    return out


def _form_entry(
    comp: CompiledRatification,
    form: Any,
    bodies: tuple,
    pkg: Package,
    u_x: np.ndarray,
    u_sq: np.ndarray,
    arrays: ScenarioArrays,
    mc: CompiledRatification | None,
) -> dict[str, Any]:
    # the package as the form carries it (a treaty fixes the legal form, ...)
    x = form.carry(pkg.values[None])
    if form.commits:
        u_x = spatial_utility(arrays.take_samples(0), x)[0]
    votes = form_votes(x, bodies)
    fixed = {comp.issue_ids[j] for j, _ in form.fixed}
    rows = []
    for k, b in enumerate(bodies):
        # the members to win over, closest to approving first
        order = np.flatnonzero(to_win_over(x, b)[0])
        order = order[np.argsort(-margins(x, b)[0, order], kind="stable")]
        ids = [b.member_ids[i] for i in order]
        rows.append(
            {
                "body": b.id,
                "name": b.name,
                "yes": int(votes.yes[0, k]),
                "members": b.n_members,
                "needed": b.threshold,
                "passed": bool(votes.passed[0, k]),
                "margin": int(votes.yes[0, k] - b.threshold),
                "to_win_over": ids,
                "to_win_over_summary": _group(ids, [b.member_bloc[i] for i in order]),
                "pivot": b.member_ids[int(pivot(x, b)[0])],
                "approval_cost": _price_words(b, x),
                "costly_issues": _costly_issues(b, x, comp.issue_ids, fixed),
            }
        )
    h, t = float(form.hazard[0]), float(form.horizon[0])
    entry: dict[str, Any] = {
        "form": form.id,
        "name": form.name,
        "legally_binding": form.legally_binding,
        "commits": {comp.issue_ids[j]: v for j, v in form.fixed}
        | {comp.issue_ids[j]: [lo, hi] for j, lo, hi in form.bounded},
        "revision_hazard": h,
        "horizon": t,
        "ratified": bool(votes.ratified[0]),
        "bodies": rows,
        "blocking": None,
        "durable_value": {
            a: _num(v)
            for a, v in zip(arrays.actor_ids, durable_value(u_x, u_sq, h, t), strict=True)
        },
    }
    if not votes.ratified[0]:
        k = int(votes.blocking[0])
        entry["blocking"] = {"body": bodies[k].id, "short": int(votes.short[0])}
    entry["explanation"] = explain(form, bodies, entry)
    if mc is not None:
        p, se = ratification_probability(x, mc.form_bodies(form.id))
        entry["probability"] = {
            "p": round(float(p), 6),
            "se": round(float(se), 6),
            "samples": mc.n_samples,
        }
    return entry


def explain(form: Any, bodies: tuple, entry: dict[str, Any]) -> str:
    """Plain words: why the form passes or fails."""
    label = form.name or form.id
    rows = entry["bodies"]
    if entry["ratified"]:
        if not rows:
            return f"{label}: needs no ratification vote."
        tight = min(rows, key=lambda r: r["margin"])
        return (
            f"{label} is ratified: every body passes it; the narrowest is "
            f"{tight['name'] or tight['body']} with {tight['margin']} vote"
            f"{'' if tight['margin'] == 1 else 's'} to spare (pivotal member: {tight['pivot']})."
        )
    # the body furthest short first: it is the one that blocks the deal
    failing = sorted((r for r in rows if not r["passed"]), key=lambda r: r["margin"])
    parts = []
    for r in failing:
        short = -r["margin"]
        parts.append(
            f"{r['name'] or r['body']} gives {r['yes']} of the {r['needed']} votes needed "
            f"({short} short); it would have to win over {r['to_win_over_summary']}"
            + (f" ({r['approval_cost']})" if r.get("approval_cost") else "")
            + (
                "; the votes are lost on "
                + ", ".join(
                    f"{c['issue']} (back at the reversion it would get {c['votes']} yes"
                    + ("; the form fixes it" if c["fixed_by_form"] else "")
                    + ")"
                    for c in r["costly_issues"]
                )
                if r.get("costly_issues")
                else ""
            )
        )
    return f"{label} fails: " + "; ".join(parts) + "."


def _costly_issues(
    body: Any, x: np.ndarray, issue_ids: tuple[str, ...], fixed: set[str], top: int = 2
) -> list[dict[str, Any]]:
    """The issues that cost the package most yes votes in ``body``: for each issue the body
    weighs, the yes votes with that one issue put back at the body's reversion point; the
    ``top`` with the largest gain (none where no single issue wins a vote)."""
    from detente.analyses.ratification import yes_counts

    base = int(yes_counts(x, body)[0])
    weighed = np.flatnonzero((body.weight[0] > 0).any(axis=0))
    gains = []
    for j in weighed:
        r = body.reversion[0, j]
        if not np.isfinite(r) or r == x[0, j]:
            continue
        y = x.copy()
        y[0, j] = r
        g = int(yes_counts(y, body)[0])
        if g > base:
            gains.append((g, issue_ids[j]))
    gains.sort(key=lambda t: -t[0])
    return [{"issue": i, "votes": g, "fixed_by_form": i in fixed} for g, i in gains[:top]]


def _price_words(body: Any, x: np.ndarray) -> str | None:
    """How many yes votes the members' price of approval costs (Putnam 1988), in words."""
    from dataclasses import replace

    from detente.analyses.ratification import yes_counts

    if body.approval_cost is None:
        return None
    free = int(yes_counts(x, replace(body, approval_cost=None))[0])
    lost = free - int(yes_counts(x, body)[0])
    if lost <= 0:
        return None
    return (
        f"the members' price of approving a deal with an adversary under pressure costs {lost} "
        f"yes vote{'' if lost == 1 else 's'}"
    )
