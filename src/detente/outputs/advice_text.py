"""Wording shared by every renderer of an advice result (CLI, report, workbench)."""

from __future__ import annotations

from typing import Any


def pivotal_name(pivotal: dict[str, Any]) -> str:
    """The pivotal issue as the outputs name it.

    Where even the largest change is below the minimum practical effect
    (``pivotal["pivotal"]`` false), no issue is pivotal, and the name says so with the issue of
    the largest (negligible) change.

    >>> pivotal_name({"issue": "enlargement", "pivotal": True})
    'enlargement'
    >>> pivotal_name({"issue": "enlargement", "pivotal": False})
    'none (largest change: enlargement)'
    """
    if pivotal.get("pivotal", True):
        return str(pivotal["issue"])
    return f"none (largest change: {pivotal['issue']})"
