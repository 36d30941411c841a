"""The workbench's model of a what-if: a parsed scenario document plus the user's edits.

The page is stateless on the server: every request names the scenario by the SHA-256 of its
text (stored in the run history) and carries only the fields the user touched. Edits are
applied to a copy of the parsed document and the whole document is validated again with the
loader behind ``detente validate``, so an out-of-range value gets the CLI's own message.
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from detente.errors import InputError, Problem
from detente.scenario.loading import (
    CSV_SUFFIXES,
    YAML_SUFFIXES,
    Loaded,
    bundled_scenarios,
    decode,
    parse,
    parse_csv,
    validate_document,
)
from detente.scenario.schema import Loc
from detente.scenario.yamlmap import dotted, parse_yaml

#: stance fields the page can edit, in table order
FIELDS = ("position", "salience", "capability", "demand", "publicity")
#: form key of an edited field: ``f.<stance index>.<field>``
_KEY = re.compile(r"^f\.(\d{1,6})\.(" + "|".join(FIELDS) + r")$")
#: draws behind the page's P(...) unless the user asks for more
DEFAULT_SAMPLES = 64
MAX_SAMPLES = 2000


@dataclass(frozen=True, eq=False)  # hashed by identity: open_text caches one per text
class Opened:
    """A scenario's text, parsed document and validated form."""

    sha256: str
    kind: str  # "yaml" or "csv"
    source: str  # the label problems start with (bundled name or uploaded file name)
    text: str
    doc: dict[str, Any]
    lines: dict[Loc, int]
    loaded: Loaded


@dataclass(frozen=True)
class Edit:
    """One touched field: stance ``stance`` (index in the document), ``field``, new value."""

    stance: int
    field: str
    value: float | str  # a string only when it is not a number (validation then says so)
    actor: str = ""
    issue: str = ""

    @property
    def key(self) -> str:
        """The form key: ``f.<stance>.<field>``, or ``d.<path>`` for an input of the bodies,
        forms or crisis (``field`` then holds the loader's path, ``crisis.p_win``)."""
        if self.stance < 0:
            return path_key(self.field)
        return f"f.{self.stance}.{self.field}"

    @property
    def label(self) -> str:
        """The field as the page labels it: ``RUS enlargement position``."""
        if self.stance < 0:
            name = self.field.rsplit(".", 2)[-2] if self.issue else self.field.rsplit(".", 1)[-1]
            return " ".join(x for x in (self.actor, name, self.issue) if x)
        return f"{self.actor} {self.issue} {self.field}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored with a run."""
        return {
            "stance": self.stance,
            "actor": self.actor,
            "issue": self.issue,
            "field": self.field,
            "value": self.value,
        }


def kind_of(filename: str) -> str:
    """``"csv"`` or ``"yaml"`` from a file name's suffix, with the loader's error otherwise.

    >>> kind_of("talks.CSV"), kind_of("a.yml")
    ('csv', 'yaml')
    """
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    raise InputError(
        Problem(
            filename,
            f"unsupported file type {suffix or '(none)'!r}; "
            "use .yaml/.yml (full scenario) or .csv (stakeholder table); "
            "`detente convert` imports KTAB, Decide and DEU files",
        )
    )


