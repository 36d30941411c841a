"""At 80 columns tables split or stack rather than cut numbers (issue 20)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

CUT = re.compile(r"\d…|…\d")


@pytest.mark.parametrize(
    "argv",
    [
        ["forecast", "--samples", "16"],
        ["models"],
        ["ratify"],
        ["simulate", "--rounds", "2"],
    ],
)
def test_no_cut_numbers_at_80_columns(argv):
    env = {**os.environ, "COLUMNS": "80"}
    out = subprocess.run(
        [sys.executable, "-m", "detente", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    ).stdout
    assert not CUT.search(out), out[:2000]
    tables = [line for line in out.splitlines() if line.startswith(("┃", "│", "┏", "└"))]
    assert all(len(line) <= 80 for line in tables), max(tables, key=len)
