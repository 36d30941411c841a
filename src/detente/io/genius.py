"""Reader for GENIUS negotiation domains and utility profiles (XML).

GENIUS (TU Delft; the ANAC competitions) describes a negotiation as a *domain* (issues, each with
discrete items or an integer/real range) and one *utility profile* per agent: an additive utility
``U(bid) = sum_i w_i * e_i(bid_i) / max e_i`` with issue weights ``w_i`` and per-item evaluations
``e_i``, plus an optional reservation value and discount factor.

What maps onto detente's spatial scenario, and how (see ``docs/importers.md``):

- a discrete issue becomes a 0..100 scale with one anchor per item, evenly spaced in the domain's
  item order, labelled with the item's value;
- an integer or real issue keeps its own range as the scale, anchored at both bounds;
- an agent's position is its best item (highest evaluation; a linear evaluator's better bound),
  its salience the issue weight x 100, normalised so an agent's weights sum to at most 1;
- capability is equal (1) unless the caller gives capabilities;
- reservation value, discount factor and the UNCERTAIN preference-elicitation settings are kept
  as text for ``meta.description``.

What is refused, with the reason: nonlinear profiles (``hyperRectangle`` constraint regions, which
have no per-issue weight or ideal point), nested objectives, evaluators other than linear or
constant on integer/real issues, and profiles that do not match the domain.

The reader is written from the file format as seen in the GENIUS 10.4 templates; it shares no
code with GENIUS or negmas.
"""

from __future__ import annotations

import math
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NoReturn

from pydantic import BaseModel, ConfigDict

from detente.errors import InputError, Problem
from detente.io.naming import make_id

MAX_BYTES = 20 * 1024 * 1024
_DECL = re.compile(rb"<\?xml[^>]*\?>")


