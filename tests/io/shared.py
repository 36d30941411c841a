"""Where the shared reference data lives: ``$DETENTE_SHARED``, else ``../shared`` by the repo."""

from __future__ import annotations

from pathlib import Path

from tests import _require

REPO = _require.REPO


def shared_data(*parts: str) -> Path:
    """Path under the shared data folder; skip the test when absent (fail under ``CI=true``)."""
    return _require.shared("data", *parts)
