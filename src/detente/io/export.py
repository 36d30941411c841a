"""Turn imported data into a detente scenario document and write it as YAML or as the CSV table.

:func:`to_document` accepts what the readers return: :class:`detente.arrays.ScenarioArrays` (the
KTAB and Decide readers), :class:`detente.io.genius.GeniusScenario` and
:class:`detente.io.predictioneer.PredictioneerTable`. The document is a plain dict that
:func:`detente.scenario.loading.validate_document` accepts; every stance's ``why`` names the file
it came from. :func:`render_yaml` writes one actor and one stance per line (flow style);
:func:`render_csv` writes the flat stakeholder table and lists what the table cannot hold.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from detente.arrays import ScenarioArrays
from detente.errors import InputError, Problem
from detente.io.genius import GeniusScenario
from detente.io.naming import make_id
from detente.io.predictioneer import PredictioneerTable

CORE = ("detente", "meta", "actors", "issues", "stances")


def _num(x: float) -> int | float:
    """A float as written in a file: whole numbers without a trailing ``.0``."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return int(x)
    return x


# ------------------------------------------------------------------------------------------
# Documents


def document_from_arrays(arrays: ScenarioArrays, source: str, fmt: str) -> dict[str, Any]:
    """A scenario document from one-sample arrays (what the KTAB and Decide readers return).

    Salience goes back to 0..100; an actor's capability is the one on its first issue, with
    per-stance overrides where it differs; absent actor-issue pairs (mask) get no stance.

    >>> a = ScenarioArrays.from_table([[10.0], [90.0]], [[0.5], [0.8]], [1.0, 3.0],
    ...                               actor_ids=["Ann Lee", "B"], issue_ids=["tax"])
    >>> d = document_from_arrays(a, "in.csv", "KTAB")
    >>> [(s["actor"], s["position"], s["salience"]) for s in d["stances"]]
    [('Ann_Lee', 10, 50), ('B', 90, 80)]
    """
    if arrays.n_samples != 1:
        raise InputError(
            Problem(source, f"{arrays.n_samples} samples; a scenario file holds one (a point)")
        )
    base = Path(source).name
    why = f"imported from {fmt} file {base}"
    names = arrays.extras.get("actor_names") or list(arrays.actor_ids)
    inames = arrays.extras.get("issue_names") or list(arrays.issue_ids)
    taken: set[str] = set()
    aid = [make_id(a, taken, fallback="a") for a in arrays.actor_ids]
    taken = set()
    iid = [make_id(i, taken, fallback="i") for i in arrays.issue_ids]
    pos, sal, cap = arrays.position[0], arrays.salience[0], arrays.capability[0]
    mask = arrays.mask
    actors = []
    actor_cap = []
    for n, ident in enumerate(aid):
        on = np.flatnonzero(mask[n])
        c = float(cap[n, on[0]]) if on.size else float(cap[n].max())
        actor_cap.append(c)
        entry: dict[str, Any] = {"id": ident}
        if names[n] != ident:
            entry["name"] = str(names[n])
        entry["capability"] = _num(c)
        if arrays.audience_sensitivity is not None:
            entry["audience_sensitivity"] = _num(arrays.audience_sensitivity[0, n])
        actors.append(entry)
    issues = []
    for d, ident in enumerate(iid):
        entry = {"id": ident}
        if inames[d] != ident:
            entry["name"] = str(inames[d])
        lo, hi = float(arrays.scale_min[d]), float(arrays.scale_max[d])
        if (lo, hi) != (0.0, 100.0):
            entry["scale"] = {"min": _num(lo), "max": _num(hi)}
        sq = float(arrays.status_quo[0, d])
        if math.isfinite(sq):
            entry["status_quo"] = _num(sq)
        issues.append(entry)
    stances = []
    for d in range(len(iid)):
        for n in range(len(aid)):
            if not mask[n, d]:
                continue
            st: dict[str, Any] = {
                "actor": aid[n],
                "issue": iid[d],
                "position": _num(pos[n, d]),
                # salience is stored on 0..1; undo the /100 without float noise
                "salience": _num(round(float(sal[n, d]) * 100.0, 9)),
            }
            if float(cap[n, d]) != actor_cap[n]:
                st["capability"] = _num(cap[n, d])
            if arrays.demand is not None and math.isfinite(arrays.demand[0, n, d]):
                st["demand"] = _num(arrays.demand[0, n, d])
            if arrays.publicity is not None:
                st["publicity"] = _num(arrays.publicity[0, n, d])
            st["why"] = why
            stances.append(st)
    meta: dict[str, Any] = {
        "title": arrays.name or Path(source).stem,
        "description": f"Imported from the {fmt} file {base} by detente convert.",
        "sources": [{"title": f"{fmt} input file {base}"}],
    }
    return {"detente": 1, "meta": meta, "actors": actors, "issues": issues, "stances": stances}


