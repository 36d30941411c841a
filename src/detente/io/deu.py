"""Loader for the DEU data: EU legislative decisions with actors' positions and actual outcomes.

The "Decision-making in the European Union" data (DEU I, II and III combined; Thomson et al. 2006,
2012; Arregui & Perarnaud 2022, doi:10.1080/13501763.2021.1991983, data deposit
doi:10.34810/data53, CC BY 4.0) give, per controversial issue of a legislative proposal, the
positions (0-100) and saliences (0-100) of the Commission, the Parliament and the member states,
the reference point and the adopted outcome.

Two layouts are accepted, told apart by the header line: the TAB-delimited copy with quoted
strings (``deu-train.tsv``) and the original deposit file (``Dataset_DEU_III.csv``), the same
columns separated by semicolons (where a decimal comma is also accepted).

Quirks handled (see the data README)
------------------------------------
- Dates: ``DD-MM-YY`` and ``DD-MM-YYYY``; ``YYYY-MM-DD`` values are spreadsheet-mangled
  ``DD-MM-YY`` dates (``2014-07-04`` is 14 July 2004: the "year" holds 20 or 19 followed by the
  day, the "day" holds the year). Two-digit years below 50 are 20xx, the others 19xx.
  ``999`` and blanks are missing dates.
- ``999`` and blanks are missing values in the numeric columns too.
- Blank outcomes and reference points are missing (``outcome`` / ``reference_point`` NaN).
- An actor without a position takes no part in the issue (mask False); its salience (0 or
  blank) is ignored. An actor with a position but a blank salience is handled by the named
  option ``blank_salience`` of :meth:`DEUData.arrays` and does not count towards the filter.

Standard filter
---------------
An issue is kept when its outcome is present and at least ``min_actors`` (3) actors have both a
position and a (non-blank) salience; :meth:`DEUData.summary` reports the counts and reasons.

Eras
----
Assigned by the proposal's introduction date (the DEU waves sampled proposals introduced in
separate periods; the training file has no introduction dates in 2001-2002 or 2009-2011):
DEU I before 1 January 2001, DEU II from 1 January 2001 to 31 December 2011, DEU III from
1 January 2012.

Batched layout
--------------
:meth:`DEUData.arrays` returns one :class:`~detente.arrays.ScenarioArrays` with one sample, the
30 actors and every kept issue on the issue axis (``mask`` marks who takes part), so any model
runs on all issues in a single call.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from detente.arrays import ScenarioArrays
from detente.errors import InputError, Problem

#: The 30 actors in the column order of the data: Commission, Parliament, 28 member states.
ACTORS: tuple[str, ...] = (
    "com", "ep", "at", "be", "bu", "cr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "el", "hu",
    "ie", "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "si", "sk", "es", "se", "uk",
)  # fmt: skip
MEMBER_STATES: tuple[str, ...] = ACTORS[2:]

#: Columns the loader reads (others, e.g. ``prnrnmc``, ``proccde``, ``issues``, are ignored).
REQUIRED_COLUMNS: tuple[str, ...] = (
    *("prnr", "isnr", "prname", "type", "council", "proc", "counvte", "intro", "finact"),
    *(f"p{a}" for a in ACTORS),
    *(f"s{a}" for a in ACTORS),
    "rp",
    "out",
)

ERA_CUTOFFS: tuple[tuple[dt.date, str], ...] = (
    (dt.date(2001, 1, 1), "DEU I"),
    (dt.date(2012, 1, 1), "DEU II"),
    (dt.date.max, "DEU III"),
)

#: When the adoption date is missing, the decision date is taken as the introduction date plus
#: this many days: the median duration over the 89 proposals of ``deu-train.tsv`` with both dates.
MEDIAN_DURATION_DAYS = 525

MISSING = "999"

Procedure = Literal["COD", "CNS"]
VotingRule = Literal["QMV", "Unan"]


def era_of(intro: dt.date | None) -> str:
    """DEU wave of a proposal by its introduction date ("unknown" when the date is missing).

    >>> era_of(dt.date(2000, 12, 31)), era_of(dt.date(2004, 7, 14)), era_of(dt.date(2016, 2, 2))
    ('DEU I', 'DEU II', 'DEU III')
    """
    if intro is None:
        return "unknown"
    for cutoff, label in ERA_CUTOFFS:
        if intro < cutoff:
            return label
    return "DEU III"  # pragma: no cover  (date.max is never exceeded)


_DATE_DMY = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{2}|\d{4})$")
_DATE_MANGLED = re.compile(r"^(19|20)(\d{2})-(\d{2})-(\d{2})$")


def parse_date(text: str) -> dt.date | None:
    """Parse a DEU date; None for blank or 999. Raises ValueError if not a date.

    >>> parse_date("23-03-00"), parse_date("02-02-2016"), parse_date("2014-07-04")
    (datetime.date(2000, 3, 23), datetime.date(2016, 2, 2), datetime.date(2004, 7, 14))
    >>> parse_date("1930-05-05"), parse_date("999") is None
    (datetime.date(2005, 5, 30), True)
    """
    s = text.strip()
    if s in ("", MISSING):
        return None
    m = _DATE_MANGLED.match(s)
    if m:  # spreadsheet read DD-MM-YY as YY-MM-DD and wrote it as (19|20)YY-MM-DD
        day, month, year = int(m.group(2)), int(m.group(3)), int(m.group(4))
    else:
        m = _DATE_DMY.match(s)
        if not m:
            raise ValueError(text)
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if year < 100:
        year += 2000 if year < 50 else 1900
    return dt.date(year, month, day)


@dataclass(frozen=True)
class DEUIssue:
    """Metadata of one issue. ``line`` is the 1-based line of its row in the file."""

    issue: str
    proposal: str
    name: str
    act_type: str
    council: str
    procedure: Procedure
    voting_rule: VotingRule
    voting_rule_raw: str
    intro: dt.date | None
    adopted: dt.date | None
    era: str
    reference_point: float
    outcome: float
    line: int

    @property
    def decision_date(self) -> dt.date | None:
        """Adoption date, or introduction + the median duration when adoption is unknown."""
        if self.adopted is not None:
            return self.adopted
        if self.intro is not None:
            return self.intro + dt.timedelta(days=MEDIAN_DURATION_DAYS)
        return None


@dataclass(frozen=True)
class DEUData:
    """Kept issues of a DEU file with positions and saliences on 0..100.

    ``position`` and ``salience`` have shape (D, 30) in :data:`ACTORS` order, NaN where blank
    (or 999). ``dropped`` lists ``(issue, line, reason)`` for the issues the filter removed.
    """

    source: str
    issues: tuple[DEUIssue, ...]
    position: np.ndarray
    salience: np.ndarray
    dropped: tuple[tuple[str, int, str], ...]
    n_rows: int
    min_actors: int
    layout: str
    actors: tuple[str, ...] = field(default=ACTORS)

    @property
    def n_issues(self) -> int:
        return len(self.issues)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(i.issue for i in self.issues)

    @property
    def outcome(self) -> np.ndarray:
        """Adopted outcome per kept issue, shape (D,)."""
        return np.array([i.outcome for i in self.issues], dtype=float)

    @property
    def reference_point(self) -> np.ndarray:
        """Reference point per kept issue, NaN where unknown, shape (D,)."""
        return np.array([i.reference_point for i in self.issues], dtype=float)

    @property
    def present(self) -> np.ndarray:
        """(D, 30) bool: the actor has a position on the issue."""
        return ~np.isnan(self.position)

    def proposal_groups(self) -> np.ndarray:
        """Integer group per kept issue, one group per proposal (first-seen order)."""
        seen: dict[str, int] = {}
        return np.array([seen.setdefault(i.proposal, len(seen)) for i in self.issues], dtype=int)

    def column(self, attribute: str) -> np.ndarray:
        """Metadata attribute of every kept issue as an object array (for breakdowns)."""
        return np.array([getattr(i, attribute) for i in self.issues], dtype=object)

    def summary(self) -> dict:
        """Counts of rows, kept and dropped issues, and the reasons for dropping (JSON-ready)."""
        reasons = Counter(reason.split(" (")[0] for _, _, reason in self.dropped)
        return {
            "source": self.source,
            "layout": self.layout,
            "rows": self.n_rows,
            "kept": self.n_issues,
            "dropped": len(self.dropped),
            "dropped_by_reason": dict(sorted(reasons.items())),
            "proposals_kept": len({i.proposal for i in self.issues}),
            "filter": (
                f"outcome present and at least {self.min_actors} actors with both position "
                "and salience"
            ),
        }

    def subset(self, keep: np.ndarray) -> DEUData:
        """The same data restricted to some kept issues (bool mask or indices), e.g. a CV fold."""
        idx = np.arange(self.n_issues)[np.asarray(keep)]
        return DEUData(
            source=self.source,
            issues=tuple(self.issues[i] for i in idx),
            position=self.position[idx],
            salience=self.salience[idx],
            dropped=self.dropped,
            n_rows=self.n_rows,
            min_actors=self.min_actors,
            layout=self.layout,
        )

    def arrays(
        self,
        capability: np.ndarray | None = None,
        *,
        blank_salience: Literal["exclude", "issue_mean"] = "exclude",
    ) -> ScenarioArrays:
        """All kept issues as one ScenarioArrays: 1 sample x 30 actors x D issues.

        Parameters
        ----------
        capability
            (D, 30) capabilities, >= 0; None gives every actor capability 1.
        blank_salience
            Actors with a position but a blank salience: ``"exclude"`` leaves them out of the
            issue (as the standard filter does); ``"issue_mean"`` gives them the mean salience
            of the issue's other actors with a position.

        Returns
        -------
        ScenarioArrays
            Scale 0..100, salience on 0..1, ``status_quo`` the reference point (NaN if unknown),
            ``extras["outcome"]`` the outcomes and ``extras["deu"]`` this object.
        """
        pos = self.position
        sal = self.salience.copy()
        blank = ~np.isnan(pos) & np.isnan(sal)
        if blank_salience == "issue_mean":
            known = ~np.isnan(pos) & ~np.isnan(sal)
            mean = np.nansum(np.where(known, sal, 0.0), axis=1) / np.maximum(known.sum(1), 1)
            sal = np.where(blank, mean[:, None], sal)
        mask = ~np.isnan(pos) & ~np.isnan(sal)
        cap = np.ones_like(pos) if capability is None else np.asarray(capability, dtype=float)
        if cap.shape != pos.shape:
            raise ValueError(f"capability has shape {cap.shape}, expected {pos.shape}")
        a = ScenarioArrays.from_table(
            np.where(mask, pos, 50.0).T,
            np.where(mask, sal / 100.0, 0.0).T,
            np.where(mask, cap, 0.0).T,
            mask=mask.T,
            scale_min=0.0,
            scale_max=100.0,
            status_quo=self.reference_point[None],
            actor_ids=self.actors,
            issue_ids=self.issue_ids,
            name=f"DEU {Path(self.source).name}",
        )
        a.extras.update(outcome=self.outcome, deu=self, blank_salience=blank_salience)
        return a


def _read_text(path: Path) -> str:
    from detente.scenario.loading import read_bytes  # only a regular file within the limit

    # a missing file raises OSError below, which load_deu reports as "cannot read the file"
    raw = read_bytes(path, str(path)) if path.exists() else path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # the deposit file may be Latin-1 (accented proposal names)
        return raw.decode("latin-1")


def _number(text: str, *, decimal_comma: bool) -> float:
    s = text.strip()
    if s in ("", MISSING):
        return np.nan
    if decimal_comma:
        s = s.replace(",", ".")
    return float(s)


def _header(reader: Any, source: str, required: Any, what: str) -> list[str]:
    """The lower-cased header row; one-line errors for an empty file or missing columns."""
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError(Problem(source, "the file is empty", line=1)) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            Problem(
                source,
                f"missing column(s) {', '.join(missing)}; {what}",
                line=1,
                field=missing[0],
            )
        )
    return header


def load_deu(path: str | Path, *, min_actors: int = 3) -> DEUData:
    """Load a DEU file (TAB copy or the semicolon deposit layout) and apply the standard filter.

    Parameters
    ----------
    path
        ``deu-train.tsv`` or ``Dataset_DEU_III.csv``.
    min_actors
        Minimum number of actors with both position and salience for an issue to be kept.

    Raises
    ------
    InputError
        When the file is empty, lacks a column, has a row of the wrong length, a value that is
        not a number in 0..100 (or 999 / blank), a date in no known format, an unknown
        procedure or voting rule, or a duplicate issue id. The problem names line and column.
    """
    path = Path(path)
    source = str(path)
    try:
        text = _read_text(path)
    except OSError as exc:
        raise InputError(Problem(source, f"cannot read the file: {exc.strerror}")) from exc
    first = text.split("\n", 1)[0]
    if "\t" in first:
        delimiter, layout = "\t", "tab"
    elif ";" in first:
        delimiter, layout = ";", "semicolon"
    else:
        raise InputError(
            Problem(source, "header must be TAB- or semicolon-separated DEU columns", line=1)
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    header = _header(
        reader,
        source,
        REQUIRED_COLUMNS,
        "a DEU file has prnr, isnr, proc, counvte, intro, finact, p<actor>, s<actor> for the "
        "30 actors, rp and out",
    )
    col = {name: header.index(name) for name in REQUIRED_COLUMNS}
    decimal_comma = layout == "semicolon"

    issues: list[DEUIssue] = []
    positions: list[np.ndarray] = []
    saliences: list[np.ndarray] = []
    dropped: list[tuple[str, int, str]] = []
    seen: dict[str, int] = {}
    n_rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(
                Problem(source, f"unreadable row: {exc}", line=reader.line_num)
            ) from exc
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        n_rows += 1
        if len(row) != len(header):
            short = header[len(row)] if len(row) < len(header) else None
            raise InputError(
                Problem(
                    source,
                    f"row has {len(row)} fields, the header has {len(header)}",
                    line=line,
                    field=short,
                )
            )

        def num(name: str, lo: float = 0.0, hi: float = 100.0, *, _row=row, _line=line) -> float:
            raw = _row[col[name]]
            try:
                value = _number(raw, decimal_comma=decimal_comma)
            except ValueError:
                value = None
            if value is None or not (np.isnan(value) or lo <= value <= hi):
                raise InputError(
                    Problem(
                        source,
                        f"{raw!r} is not allowed: a number from {lo:g} to {hi:g}, "
                        "999 or blank for missing",
                        line=_line,
                        field=name,
                    )
                )
            return value

        def date(name: str, *, _row=row, _line=line) -> dt.date | None:
            raw = _row[col[name]]
            try:
                return parse_date(raw)
            except ValueError:
                raise InputError(
                    Problem(
                        source,
                        f"{raw!r} is not a date: DD-MM-YY, DD-MM-YYYY, spreadsheet YYYY-MM-DD "
                        "(read as DD-MM-YY), 999 or blank for missing",
                        line=_line,
                        field=name,
                    )
                ) from None

        issue_id = row[col["isnr"]].strip()
        proposal = row[col["prnr"]].strip()
        for name, value in (("isnr", issue_id), ("prnr", proposal)):
            if not value:
                raise InputError(Problem(source, "an id is required", line=line, field=name))
        if issue_id in seen:
            raise InputError(
                Problem(
                    source,
                    f"issue {issue_id!r} already appears on line {seen[issue_id]}; ids are unique",
                    line=line,
                    field="isnr",
                )
            )
        seen[issue_id] = line
        proc = row[col["proc"]].strip().upper()
        if proc not in ("COD", "CNS"):
            raise InputError(
                Problem(source, f"{proc!r} is not allowed: COD or CNS", line=line, field="proc")
            )
        rule_raw = row[col["counvte"]].strip()
        if rule_raw.upper().startswith("QMV"):  # "QMV(10)" occurs: still qualified majority
            rule: VotingRule = "QMV"
        elif rule_raw.lower().startswith("unan"):
            rule = "Unan"
        else:
            raise InputError(
                Problem(
                    source,
                    f"{rule_raw!r} is not allowed: QMV (optionally with a suffix) or Unan",
                    line=line,
                    field="counvte",
                )
            )
        pos = np.array([num(f"p{a}") for a in ACTORS])
        sal = np.array([num(f"s{a}") for a in ACTORS])
        intro, adopted = date("intro"), date("finact")
        rp, out = num("rp"), num("out")
        both = int(np.sum(~np.isnan(pos) & ~np.isnan(sal)))
        if np.isnan(out):
            dropped.append((issue_id, line, "no outcome"))
            continue
        if both < min_actors:
            dropped.append(
                (
                    issue_id,
                    line,
                    f"fewer than {min_actors} actors with position and salience ({both})",
                )
            )
            continue
        issues.append(
            DEUIssue(
                issue=issue_id,
                proposal=proposal,
                name=row[col["prname"]].strip(),
                act_type=row[col["type"]].strip(),
                council=row[col["council"]].strip(),
                procedure=proc,  # type: ignore[arg-type]
                voting_rule=rule,
                voting_rule_raw=rule_raw,
                intro=intro,
                adopted=adopted,
                era=era_of(intro),
                reference_point=rp,
                outcome=out,
                line=line,
            )
        )
        positions.append(pos)
        saliences.append(sal)
    if n_rows == 0:
        raise InputError(Problem(source, "the file has a header but no issue rows", line=2))
    shape = (len(issues), len(ACTORS))
    return DEUData(
        source=source,
        issues=tuple(issues),
        position=np.array(positions).reshape(shape),
        salience=np.array(saliences).reshape(shape),
        dropped=tuple(dropped),
        n_rows=n_rows,
        min_actors=min_actors,
        layout=layout,
    )


# --- detente's own layout of decided cases (``detente calibrate``) ---------------------------

#: Columns of detente's decided-cases CSV: the stakeholder table plus the outcome.
CASES_REQUIRED: tuple[str, ...] = (
    "issue",
    "actor",
    "position",
    "salience",
    "capability",
    "outcome",
)
#: Optional columns: the case (issues decided together; default the issue itself), the issue's
#: scale, and 1/0 for an issue decided by unanimity.
CASES_OPTIONAL: tuple[str, ...] = ("case", "scale_min", "scale_max", "unanimity")


@dataclass(frozen=True)
class DecidedCases:
    """Decided issues in detente's own CSV layout, the counterpart of :class:`DEUData`.

    One row per actor and issue: ``case,issue,actor,position,salience,capability,outcome``
    (``case``, ``scale_min``, ``scale_max`` and ``unanimity`` optional; salience on 0-100;
    the outcome repeated on every row of its issue). ``outcome`` is on 0..100 of each issue's
    scale, as the errors of the calibration are.
    """

    source: str
    actors: tuple[str, ...]
    issue_ids: tuple[str, ...]
    cases: tuple[str, ...]
    position: np.ndarray  # (D, N), NaN where the actor takes no part
    salience: np.ndarray  # (D, N) on 0..100
    capability: np.ndarray  # (D, N)
    raw_outcome: np.ndarray  # (D,) on the issue's scale
    scale_min: np.ndarray  # (D,)
    scale_max: np.ndarray  # (D,)
    unanimity: np.ndarray  # (D,) 1/0
    layout: str = "detente"

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)

    @property
    def outcome(self) -> np.ndarray:
        """Outcomes on 0..100 of each issue's scale, shape (D,)."""
        return 100.0 * (self.raw_outcome - self.scale_min) / (self.scale_max - self.scale_min)

    def proposal_groups(self) -> np.ndarray:
        """Integer group per issue, one group per case (first-seen order)."""
        seen: dict[str, int] = {}
        return np.array([seen.setdefault(c, len(seen)) for c in self.cases], dtype=int)

    def summary(self) -> dict:
        """Counts of issues and cases (JSON-ready)."""
        return {
            "source": self.source,
            "layout": self.layout,
            "kept": self.n_issues,
            "proposals_kept": len(set(self.cases)),
        }

    def arrays(self, capability: np.ndarray | None = None) -> ScenarioArrays:
        """All issues as one ScenarioArrays (1 sample); ``capability`` (D, N) overrides."""
        mask = ~np.isnan(self.position)
        cap = self.capability if capability is None else np.asarray(capability, dtype=float)
        a = ScenarioArrays.from_table(
            np.where(mask, self.position, 50.0).T,
            np.where(mask, self.salience / 100.0, 0.0).T,
            np.where(mask, cap, 0.0).T,
            mask=mask.T,
            scale_min=self.scale_min,
            scale_max=self.scale_max,
            actor_ids=self.actors,
            issue_ids=self.issue_ids,
            name=f"decided cases {Path(self.source).name}",
        )
        a.extras.update(outcome=self.raw_outcome, unanimity=self.unanimity)
        return a


