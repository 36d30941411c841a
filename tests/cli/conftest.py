"""Fixtures of the command-line tests."""

from __future__ import annotations

import pytest

from tests.cli import quickstart as qs


@pytest.fixture(scope="session")
def quickstart(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> qs.Quickstart:
    """The README's Quickstart, run once per session in a fresh folder (its files kept).

    Collected from the process ``tests/conftest.py`` started after collection, which ran it
    while the earlier tests ran; run here, in this process, when there is none.
    """
    bg = getattr(request.config, "quickstart_background", None)
    if bg is not None:
        return qs.collect(bg)
    folder = tmp_path_factory.mktemp("quickstart")
    return qs.Quickstart(folder, qs.run_quickstart(folder))
