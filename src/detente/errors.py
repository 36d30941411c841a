"""User-facing errors.

Every mistake a user can make in an input ends as an :class:`InputError`. The CLI prints its
one-line message to stderr and exits with status 2; it never shows a traceback for these.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        return text + self.message


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
        line = str(self.problems[0]).replace("\n", " ")
        extra = len(self.problems) - 1
        if extra:
            line += f" (and {extra} more problem{'s' if extra > 1 else ''}; run `detente validate`)"
        return line