def load_decided_cases(path: str | Path) -> DecidedCases:
    """Read decided cases in detente's CSV layout (see :class:`DecidedCases`).

    Raises
    ------
    InputError
        On a missing column, a ragged row, a value that is not a number (salience outside
        0-100, a negative capability, a position or outcome outside the issue's scale), an
        actor listed twice on an issue, or an issue whose outcome, case, scale or unanimity
        differs between its rows. The problem names line and column.
    """
    path = Path(path)
    source = str(path)
    try:
        text = _read_text(path)
    except OSError as exc:
        raise InputError(Problem(source, f"cannot read the file: {exc.strerror}")) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(
        reader,
        source,
        CASES_REQUIRED,
        f"decided cases need {','.join(CASES_REQUIRED)} (and optionally "
        f"{', '.join(CASES_OPTIONAL)})",
    )
    col = {h: header.index(h) for h in (*CASES_REQUIRED, *CASES_OPTIONAL) if h in header}
    actors: dict[str, int] = {}
    issues: dict[str, dict] = {}
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(
                Problem(source, f"row has {len(row)} fields, the header has {len(header)}", line)
            )

        def num(name: str, default: float | None = None, *, _row=row, _line=line) -> float:
            raw = _row[col[name]].strip() if name in col else ""
            if not raw and default is not None:
                return default
            try:
                value = float(raw)
            except ValueError:
                value = float("nan")
            if not np.isfinite(value):
                raise InputError(Problem(source, f"{raw!r} is not a number", _line, name))
            return value

        issue = row[col["issue"]].strip()
        actor = row[col["actor"]].strip()
        if not issue or not actor:
            raise InputError(
                Problem(source, "an id is required", line, "issue" if not issue else "actor")
            )
        meta = {
            "case": (row[col["case"]].strip() if "case" in col else "") or issue,
            "outcome": num("outcome"),
            "scale_min": num("scale_min", 0.0),
            "scale_max": num("scale_max", 100.0),
            "unanimity": num("unanimity", 0.0),
        }
        spec = issues.setdefault(issue, {**meta, "line": line, "stances": {}})
        for key, value in meta.items():
            if spec[key] != value:
                raise InputError(
                    Problem(
                        source,
                        f"issue {issue!r} has {key} {spec[key]!r} on line {spec['line']} "
                        f"and {value!r} here; it must be the same on every row of the issue",
                        line,
                        key,
                    )
                )
        lo, hi = meta["scale_min"], meta["scale_max"]
        if not lo < hi:
            raise InputError(
                Problem(source, "scale_min must be below scale_max", line, "scale_max")
            )
        checks = (
            ("position", lo, hi),
            ("salience", 0.0, 100.0),
            ("capability", 0.0, np.inf),
        )
        values = {}
        for name, a, b in checks:
            v = num(name)
            if not a <= v <= b:
                raise InputError(Problem(source, f"{v:g} is outside {a:g} to {b:g}", line, name))
            values[name] = v
        if not lo <= meta["outcome"] <= hi:
            raise InputError(
                Problem(source, f"{meta['outcome']:g} is outside {lo:g} to {hi:g}", line, "outcome")
            )
        if meta["unanimity"] not in (0.0, 1.0):
            raise InputError(Problem(source, "unanimity must be 1 or 0", line, "unanimity"))
        if actor in spec["stances"]:
            raise InputError(
                Problem(source, f"actor {actor!r} appears twice on issue {issue!r}", line, "actor")
            )
        spec["stances"][actor] = values
        actors.setdefault(actor, len(actors))
    if not issues:
        raise InputError(Problem(source, "the file has a header but no rows", line=2))
    d, n = len(issues), len(actors)
    pos, sal, cap = np.full((d, n), np.nan), np.zeros((d, n)), np.zeros((d, n))
    for i, spec in enumerate(issues.values()):
        for actor, v in spec["stances"].items():
            j = actors[actor]
            pos[i, j], sal[i, j], cap[i, j] = v["position"], v["salience"], v["capability"]
    specs = list(issues.values())
    return DecidedCases(
        source=source,
        actors=tuple(actors),
        issue_ids=tuple(issues),
        cases=tuple(s["case"] for s in specs),
        position=pos,
        salience=sal,
        capability=cap,
        raw_outcome=np.array([s["outcome"] for s in specs]),
        scale_min=np.array([s["scale_min"] for s in specs]),
        scale_max=np.array([s["scale_max"] for s in specs]),
        unanimity=np.array([s["unanimity"] for s in specs]),
    )


