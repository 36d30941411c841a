"""Readers of KTAB's Spatial Model of Politics (SMP) inputs.

KTAB (KAPSARC Toolkit for Behavioral Analysis, MIT licence) reads SMP scenarios from CSV
(``SMPModel::csvRead``) and XML (``SMPModel::xmlRead``, schema ``smpSchema.xsd``). Each reader
here returns a :class:`KTABScenario`: the :class:`~detente.arrays.ScenarioArrays` (one sample,
positions on 0..100, salience / 100, capability per actor repeated over issues) plus the SMP
options and ideal-adjustment matrix, ready for ``get_model("smp", **scenario.model_options())``.

Formats
-------
CSV
    Row 1 ``name,description,nActors,nDims``; row 2 the headers
    ``Actor,Description,Power,Pstn1,Sal1,...``; then one row per actor: name, description,
    capability, then position and salience (0..100) for each dimension. A trailing comma is
    allowed (the ``-no-final-comma`` variant has none), and so are further empty fields;
    fields after the fourth of row 1 are ignored, as KTAB does. CSV input always runs KTAB's default
    options and the identity ideal adjustment.
SMP XML
    ``<Scenario>`` with ``name``, ``desc``, ``prngSeed``, optional ``<ModelParameters>`` (all
    nine options; KTAB's own names, plus the schema's spellings ``Proportional`` for ``Prop``
    and ``No`` for ``None``), ``<Dimensions>``, ``<Actors>`` and ``<IdealAdjustment>``.
    ``IdealAdjustment`` is required by KTAB 1.4 (``smp/dummyData_3Dim.xml`` lacks it and KTAB
    fails to load it); here a missing element means the identity matrix, i.e. ideals track
    positions as in the CSV case. A blank ``<dCoord>`` (``smpExample.xml``: Alice's first
    coordinate was blanked by a 2017 commit; KTAB silently reads 0.0) is an error unless
    ``blank_value`` supplies a number (the reference run used 52.8).
Excel 2003 XML (SpreadsheetML)
    ``kmodel/dummyData_3Dim.xml`` is the CSV table saved by Excel as XML: a ``<Workbook>``
    whose first worksheet holds the same rows. It is loaded with the CSV rules.
Reform-priority XML
    ``reformpri/reformpri-ex01.xml`` is a different KTAB model (actors value items under a
    budget: ``govBudget``, ``ItemValues``); it has no dimensions, positions or saliences, so it
    is not an SMP scenario and :func:`read_ktab` refuses it with an explanation.

Every mistake raises :class:`~detente.errors.InputError` naming the file, the line and what
is allowed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np

from detente.arrays import ScenarioArrays
from detente.errors import InputError, Problem
from detente.io.ktab_options import OPTION_VALUES

MIN_ACTORS = 3  # KBase::Model::minNumActor
MAX_ACTORS = 250  # KBase::Model::maxNumActor

#: XML element name -> SMPOptions field (detente.models.smp)
XML_OPTIONS = {
    "VictoryProbModel": "victory_prob_model",
    "PCEModel": "pce_model",
    "StateTransitions": "state_transitions",
    "VotingRule": "voting_rule",
    "BigRAdjust": "big_r_adjust",
    "BigRRange": "big_r_range",
    "ThirdPartyCommit": "third_party_commit",
    "InterVecBrgn": "inter_vec_brgn",
    "BargnModel": "bargn_model",
}
#: spellings of smpSchema.xsd that differ from KTAB's enum names
XML_ALIASES = {"Proportional": "Prop", "No": "None"}


@dataclass(frozen=True)
class KTABScenario:
    """A KTAB SMP scenario: arrays plus SMP options read from the file."""

    arrays: ScenarioArrays
    description: str = ""
    options: dict[str, str] = field(default_factory=dict)
    ideal_adjustment: np.ndarray | None = None  # (N, N); None = identity
    seed: int | None = None

    def model_options(self) -> dict[str, Any]:
        """Keyword arguments for ``get_model("smp", ...)``: options and ideal adjustment."""
        out: dict[str, Any] = dict(self.options)
        a = self.ideal_adjustment
        if a is not None and not np.array_equal(a, np.eye(a.shape[0])):
            out["ideal_adjustment"] = tuple(tuple(float(v) for v in row) for row in a)
        return out


def _fail(source: str, message: str, line: int | None = None, field: str | None = None):
    raise InputError(Problem(source=source, message=message, line=line, field=field))


def _number(source: str, text: str, line: int, fld: str, what: str) -> float:
    if not text.strip():
        _fail(source, f"the value is empty; {what}", line, fld)
    try:
        v = float(text.strip())
    except ValueError:
        _fail(source, f"{text.strip()!r} is not a number; {what}", line, fld)
    if not np.isfinite(v):
        _fail(source, f"{text.strip()!r} is not a finite number; {what}", line, fld)
    return v


def _count(source: str, text: str, line: int, fld: str, lo: int, hi: int) -> int:
    what = f"a whole number from {lo} to {hi} is allowed"
    try:
        v = int(text.strip())
    except ValueError:
        _fail(source, f"{text.strip()!r} is not a whole number; {what}", line, fld)
    if not lo <= v <= hi:
        _fail(source, f"{v} is out of range; {what}", line, fld)
    return v


def _table(source: str, rows: list[tuple[int, list[str]]], name: str) -> KTABScenario:
    """Validate KTAB's CSV table (rows with their line numbers) and build the scenario."""
    if len(rows) < 2:
        _fail(
            source,
            "the file ends early; KTAB's layout is a row 'name,description,nActors,nDims', "
            "a header row, then one row per actor",
            rows[-1][0] if rows else 1,
        )
    line, head = rows[0]
    if len(head) < 4:
        _fail(source, f"row 1 has {len(head)} fields; 'name,description,nActors,nDims'", line)
    n_act = _count(source, head[2], line, "nActors", MIN_ACTORS, MAX_ACTORS)
    n_dim = _count(source, head[3], line, "nDims", 1, 1000)
    # fields after the fourth are ignored, as KTAB does (dummyData_6Dim.csv has "0,,,...")
    width = 3 + 2 * n_dim

    def fields(line: int, row: list[str], what: str) -> list[str]:
        while len(row) > width and not row[-1].strip():
            row = row[:-1]  # trailing commas, as KTAB's (and Excel's) files have
        if len(row) != width:
            _fail(
                source,
                f"{what} has {len(row)} fields; {width} are needed for {n_dim} dimension(s) "
                "(name, description, capability, then position and salience per dimension; "
                "trailing empty fields are allowed)",
                line,
            )
        return row

    hline, hdr = rows[1]
    hdr = fields(hline, hdr, "the header row")
    dims = tuple(hdr[3 + 2 * d].strip() or f"dim{d + 1}" for d in range(n_dim))
    actors = rows[2:]
    if len(actors) < n_act:
        _fail(
            source,
            f"row 1 declares {n_act} actors but the file has {len(actors)} actor rows",
            actors[-1][0] if actors else hline,
        )
    if len(actors) > n_act:
        _fail(
            source,
            f"row 1 declares {n_act} actors but there are more actor rows; "
            "fix nActors or remove the extra rows",
            actors[n_act][0],
        )
    names, pos, sal, cap = [], [], [], []
    for a, (ln, row) in enumerate(actors):
        row = fields(ln, row, f"the row of actor {a + 1}")
        nm = row[0].strip()
        if not nm:
            _fail(source, "the actor name is empty; every actor needs a name", ln, "Actor")
        if nm in names:
            _fail(source, f"actor name {nm!r} appears twice; names must be unique", ln, "Actor")
        names.append(nm)
        c = _number(source, row[2], ln, f"{nm}.{hdr[2].strip()}", "a capability > 0 is needed")
        if c <= 0:
            _fail(source, f"capability {c:g} is not positive; a capability > 0 is needed", ln,
                  f"{nm}.{hdr[2].strip()}")  # fmt: skip
        cap.append(c)
        p_row, s_row = [], []
        for d in range(n_dim):
            pf, sf = f"{nm}.{hdr[3 + 2 * d].strip()}", f"{nm}.{hdr[4 + 2 * d].strip()}"
            p = _number(source, row[3 + 2 * d], ln, pf, "a position on 0..100 is allowed")
            if not 0.0 <= p <= 100.0:
                _fail(source, f"position {p:g} is outside 0..100", ln, pf)
            s = _number(source, row[4 + 2 * d], ln, sf, "a salience on 0..100 is allowed")
            if not 0.0 <= s <= 100.0:
                _fail(source, f"salience {s:g} is outside 0..100", ln, sf)
            p_row.append(p)
            s_row.append(s)
        if sum(s_row) > 100.0:
            _fail(
                source,
                f"the saliences of {nm} add up to {sum(s_row):g}; at most 100 is allowed",
                ln,
            )
        if sum(s_row) <= 0.0:
            _fail(source, f"all saliences of {nm} are 0; at least one must be positive", ln)
        pos.append(p_row)
        sal.append(s_row)
    arrays = ScenarioArrays.from_table(
        np.array(pos),
        np.array(sal) / 100.0,
        np.array(cap),
        actor_ids=names,
        issue_ids=list(dims),
        name=head[0].strip() or name,
    )
    return KTABScenario(arrays=arrays, description=head[1].strip())