class GeniusOptions(BaseModel):
    """Choices the GENIUS format leaves open; recorded in the converted scenario's description.

    ``ties``: where an agent stands when several items share its highest evaluation (or a linear
    evaluator is flat): ``first`` takes the first such item in the domain's order, ``mean`` the
    mean of their points on the scale. ``duplicate_items``: a profile that lists one item value
    twice (``AMPOvsCity``'s ampo profile does): ``last`` keeps the later evaluation, as a map keyed
    by item value does when read in file order; ``error`` refuses the file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ties: Literal["first", "mean"] = "first"
    duplicate_items: Literal["last", "error"] = "last"


# ------------------------------------------------------------------------------------------
# A small XML tree that remembers line numbers (ElementTree forgets them)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> _Node | None:
        got = self.all(tag)
        return got[0] if got else None


def _fail(source: str, message: str, line: int | None = None, fld: str | None = None) -> NoReturn:
    raise InputError(Problem(source, message, line=line, field=fld))


def _parse_xml(data: bytes, source: str) -> _Node:
    """Parse XML bytes with expat; no DTDs or entities are accepted."""
    if not data.strip():
        _fail(source, "the file is empty; expected a GENIUS XML domain or profile")
    if b"\x00" in data[:4096]:
        _fail(source, "binary file (NUL bytes); expected GENIUS XML text")
    # Some GENIUS templates put a comment before the XML declaration, which XML forbids; the
    # declaration carries nothing we need (the files are UTF-8 or ASCII), so drop it.
    data = _DECL.sub(lambda m: b" " * len(m.group(0)), data, count=1)
    parser = xml.parsers.expat.ParserCreate(encoding="utf-8")
    stack: list[_Node] = []
    roots: list[_Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, dict(attrs), parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    def doctype(*_: object) -> None:
        _fail(
            source, "DOCTYPE declarations are not allowed in GENIUS files", parser.CurrentLineNumber
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        _fail(
            source,
            f"not well-formed XML: {xml.parsers.expat.errors.messages[exc.code]}",
            exc.lineno,
        )
    if not roots:
        _fail(source, "no XML element found")
    return roots[0]


def _read(path: Path) -> _Node:
    source = str(path)
    if not path.exists():
        _fail(source, "no such file")
    if path.is_dir():
        _fail(source, "is a folder; give a GENIUS XML file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        _fail(source, f"file is {size / 1e6:.1f} MB; at most 20 MB is allowed")
    return _parse_xml(path.read_bytes(), source)


def _float(source: str, node: _Node, attr: str, what: str) -> float:
    text = node.attrs.get(attr)
    if text is None:
        _fail(source, f"<{node.tag}> has no {attr!r} attribute; {what}", node.line)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        _fail(source, f"{attr}={text!r} is not a finite number; {what}", node.line)
    return value


def _int(source: str, node: _Node, attr: str) -> int:
    text = node.attrs.get(attr, "")
    try:
        return int(text)
    except ValueError:
        _fail(source, f"<{node.tag}> needs a whole-number {attr!r}, got {text!r}", node.line)


# ------------------------------------------------------------------------------------------
# Domain


@dataclass(frozen=True)
class GeniusIssue:
    """One issue of a GENIUS domain and the detente scale it maps to."""

    index: int
    name: str
    kind: Literal["discrete", "integer", "real"]
    items: tuple[str, ...]  # discrete items in domain order; empty for integer/real
    low: float  # detente scale: 0..100 for discrete, the range's bounds otherwise
    high: float
    line: int

    def points(self) -> list[float]:
        """Scale points of the items, evenly spaced on 0..100 (one item sits at 50)."""
        k = len(self.items)
        if k == 1:
            return [50.0]
        return [round(100.0 * j / (k - 1), 6) for j in range(k)]

    def anchors(self) -> dict[float, str]:
        if self.kind == "discrete":
            return dict(zip(self.points(), self.items, strict=True))
        return {self.low: f"{self.low:g}", self.high: f"{self.high:g}"}


def _objective(source: str, space: _Node) -> _Node:
    objective = space.first("objective")
    if objective is None:
        _fail(source, "<utility_space> has no <objective> holding the issues", space.line)
    if objective.all("objective"):
        _fail(
            source,
            "nested objectives are not imported: detente issues are flat, and a sub-objective's "
            "weight would have to be multiplied into its issues",
            objective.all("objective")[0].line,
        )
    return objective


def _bounds(source: str, node: _Node) -> tuple[float, float]:
    """An integer/real issue's range: ``lowerbound``/``upperbound`` on the issue or on a
    ``<range>`` child (GENIUS writes real issues the second way)."""
    holder = node.first("range") if "lowerbound" not in node.attrs else None
    holder = holder or node
    what = "an integer/real issue needs its range"
    return _float(source, holder, "lowerbound", what), _float(source, holder, "upperbound", what)


def _linear_best(a: float, b: float, lo: float, hi: float, integer: bool) -> tuple[float, float]:
    """The interval of ``[lo, hi]`` where ``clip(a + b x, 0, 1)`` is highest.

    GENIUS clips linear evaluations to 0..1, so a steep evaluator is flat (at 1) over part of
    the range, and every point there is equally best.

    >>> _linear_best(-0.5, 0.05, 10.0, 30.0, True), _linear_best(0.0, 0.05, 0.0, 40.0, True)
    ((30.0, 30.0), (20.0, 40.0))
    """

    def u(x: float) -> float:
        return min(max(a + b * x, 0.0), 1.0)

    if u(lo) == u(hi):
        return lo, hi  # flat, or clipped over the whole range
    if b > 0:
        start = lo if a + b * lo >= 1 else (1 - a) / b
        start = max(lo, min(hi, start))
        if integer:
            start = float(math.ceil(start - 1e-9))
        return (start, hi) if a + b * hi > 1 else (hi, hi)
    end = (1 - a) / b
    end = max(lo, min(hi, end))
    if integer:
        end = float(math.floor(end + 1e-9))
    return (lo, end) if a + b * lo > 1 else (lo, lo)


def _issue_kind(node: _Node) -> str:
    for key in ("type", "etype", "vtype"):
        if key in node.attrs:
            return node.attrs[key].lower()
    return "discrete" if node.all("item") else ""


def read_domain(path: str | Path) -> tuple[list[GeniusIssue], _Node]:
    """Read a GENIUS domain file: a ``negotiation_template`` or a bare ``utility_space``.

    Returns the issues in file order and the root node (its ``agent`` entries name profiles).
    """
    path = Path(path)
    source = str(path)
    root = _read(path)
    if root.tag == "negotiation_template":
        space = root.first("utility_space")
        if space is None:
            _fail(
                source, "<negotiation_template> has no <utility_space> with the issues", root.line
            )
    elif root.tag == "utility_space":
        space = root
        top = root.first("objective")
        if top is not None and top.all("weight"):
            _fail(
                source,
                "this is a utility profile (it has issue weights), not a domain; give the domain "
                "file as the input and the profiles with --profile",
                root.line,
            )
    else:
        _fail(
            source,
            f"root element <{root.tag}> is not a GENIUS domain; expected <negotiation_template> "
            "or <utility_space>",
            root.line,
        )
    objective = _objective(source, space)
    issues: list[GeniusIssue] = []
    seen: dict[int, int] = {}
    for node in objective.all("issue"):
        index = _int(source, node, "index")
        name = node.attrs.get("name", "").strip()
        if not name:
            _fail(source, "an <issue> needs a name", node.line)
        if index in seen:
            _fail(
                source,
                f"issue index {index} appears twice (first on line {seen[index]})",
                node.line,
            )
        seen[index] = node.line
        kind = _issue_kind(node)
        if kind == "discrete":
            items = [i.attrs.get("value", "") for i in node.all("item")]
            if not items:
                _fail(source, f"discrete issue {name!r} has no <item>", node.line)
            dupes = sorted({v for v in items if items.count(v) > 1})
            if dupes:
                _fail(source, f"issue {name!r} lists item {dupes[0]!r} twice", node.line)
            issues.append(GeniusIssue(index, name, "discrete", tuple(items), 0.0, 100.0, node.line))
        elif kind in ("integer", "real"):
            lo, hi = _bounds(source, node)
            if not lo < hi:
                _fail(
                    source,
                    f"issue {name!r}: lowerbound {lo:g} must be below upperbound {hi:g}",
                    node.line,
                )
            issues.append(GeniusIssue(index, name, kind, (), lo, hi, node.line))  # type: ignore[arg-type]
        else:
            _fail(
                source,
                f"issue {name!r} has type {kind or '(none)'!r}; discrete, integer and real issues "
                "are imported",
                node.line,
            )
    if not issues:
        _fail(source, "the domain declares no issues", objective.line)
    return issues, root


# ------------------------------------------------------------------------------------------
# Profiles


@dataclass
class GeniusAgent:
    """One agent's profile mapped to detente numbers (one entry per domain issue)."""

    id: str
    name: str
    source: str
    position: list[float]
    salience: list[float]  # 0..100
    best: list[str]  # label of the best item(s) per issue
    weights: list[float]  # raw GENIUS weights
    evaluations: list[list[float] | None]  # discrete issues: evaluation per item, domain order
    capability: float = 1.0
    reservation: float | None = None
    discount: float | None = None
    uncertain: dict[str, str] | None = None


