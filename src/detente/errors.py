"""User-facing errors.

Every mistake a user can make in an input ends as an :class:`InputError`. The CLI prints its
one-line message to stderr and exits with status 2; it never shows a traceback for these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# characters that would break the one-line message or the terminal: C0/C1 controls (newline,
# carriage return, escape, NEL), line and paragraph separators, and lone surrogates (bytes of a
# non-UTF-8 file name, which no UTF-8 stream can print)
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    r"""``text`` with every unprintable character written as a Python escape.

    >>> printable("a\nb\x1b[31m")
    'a\\nb\\x1b[31m'
    """
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return repr(ch)[1:-1] if code < 0xD800 else f"\\u{code:04x}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is allowed.

    ``source`` is the file (or bundled scenario name), ``line`` a 1-based line number when known,
    ``field`` a dotted path inside the document, ``message`` what is wrong and what is allowed.
    """

    source: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.field:
            text += f"{self.field}: "
        return printable(text + self.message)


class InputError(Exception):
    """A user's input is wrong. Carries one or more :class:`Problem` s."""

    def __init__(self, problems: list[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self.problems[0]))

    @property
    def first_line(self) -> str:
        """The single line the CLI prints: the first problem, plus a count of the others."""
        line = str(self.problems[0])  # already one line: see printable()
        extra = len(self.problems) - 1
        if extra:
            line += f" (and {extra} more problem{'s' if extra > 1 else ''}; run `detente validate`)"
        return line