def safe_label(filename: str) -> str:
    """A display label for an uploaded file: its base name, plain characters only.

    It is never used as a path.

    >>> safe_label("../../etc/pass wd.yaml")
    'pass_wd.yaml'
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", base)[:100] or "upload"


def bundled_text(name: str) -> tuple[str, str]:
    """Text and kind of a bundled scenario; ``InputError`` for an unknown name."""
    bundled = bundled_scenarios()
    if name not in bundled:
        raise InputError(
            Problem(name, f"no such bundled scenario; bundled: {', '.join(bundled) or 'none'}")
        )
    entry = bundled[name]
    kind = "csv" if entry.name.endswith(".csv") else "yaml"
    return decode(entry.read_bytes(), name), kind


def _name(source: str) -> str:
    """The scenario name the loader gives a file: its stem (``dir/talks.csv`` -> ``talks``)."""
    base = source.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


@lru_cache(maxsize=32)
def open_text(sha256: str, text: str, kind: str, source: str) -> Opened:
    """Validate scenario text exactly as ``detente validate`` does and keep its document.

    Raises :class:`InputError` with the same problems the CLI lists.
    """
    loaded = parse(text, source=source, kind=kind, name=_name(source))
    if kind == "csv":
        doc, lines = parse_csv(text, source, _name(source))
    else:
        doc, lines = parse_yaml(text, source)
    return Opened(sha256, kind, source, text, doc, lines, loaded)


def parse_edits(opened: Opened, form: Mapping[str, str]) -> list[Edit]:
    """The touched fields in a submitted form (keys ``f.<stance>.<field>``), in stance order.

    Keys that do not name an existing stance field are ignored; a value that is not a finite
    number is kept as text, so that validation reports it with the loader's message.
    """
    stances = opened.doc.get("stances") or []
    others = other_inputs(opened)
    edits = []
    for key, raw in form.items():
        text = str(raw).strip()
        try:
            value: float | str = float(text)
            if not math.isfinite(value):
                value = text
        except ValueError:
            value = text
        if key in others:
            inp = others[key]
            if inp.integer and isinstance(value, float) and value.is_integer():
                value = int(value)  # a count or threshold: the schema takes whole numbers only
            edits.append(Edit(-1, inp.field, value, inp.owner, inp.issue))
            continue
        m = _KEY.match(key)
        if not m or int(m.group(1)) >= len(stances):
            continue
        n, name = int(m.group(1)), m.group(2)
        st = stances[n] if isinstance(stances[n], dict) else {}
        edits.append(Edit(n, name, value, str(st.get("actor", "")), str(st.get("issue", ""))))
    order = list(others)
    return sorted(
        edits,
        key=lambda e: (
            (1, order.index(e.key), 0) if e.stance < 0 else (0, e.stance, FIELDS.index(e.field))
        ),
    )


def _set(doc: dict[str, Any], opened: Opened, e: Edit) -> None:
    """Put an edit's value into a copy of the parsed document."""
    if e.stance >= 0:
        doc["stances"][e.stance][e.field] = e.value
        return
    inp = other_inputs(opened).get(e.key)
    if inp is None:  # a stored run's edit of an input this scenario does not have
        raise InputError(Problem(opened.source, "this scenario has no such input", field=e.field))
    node: Any = doc
    for part in inp.loc[:-1]:
        node = node[part]
    node[inp.loc[-1]] = e.value


def apply_edits(opened: Opened, edits: list[Edit]) -> Loaded:
    """The scenario with the edits applied, validated again; ``InputError`` lists problems."""
    if not edits:
        return opened.loaded
    doc = copy.deepcopy(opened.doc)
    for e in edits:
        _set(doc, opened, e)
    return validate_document(doc, opened.lines, opened.source)


def export_yaml(opened: Opened, edits: list[Edit], samples: int, seed: int) -> str:
    """The edited scenario as YAML that validates and reproduces the page's numbers.

    Comments of the original file are not kept; a header names the source and the edits.
    """
    import yaml

    apply_edits(opened, edits)  # raises InputError if the edits do not validate
    doc = copy.deepcopy(opened.doc)
    for e in edits:
        _set(doc, opened, e)
    head = [
        f"# Exported by the detente workbench from {opened.source} "
        f"(sha256 {opened.sha256[:12]}) with {len(edits)} edit(s):",
        *[f"#   {e.label} = {e.value!r}" for e in edits],
        f"# Reproduce the page: detente forecast FILE --samples {samples} --seed {seed}",
    ]
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(head) + "\n" + body


def field_of(problem: Problem) -> str | None:
    """The form key a problem belongs to (``stances[3].position`` -> ``f.3.position``,
    ``crisis.p_win`` -> ``d.crisis.p_win``)."""
    m = re.match(r"^stances\[(\d+)\]\.(\w+)$", problem.field or "")
    if m:
        return f"f.{m.group(1)}.{m.group(2)}" if m.group(2) in FIELDS else None
    if problem.field and problem.field.startswith(("crisis.", "bodies[", "forms[")):
        return path_key(problem.field)
    return None


