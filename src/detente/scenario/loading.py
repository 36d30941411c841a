"""Load scenarios from YAML, the flat CSV stakeholder table, or the bundled set.

All user mistakes become :class:`detente.errors.InputError` with every problem found, each naming
the file, the line, the field and what is allowed.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from detente.errors import InputError, Problem, printable
from detente.io.files import remember_input
from detente.io.naming import make_id
from detente.scenario.schema import LIMITS, Loc, Scenario, cross_check
from detente.scenario.uncertain import MAX_ABS
from detente.scenario.yamlmap import dotted, parse_yaml

MAX_BYTES = 50 * 1024 * 1024
YAML_SUFFIXES = {".yaml", ".yml", ".json"}
CSV_SUFFIXES = {".csv"}
DEFAULT_SCENARIO = "russia-nato-2021"


@dataclass
class Loaded:
    """A validated scenario and where it came from."""

    scenario: Scenario
    source: str
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        return _line_for(loc, self.lines)


# ------------------------------------------------------------------------------------------
# Bundled scenarios


def _bundled_dir() -> Any:
    return resources.files("detente") / "scenarios"


def bundled_scenarios() -> dict[str, Any]:
    """Bundled scenario names -> resource paths, sorted by name."""
    out = {}
    for entry in _bundled_dir().iterdir():
        if entry.name.endswith((".yaml", ".csv")):
            out[entry.name.rsplit(".", 1)[0]] = entry
    return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------------
# Reading bytes


def read_bytes(path: Path, source: str, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, with a clear error otherwise.

    Only regular files are read: a FIFO would block forever and a device such as ``/dev/zero``
    never ends. The file is opened without blocking and checked with ``fstat`` (which follows
    links), and the size limit is enforced while reading, since a file may grow meanwhile.

    Raises
    ------
    InputError
        If the file is missing, a folder, not a regular file, unreadable or too large.
    """
    if not path.exists():
        raise InputError(Problem(source, "no such file"))
    if path.is_dir():
        raise InputError(Problem(source, "is a folder; give a scenario file"))
    too_big = Problem(
        source, f"the file is larger than {_size(limit)}; at most {_size(limit)} is allowed"
    )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(Problem(source, f"cannot read the file: {exc.strerror}")) from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                Problem(source, "is not a regular file (a pipe, device or socket); give a file")
            )
        remember_input(info)
        if info.st_size > limit:
            raise InputError(too_big)
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(Problem(source, f"cannot read the file: {exc.strerror}")) from None
    if len(data) > limit:
        raise InputError(too_big)
    return data


def _size(n: int) -> str:
    """``52428800`` -> ``"50 MiB"``: the limit in the unit it was set in."""
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n:,} bytes"


def read_text(path: Path, source: str) -> str:
    """Read a file as UTF-8 text with clear errors for the usual mistakes."""
    return decode(read_bytes(path, source), source)


def decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise InputError(Problem(source, "the file is empty; expected a scenario"))
    if b"\x00" in data[:4096]:
        raise InputError(Problem(source, "binary file (NUL bytes); expected UTF-8 text"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(
                source,
                f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                line=line,
            )
        ) from None
    return text


# ------------------------------------------------------------------------------------------
# Entry points


def load(spec: str | Path | None = None) -> Loaded:
    """Load and validate a scenario file, or a bundled scenario by name (default if None)."""
    if spec is None:
        spec = DEFAULT_SCENARIO
    path = Path(spec)
    # the name as messages and JSON show it: a file name that is not UTF-8 (or holds control
    # characters) is written with escapes, so that every output stays valid UTF-8 on one line
    shown = printable(str(spec))
    bundled = bundled_scenarios()
    if not path.exists() and str(spec) in bundled:
        entry = bundled[str(spec)]
        text = decode(entry.read_bytes(), shown)
        kind = "csv" if entry.name.endswith(".csv") else "yaml"
        return parse(text, source=shown, kind=kind, name=shown)
    if not path.exists():
        names = ", ".join(bundled) or "none"
        raise InputError(Problem(shown, f"no such file or bundled scenario; bundled: {names}"))
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES | CSV_SUFFIXES:
        raise InputError(
            Problem(
                shown,
                f"unsupported file type {suffix or '(none)'!r}; "
                "use .yaml/.yml (full scenario) or .csv (stakeholder table); "
                "`detente convert` imports KTAB, Decide and DEU files",
            )
        )
    text = read_text(path, shown)
    kind = "csv" if suffix in CSV_SUFFIXES else "yaml"
    return parse(text, source=shown, kind=kind, name=printable(path.stem))


def load_scenario(spec: str | Path | None = None) -> Scenario:
    """Shorthand: the validated :class:`Scenario` of :func:`load`."""
    return load(spec).scenario


def parse(text: str, source: str, kind: str, name: str = "scenario") -> Loaded:
    """Parse scenario text of a kind (``"yaml"`` or ``"csv"``) and validate it fully."""
    if kind == "csv":
        doc, lines = parse_csv(text, source, name)
    else:
        doc, lines = parse_yaml(text, source)
        if not isinstance(doc, dict):
            raise InputError(
                Problem(
                    source,
                    "the top level must be a mapping with meta, actors, "
                    f"issues and stances; found a {type(doc).__name__}",
                    line=1,
                )
            )
    return validate_document(doc, lines, source)


def validate_document(doc: dict, lines: dict[Loc, int], source: str) -> Loaded:
    """Validate a parsed document; raise :class:`InputError` listing every problem."""
    # section sizes first: validating a million entries only to refuse them costs gigabytes
    for key, limit in LIMITS.items():
        items = doc.get(key)
        if isinstance(items, list) and len(items) > limit:
            raise InputError(
                Problem(
                    source,
                    f"{len(items):,} entries; at most {limit:,} are allowed",
                    line=_line_for((key,), lines),
                    field=key,
                )
            )
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        raise InputError(_pydantic_problems(exc, lines, source)) from None
    problems = [
        Problem(source, msg, line=_line_for(loc, lines), field=dotted(loc))
        for loc, msg in cross_check(scenario)
    ]
    if problems:
        raise InputError(problems)
    return Loaded(scenario, source, lines)


# ------------------------------------------------------------------------------------------
# Pydantic errors -> problems


def _line_for(loc: Loc, lines: dict[Loc, int]) -> int | None:
    for cut in range(len(loc), -1, -1):
        if tuple(loc[:cut]) in lines:
            return lines[tuple(loc[:cut])]
    return None


def _unwrap(tp: Any) -> list[Any]:
    """Model classes reachable from an annotation (through list, dict, Optional, unions)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (list, tuple, set, frozenset):
        return [c for a in typing.get_args(tp) for c in _unwrap(a)]
    if origin is dict:
        return _unwrap(typing.get_args(tp)[1])
    if origin in (typing.Union, types.UnionType):
        return [c for a in typing.get_args(tp) for c in _unwrap(a)]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return []


def _model_at(loc: Loc) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        f = model.model_fields.get(str(part))
        if f is None:
            return model if str(part) not in ("",) else None
        found = _unwrap(f.annotation)
        model = found[0] if found else None
    return model


_FRIENDLY = {
    "missing": "missing required field",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "date_from_datetime_parsing": "expected a date YYYY-MM-DD",
    "date_parsing": "expected a date YYYY-MM-DD",
    "date_type": "expected a date YYYY-MM-DD",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "finite_number": "expected a finite number (no NaN or inf)",
}


def _pydantic_problems(exc: ValidationError, lines: dict[Loc, int], source: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        # drop pydantic's internal union/validator tags from the location
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or not _is_tag(str(p)))
        path = dotted(loc)
        if path in seen:
            continue
        seen.add(path)
        kind = err["type"]
        if kind == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = ", ".join(model.model_fields) if model else ""
            msg = f"unknown field {loc[-1]!r}" + (f"; allowed: {allowed}" if allowed else "")
        elif kind in _FRIENDLY:
            msg = _FRIENDLY[kind]
            if kind != "missing":
                msg += f", got {_short(err.get('input'))}"
        else:
            msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            if kind == "string_pattern_mismatch":
                msg = (
                    f"{_short(err.get('input'))} is not a valid id; use letters, digits, "
                    "_ . - starting with a letter"
                )
            elif kind == "too_short" and isinstance(err.get("input"), list):
                msg = "must not be empty"
            elif kind == "literal_error":
                msg = f"{msg}, got {_short(err.get('input'))}"
        problems.append(Problem(source, msg, line=_line_for(loc, lines), field=path or None))
    return problems


def _is_tag(part: str) -> bool:
    return (
        part.startswith(("function-", "union[", "tagged-union["))
        or part in {"str", "int", "float", "bool", "Source", "Number", "list[float]"}
        or part.endswith("]")
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ------------------------------------------------------------------------------------------
# CSV stakeholder table

REQUIRED = ("actor", "issue", "position", "salience", "capability")
OPTIONAL_NUMERIC = ("scale_min", "scale_max", "status_quo", "demand", "publicity")


def csv_number(
    cell: str, source: str, line: int, column: str, required: bool, problems: list[Problem]
) -> float | None:
    """A finite number from a CSV cell, or None with the problem appended to ``problems``."""
    cell = cell.strip()
    if not cell:
        if required:
            problems.append(Problem(source, "empty cell; expected a number", line, column))
        return None
    try:
        value = float(cell)
    except ValueError:
        comma = "," in cell or (cell.count(".") == 0 and any(ch.isdigit() for ch in cell))
        hint = " (decimal comma? use a point)" if comma else ""
        problems.append(Problem(source, f"{cell!r} is not a number{hint}", line, column))
        return None
    if not math.isfinite(value):
        problems.append(
            Problem(source, f"{cell!r} is not allowed; expected a finite number", line, column)
        )
        return None
    if abs(value) > MAX_ABS:
        problems.append(
            Problem(
                source, f"{cell!r} is too large; numbers lie between -1e12 and 1e12", line, column
            )
        )
        return None
    return value + 0.0  # -0.0 -> 0.0, as in YAML scenarios


def ragged_row(row: list[str], header: list[str], source: str, line: int) -> Problem:
    """The problem of a row whose field count differs from the header's."""
    return Problem(
        source,
        f"row has {len(row)} fields but the header has {len(header)}; check for a stray or "
        "missing comma",
        line,
    )


def csv_records(text: str, source: str) -> list[tuple[int, list[str]]]:
    """CSV rows with the line each starts on (a quoted cell may span several lines).

    CR (old Mac), LF and CRLF line ends are all read.

    Raises
    ------
    InputError
        On what the csv module cannot read (a cell over its size limit, a NUL character).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[tuple[int, list[str]]] = []
    start = 1
    # a row is a stance: stop reading at the limit rather than hold millions of rows
    most, filled = LIMITS["stances"] + 1, 0  # the header, then one stance per row
    try:
        for row in reader:
            out.append((start, row))
            filled += any(c.strip() for c in row)
            if filled > most:
                raise InputError(
                    Problem(
                        source,
                        f"more than {LIMITS['stances']:,} rows; a table holds at most "
                        f"{LIMITS['stances']:,} stances",
                        line=start,
                    )
                )
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(Problem(source, f"unreadable CSV: {exc}", line=start)) from None
    return out


_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


def _ids(names: list[str]) -> dict[str, str]:
    """Table names -> ids: a valid id stays itself, other names get an id made from them."""
    names = [n.strip() for n in names if n.strip()]
    taken = {n for n in names if _ID.match(n) and len(n) <= 64}
    out = {n: n for n in taken}
    for n in dict.fromkeys(names):
        if n not in out:
            out[n] = make_id(n, taken)
    return out


def parse_csv(text: str, source: str, name: str) -> tuple[dict, dict[Loc, int]]:
    """Read the flat table ``actor,issue,position,salience,capability`` into a scenario document."""
    records = csv_records(text, source)
    rows = [row for _, row in records]
    header_index = next((n for n, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if header_index is None:
        raise InputError(
            Problem(
                source,
                "the file is empty; expected a header row actor,issue,position,salience,capability",
            )
        )
    raw_header = rows[header_index]
    header = [h.strip().lower() for h in raw_header]
    hline = records[header_index][0]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        joined = ",".join(raw_header)
        for delim, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if delim in joined and len(raw_header) == 1:
                raise InputError(
                    Problem(
                        source,
                        f"the header is separated by {label}; a scenario "
                        "CSV uses commas: actor,issue,position,salience,"
                        "capability",
                        line=hline,
                    )
                )
        raise InputError(
            Problem(
                source,
                f"missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}; the header needs actor,issue,position,"
                "salience,capability (any order, case-insensitive)",
                line=hline,
            )
        )
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise InputError(
            Problem(source, f"duplicate column {dupes[0]!r} in the header", line=hline)
        )
    col = {h: i for i, h in enumerate(header)}
    problems: list[Problem] = []
    lines: dict[Loc, int] = {}
    actors: dict[str, dict[str, Any]] = {}
    issues: dict[str, dict[str, Any]] = {}
    stances: list[dict[str, Any]] = []

    def number(cell: str, column: str, line: int, required: bool) -> float | None:
        return csv_number(cell, source, line, column, required, problems)

    data = [(n, row) for n, row in records[header_index + 1 :] if any(c.strip() for c in row)]
    # names as the table gives them ("United Kingdom") -> ids; a name that is no valid id keeps
    # its text as the actor's or issue's name
    actor_id = _ids([row[col["actor"]] for _, row in data if len(row) == len(header)])
    issue_id = _ids([row[col["issue"]] for _, row in data if len(row) == len(header)])
    for n, row in data:
        if len(row) != len(header):
            problems.append(ragged_row(row, header, source, n))
            continue
        actor_name = row[col["actor"]].strip()
        issue_name = row[col["issue"]].strip()
        actor = actor_id.get(actor_name, "")
        issue = issue_id.get(issue_name, "")
        if not actor or not issue:
            problems.append(
                Problem(source, "empty actor or issue", n, "actor" if not actor else "issue")
            )
            continue
        values = {
            c: number(row[col[c]], c, n, True) for c in ("position", "salience", "capability")
        }
        extra = {c: number(row[col[c]], c, n, False) for c in OPTIONAL_NUMERIC if c in col}
        if any(v is None for v in values.values()):
            continue
        k = len(stances)
        if actor not in actors:
            actors[actor] = {"id": actor, "capability": values["capability"]}
            if "name" in col and row[col["name"]].strip():
                actors[actor]["name"] = row[col["name"]].strip()
            elif actor != actor_name:
                actors[actor]["name"] = actor_name
            lines[("actors", len(actors) - 1)] = n
            lines[("actors", len(actors) - 1, "capability")] = n
        if issue not in issues:
            issues[issue] = {"id": issue, "_line": n}
            if issue != issue_name:
                issues[issue]["name"] = issue_name
            lines[("issues", len(issues) - 1)] = n
        spec = issues[issue]
        for key, field_ in (("scale_min", "min"), ("scale_max", "max")):
            v = extra.get(key)
            if v is None:
                continue
            spec.setdefault("scale", {})
            if field_ in spec["scale"] and spec["scale"][field_] != v:
                problems.append(
                    Problem(
                        source,
                        f"issue {issue!r} has {key} {spec['scale'][field_]:g} "
                        f"on an earlier row; one scale per issue",
                        n,
                        key,
                    )
                )
            spec["scale"][field_] = v
        if extra.get("status_quo") is not None:
            if "status_quo" in spec and spec["status_quo"] != extra["status_quo"]:
                problems.append(
                    Problem(
                        source,
                        f"issue {issue!r} has a different status_quo on "
                        "an earlier row; one status quo per issue",
                        n,
                        "status_quo",
                    )
                )
            spec["status_quo"] = extra["status_quo"]
        stance: dict[str, Any] = {
            "actor": actor,
            "issue": issue,
            "position": values["position"],
            "salience": values["salience"],
        }
        if values["capability"] != actors[actor]["capability"]:
            stance["capability"] = values["capability"]
        for key in ("demand", "publicity"):
            if extra.get(key) is not None:
                stance[key] = extra[key]
        stances.append(stance)
        lines[("stances", k)] = n
        for key in ("actor", "issue", "position", "salience", "capability", "demand", "publicity"):
            lines[("stances", k, key)] = n
    if problems:
        raise InputError(problems)
    if not stances:
        raise InputError(Problem(source, "no data rows below the header", line=hline))
    issue_list = []
    for i, spec in enumerate(issues.values()):
        spec = dict(spec)
        line = spec.pop("_line")
        for key in ("scale", "status_quo"):
            lines[("issues", i, key)] = line
        issue_list.append(spec)
    lines[("meta",)] = hline
    doc = {
        "meta": {"title": name},
        "actors": list(actors.values()),
        "issues": issue_list,
        "stances": stances,
    }
    return doc, lines