@dataclass
class GeniusScenario:
    """A GENIUS domain with its profiles, ready for :func:`detente.io.export.to_document`."""

    source: str
    name: str
    issues: list[GeniusIssue]
    agents: list[GeniusAgent]
    options: GeniusOptions
    warnings: list[str] = field(default_factory=list)


def single_peaked(values: list[float]) -> bool:
    """True if ``values`` rise (weakly) to a peak and then fall (weakly).

    >>> single_peaked([5, 7, 9, 1]), single_peaked([12, 1, 7]), single_peaked([3, 3, 1])
    (True, False, True)
    """
    k = 0
    n = len(values)
    while k + 1 < n and values[k + 1] >= values[k]:
        k += 1
    while k + 1 < n and values[k + 1] <= values[k]:
        k += 1
    return k == n - 1


def _best(points: list[float], values: list[float], ties: str) -> tuple[float, list[int]]:
    top = max(values)
    winners = [j for j, v in enumerate(values) if v == top]
    if ties == "first" or len(winners) == 1:
        return points[winners[0]], winners
    return round(sum(points[j] for j in winners) / len(winners), 6), winners


def _profile(
    path: Path,
    actor_id: str,
    actor_name: str,
    issues: list[GeniusIssue],
    options: GeniusOptions,
    warnings: list[str],
) -> GeniusAgent:
    source = str(path)
    root = _read(path)
    if root.tag != "utility_space":
        _fail(
            source,
            f"root element <{root.tag}> is not a GENIUS utility profile <utility_space>",
            root.line,
        )
    kind = root.attrs.get("type", "").strip()
    if kind.lower() == "nonlinear" or (
        root.first("objective") is not None
        and _objective(source, root).first("utility") is not None
    ):
        _fail(
            source,
            "nonlinear GENIUS profile (utility from hyperRectangle constraint regions over several "
            "issues at once) cannot be imported: it has no per-issue weight and no ideal point on "
            "each issue, which detente's spatial models need",
            root.line,
        )
    if kind and kind.upper() not in ("UNCERTAIN", "LINEAR", "ADDITIVE"):
        _fail(
            source,
            f"utility_space type {kind!r} is not imported; linear additive profiles are",
            root.line,
        )
    objective = _objective(source, root)
    by_index: dict[int, _Node] = {}
    for n in objective.all("issue"):
        i = _int(source, n, "index")
        if i in by_index:
            _fail(source, f"issue index {i} appears twice in the profile", n.line)
        by_index[i] = n
    weights_by_index: dict[int, tuple[float, int]] = {}
    for w in objective.all("weight"):
        i = _int(source, w, "index")
        if i in weights_by_index:
            _fail(source, f"a second <weight> for issue index {i}", w.line)
        value = _float(source, w, "value", "a weight is a number >= 0")
        if value < 0:
            _fail(source, f"weight {value:g} of issue index {i} is negative", w.line)
        weights_by_index[i] = (value, w.line)
    known = {i.index for i in issues}
    for i, n in by_index.items():
        if i not in known:
            _fail(
                source,
                f"issue index {i} ({n.attrs.get('name', '')!r}) is not in the domain",
                n.line,
            )
    position: list[float] = []
    best: list[str] = []
    weights: list[float] = []
    evaluations: list[list[float] | None] = []
    for issue in issues:
        node = by_index.get(issue.index)
        if node is None:
            _fail(
                source,
                f"the profile has no entry for issue {issue.name!r} (index {issue.index})",
                objective.line,
            )
        if node.attrs.get("name", issue.name).strip() != issue.name:
            _fail(
                source,
                f"issue index {issue.index} is {node.attrs.get('name')!r} here but {issue.name!r} "
                "in the domain; is this profile for another domain?",
                node.line,
            )
        if issue.index not in weights_by_index:
            _fail(
                source,
                f"no <weight> for issue {issue.name!r} (index {issue.index})",
                objective.line,
            )
        weights.append(weights_by_index[issue.index][0])
        if issue.kind == "discrete":
            evals: dict[str, float] = {}
            for item in node.all("item"):
                value = item.attrs.get("value", "")
                if value not in issue.items:
                    _fail(
                        source,
                        f"item {value!r} of issue {issue.name!r} is not in the domain",
                        item.line,
                    )
                e = _float(source, item, "evaluation", "an item's evaluation is a number >= 0")
                if e < 0:
                    _fail(source, f"evaluation {e:g} of item {value!r} is negative", item.line)
                if value in evals:
                    if options.duplicate_items == "error":
                        _fail(
                            source,
                            f"item {value!r} of issue {issue.name!r} is listed twice; "
                            "duplicate_items=last keeps the later one",
                            item.line,
                        )
                    warnings.append(
                        f"{source}:{item.line}: item {value!r} of {issue.name!r} is listed twice; "
                        f"kept the later evaluation {e:g} (was {evals[value]:g})"
                    )
                evals[value] = e
            missing = [v for v in issue.items if v not in evals]
            if missing:
                _fail(
                    source,
                    f"issue {issue.name!r}: no evaluation for item {missing[0]!r}",
                    node.line,
                )
            values = [evals[v] for v in issue.items]
            x, winners = _best(issue.points(), values, options.ties)
            position.append(x)
            best.append(" / ".join(issue.items[j] for j in winners))
            evaluations.append(values)
            if len(winners) > 1:
                warnings.append(
                    f"{actor_id} on {issue.name!r}: items "
                    f"{', '.join(repr(issue.items[j]) for j in winners)} share the highest "
                    f"evaluation; ties={options.ties} places it at {x:g}"
                )
            if not single_peaked(values):
                warnings.append(
                    f"{actor_id} on {issue.name!r}: evaluations "
                    f"{', '.join(f'{v:g}' for v in values)} are not single-peaked on the item "
                    "order, so distance from its best item misstates what it prefers"
                )
        else:
            ev = node.first("evaluator")
            if ev is None:
                _fail(source, f"{issue.kind} issue {issue.name!r} has no <evaluator>", node.line)
            has_range = "lowerbound" in node.attrs or node.first("range") is not None
            if has_range and _bounds(source, node) != (issue.low, issue.high):
                _fail(
                    source,
                    f"issue {issue.name!r} has range {_bounds(source, node)} here but "
                    f"{(issue.low, issue.high)} in the domain",
                    node.line,
                )
            ftype = ev.attrs.get("ftype", "").lower()
            if ftype == "linear" and issue.kind == "integer":
                # GENIUS EvaluatorInteger: clip(offset + slope * (x - lowerbound), 0, 1)
                what = "an integer issue's linear evaluator has slope and offset"
                slope = _float(source, ev, "slope", what)
                a = _float(source, ev, "offset", what) - slope * issue.low
            elif ftype == "linear":
                # GENIUS EvaluatorReal: clip(parameter1 * x + parameter0, 0, 1)
                what = "a real issue's linear evaluator has parameter0 and parameter1"
                slope = _float(source, ev, "parameter1", what)
                a = _float(source, ev, "parameter0", what)
            elif ftype == "constant":
                slope, a = 0.0, 0.0
            else:
                _fail(
                    source,
                    f"evaluator ftype {ftype or '(none)'!r} on issue {issue.name!r} is not "
                    "imported; linear and constant evaluators are",
                    ev.line,
                )
            top = _linear_best(a, slope, issue.low, issue.high, issue.kind == "integer")
            x = top[0] if options.ties == "first" else (top[0] + top[1]) / 2
            if top[0] < top[1]:
                warnings.append(
                    f"{actor_id} on {issue.name!r}: every value from {top[0]:g} to {top[1]:g} "
                    f"is equally best; ties={options.ties} places it at {x:g}"
                )
                best.append(f"{top[0]:g} to {top[1]:g}")
            else:
                best.append(f"{x:g}")
            position.append(x)
            evaluations.append(None)
    total = sum(weights)
    if total <= 0:
        _fail(source, "all issue weights are 0; at least one must be positive", objective.line)
    scale = max(1.0, total)  # like KTAB: an actor's saliences sum to at most 100
    salience = [round(100.0 * w / scale, 9) for w in weights]
    agent = GeniusAgent(
        actor_id, actor_name, source, position, salience, best, weights, evaluations
    )
    for tag in ("reservation", "discount_factor"):
        node = root.first(tag) or objective.first(tag)
        if node is not None:
            v = _float(source, node, "value", f"<{tag}> holds a number")
            if tag == "reservation":
                agent.reservation = v
            else:
                agent.discount = v
    if kind.upper() == "UNCERTAIN":
        found = {
            tag: root.first(tag) for tag in ("comparisons", "errors", "fixed_seed", "experimental")
        }
        agent.uncertain = {tag: n.text.strip() if n is not None else "" for tag, n in found.items()}
    return agent


