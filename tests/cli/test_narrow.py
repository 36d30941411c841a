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


def test_backtest_tables_are_whole_at_80_columns(monkeypatch, capsys):
    """`backtest deu` at 80 columns: no header or number cut, each model's difference from the
    compromise model above its interval; one line per model where the terminal is wide."""
    from detente import api
    from detente.commands.backtest import _print_table

    result = api.backtest(None, models=["compromise", "nbs"], capabilities=["treaty", "equal"])
    shown = {}
    for columns in (80, 200):
        monkeypatch.setenv("COLUMNS", str(columns))
        capsys.readouterr()
        _print_table(result)
        shown[columns] = capsys.readouterr().out
    narrow, wide = shown[80], shown[200]
    assert "…" not in narrow, narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80, narrow
    for head in ("issues", "MedAE", "<=10", "<=20", "vs compromise", "CRPS", "PIT"):
        assert head in narrow
    assert "dressed" in narrow and "comp." in narrow
    for capability in ("treaty", "equal"):  # a table per convention, named in its title
        assert narrow.count(f"capability {capability}") == 2
    for r in result["results"]:
        vs = r["vs_compromise"]
        if r["model"] == "compromise" or vs is None:
            continue
        lo, hi = vs["ci95"]
        diff, ci = f"{vs['mae_difference']:+.2f}", f"[{lo:+.2f}, {hi:+.2f}]"
        assert re.search(rf"{re.escape(diff)} │\n.*{re.escape(ci)} │", narrow), narrow
        assert f"{diff} {ci}" in wide
        pit = " ".join(str(h) for h in (r.get("distribution") or {}).get("pit_histogram", []))
        assert pit in wide
