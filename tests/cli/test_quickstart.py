"""The README's Quickstart runs as written on a fresh folder (issue 20).

The ``quickstart`` fixture (tests/cli/conftest.py) copies the example inputs the README names
into an empty folder and runs every line of the Quickstart block in order; each must exit 0.
"""

from __future__ import annotations

import json

from tests.cli.quickstart import PLACEHOLDER_SCHEDULER, quickstart_lines


def test_every_line_exits_0(quickstart) -> None:
    assert len(quickstart.runs) == len(quickstart_lines()) >= 20
    failed = [
        f"{r.line}\n    exit {r.code}: {r.stderr.strip()[-400:]}"
        for r in quickstart.runs
        if r.code != 0
    ]
    assert not failed, "Quickstart lines that fail:\n" + "\n".join(failed)


def test_lines_do_what_they_say(quickstart) -> None:
    folder = quickstart.folder
    out = {r.line: r.stdout for r in quickstart.runs}
    assert json.loads(out["detente forecast --json"])["forecasts"]
    assert json.loads((folder / "mc.json").read_text())["samples"] == 2000
    assert "slot2" in (folder / "model.json").read_text()
    assert (folder / "talks.yaml").is_file()
    assert (folder / "detente-scenario.schema.json").is_file()
    assert (folder / "report.html").read_text().startswith("<!DOCTYPE html>")
    dask = next(r for r in quickstart.runs if PLACEHOLDER_SCHEDULER in r.line)
    assert "Monte Carlo" in dask.stdout
