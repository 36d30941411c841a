"""Progress on stderr for the slow commands, shown only when stderr is a terminal.

The analyses report progress through an optional callback, ``progress(done, total)``: ``done``
steps of ``total`` are finished (``total`` may change as a run learns how much work it has). The
commands pass :func:`stderr_progress`'s callback, which draws a rich progress bar on stderr when
stderr is a terminal and is ``None`` otherwise, so that piped and redirected output, stdout and
stderr alike, stays byte-identical to a run without progress (issue 20).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

#: What the analyses call: ``progress(done, total)``.
Progress = Callable[[int, int], None]


def wanted(show: bool | None = None) -> bool:
    """Whether to draw progress: ``show`` if given, else whether stderr is a terminal."""
    if show is not None:
        return show
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stderr
        return False


@contextlib.contextmanager
def stderr_progress(description: str, show: bool | None = None) -> Iterator[Progress | None]:
    """A progress bar on stderr for the block, and its callback (None: no terminal, no bar).

    Parameters
    ----------
    description
        What is being done, shown left of the bar (``"crisis: Monte Carlo"``).
    show
        Draw the bar (True), never (False), or only when stderr is a terminal (None).

    Yields
    ------
    callable or None
        ``progress(done, total)`` to pass to an analysis, or None when nothing is drawn.
    """
    if not wanted(show):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
