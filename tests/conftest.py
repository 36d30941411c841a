"""Suite-wide hooks: the ``needs_shared`` marker, routed through :mod:`tests._require`."""

from __future__ import annotations

import os

import pytest

# a kernel not compiled yet is compiled in the test itself (not on NumPy while a background
# process compiles it, as in a command: detente.models._numba), so that the tests of the
# compiled paths run them; the CLI tests' child processes inherit it
os.environ.setdefault("DETENTE_COMPILE", "now")

from tests import _require


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_shared(*parts): the test reads this path under the shared folder; it skips when "
        "the path is absent, and fails instead under CI=true",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the README's Quickstart in a child process when a collected test needs it: it takes
    about a minute, which then runs on the other CPU meanwhile (``tests/cli/quickstart.py``)."""
    if session.config.option.collectonly:
        return
    if any("quickstart" in getattr(item, "fixturenames", ()) for item in session.items):
        from tests.cli.quickstart import start_in_background

        session.config.quickstart_background = start_in_background()  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    bg = getattr(config, "quickstart_background", None)
    if bg is not None:
        from tests.cli.quickstart import discard

        discard(bg)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_shared"):
        _require.shared(*mark.args)
