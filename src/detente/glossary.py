"""The glossary: one file, ``glossary.md`` beside this module, read at run time.

``detente explain`` and the report's Glossary section both read it, so a definition is written
once. The file's format: ``## Section`` headings, one ``### term`` heading per entry, an optional
``Also:`` line listing other spellings in backticks, then the definition.

>>> entry = lookup("p(esc)")[0]
>>> entry.term, entry.section
('P(escalation)', 'Outcome: how the talks end')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

#: Sections of commands and options: part of ``detente explain``, left out of the report.
CLI_SECTIONS = ("Commands", "Options and arguments")


@dataclass(frozen=True)
class Entry:
    """One glossary entry.

    Attributes
    ----------
    term
        The term as its heading spells it.
    aliases
        Other spellings of the same term (the ``Also:`` line).
    section
        The ``##`` section the entry is in.
    text
        The definition: paragraphs separated by blank lines, lines of a paragraph joined.
    """

    term: str
    aliases: tuple[str, ...]
    section: str
    text: str

    @property
    def names(self) -> tuple[str, ...]:
        """The term and its aliases."""
        return (self.term, *self.aliases)


def normalise(term: str) -> str:
    """A term's comparison key: case, backticks, spacing and a leading article ignored.

    Words in capitals only (``INPUT``, ``MAE``) keep their case: ``INPUT`` is not ``input``.

    >>> normalise("  `The  Acceptable Range` "), normalise("INPUT")
    ('acceptable range', 'INPUT')
    """
    key = " ".join(term.replace("`", "").split())
    if re.fullmatch(r"[A-Z][A-Z_]+", key):  # a metavar or abbreviation: INPUT is not input
        return key
    return re.sub(r"^(?:the |a |an )", "", key.casefold())


def parse(text: str) -> list[Entry]:
    """The entries of a glossary file's text, in file order.

    >>> [e.term for e in parse("## S\\n### x\\nAlso: `y`\\n\\nAn x.\\n### z\\nA z.\\n")]
    ['x', 'z']
    """
    entries: list[Entry] = []
    section = ""
    term: str | None = None
    aliases: tuple[str, ...] = ()
    body: list[str] = []

    def flush() -> None:
        if term is not None:
            paragraphs = re.split(r"\n\s*\n", "\n".join(body).strip())
            joined = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
            entries.append(Entry(term, aliases, section, joined))

    for line in text.splitlines():
        if line.startswith("### "):
            flush()
            term, aliases, body = line[4:].strip(), (), []
        elif line.startswith("## "):
            flush()
            section, term, aliases, body = line[3:].strip(), None, (), []
        elif term is not None and line.startswith("Also:") and not body:
            aliases = tuple(re.findall(r"`([^`]+)`", line))
        elif term is not None:
            body.append(line)
    flush()
    return entries


@cache
def entries() -> tuple[Entry, ...]:
    """Every entry of the shipped glossary (read once per process)."""
    return tuple(parse((files("detente") / "glossary.md").read_text(encoding="utf-8")))


def lookup(query: str) -> list[Entry]:
    """Entries for ``query``: the one whose term or alias it is, else those that contain it.

    Parameters
    ----------
    query
        A term as printed by any command, an option (``--samples`` or ``samples``) or a
        command (``detente forecast`` or ``forecast``).

    Returns
    -------
    list of Entry
        One entry on an exact match (case and spacing ignored); otherwise every entry whose
        term or alias contains the query, in file order; empty when nothing matches.
    """
    key = normalise(query)
    if not key:
        return []
    # as written, then as a command (``forecast``) or an option without dashes (``samples``)
    for candidate in (key, f"detente {key}", f"--{key}", normalise(query.upper())):
        exact = [e for e in entries() if candidate in {normalise(n) for n in e.names}]
        if exact:
            return exact[:1]
    low = key.casefold()
    return [e for e in entries() if any(low in normalise(n).casefold() for n in e.names)]


def known(term: str) -> bool:
    """Whether ``term`` is a term or alias of some entry (case and spacing ignored)."""
    key = normalise(term)
    return any(key == normalise(n) for e in entries() for n in e.names)


def report_entries() -> list[Entry]:
    """The entries a report carries: every one but the commands and options."""
    return [e for e in entries() if e.section not in CLI_SECTIONS]
