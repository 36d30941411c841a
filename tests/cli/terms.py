"""The terms a reader meets in detente's outputs, pulled from the outputs themselves.

Used by the glossary test: every term found here must have an entry in the glossary
(``src/detente/glossary.md``). The rules are structural, not a list of words: column headers of
tables (rich, Markdown, HTML), labels that open a line (``Label:`` or ``Label (...):``), labels
inside parentheses (``(pivotal member: ...)``), probabilities written ``P(...)``, units after a
number (``1.15 in scale widths``), the components an advice is broken into (``through X +0.01``)
and abbreviations (words with two capitals, such as ``dEU`` or ``MAE``). Names that come from the
scenario (actor, issue, form ids, words of its text) and model names are not terms.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable

_LABEL = re.compile(
    r"^\s*(?:[-*]\s+)?([A-Za-z][A-Za-z'’ |/-]*?)"  # the label
    r"((?:\s\([^()]*\))*)(?:\s+in the form \S+)?:\s"  # asides in brackets, a form
)
_INLINE_LABEL = re.compile(r"\(([a-z][a-z']* [a-z' ]{1,30}): ")
_PROB = re.compile(r"P\((?:[^()]|\([^()]*\))*\)")
_UNIT = re.compile(r"\d in ([a-z][a-z -]{2,30}?)[),.;]")
_THROUGH = re.compile(r"; through (.+)$")
_ABBREV = re.compile(r"(?<![\w.-])(?=[A-Za-z]*[A-Z][a-z]*[A-Z])[A-Za-z]{2,8}(?![\w-])")
MAX_LABEL_WORDS = 8


def rich_headers(text: str) -> list[str]:
    """Column headers of the rich tables in a text (cells of a header that wraps are joined)."""
    out: list[str] = []
    rows: list[list[str]] | None = None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("┏"):
            rows = []
        elif s.startswith("┡") and rows is not None:
            cols = zip(*rows, strict=False) if rows else []
            out += [" ".join(c.strip() for c in col if c.strip()) for col in cols]
            rows = None
        elif rows is not None and s.startswith("┃"):
            rows.append(s.strip("┃").split("┃"))
    return [h for h in out if h]


def markdown_headers(text: str) -> list[str]:
    """Header cells of Markdown tables and the section titles."""
    lines = text.splitlines()
    out = []
    for a, b in itertools.pairwise(lines):
        if a.startswith("|") and b.startswith("|---"):
            out += [c.strip() for c in re.split(r"(?<!\\)\|", a.strip().strip("|"))]
    return [h.replace("\\|", "|") for h in out if h]


def html_headers(text: str) -> list[str]:
    """Table headers and definition-list terms of an HTML report."""
    cells = re.findall(r"<th[^>]*>(.*?)</th>", text, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells if c.strip()]


def labels(text: str) -> list[str]:
    """``Label:`` at the start of a line (parenthesised asides dropped) and ``(label: ...)``."""
    out = []
    for line in text.splitlines():
        m = None if re.match(r"\s*\d+\. ", line) else _LABEL.match(line)  # a numbered item
        if m and len(m.group(1).split()) <= MAX_LABEL_WORDS:
            out.append(m.group(1))
        out += _INLINE_LABEL.findall(line)
    return out


def jargon(text: str) -> list[str]:
    """``P(...)``, units after numbers, advice components and abbreviations in running text."""
    out = _PROB.findall(text) + _UNIT.findall(text) + _ABBREV.findall(text)
    for line in text.splitlines():
        m = _THROUGH.search(line)
        if m:
            out += [re.sub(r"\s*[+-]\d.*$", "", part).strip() for part in m.group(1).split(", ")]
    return out


def report_body(text: str) -> str:
    """A report without its glossary, sources and rationales (which define or quote, not use)."""
    for mark in ("<h2>Glossary", "\n## Glossary"):
        if mark in text:
            text = text.split(mark, 1)[0]
    return text


def terms(text: str, *, names: Iterable[str] = ()) -> set[str]:
    """Every term of one output.

    ``names`` (ids and names from the scenario, model names and variants) are not terms: a
    term that is a name is dropped, and names at either end of a term are cut off
    (``Package compromise``, ``slot2 MAE``). Numbers inside ``P(...)`` read as ``x``
    (``P(ratio <= x)``); model specs with options (``bdm:variant=scholz``) are names.
    """
    text = report_body(text)
    found = rich_headers(text) + markdown_headers(text)
    if "<html" in text[:200].lower():
        # headers and running text; the labels are the Markdown report's (same text)
        found += html_headers(text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    else:
        found += labels(text)
    # a metavar after an option (--png DIR) is the option's, not a term
    found += jargon(re.sub(r"--[a-z-]+ [A-Z]+\b", "", text.replace("\\|", "|")))
    skip = {n.casefold() for n in names}
    multi = sorted((n for n in skip if " " in n), key=len, reverse=True)
    out = set()
    for term in found:
        term = " ".join(term.replace("\\|", "|").split()).strip(" -|")
        if term.startswith("P("):
            term = re.sub(r"\d+(?:\.\d+)?", "x", term)
        for n in multi:  # a multi-word name opening the term (a form's name)
            if term.casefold().startswith(n + " "):
                term = term[len(n) + 1 :]
        words = term.split()
        while words and words[0].casefold() in skip:
            words.pop(0)
        while words and words[-1].casefold() in skip:
            words.pop()
        term = " ".join(words)
        if (
            not term
            or term.casefold() in skip
            or re.fullmatch(r"[\d.%+-]+|[IVX]+|[a-z0-9_]+:[\w.=,/-]+", term)
        ):
            continue
        out.add(term)
    return out