def _genius_description(g: GeniusScenario) -> str:
    parts = [
        f"Imported from the GENIUS domain {Path(g.source).name} and {len(g.agents)} utility "
        "profile(s) by detente convert. Each discrete issue is a 0..100 scale with its items "
        "evenly spaced in the domain's order; an agent stands at its best item; salience is the "
        "issue weight x 100 (weights normalised to sum to at most 1); capability "
        + ("as given by the user." if any(a.capability != 1 for a in g.agents) else "equal (1).")
    ]
    for a in g.agents:
        bits = [
            f"reservation value {a.reservation:g}"
            if a.reservation is not None
            else "no reservation value",
            f"discount factor {a.discount:g}" if a.discount is not None else "no discount factor",
        ]
        if a.uncertain is not None:
            u = a.uncertain
            bits.append(
                "UNCERTAIN profile (GENIUS preference elicitation: the agent is shown a ranking "
                f"from comparisons={u['comparisons'] or '?'}, errors={u['errors'] or '?'}); the "
                "true evaluations and weights in the file are imported"
            )
        parts.append(f"{a.id} ({Path(a.source).name}): {', '.join(bits)}.")
    opts = ", ".join(f"{k}={v}" for k, v in g.options.model_dump().items())
    parts.append(f"Import options: {opts}.")
    return " ".join(parts)


def document_from_genius(g: GeniusScenario) -> dict[str, Any]:
    """A scenario document from a GENIUS import (see ``docs/importers.md`` for the mapping)."""
    taken: set[str] = set()
    iid = [make_id(i.name, taken, fallback="i") for i in g.issues]
    issues = []
    for issue, ident in zip(g.issues, iid, strict=True):
        entry: dict[str, Any] = {"id": ident}
        if issue.name != ident:
            entry["name"] = issue.name
        if issue.kind != "discrete":
            entry["scale"] = {"min": _num(issue.low), "max": _num(issue.high)}
        entry["anchors"] = {_num(k): v for k, v in issue.anchors().items()}
        entry["why"] = f"GENIUS {issue.kind} issue {issue.index}" + (
            ", items evenly spaced in the domain's order" if issue.kind == "discrete" else ""
        )
        issues.append(entry)
    actors = []
    for a in g.agents:
        entry = {"id": a.id}
        if a.name != a.id:
            entry["name"] = a.name
        entry["capability"] = _num(a.capability)
        entry["why"] = f"GENIUS profile {Path(a.source).name}; " + (
            "capability given by the user"
            if a.capability != 1
            else "capability equal (GENIUS has none)"
        )
        actors.append(entry)
    stances = []
    for d in range(len(g.issues)):
        for a in g.agents:
            ev = a.evaluations[d]
            detail = (
                f"evaluations {', '.join(f'{v:g}' for v in ev)}"
                if ev is not None
                else "linear evaluator"
            )
            stances.append(
                {
                    "actor": a.id,
                    "issue": iid[d],
                    "position": _num(a.position[d]),
                    "salience": _num(a.salience[d]),
                    "why": f"GENIUS {Path(a.source).name}: best {a.best[d]!r} ({detail}); "
                    f"weight {a.weights[d]:.6g}",
                }
            )
    meta = {
        "title": f"GENIUS domain {g.name}",
        "description": _genius_description(g),
        "sources": [{"title": f"GENIUS domain {Path(g.source).name}"}]
        + [{"title": f"GENIUS profile {Path(a.source).name}"} for a in g.agents],
    }
    return {"detente": 1, "meta": meta, "actors": actors, "issues": issues, "stances": stances}


def document_from_predictioneer(t: PredictioneerTable) -> dict[str, Any]:
    """A scenario document from a Predictioneer table (clout becomes capability)."""
    base = Path(t.source).name
    doc = {k: v for k, v in t.document.items()}
    doc["meta"] = {
        "title": t.name,
        "description": f"Imported from the Predictioneer-style table {base} by detente convert; "
        f"the {t.clout_column} column is each actor's capability.",
        "sources": [{"title": f"Predictioneer table {base}"}],
    }
    doc["actors"] = [
        {
            "id": a["id"],
            **({"name": a["name"]} if "name" in a else {}),
            "capability": _num(a["capability"]),
        }
        for a in doc["actors"]
    ]
    doc["stances"] = [
        {
            **s,
            "position": _num(s["position"]),
            "salience": _num(s["salience"]),
            "why": f"imported from Predictioneer table {base}",
        }
        for s in doc["stances"]
    ]
    return {"detente": 1, **doc}


def to_document(obj: Any, source: str | None = None, fmt: str = "imported") -> dict[str, Any]:
    """Dispatch on what a reader returned (arrays, a KTAB result with ``.arrays``, GENIUS or
    Predictioneer imports)."""
    if isinstance(obj, GeniusScenario):
        return document_from_genius(obj)
    if isinstance(obj, PredictioneerTable):
        return document_from_predictioneer(obj)
    arrays = getattr(obj, "arrays", obj)
    if isinstance(arrays, ScenarioArrays):
        doc = document_from_arrays(arrays, source or arrays.name, fmt)
        description = getattr(obj, "description", "")
        if description:
            doc["meta"]["description"] += f" The file describes itself as: {description}"
        return doc
    raise TypeError(f"cannot convert a {type(obj).__name__} to a scenario document")


# ------------------------------------------------------------------------------------------
# YAML