def read_ktab_csv(path: str | Path) -> KTABScenario:
    """Read a KTAB SMP CSV file (with or without the final commas).

    >>> import tempfile, os
    >>> text = "S,d,3,1,\\nActor,D,Power,P,S,\\na,x,1,10,50,\\nb,y,2,20,50,\\nc,z,3,90,50,\\n"
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write(text)
    >>> sc = read_ktab_csv(f.name); os.unlink(f.name)
    >>> sc.arrays.position[0, :, 0].tolist(), sc.arrays.salience[0, 0, 0].item()
    ([10.0, 20.0, 90.0], 0.5)
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        _fail(source, f"cannot read the file: {e.strerror}")
    except UnicodeDecodeError:
        _fail(source, "the file is not UTF-8 text; save the CSV as UTF-8")
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    start = 1
    for row in reader:
        if any(f.strip() for f in row):
            rows.append((start, row))
        start = reader.line_num + 1
    return _table(source, rows, Path(path).stem)


# ----------------------------------------------------------------------------------------------
# XML with line numbers


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> _Node | None:
        got = self.all(tag)
        return got[0] if got else None


def _parse_xml(source: str) -> _Node:
    """Parse XML into a small tree that keeps line numbers (ElementTree drops them)."""
    try:
        data = Path(source).read_bytes()
    except OSError as e:
        _fail(source, f"cannot read the file: {e.strerror}")
    parser = expat.ParserCreate(namespace_separator="}")
    stack: list[_Node] = []
    root: list[_Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag.split("}")[-1], attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        _fail(source, f"not well-formed XML: {expat.ErrorString(e.code)}", e.lineno)
    return root[0]


def _child(source: str, node: _Node, tag: str, what: str) -> _Node:
    got = node.first(tag)
    if got is None:
        _fail(source, f"<{node.tag}> has no <{tag}>; {what}", node.line, tag)
    return got


def read_smp_xml(path: str | Path, *, blank_value: float | None = None) -> KTABScenario:
    """Read a KTAB SMP XML scenario (see the module docstring).

    ``blank_value`` replaces empty ``<dCoord>``/``<dSal>`` elements (None: they are errors).
    """
    source = str(path)
    root = _parse_xml(source)
    return _smp_from_tree(source, root, blank_value)


def _smp_from_tree(source: str, root: _Node, blank_value: float | None) -> KTABScenario:
    if root.tag != "Scenario":
        _fail(source, f"the root element is <{root.tag}>; an SMP scenario has <Scenario>", 1)
    if root.first("Dimensions") is None and (
        root.first("govBudget") is not None or root.first("orderFactor") is not None
    ):
        _fail(
            source,
            "this is a KTAB reform-priority (RP) scenario (actors value items under a budget); "
            "it has no dimensions, positions or saliences, so it cannot be read as an SMP "
            "scenario, and detente has no reform-priority model",
            root.line,
        )
    name_el = root.first("name")
    desc_el = root.first("desc")
    seed = None
    seed_el = root.first("prngSeed")
    if seed_el is not None and seed_el.text.strip():
        try:
            seed = int(seed_el.text.strip())
        except ValueError:
            _fail(source, "prngSeed must be a whole number", seed_el.line, "prngSeed")

    options: dict[str, str] = {}
    params = root.first("ModelParameters")
    if params is not None:
        for tag, fld in XML_OPTIONS.items():
            el = _child(source, params, tag, "KTAB needs all nine model parameters")
            val = el.text.strip()
            val = XML_ALIASES.get(val, val)
            allowed = OPTION_VALUES[fld]
            if val not in allowed:
                _fail(
                    source,
                    f"{el.text.strip()!r} is not a {tag}; allowed: {', '.join(allowed)}",
                    el.line,
                    f"ModelParameters.{tag}",
                )
            options[fld] = val

    dims_el = _child(source, root, "Dimensions", "at least one <dName> is needed")
    dims = [d.text.strip() for d in dims_el.all("dName")]
    if not dims:
        _fail(source, "<Dimensions> lists no <dName>; at least one is needed", dims_el.line)
    n_dim = len(dims)
    actors_el = _child(source, root, "Actors", f"{MIN_ACTORS} to {MAX_ACTORS} actors are needed")
    actor_els = actors_el.all("Actor")
    if not MIN_ACTORS <= len(actor_els) <= MAX_ACTORS:
        _fail(
            source,
            f"{len(actor_els)} actors; KTAB allows {MIN_ACTORS} to {MAX_ACTORS}",
            actors_el.line,
        )

    def values(a_el: _Node, name: str, group: str, item: str, what: str) -> list[float]:
        g = _child(source, a_el, group, f"{n_dim} <{item}> values are needed")
        items = g.all(item)
        if len(items) != n_dim:
            _fail(
                source,
                f"{name} has {len(items)} <{item}> values; one per dimension ({n_dim}) is needed",
                g.line,
                f"{name}.{group}",
            )
        out = []
        for d, el in enumerate(items):
            fld = f"{name}.{group}[{d + 1}]"
            if not el.text.strip():
                if blank_value is None:
                    _fail(
                        source,
                        f"<{item}> is empty; {what} (KTAB would silently read 0; pass "
                        "blank_value= to fill blanks deliberately)",
                        el.line,
                        fld,
                    )
                v = float(blank_value)
            else:
                v = _number(source, el.text, el.line, fld, what)
            if not 0.0 <= v <= 100.0:
                _fail(source, f"{v:g} is outside 0..100; {what}", el.line, fld)
            out.append(v)
        return out

    names, caps, pos, sal = [], [], [], []
    for a_el in actor_els:
        n_el = _child(source, a_el, "name", "every actor needs a name")
        nm = n_el.text.strip()
        if not nm:
            _fail(source, "the actor name is empty; every actor needs a name", n_el.line, "name")
        if nm in names:
            _fail(source, f"actor name {nm!r} appears twice; names must be unique", n_el.line)
        names.append(nm)
        c_el = _child(source, a_el, "capability", "a capability > 0 is needed")
        c = _number(source, c_el.text, c_el.line, f"{nm}.capability", "a capability > 0")
        if c <= 0:
            _fail(source, f"capability {c:g} is not positive; a capability > 0 is needed",
                  c_el.line, f"{nm}.capability")  # fmt: skip
        caps.append(c)
        pos.append(values(a_el, nm, "Position", "dCoord", "a position on 0..100 is allowed"))
        s = values(a_el, nm, "Salience", "dSal", "a salience on 0..100 is allowed")
        if sum(s) > 100.0:
            _fail(source, f"the saliences of {nm} add up to {sum(s):g}; at most 100 is allowed",
                  a_el.line, f"{nm}.Salience")  # fmt: skip
        if sum(s) <= 0.0:
            _fail(source, f"all saliences of {nm} are 0; at least one must be positive",
                  a_el.line, f"{nm}.Salience")  # fmt: skip
        sal.append(s)

    n_act = len(names)
    acc = np.eye(n_act)
    ia_el = root.first("IdealAdjustment")
    if ia_el is not None:
        for pair in ia_el.all("iaPair"):
            who = []
            for tag in ("adjustingIdeal", "referencePos"):
                el = _child(source, pair, tag, "an actor name is needed")
                if el.text.strip() not in names:
                    _fail(source, f"{el.text.strip()!r} is not an actor; allowed: "
                          f"{', '.join(names)}", el.line, f"IdealAdjustment.{tag}")  # fmt: skip
                who.append(names.index(el.text.strip()))
            adj_el = _child(source, pair, "adjust", "a number in 0..1 is needed")
            v = _number(source, adj_el.text, adj_el.line, "IdealAdjustment.adjust",
                        "a number in 0..1 is allowed")  # fmt: skip
            if not 0.0 <= v <= 1.0:
                _fail(source, f"{v:g} is outside 0..1", adj_el.line, "IdealAdjustment.adjust")
            acc[who[0], who[1]] = v
        over = np.flatnonzero(acc.sum(axis=1) > 1.0 + 1e-10)
        if over.size:
            _fail(
                source,
                f"the adjustments of {names[over[0]]} add up to {acc[over[0]].sum():g} "
                "(the diagonal defaults to 1 unless given); at most 1 is allowed",
                ia_el.line,
                "IdealAdjustment",
            )
    arrays = ScenarioArrays.from_table(
        np.array(pos),
        np.array(sal) / 100.0,
        np.array(caps),
        actor_ids=names,
        issue_ids=dims,
        name=name_el.text.strip() if name_el is not None else Path(source).stem,
    )
    return KTABScenario(
        arrays=arrays,
        description=desc_el.text.strip() if desc_el is not None else "",
        options=options,
        ideal_adjustment=acc,
        seed=seed,
    )


def read_excel_xml(path: str | Path) -> KTABScenario:
    """Read KTAB's CSV table saved as Excel 2003 XML (SpreadsheetML), first worksheet."""
    source = str(path)
    root = _parse_xml(source)
    return _excel_from_tree(source, root)