def path_key(field: str) -> str:
    """The form key of an input by the loader's path: ``bodies[0].blocs[1].count`` ->
    ``d.bodies.0.blocs.1.count`` (brackets do not belong in an element id)."""
    return "d." + re.sub(r"\[(\d+)\]", r".\1", field)


@dataclass(frozen=True)
class Input:
    """An editable input outside the stance table: of the crisis, a body's bloc or a form."""

    key: str  # form key, d.<path>
    loc: tuple[str | int, ...]  # where it is in the parsed document
    field: str  # the loader's path, as problems name it
    section: str  # "crisis", "blocs" or "forms"
    owner: str  # what it belongs to, in words: "crisis", "us-senate democrats", "form treaty"
    issue: str  # the issue of a bloc's ideal point, else ""
    lo: float  # the slider's range; validation decides what is allowed
    hi: float
    integer: bool = False


#: crisis inputs the page edits: path below ``crisis`` and the slider's range
CRISIS_INPUTS: tuple[tuple[tuple[str, ...], float, float], ...] = (
    (("p_win",), 0.0, 1.0),
    (("cost_challenger",), 0.0, 1.0),
    (("cost_target",), 0.0, 1.0),
    (("deadline_months",), 0.0, 24.0),
    (("mobilisation", "months"), 0.0, 24.0),
    (("mobilisation", "cost_per_month"), 0.0, 0.1),
    (("brinkmanship", "hazard_per_month"), 0.0, 0.2),
    (("power_shift", "p_future"), 0.0, 1.0),
    (("power_shift", "discount"), 0.0, 1.0),
)


def _make(loc: tuple[str | int, ...], section: str, owner: str, issue: str, lo: float, hi: float,
          integer: bool = False) -> Input:  # fmt: skip
    field = dotted(loc)
    return Input(path_key(field), loc, field, section, owner, issue, lo, hi, integer)


@lru_cache(maxsize=32)
def _other_inputs(opened: Opened) -> tuple[Input, ...]:
    doc = opened.doc
    sc = opened.loaded.scenario
    out: list[Input] = []
    crisis = doc.get("crisis")
    if isinstance(crisis, dict):
        for path, lo, hi in CRISIS_INPUTS:
            node: Any = crisis
            for part in path[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict) and path[-1] in node:
                out.append(_make(("crisis", *path), "crisis", "crisis", "", lo, hi))
    for b, body in enumerate(sc.bodies):
        size = sum(bl.count for bl in body.blocs) + len(body.members)
        if isinstance(body.threshold, int):
            out.append(
                _make(("bodies", b, "threshold"), "blocs", body.id, "", 0, max(size, 1), True)
            )
        for j, bloc in enumerate(body.blocs):
            owner = f"{body.id} {bloc.id}"
            at: tuple[str | int, ...] = ("bodies", b, "blocs", j)
            out.append(_make((*at, "count"), "blocs", owner, "", 0, max(2 * bloc.count, 1), True))
            for issue in bloc.ideal:
                scale = sc.issue(issue).scale
                out.append(
                    _make((*at, "ideal", issue), "blocs", owner, issue, scale.min, scale.max)
                )
            raw = doc["bodies"][b]["blocs"][j]
            if "approval_cost" in raw:
                out.append(_make((*at, "approval_cost"), "blocs", owner, "", 0.0, 50.0))
    for f, form in enumerate(sc.forms):
        raw = doc["forms"][f]
        for name, hi in (("revision_hazard", 1.0), ("horizon", 50.0)):
            if name in raw:
                out.append(_make(("forms", f, name), "forms", f"form {form.id}", "", 0.0, hi))
    return tuple(out)


def other_inputs(opened: Opened) -> dict[str, Input]:
    """The editable inputs of the crisis, the bodies' blocs and the forms, by form key, in
    document order (those the scenario has)."""
    return {i.key: i for i in _other_inputs(opened)}


