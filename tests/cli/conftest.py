"""Fixtures of the command-line tests."""

from __future__ import annotations

import pytest

from tests.cli.quickstart import Quickstart, run_quickstart


@pytest.fixture(scope="session")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Quickstart:
    """The README's Quickstart, run once per session in a fresh folder (its files kept)."""
    folder = tmp_path_factory.mktemp("quickstart")
    return Quickstart(folder, run_quickstart(folder))