def _excel_from_tree(source: str, root: _Node) -> KTABScenario:
    sheet = root.first("Worksheet")
    table = sheet.first("Table") if sheet is not None else None
    if table is None:
        _fail(source, "no <Worksheet><Table>; an Excel 2003 XML workbook is expected", root.line)
    rows: list[tuple[int, list[str]]] = []
    for r in table.all("Row"):
        cells: list[str] = []
        for c in r.all("Cell"):
            idx = c.attrs.get("urn:schemas-microsoft-com:office:spreadsheet}Index")
            if idx is not None:  # a skipped run of empty cells
                cells.extend([""] * (int(idx) - 1 - len(cells)))
            data = c.first("Data")
            cells.append(data.text if data is not None else "")
        if any(v.strip() for v in cells):
            rows.append((r.line, cells))
    return _table(source, rows, Path(source).stem)


def read_ktab(path: str | Path, *, blank_value: float | None = None) -> KTABScenario:
    """Read any KTAB SMP input: CSV, SMP XML or Excel 2003 XML (chosen by content)."""
    source = str(path)
    if Path(source).suffix.lower() == ".csv":
        return read_ktab_csv(path)
    root = _parse_xml(source)
    if root.tag == "Workbook":
        return _excel_from_tree(source, root)
    return _smp_from_tree(source, root, blank_value)