def _at(obj: Any, loc: tuple[str | int, ...]) -> Any:
    """The validated value at a document path (attributes of models, keys of dicts)."""
    for part in loc:
        if isinstance(part, int):
            obj = obj[part]
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def other_sections(opened: Opened, edits: list[Edit] | None = None) -> list[dict[str, Any]]:
    """The other inputs as the page shows them: per section, one row per input with the same
    cell as a stance field (number box, slider, reset, message)."""
    edited = {e.key: e.value for e in edits or []}
    titles = {
        "crisis": "Crisis inputs",
        "blocs": "Ratifying bodies: thresholds and blocs",
        "forms": "Agreement forms",
    }
    sections: dict[str, list[dict[str, Any]]] = {}
    for inp in _other_inputs(opened):
        value = _at(opened.loaded.scenario, inp.loc)
        note = ""
        if hasattr(value, "centre"):
            if not value.is_point:
                note = value.describe() + "; an edit sets a point value"
            value = value.centre
        shown = "" if value is None else repr(float(value)).removesuffix(".0")
        now = edited.get(inp.key, shown)
        if isinstance(now, float | int):
            now = repr(now).removesuffix(".0")
        label = " ".join(x for x in (inp.owner, inp.loc[-1] if not inp.issue else "ideal",
                                     inp.issue) if x)  # fmt: skip
        sections.setdefault(inp.section, []).append(
            {
                "label": label,
                "cell": {
                    "field": str(inp.loc[-1]),
                    "key": inp.key,
                    "value": shown,
                    "now": now,
                    "touched": inp.key in edited,
                    "min": inp.lo,
                    "max": inp.hi,
                    "step": 1 if inp.integer else (inp.hi - inp.lo) / 100,
                    "note": note,
                },
            }
        )
    return [{"id": k, "title": titles[k], "rows": rows} for k, rows in sections.items()]


def forecast_json(out: dict[str, Any]) -> str:
    """Serialise a forecast exactly as ``detente forecast --json`` prints it."""
    return json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def run_forecast(loaded: Loaded, samples: int, seed: int) -> tuple[dict[str, Any], float]:
    """``detente.api.forecast`` with every model; returns the result and server seconds."""
    from detente import api

    t0 = time.perf_counter()
    out = api.forecast(loaded, seed=seed, samples=samples)
    return out, time.perf_counter() - t0


def fast_specs() -> list[str]:
    """The models fast enough for the first answer to an edit (those run over draws)."""
    from detente.models.base import registry

    return [name for name, cls in registry().items() if cls.monte_carlo_default]


def event_words(event: dict[str, Any]) -> str:
    """:func:`detente.api.event_words`, or the event's fields where it cannot word them.

    (It fails on SMP's challenge events without a target, whose numbers are None.)
    """
    from detente import api

    try:
        return api.event_words(event)
    except (TypeError, ValueError, KeyError):
        kind = event.get("type", "event")
        fields = ", ".join(f"{k} {v}" for k, v in event.items() if k != "type" and v is not None)
        return f"{kind}: {fields or 'no details'}"


def round_models() -> list[str]:
    """The models the round-by-round view offers (every registered model)."""
    from detente.models.base import registry

    return list(registry())


def run_fast(loaded: Loaded, seed: int) -> dict[str, dict[str, float]]:
    """The fast models' point forecasts, the same numbers :func:`run_forecast` gives them.

    Every model here is deterministic given the scenario, so leaving out the slow ones does
    not change the others.
    """
    import numpy as np

    from detente import api
    from detente.scenario import compile_scenario

    arrays = compile_scenario(loaded.scenario, name=loaded.source)
    fc, _, _ = api.run_models(arrays, fast_specs(), np.random.default_rng(seed), strict=False)
    return {
        spec: {i: float(v) for i, v in zip(arrays.issue_ids, res[0], strict=True)}
        for spec, res in fc.items()
    }


@lru_cache(maxsize=16)
def baseline(opened: Opened, samples: int, seed: int) -> dict[str, Any]:
    """The unedited scenario's forecast (cached per scenario, draws and seed)."""
    return run_forecast(opened.loaded, samples, seed)[0]


