"""Reader for Predictioneer-style stakeholder tables (Bueno de Mesquita's expected-utility input).

A CSV table with one row per actor (and issue):

``actor``
    the stakeholder's name (any text; a detente id is made from it and the name kept);
``clout`` (or ``capability`` or ``power``)
    relative influence, any number >= 0;
``position``
    the outcome the actor advocates, on 0..100 unless ``scale_min``/``scale_max`` columns say
    otherwise;
``salience``
    how much the issue matters to the actor, on 0..100;
``issue`` (optional)
    which issue the row is about; a table without it holds one issue, called ``issue``.

Optional columns ``scale_min``, ``scale_max`` and ``status_quo`` are read as in detente's own CSV
table; other columns are ignored. Header names are case-insensitive. Every mistake raises
:class:`detente.errors.InputError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.errors import InputError, Problem
from detente.io.naming import make_id
from detente.scenario.loading import csv_number, ragged_row, read_text
from detente.scenario.schema import Loc

CLOUT_COLUMNS = ("clout", "capability", "power")
OPTIONAL = ("scale_min", "scale_max", "status_quo")
SINGLE_ISSUE = "issue"


@dataclass
class PredictioneerTable:
    """A parsed table: a detente scenario document (core sections) and where each value was."""

    source: str
    name: str
    document: dict[str, Any]
    lines: dict[Loc, int] = field(default_factory=dict)
    clout_column: str = "clout"


def parse_predictioneer(text: str, source: str, name: str = "predictioneer") -> PredictioneerTable:
    """Parse a Predictioneer-style CSV table.

    Parameters
    ----------
    text
        The file's content.
    source
        Name used in error messages.
    name
        Title for the scenario.

    Returns
    -------
    PredictioneerTable
        The scenario document (actors with capability = clout, issues, stances) and line numbers,
        ready for :func:`detente.scenario.loading.validate_document`.

    Raises
    ------
    InputError
        Every problem found: missing or duplicated columns, empty or non-numeric cells, an actor
        with two clouts, a pair given twice, a single-issue table that repeats an actor.

    Examples
    --------
    >>> text = "actor,clout,position,salience\\nUS,100,80,60\\nChina,90,20,90\\n"
    >>> t = parse_predictioneer(text, "t")
    >>> [(s["actor"], s["issue"], s["position"]) for s in t.document["stances"]]
    [('US', 'issue', 80.0), ('China', 'issue', 20.0)]
    """
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header_at = next((n for n, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if header_at is None:
        raise InputError(
            Problem(
                source, "the file is empty; expected a header row actor,clout,position,salience"
            )
        )
    raw = rows[header_at]
    header = [h.strip().lower() for h in raw]
    hline = header_at + 1
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise InputError(
            Problem(source, f"duplicate column {dupes[0]!r} in the header", line=hline)
        )
    clout = [c for c in CLOUT_COLUMNS if c in header]
    if len(clout) > 1:
        raise InputError(
            Problem(
                source,
                f"columns {' and '.join(clout)} both give clout; keep one of clout, "
                "capability, power",
                line=hline,
            )
        )
    missing = [c for c in ("actor", "position", "salience") if c not in header]
    if not clout:
        missing.insert(1, "clout")
    if missing:
        if len(raw) == 1 and any(d in raw[0] for d in ";\t|"):
            raise InputError(
                Problem(
                    source,
                    "the header is not separated by commas; a Predictioneer table is CSV: "
                    "actor,clout,position,salience[,issue]",
                    line=hline,
                )
            )
        raise InputError(
            Problem(
                source,
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the header "
                "needs actor, clout (or capability or power), position, salience and optionally "
                "issue (any order, case-insensitive)",
                line=hline,
            )
        )
    col = {h: i for i, h in enumerate(header)}
    ccol = clout[0]
    has_issue = "issue" in col
    problems: list[Problem] = []
    lines: dict[Loc, int] = {}
    actors: dict[str, dict[str, Any]] = {}  # by name as written
    actor_line: dict[str, int] = {}
    issues: dict[str, dict[str, Any]] = {}
    issue_line: dict[str, int] = {}
    stances: list[dict[str, Any]] = []
    pairs: dict[tuple[str, str], int] = {}
    taken_actors: set[str] = set()
    taken_issues: set[str] = set()

    def number(cell: str, column: str, line: int, required: bool) -> float | None:
        return csv_number(cell, source, line, column, required, problems)

    for n, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(ragged_row(row, header, source, n))
            continue
        actor = row[col["actor"]].strip()
        issue = row[col["issue"]].strip() if has_issue else SINGLE_ISSUE
        if not actor:
            problems.append(Problem(source, "empty actor name", n, "actor"))
            continue
        if not issue:
            problems.append(Problem(source, "empty issue", n, "issue"))
            continue
        c = number(row[col[ccol]], ccol, n, True)
        x = number(row[col["position"]], "position", n, True)
        s = number(row[col["salience"]], "salience", n, True)
        extra = {k: number(row[col[k]], k, n, False) for k in OPTIONAL if k in col}
        if c is None or x is None or s is None:
            continue
        if c < 0:
            problems.append(
                Problem(source, f"clout {c:g} is negative; it must be at least 0", n, ccol)
            )
            continue
        if (actor, issue) in pairs:
            what = "issue" if has_issue else "table (it has no issue column, so it holds one issue)"
            problems.append(
                Problem(
                    source,
                    f"actor {actor!r} appears twice in this {what} (first on line "
                    f"{pairs[actor, issue]}); one row per actor"
                    + ("" if has_issue else "; add an issue column for several issues"),
                    n,
                )
            )
            continue
        pairs[actor, issue] = n
        if actor not in actors:
            ident = make_id(actor, taken_actors, fallback="a")
            actors[actor] = {"id": ident, "capability": c}
            if ident != actor:
                actors[actor]["name"] = actor
            actor_line[actor] = n
        elif actors[actor]["capability"] != c:
            problems.append(
                Problem(
                    source,
                    f"actor {actor!r} has clout {actors[actor]['capability']:g} on line "
                    f"{actor_line[actor]} and {c:g} here; an actor has one clout",
                    n,
                    ccol,
                )
            )
            continue
        if issue not in issues:
            ident = make_id(issue, taken_issues, fallback="i")
            issues[issue] = {"id": ident}
            if ident != issue:
                issues[issue]["name"] = issue
            issue_line[issue] = n
        spec = issues[issue]
        for key, part in (("scale_min", "min"), ("scale_max", "max")):
            v = extra.get(key)
            if v is None:
                continue
            scale = spec.setdefault("scale", {})
            if part in scale and scale[part] != v:
                problems.append(
                    Problem(
                        source,
                        f"issue {issue!r} has {key} {scale[part]:g} on an earlier row; "
                        "one scale per issue",
                        n,
                        key,
                    )
                )
            scale[part] = v
        sq = extra.get("status_quo")
        if sq is not None:
            if "status_quo" in spec and spec["status_quo"] != sq:
                problems.append(
                    Problem(
                        source,
                        f"issue {issue!r} has a different status_quo on an earlier row",
                        n,
                        "status_quo",
                    )
                )
            spec["status_quo"] = sq
        k = len(stances)
        stances.append(
            {
                "actor": actors[actor]["id"],
                "issue": spec["id"],
                "position": x,
                "salience": s,
            }
        )
        lines[("stances", k)] = n
        for key in ("actor", "issue", "position", "salience"):
            lines[("stances", k, key)] = n
    if problems:
        raise InputError(problems)
    if not stances:
        raise InputError(Problem(source, "no data rows below the header", line=hline))
    for a, label in enumerate(actors):
        lines[("actors", a)] = actor_line[label]
        lines[("actors", a, "capability")] = actor_line[label]
    for i, label in enumerate(issues):
        for key in ((), ("scale",), ("status_quo",)):
            lines[("issues", i, *key)] = issue_line[label]
    lines[("meta",)] = hline
    doc = {
        "meta": {"title": name},
        "actors": list(actors.values()),
        "issues": list(issues.values()),
        "stances": stances,
    }
    return PredictioneerTable(source, name, doc, lines, ccol)


def read_predictioneer(path: str | Path) -> PredictioneerTable:
    """Read a Predictioneer-style CSV file (see :func:`parse_predictioneer`)."""
    path = Path(path)
    text = read_text(path, str(path))
    return parse_predictioneer(text, str(path), name=path.stem)
