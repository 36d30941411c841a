"""Detente ids made from the free-text names other tools use."""

from __future__ import annotations

import re

_ID_BAD = re.compile(r"[^A-Za-z0-9_.\-]+")


def make_id(text: str, taken: set[str], fallback: str = "x") -> str:
    """A detente id (letters, digits, ``_ . -``, starting with a letter) made from free text.

    >>> make_id("Size of Fund", set()), make_id("$10 billion", set()), make_id("A", {"A"})
    ('Size_of_Fund', 'x10_billion', 'A-2')
    """
    base = _ID_BAD.sub("_", text.strip()).strip("_")[:60] or fallback
    if not base[0].isalpha():
        base = (fallback + base)[:60]
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    taken.add(ident)
    return ident
