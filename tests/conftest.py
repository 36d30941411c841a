"""Suite-wide hooks: the ``needs_shared`` marker, routed through :mod:`tests._require`."""

from __future__ import annotations

import pytest

from tests import _require


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_shared(*parts): the test reads this path under the shared folder; it skips when "
        "the path is absent, and fails instead under CI=true",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_shared"):
        _require.shared(*mark.args)