def ratification(loaded: Loaded, out: dict[str, Any]) -> dict[str, Any] | None:
    """Ratification of every model's package in every form, body by body.

    The votes are those of ``detente ratify --set ISSUE=VALUE ...`` with the package's every
    issue (the same vote functions, batched over the packages); the headline package's verdict
    per form is worded by :func:`detente.api.ratify`. None when the scenario has no forms or
    no model has answered yet.
    """
    import numpy as np

    from detente import api
    from detente.analyses.ratification import form_votes
    from detente.scenario import compile_scenario
    from detente.scenario.ratification import compile_ratification

    forecasts = out.get("forecasts") or {}
    sc = loaded.scenario
    if not sc.forms or not forecasts:
        return None
    arrays = compile_scenario(sc)
    comp = compile_ratification(sc, status_quo=arrays.status_quo[:1])
    models = list(forecasts)
    x = np.array([[forecasts[m][i] for i in comp.issue_ids] for m in models])[None]  # (1, P, D)
    forms = []
    for form in comp.forms:
        bodies = comp.form_bodies(form)
        votes = form_votes(form.carry(x), bodies)  # as the form carries the package
        forms.append(
            {
                "form": form.id,
                "name": form.name,
                "ratified": {m: bool(votes.ratified[0, j]) for j, m in enumerate(models)},
                "bodies": [
                    {
                        "body": b.id,
                        "name": b.name,
                        "needed": int(b.threshold),
                        "members": int(b.n_members),
                        "yes": {m: int(votes.yes[0, j, k]) for j, m in enumerate(models)},
                        "passed": {m: bool(votes.passed[0, j, k]) for j, m in enumerate(models)},
                    }
                    for k, b in enumerate(bodies)
                ],
            }
        )
    lead = (out.get("headline") or {}).get("model")
    words: list[dict[str, Any]] = []
    if lead in forecasts:
        # repr keeps every digit: the package worded is exactly the forecast shown
        items = [f"{issue}={value!r}" for issue, value in forecasts[lead].items()]
        try:
            report = api.ratify(loaded, set_values=items)
            words = [
                {"form": f["form"], "ratified": f["ratified"], "text": f["explanation"]}
                for f in report["packages"][0]["forms"]
            ]
        except InputError:  # a forecast a rounding error off its scale: the votes stand alone
            words = []
    return {"model": lead, "models": models, "forms": forms, "words": words}


@lru_cache(maxsize=16)
def baseline_ratification(opened: Opened, samples: int, seed: int) -> dict[str, Any] | None:
    """:func:`ratification` of the unedited scenario's headline package (cached)."""
    return ratification(opened.loaded, baseline(opened, samples, seed))


def gaps(loaded: Loaded, out: dict[str, Any]) -> dict[str, Any] | None:
    """Achievement gaps under the headline model's package, per actor with a public demand.

    :func:`detente.api.crisis` at the centre of the inputs (no draws) with the headline model:
    each public actor's gap between its public demand and the package, the audience cost it
    pays, and whether it can still declare victory. None without a crisis section or before
    the headline model has answered.
    """
    from detente import api

    lead = (out.get("headline") or {}).get("model")
    if loaded.scenario.crisis is None or lead not in out.get("forecasts", {}):
        return None
    report = api.crisis(loaded, samples=0, models=[lead])
    model = report["models"].get(lead)
    if model is None:  # the model could not run on the crisis's compile
        return None
    rows = [
        {
            "actor": actor,
            "gap": v["gap"]["value"],
            "audience_cost": v["audience_cost"]["value"],
            "victory": v["can_declare_victory"]["value"],
        }
        for actor, v in model["public_actors"].items()
    ]
    return {"model": lead, "rows": rows}


@lru_cache(maxsize=16)
def baseline_gaps(opened: Opened, samples: int, seed: int) -> dict[str, Any] | None:
    """:func:`gaps` of the unedited scenario (cached)."""
    return gaps(opened.loaded, baseline(opened, samples, seed))


@lru_cache(maxsize=32)
def sweep_inputs(opened: Opened) -> list[str]:
    """The uncertain inputs a sensitivity sweep can move (their labels)."""
    from detente.analyses.sensitivity import uncertain_inputs

    return uncertain_inputs(opened.loaded.scenario)


