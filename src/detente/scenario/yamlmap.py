"""Safe YAML parsing that remembers the line of every value.

PyYAML's ``safe_load`` forgets where values came from, and silently keeps the last of two equal
keys. Scenario errors must name the line, so we compose the node graph with the safe loader (no
code ever runs), convert it ourselves, and record ``path -> line`` for every node.
"""

from __future__ import annotations

from typing import Any

import yaml

from detente.errors import InputError, Problem

Path = tuple[str | int, ...]

# libyaml's composer when PyYAML was built with it (5x faster on the default scenario); both are
# safe loaders: composing builds nodes only, and we construct plain values ourselves
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 2_000_000  # guards against alias bombs ("billion laughs")
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _Converter:
    def __init__(self, source: str):
        self.source = source
        self.lines: dict[Path, int] = {}
        self.loader = yaml.SafeLoader("")
        self.count = 0

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
        self.lines.setdefault(path, node.start_mark.line + 1)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise InputError(
                Problem(
                    self.source,
                    f"YAML tag {node.tag!r} is not allowed; a "
                    "scenario holds plain mappings, lists and values",
                    line=node.start_mark.line + 1,
                    field=_dotted(path) or None,
                )
            )
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if isinstance(key, list | dict):
                    raise InputError(
                        Problem(
                            self.source,
                            "a mapping key must be a plain value",
                            line=key_node.start_mark.line + 1,
                        )
                    )
                if key in out:
                    raise InputError(
                        Problem(
                            self.source,
                            f"duplicate key {key!r} (first on line {self.lines[(*path, key)]}); "
                            "each key may appear once",
                            line=key_node.start_mark.line + 1,
                            field=_dotted((*path, key)),
                        )
                    )
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.convert(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(v, (*path, n)) for n, v in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


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


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """Parse YAML text safely; return the document and the line of every path in it."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_COMPOSER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "syntax error"
        line = mark.line + 1 if mark is not None else None
        raise InputError(Problem(source, f"YAML syntax error: {what}", line=line)) from None
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
                line=nodes[1].start_mark.line + 1,
            )
        )
    conv = _Converter(source)
    try:
        doc = conv.convert(nodes[0], ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise InputError(
            Problem(source, f"YAML error: {exc.problem}", line=mark.line + 1 if mark else None)
        ) from None
    except RecursionError:
        raise InputError(Problem(source, "YAML nesting is too deep")) from None
    return doc, conv.lines
