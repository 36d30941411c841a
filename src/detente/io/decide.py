"""Reader for the input format of the Decide exchange model (``decide-exchange-model``).

The format is tab-separated text, one record per line, fields optionally wrapped in single
quotes; the first field is a tag:

``'#A'  actor_id  name  [comment]``
    an actor, in the order actors are listed (the order the exchange model enumerates them);
``'#P'  issue_id  name  [description]``
    an issue;
``'#M'  issue_id  position  [meaning]``
    a labelled point of an issue's scale; the lowest and highest ``#M`` of an issue give its
    scale (0..100 when an issue has none);
``'#D'  actor_id  issue_id  position  salience  power  [comment]``
    an actor's position on an issue's scale, salience on 0..1 and power (capability) on 0..1.

``'#/'`` lines are comments and ``'#O'`` lines (free issue descriptions) are ignored. Blank
lines are skipped. An actor without a ``#D`` row on an issue does not take part in it (mask).
Every mistake raises :class:`detente.errors.InputError` naming the line and what is allowed.

This module is an independent reader written from the format description; it shares no code
with the GPL-3 ``decide-exchange-model`` package.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from detente.arrays import ScenarioArrays
from detente.errors import InputError, Problem

TAGS = ("#A", "#P", "#M", "#D", "#/", "#O")
_MIN_FIELDS = {"#A": 2, "#P": 2, "#M": 3, "#D": 6}


def _number(source: str, line: int, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(
            Problem(source, f"{what} must be a finite number, got {text!r}", line=line)
        )
    return value


def parse_decide(text: str, source: str = "<decide>") -> ScenarioArrays:
    """Parse Decide input text into scenario arrays (one sample).

    Parameters
    ----------
    text
        The file's content.
    source
        Name used in error messages (usually the file path).

    Returns
    -------
    ScenarioArrays
        Positions on each issue's scale, salience on 0..1, capability from the power column,
        mask False where an actor has no ``#D`` row, status quo unknown (NaN). ``extras`` holds
        ``actor_names`` and ``issue_names``.

    Raises
    ------
    InputError
        On an unknown tag, a missing field, a non-numeric or out-of-range value, a duplicate
        id or row, or a reference to an undeclared actor or issue.

    Examples
    --------
    >>> a = parse_decide("'#A'\\t'x'\\t'X'\\n'#P'\\t'p'\\t'P'\\n'#D'\\t'x'\\t'p'\\t40\\t0.5\\t1\\n")
    >>> a.actor_ids, a.issue_ids, float(a.position[0, 0, 0]), float(a.salience[0, 0, 0])
    (('x',), ('p',), 40.0, 0.5)
    """
    actors: dict[str, str] = {}
    issues: dict[str, str] = {}
    marks: dict[str, list[float]] = {}
    rows: dict[tuple[str, str], tuple[float, float, float, int]] = {}
    reader = csv.reader(io.StringIO(text), delimiter="\t", quotechar="'")
    for index, raw in enumerate(reader):
        line = index + 1  # the format has no quoted newlines, so record = line
        fields = [f.strip() for f in raw]
        while fields and fields[-1] == "":
            fields.pop()  # the files end most records with a tab
        if not fields:
            continue
        tag = fields[0]
        if tag not in TAGS:
            raise InputError(
                Problem(
                    source,
                    f"unknown record type {tag!r}; allowed: {', '.join(TAGS)}",
                    line=line,
                )
            )
        if tag in ("#/", "#O"):
            continue
        need = _MIN_FIELDS[tag]
        if len(fields) < need:
            layout = {
                "#A": "'#A' actor_id name",
                "#P": "'#P' issue_id name",
                "#M": "'#M' issue_id position",
                "#D": "'#D' actor_id issue_id position salience power",
            }[tag]
            raise InputError(
                Problem(
                    source,
                    f"{tag} needs {need} fields ({layout}), got {len(fields)}",
                    line=line,
                )
            )
        if tag == "#A":
            ident = fields[1]
            if not ident or ident in actors:
                raise InputError(
                    Problem(source, f"actor id {ident!r} is empty or declared twice", line=line)
                )
            actors[ident] = fields[2] if len(fields) > 2 and fields[2] else ident
        elif tag == "#P":
            ident = fields[1]
            if not ident or ident in issues:
                raise InputError(
                    Problem(source, f"issue id {ident!r} is empty or declared twice", line=line)
                )
            issues[ident] = fields[2] if len(fields) > 2 and fields[2] else ident
        elif tag == "#M":
            if fields[1] not in issues:
                raise InputError(
                    Problem(
                        source,
                        f"#M refers to issue {fields[1]!r}, which no earlier #P row declares",
                        line=line,
                    )
                )
            marks.setdefault(fields[1], []).append(_number(source, line, fields[2], "#M position"))
        else:
            actor, issue = fields[1], fields[2]
            x = _number(source, line, fields[3], "position")
            s = _number(source, line, fields[4], "salience")
            c = _number(source, line, fields[5], "power")
            if not 0.0 <= s <= 1.0:
                raise InputError(Problem(source, f"salience {s} is outside 0..1", line=line))
            if not 0.0 <= c <= 1.0:
                raise InputError(Problem(source, f"power {c} is outside 0..1", line=line))
            if (actor, issue) in rows:
                raise InputError(
                    Problem(
                        source,
                        f"second #D row for actor {actor!r} on issue {issue!r} "
                        f"(first on line {rows[actor, issue][3]}); one row per pair is allowed",
                        line=line,
                    )
                )
            rows[actor, issue] = (x, s, c, line)
    if not actors or not issues:
        raise InputError(Problem(source, "needs at least one #A actor and one #P issue"))
    actor_ids = list(actors)
    issue_ids = list(issues)
    lo = np.array([min(marks[i]) if i in marks else 0.0 for i in issue_ids])
    hi = np.array([max(marks[i]) if i in marks else 100.0 for i in issue_ids])
    for k, i in enumerate(issue_ids):
        if hi[k] <= lo[k]:
            raise InputError(
                Problem(source, f"issue {i!r}: its #M rows give an empty scale {lo[k]}..{hi[k]}")
            )
    n, d = len(actor_ids), len(issue_ids)
    pos = np.zeros((n, d))
    sal = np.zeros((n, d))
    cap = np.zeros((n, d))
    mask = np.zeros((n, d), dtype=bool)
    a_index = {a: k for k, a in enumerate(actor_ids)}
    i_index = {i: k for k, i in enumerate(issue_ids)}
    for (actor, issue), (x, s, c, line) in rows.items():
        if actor not in a_index:
            raise InputError(
                Problem(
                    source, f"#D refers to actor {actor!r}, which no #A row declares", line=line
                )
            )
        if issue not in i_index:
            raise InputError(
                Problem(
                    source, f"#D refers to issue {issue!r}, which no #P row declares", line=line
                )
            )
        a, j = a_index[actor], i_index[issue]
        if not lo[j] <= x <= hi[j]:
            raise InputError(
                Problem(
                    source,
                    f"position {x} of {actor!r} on {issue!r} is outside the issue's scale "
                    f"{lo[j]}..{hi[j]} (its #M rows)",
                    line=line,
                )
            )
        pos[a, j], sal[a, j], cap[a, j], mask[a, j] = x, s, c, True
    arrays = ScenarioArrays.from_table(
        pos,
        sal,
        cap,
        mask=mask,
        scale_min=lo,
        scale_max=hi,
        actor_ids=actor_ids,
        issue_ids=issue_ids,
        name=Path(source).stem if source != "<decide>" else "decide",
    )
    arrays.extras["actor_names"] = [actors[a] for a in actor_ids]
    arrays.extras["issue_names"] = [issues[i] for i in issue_ids]
    return arrays


def read_decide(path: str | Path) -> ScenarioArrays:
    """Read a Decide input file (see :func:`parse_decide`).

    Parameters
    ----------
    path
        The file to read (UTF-8).

    Returns
    -------
    ScenarioArrays
        One sample; see :func:`parse_decide`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), f"cannot read the file: {exc}")) from exc
    return parse_decide(text, source=str(path))
