"""Safe YAML parsing that remembers the line of every value.

PyYAML's ``safe_load`` forgets where values came from, and silently keeps the last of two equal
keys. Scenario errors must name the line, so we compose the node graph with the safe loader (no
code ever runs), convert it ourselves, and record ``path -> line`` for every node.

Plain scalars are read by the YAML 1.2 core schema, not PyYAML's YAML 1.1 rules: ``010`` is ten
(not octal 8), ``1:30`` is text (not sexagesimal 90), ``NO``, ``ON`` and ``yes`` are text (only
``true``/``false`` are booleans), ``1e3`` is a number, and dates stay text for the schema to
parse. JSON is then read exactly as JSON (a JSON file is a YAML 1.2 document).
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import yaml
import yaml.resolver

from detente.errors import InputError, Problem

Path = tuple[str | int, ...]

MAX_NODES = 2_000_000  # values after aliases are expanded: guards against "billion laughs"
MAX_EVENTS = 1_000_000  # nodes as written, counted while streaming, before any is composed
MAX_DIGITS = 100  # longer integers are far beyond any bound (and int() refuses > 4300 digits)
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_TAG = "tag:yaml.org,2002:"
_SURROGATE = re.compile("[\ud800-\udfff]")


class _CoreResolver(yaml.resolver.BaseResolver):
    """Implicit tags of the YAML 1.2 core schema (plus ``<<`` merge keys, which PyYAML expands)."""


for _tag, _pattern, _first in (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("merge", r"<<", "<"),
):
    _CoreResolver.add_implicit_resolver(_TAG + _tag, re.compile(f"^(?:{_pattern})$"), list(_first))


try:  # libyaml's parser when PyYAML was built with it (10x faster than the pure-Python one)
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _Parser = None


# composing builds nodes only (no code ever runs), and we construct plain values ourselves
if _Parser is not None:

    class _Composer(_Parser, yaml.constructor.SafeConstructor, _CoreResolver):  # type: ignore[misc,valid-type]
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _CoreResolver.__init__(self)

else:  # pragma: no cover - PyYAML without libyaml

    class _Composer(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        yaml.constructor.SafeConstructor,
        _CoreResolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            _CoreResolver.__init__(self)


class _Lines:
    """Line numbers as an editor counts them (LF, CRLF or CR end a line).

    PyYAML also ends lines at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, which YAML 1.2 and
    editors do not; the character index of a mark is exact, so lines are counted from it.
    """

    def __init__(self, text: str):
        self.ends = [m.start() for m in re.finditer(r"\r\n?|\n", text)]

    def of(self, mark: Any) -> int | None:
        if mark is None:
            return None
        return bisect.bisect_left(self.ends, mark.index) + 1


class _Converter:
    def __init__(self, source: str, lines: _Lines):
        self.source = source
        self.where = lines
        self.lines: dict[Path, int] = {}
        self.loader = _Composer("")
        self.count = 0

    def line(self, node: yaml.Node) -> int | None:
        return self.where.of(node.start_mark)

    def convert(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise InputError(
                Problem(
                    self.source,
                    "too many YAML nodes (aliases expanding?); "
                    f"at most {MAX_NODES:,} values are allowed",
                )
            )
        line = self.line(node)
        if line is not None:
            self.lines.setdefault(path, line)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if node.tag not in _PLAIN_TAGS:
            raise self.bad_tag(node, path)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        return [self.convert(v, (*path, n)) for n, v in enumerate(node.value)]

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        # flatten_mapping puts the pairs of merged mappings (``<<: *base``) first; a key given
        # explicitly overrides a merged one, as YAML's merge key defines, and is no duplicate.
        # An aliased mapping is flattened once; its count of merged pairs is kept on the node.
        merged = getattr(node, "_merged_pairs", None)
        if merged is None:
            own = sum(1 for k, _ in node.value if k.tag == _TAG + "merge")
            rest = len(node.value) - own
            self.loader.flatten_mapping(node)
            merged = len(node.value) - rest
            node._merged_pairs = merged  # type: ignore[attr-defined]
        out: dict[Any, Any] = {}
        explicit: set[Any] = set()
        for n, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError(
                    Problem(
                        self.source,
                        "a mapping key must be a plain value, not a list or mapping",
                        line=self.line(key_node),
                        field=_dotted(path) or None,
                    )
                )
            key = self.scalar(key_node, path)
            if key in explicit:
                raise InputError(
                    Problem(
                        self.source,
                        f"duplicate key {key!r} (first on line {self.lines[(*path, key)]}); "
                        "each key may appear once",
                        line=self.line(key_node),
                        field=_dotted((*path, key)),
                    )
                )
            if n >= merged:
                explicit.add(key)
            line = self.line(key_node)
            if line is not None:
                self.lines[(*path, key)] = line
            out[key] = self.convert(value_node, (*path, key))
        return out

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        """A scalar's value under the YAML 1.2 core schema (see the module docstring)."""
        tag, text = node.tag, node.value
        if _SURROGATE.search(text):  # "\ud800" alone: no character, and no UTF-8 can print it
            raise InputError(
                Problem(
                    self.source,
                    "text holds an unpaired surrogate escape (\\ud800-\\udfff); write the "
                    "character itself or a full surrogate pair",
                    line=self.line(node),
                    field=_dotted(path) or None,
                )
            )
        if tag == _TAG + "str":
            return text
        if tag == _TAG + "null" and re.fullmatch(r"~|null|Null|NULL|", text):
            return None
        if tag == _TAG + "bool" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if tag == _TAG + "int" and re.fullmatch(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", text):
            if len(text) > MAX_DIGITS:
                raise InputError(
                    Problem(
                        self.source,
                        f"a number with {len(text)} digits is too large; numbers lie between "
                        "-1e12 and 1e12",
                        line=self.line(node),
                        field=_dotted(path) or None,
                    )
                )
            if text.startswith(("0o", "0x")):
                return int(text[2:], 8 if text[1] == "o" else 16)
            return int(text, 10)
        if tag == _TAG + "float":
            low = text.lower()
            if low in (".inf", "+.inf", "-.inf"):
                return float(low.replace(".", ""))
            if low == ".nan":
                return float("nan")
            try:
                return float(text)
            except ValueError:
                pass
        raise self.bad_tag(node, path)

    def bad_tag(self, node: yaml.Node, path: Path) -> InputError:
        return InputError(
            Problem(
                self.source,
                f"YAML tag {node.tag!r} is not allowed here; a scenario holds plain "
                "mappings, lists, text, numbers, true/false and null",
                line=self.line(node),
                field=_dotted(path) or None,
            )
        )


def _dotted(path: Path) -> str:
    text = ""
    for p in path:
        if isinstance(p, int):
            text += f"[{p}]"
        else:
            text += ("." if text else "") + str(p)
    return text


def dotted(path: Path) -> str:
    """``("stances", 3, "salience")`` -> ``"stances[3].salience"``."""
    return _dotted(path)


_NODE_EVENTS = (
    yaml.ScalarEvent,
    yaml.AliasEvent,
    yaml.MappingStartEvent,
    yaml.SequenceStartEvent,
)


def _count_nodes(text: str, source: str, lines: _Lines) -> None:
    """Refuse a document of more than MAX_EVENTS nodes while streaming its parse events.

    Composing builds every node at once (about 600 bytes each); counting the events first keeps
    the memory of a refused file small, whatever its size.
    """
    count = 0
    for event in yaml.parse(text, Loader=_Composer):
        if isinstance(event, _NODE_EVENTS):
            count += 1
            if count > MAX_EVENTS:
                raise InputError(
                    Problem(
                        source,
                        f"more than {MAX_EVENTS:,} YAML values; a scenario holds fewer "
                        "(see the limits in the README)",
                        line=lines.of(event.start_mark),
                    )
                )


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """Parse YAML text safely; return the document and the line of every path in it."""
    text = _json_surrogates(text)
    lines = _Lines(text)
    try:
        _count_nodes(text, source, lines)
        nodes = list(yaml.compose_all(text, Loader=_Composer))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "syntax error"
        raise InputError(
            Problem(source, f"YAML syntax error: {what}", line=lines.of(mark))
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(source, f"YAML error: {exc}")) from None
    except RecursionError:
        raise InputError(Problem(source, "YAML nesting is too deep")) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise InputError(
            Problem(
                source,
                "the file holds no YAML document; expected a scenario "
                "mapping with meta, actors, issues and stances",
            )
        )
    if len(nodes) > 1:
        raise InputError(
            Problem(
                source,
                "the file holds several YAML documents ('---'); one scenario per file",
                line=lines.of(nodes[1].start_mark),
            )
        )
    conv = _Converter(source, lines)
    try:
        doc = conv.convert(nodes[0], ())
    except yaml.MarkedYAMLError as exc:  # e.g. a merge key whose value is not a mapping
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "error"
        raise InputError(Problem(source, f"YAML error: {what}", line=lines.of(mark))) from None
    except RecursionError:
        raise InputError(Problem(source, "YAML nesting is too deep")) from None
    return doc, conv.lines


# a JSON string escapes a character beyond U+FFFF as a surrogate pair ("\ud83d\ude00"), which
# YAML's "\u" escape cannot express; YAML writes it as one "\U0001f600" escape instead. An even
# run of backslashes before the "\u" means the backslash itself was escaped.
_PAIR = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
)


def _json_surrogates(text: str) -> str:
    """JSON text with its surrogate-pair escapes joined; any other text unchanged.

    Only a document that starts as JSON does (``{`` or ``[``) is touched: there every string is
    double-quoted, while in YAML's plain or single-quoted text ``\\u`` is not an escape.
    """
    if "\\u" not in text or not text.lstrip("\ufeff \t\r\n").startswith(("{", "[")):
        return text

    def join(m: re.Match[str]) -> str:
        hi, lo = int(m.group(2), 16), int(m.group(3), 16)
        code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        return f"{m.group(1)}\\U{code:08x}"

    # the replacement keeps the text on the same line, so line numbers do not move
    return _PAIR.sub(join, text)
