"""Where the shared reference data lives: ``$DETENTE_SHARED``, else ``../shared`` by the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_data(*parts: str) -> Path:
    """Path under the shared data folder; skip the test (with the reason) when it is absent."""
    root = Path(os.environ.get("DETENTE_SHARED", REPO.parent / "shared"))
    path = root.joinpath("data", *parts)
    if not path.exists():
        pytest.skip(f"shared data {path} not found (set DETENTE_SHARED to the shared folder)")
    return path