def find_profiles(domain: Path, root: _Node) -> list[tuple[Path, str]]:
    """Profiles beside a domain: the template's agents' files if they exist, else every other XML
    file in the folder whose root is ``<utility_space>`` (sorted by name)."""
    named = []
    for agent in root.all("agent"):
        ref = agent.attrs.get("utility_space", "").strip()
        if ref and (domain.parent / ref).is_file():
            named.append(
                (domain.parent / ref, agent.attrs.get("name", "").strip() or Path(ref).stem)
            )
    if named:
        return named
    found = []
    for p in sorted(domain.parent.glob("*.xml")):
        if p.resolve() == domain.resolve():
            continue
        with p.open("rb") as fh:
            head = fh.read(4096)
        head = re.sub(rb"<!--.*?-->|<\?.*?\?>", b"", head, flags=re.S).lstrip()
        if head.startswith(b"<utility_space"):
            found.append((p, p.stem))
    return found


def read_genius(
    domain: str | Path,
    profiles: list[str | Path] | None = None,
    *,
    options: GeniusOptions | None = None,
    capabilities: dict[str, float] | None = None,
) -> GeniusScenario:
    """Read a GENIUS domain and its agents' profiles.

    Parameters
    ----------
    domain
        The domain XML (``negotiation_template`` or a ``utility_space`` without weights).
    profiles
        Profile XML files, one per agent; by default those found beside the domain
        (:func:`find_profiles`).
    options
        :class:`GeniusOptions` (ties, duplicate items).
    capabilities
        Capability per agent (by id, name or file stem); agents not named get 1.

    Returns
    -------
    GeniusScenario
        Issues, one :class:`GeniusAgent` per profile, and warnings (ties, evaluations that are
        not single-peaked on the item order, duplicate items).

    Raises
    ------
    InputError
        On malformed XML, a profile that does not match the domain, or a profile that does not
        map onto a spatial scenario (nonlinear, nested objectives, unsupported evaluators).
    """
    options = options or GeniusOptions()
    path = Path(domain)
    issues, root = read_domain(path)
    if profiles:
        pairs = [(Path(p), Path(p).stem) for p in profiles]
    else:
        pairs = find_profiles(path, root)
        if not pairs:
            _fail(
                str(path),
                "no utility profiles found beside the domain; give them with --profile FILE "
                "(one per agent)",
            )
    warnings: list[str] = []
    taken: set[str] = set()
    agents = []
    for p, label in pairs:
        ident = make_id(label, taken, fallback="agent")
        agents.append(_profile(p, ident, label, issues, options, warnings))
    caps = dict(capabilities or {})
    for key, value in caps.items():
        match = [a for a in agents if key in (a.id, a.name, Path(a.source).stem)]
        if not match:
            known = ", ".join(a.id for a in agents)
            _fail("--capability", f"no agent {key!r}; agents: {known}")
        if not value >= 0 or value == float("inf"):
            _fail(
                "--capability", f"capability of {key!r} must be a finite number >= 0, got {value}"
            )
        for a in match:
            a.capability = float(value)
    name = path.stem.removesuffix("_domain").removesuffix("-domain")
    return GeniusScenario(str(path), name, issues, agents, options, warnings)