def field_value(raw: Any) -> float | None:
    """The number a field's box shows: the point itself, or the centre of an uncertain input."""
    from detente.scenario.uncertain import Uncertain

    if raw is None:
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    try:
        return Uncertain.model_validate(raw).centre
    except ValueError:
        return None


def stance_rows(opened: Opened, edits: list[Edit] | None = None) -> list[dict[str, Any]]:
    """One row per stance: actor, issue, and for each field its value, bounds and notes.

    ``edits`` (a reloaded run's) show as touched fields holding the edited values.
    """
    edited = {e.key: e.value for e in edits or []}
    sc = opened.loaded.scenario
    caps = {a.id: a.capability for a in sc.actors}
    cap_max = max((c.support[1] for c in caps.values()), default=1.0)
    rows = []
    for n, (raw, st) in enumerate(zip(opened.doc["stances"], sc.stances, strict=True)):
        issue = sc.issue(st.issue)
        bounds = {
            "position": (issue.scale.min, issue.scale.max),
            "demand": (issue.scale.min, issue.scale.max),
            "salience": (0.0, 100.0),
            "capability": (0.0, max(cap_max * 2, 1.0)),
            "publicity": (0.0, 1.0),
        }
        cells = []
        for name in FIELDS:
            value = raw.get(name)
            note = ""
            if name == "capability" and value is None:
                value = field_value(st.capability or caps[st.actor])
                note = "the actor's capability"
            else:
                number = field_value(value)
                if value is not None and not isinstance(value, int | float):
                    note = getattr(st, name).describe() + "; an edit sets a point value"
                value = number
            lo, hi = bounds[name]
            step = (hi - lo) / 100  # the slider's keyboard step; the box takes any value
            key = f"f.{n}.{name}"
            shown = "" if value is None else repr(float(value)).removesuffix(".0")
            now = edited.get(key, shown)
            if isinstance(now, float):
                now = repr(now).removesuffix(".0")
            cells.append(
                {
                    "field": name,
                    "key": key,
                    "value": shown,
                    "now": now,
                    "touched": key in edited,
                    "min": lo,
                    "max": hi,
                    "step": step,
                    "note": note,
                }
            )
        rows.append({"n": n, "actor": st.actor, "issue": st.issue, "cells": cells})
    return rows


#: advised moves that read only the advised actor's own stances (the others read every actor's)
OWN_STANCE_MOVES = ("publicity", "moderate", "focus")


def move_approximations(
    loaded: Loaded, actor: str, kind: str, issues: list[str], deadline: bool = False
) -> list[str]:
    """The uncertain inputs an applied move turns into points, in words; empty when exact.

    The advisor moves every draw of the inputs (a concession moves each draw's position toward
    that draw's mean of the others'); "apply this move" writes the move at the centre of the
    inputs as point values. The two agree exactly when every input the move reads is a point:
    the advised actor's stances on ``issues`` for a publicity, moderate or focus move (``kind``
    in :data:`OWN_STANCE_MOVES`), else every actor's stances on them and the capabilities that
    weight the others' mean (the advised actor's own capability does not); the crisis deadline
    for a deadline move.
    """
    sc = loaded.scenario
    found: list[str] = []
    if deadline:
        d = sc.crisis.deadline_months if sc.crisis is not None else None
        if d is not None and not d.is_point:
            found.append(f"crisis deadline_months ({d.describe()})")
        return found
    own_only = kind in OWN_STANCE_MOVES
    readers = set()
    for st in sc.stances:
        if st.issue not in issues or (own_only and st.actor != actor):
            continue
        readers.add(st.actor)
        for name in FIELDS:
            value = getattr(st, name, None)
            # a concession reads the actor's own position, not its weight in the others' mean
            weight = name == "capability" and not own_only and st.actor == actor
            if value is not None and not value.is_point and not weight:
                found.append(f"{st.actor} {st.issue} {name} ({value.describe()})")
    if not own_only:
        for a in sc.actors:
            if a.id in readers and a.id != actor and not a.capability.is_point:
                found.append(f"{a.id} capability ({a.capability.describe()})")
    return found