def decided_cases_csv(data: DEUData, capability: np.ndarray) -> str:
    """DEU data as detente's decided-cases CSV (one row per actor with position and salience).

    ``capability`` (D, 30) is written per row; the DEU voting rule becomes ``unanimity``.
    Numbers are written in full precision, so that reading the text back gives the same fit.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["case", "issue", "actor", "position", "salience", "capability", "outcome", "unanimity"]
    )
    for i, issue in enumerate(data.issues):
        for j, actor in enumerate(data.actors):
            p, s = data.position[i, j], data.salience[i, j]
            if np.isnan(p) or np.isnan(s):
                continue
            w.writerow(
                [
                    issue.proposal,
                    issue.issue,
                    actor,
                    repr(float(p)),
                    repr(float(s)),
                    repr(float(capability[i, j])),
                    repr(float(issue.outcome)),
                    int(issue.voting_rule == "Unan"),
                ]
            )
    return buf.getvalue()


def load_cases(path: str | Path) -> DEUData | DecidedCases:
    """Decided cases in either layout: detente's CSV (a header with ``actor`` and ``outcome``)
    or the DEU layouts of :func:`load_deu`."""
    path = Path(path)
    try:
        first = _read_text(path).split("\n", 1)[0].lower()
    except OSError as exc:
        raise InputError(Problem(str(path), f"cannot read the file: {exc.strerror}")) from exc
    cells = {c.strip().strip('"') for c in first.split(",")}
    if {"actor", "outcome"} <= cells:
        return load_decided_cases(path)
    return load_deu(path)