def _flow(value: Any) -> str:
    return yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**9
    ).strip()


def _block(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100)


def render_yaml(doc: dict[str, Any], header: str | None = None) -> str:
    """YAML text of a document: meta and issues as blocks, one actor and one stance per line.

    >>> print(render_yaml({"meta": {"title": "t"}, "actors": [{"id": "A", "capability": 1}],
    ...     "issues": [{"id": "x"}], "stances": [{"actor": "A", "issue": "x", "position": 5,
    ...     "salience": 50}]}), end="")
    detente: 1
    meta:
      title: t
    actors:
      - {id: A, capability: 1}
    issues:
      - id: x
    stances:
      - {actor: A, issue: x, position: 5, salience: 50}
    """
    out: list[str] = []
    if header:
        out += [f"# {line}".rstrip() for line in header.splitlines()]
    out.append(f"detente: {doc.get('detente', 1)}")
    for key, value in doc.items():
        if key == "detente":
            continue
        if key in ("actors", "stances"):
            out.append(f"{key}:")
            out += [f"  - {_flow(item)}" for item in value]
        elif key == "issues":
            out.append("issues:")
            for issue in value:
                text = _block([issue]).rstrip("\n")
                out += ["  " + line for line in text.splitlines()]
        else:
            out.append(_block({key: value}).rstrip("\n"))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------
# CSV


def _plain(value: Any, source: str, where: str) -> float | None:
    """A Number field as a plain float; ranges and distributions do not fit the CSV table."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict) and value.get("dist", "point") == "point" and "value" in value:
        return float(value["value"])
    raise InputError(
        Problem(
            source,
            f"{value!r} is a range or distribution; the CSV table holds plain numbers only, "
            "so keep this scenario as YAML",
            field=where,
        )
    )


def _cell(x: float | None) -> str:
    if x is None:
        return ""
    v = _num(x)
    return str(v) if isinstance(v, int) else repr(v)


def render_csv(doc: dict[str, Any], source: str) -> tuple[str, list[str]]:
    """The flat stakeholder table of a (validated) document, and what the table leaves out.

    Columns: ``actor,issue,position,salience,capability``, plus ``scale_min,scale_max`` when an
    issue is not on 0..100, ``status_quo``, ``demand``, ``publicity`` and ``name`` when any row
    has one. Ranges and distributions raise :class:`InputError` (the table holds plain numbers).
    """
    actors = {a["id"]: a for a in doc["actors"]}
    issues = {i["id"]: i for i in doc["issues"]}
    dropped: list[str] = []
    rows: list[dict[str, float | str | None]] = []
    for n, s in enumerate(doc["stances"]):
        a, i = actors[s["actor"]], issues[s["issue"]]
        where = f"stances[{n}]"
        cap = s.get("capability", a["capability"])
        scale = i.get("scale", {})
        rows.append(
            {
                "actor": s["actor"],
                "issue": s["issue"],
                "position": _plain(s["position"], source, f"{where}.position"),
                "salience": _plain(s["salience"], source, f"{where}.salience"),
                "capability": _plain(cap, source, f"{where}.capability"),
                "scale_min": float(scale.get("min", 0.0)),
                "scale_max": float(scale.get("max", 100.0)),
                "status_quo": _plain(i.get("status_quo"), source, f"issues.{i['id']}.status_quo"),
                "demand": _plain(s.get("demand"), source, f"{where}.demand"),
                "publicity": _plain(s.get("publicity"), source, f"{where}.publicity"),
                "name": a.get("name"),
            }
        )
    cols = ["actor", "issue", "position", "salience", "capability"]
    if any((r["scale_min"], r["scale_max"]) != (0.0, 100.0) for r in rows):
        cols += ["scale_min", "scale_max"]
    cols += [
        c
        for c in ("status_quo", "demand", "publicity", "name")
        if any(r[c] is not None for r in rows)
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for r in rows:
        writer.writerow(
            [
                r[c] if c in ("actor", "issue", "name") and r[c] is not None else _cell(r[c])
                for c in cols
            ]
        )  # type: ignore[arg-type]
    # say what the flat table cannot hold
    with_stance = {s["actor"] for s in doc["stances"]}
    lost = [a for a in actors if a not in with_stance]
    if lost:
        dropped.append(f"actors without stances: {', '.join(lost)}")
    if any(i.get("anchors") for i in doc["issues"]):
        dropped.append("issue anchors")
    if any(k in i for i in doc["issues"] for k in ("name", "description", "why")):
        dropped.append("issue names and rationales")
    if any(k in a for a in doc["actors"] for k in ("why", "group", "audience_sensitivity")):
        dropped.append("actor rationales, groups and audience sensitivity")
    if any(
        "why" in s or any(isinstance(s.get(k), dict) for k in ("position", "salience"))
        for s in doc["stances"]
    ):
        dropped.append("stance rationales")
    if set(doc.get("meta", {})) - {"title"}:
        dropped.append("meta other than the title")
    extra = [k for k in doc if k not in CORE]
    if extra:
        dropped.append(f"sections {', '.join(extra)}")
    return buf.getvalue(), dropped
