"""``--save``: a CLI command's run lands in the workbench's run history (issue 19).

Each command's output is stored byte for byte as ``--json`` printed it; ``detente runs list``
shows it next to the workbench's runs, and ``detente runs rerun`` runs it again and finds the
same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.web.conftest import detente, need_web

COMMANDS = [
    ("forecast", ["--samples", "8", "--seed", "3"]),
    ("simulate", ["-m", "compromise", "--rounds", "2"]),
    ("ratify", ["--form", "treaty", "--set", "enlargement=50", "--samples", "5"]),
    ("crisis", ["--samples", "8", "-m", "compromise"]),
    ("advise", ["--actor", "RUS", "--samples", "4", "-m", "compromise"]),
    ("montecarlo", ["--samples", "8", "-m", "compromise"]),
    ("sensitivity", ["-m", "compromise", "--top", "2"]),
]


def test_every_command_saves_a_run_that_reruns_byte_identically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need_web()
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    printed = {}
    for command, args in COMMANDS:
        done = detente(capsys, command, "russia-nato-2021", *args, "--json", "--save", "--db", db)
        assert done.returncode == 0, done.stderr
        assert done.stderr.startswith("detente: saved as run "), done.stderr
        printed[command] = done.stdout
    listed = detente(capsys, "runs", "list", "--json", "--db", db)
    runs = json.loads(listed.stdout)
    assert [r["command"] for r in runs] == [c for c, _ in COMMANDS][::-1]
    assert all(r["edits"] == 0 and r["scenario"] == "russia-nato-2021" for r in runs)
    text = detente(capsys, "runs", "list", "--db", db).stdout
    assert "ratify  russia-nato-2021" in text
    for r in runs:
        shown = detente(capsys, "runs", "show", str(r["id"]), "--json", "--db", db)
        assert shown.stdout == printed[r["command"]]  # the bytes --json printed
        again = detente(capsys, "runs", "rerun", str(r["id"]), "--db", db)
        assert again.returncode == 0 and "byte-identical" in again.stdout, again.stdout


def test_a_saved_file_scenario_is_stored_with_its_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need_web()
    from detente.web.workbench import bundled_text

    text, _ = bundled_text("ec-emissions-1994")
    (tmp_path / "talks.yaml").write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    done = detente(
        capsys, "forecast", "talks.yaml", "--samples", "0", "--save", "--db", db, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    shown = detente(capsys, "runs", "show", "1", "--db", db)
    assert "scenario: talks.yaml (yaml" in shown.stdout
    again = detente(capsys, "runs", "rerun", "1", "--db", db)
    assert again.returncode == 0 and "byte-identical" in again.stdout


def test_db_without_save_saves_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--db URL`` alone means "save the run in that history", never a silently ignored option."""
    need_web()
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    for command, args in COMMANDS[:3]:
        done = detente(capsys, command, "russia-nato-2021", *args, "--json", "--db", db)
        assert done.returncode == 0, done.stderr
        assert done.stderr.startswith("detente: saved as run "), done.stderr
    runs = json.loads(detente(capsys, "runs", "list", "--json", "--db", db).stdout)
    assert [r["command"] for r in runs] == ["ratify", "simulate", "forecast"]
    # without --db and --save nothing is stored and nothing is said
    done = detente(capsys, "forecast", "--samples", "4", "--json", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
