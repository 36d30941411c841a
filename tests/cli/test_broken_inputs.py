"""Every deliberately broken file exits with status 2 and one clear line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from detente.cli import main

BROKEN = Path(__file__).parents[1] / "data" / "broken"

# file -> (expected line number or None, words the message must contain)
EXPECTED: dict[str, tuple[int | None, str]] = {
    "empty.csv": (None, "the file is empty"),
    "blank_lines_only.csv": (None, "the file is empty"),
    "header_only.csv": (1, "no data rows below the header"),
    "semicolons.csv": (1, "separated by semicolons"),
    "tabs.csv": (1, "separated by tabs"),
    "missing_capability.csv": (1, "missing column capability"),
    "duplicate_column.csv": (1, "duplicate column 'salience'"),
    "nan_position.csv": (2, "position: 'NaN' is not allowed; expected a finite number"),
    "inf_capability.csv": (2, "capability: 'inf' is not allowed"),
    "text_salience.csv": (2, "salience: 'high' is not a number"),
    "empty_cell.csv": (2, "position: empty cell; expected a number"),
    "ragged_row.csv": (2, "row has 6 fields but the header has 5"),
    "salience_fraction.csv": (2, "salience is on 0-100; multiply by 100"),
    "salience_over_100.csv": (2, "salience 150 is outside the allowed range 0 to 100"),
    "negative_capability.csv": (2, "capability -1 is not allowed; it must be at least 0"),
    "position_off_scale.csv": (2, "position 120 is outside the allowed range 0 to 100"),
    "position_off_custom_scale.csv": (2, "position 12 is outside the allowed range 0 to 10"),
    "inverted_scale.csv": (2, "scale min (10) must be below max (0)"),
    "conflicting_scale.csv": (3, "one scale per issue"),
    "duplicate_stance.csv": (3, "already has a stance on 'x'"),
    "publicity_over_1.csv": (2, "publicity 3 is outside the allowed range 0 to 1"),
    "decimal_comma.csv": (2, "decimal comma? use a point"),
    "latin1.csv": (2, "not UTF-8 text"),
    "binary.csv": (None, "binary file"),
    "unsupported.xlsx": (None, "unsupported file type '.xlsx'"),
    "empty.yaml": (None, "the file is empty"),
    "comments_only.yaml": (None, "holds no YAML document"),
    "syntax_error.yaml": (2, "YAML syntax error"),
    "bad_indent.yaml": (3, "YAML syntax error"),
    "top_level_list.yaml": (1, "the top level must be a mapping"),
    "two_documents.yaml": (14, "several YAML documents"),
    "duplicate_key.yaml": (3, "duplicate key 'title' (first on line 2)"),
    "unknown_field.yaml": (12, "stances[1].colour: unknown field 'colour'; allowed: actor"),
    "missing_meta.yaml": (None, "meta: missing required field"),
    "missing_salience.yaml": (12, "stances[1].salience: missing required field"),
    "unknown_actor.yaml": (12, "unknown actor 'C'; known: A, B"),
    "unknown_issue.yaml": (12, "unknown issue 'y'; known: x"),
    "duplicate_actor.yaml": (5, "duplicate id 'A'"),
    "bad_id.yaml": (5, "is not a valid id"),
    "nan_yaml.yaml": (11, "must be a finite number, got nan"),
    "inf_yaml.yaml": (4, "must be a finite number, got inf"),
    "string_number.yaml": (11, "expected a number, a range [low, high] or a distribution"),
    "range_three.yaml": (11, "a range is written [low, high] with two numbers"),
    "range_reversed.yaml": (11, "low (30.0) must not exceed high (20.0)"),
    "bad_dist.yaml": (11, "unknown dist 'gamma'"),
    "normal_missing_sd.yaml": (11, "normal needs mean, sd; missing: sd"),
    "negative_sd.yaml": (11, "sd must be >= 0"),
    "range_off_scale.yaml": (11, "position [90, 110] is outside the allowed range 0 to 100"),
    "salience_negative.yaml": (11, "salience -5 is outside the allowed range 0 to 100"),
    "anchor_off_scale.yaml": (9, "anchor 150 is outside the scale 0 to 100"),
    "status_quo_off_scale.yaml": (9, "status quo 200 is outside the allowed range 0 to 100"),
    "scale_inverted.yaml": (8, "scale min (100) must be below max (0)"),
    "issue_without_stances.yaml": (10, "issue 'y' has no stances"),
    "empty_actors.yaml": (3, "actors: must not be empty"),
    "bad_date.yaml": (3, "expected a date YYYY-MM-DD"),
    "python_tag.yaml": (1, "YAML tag"),
    "salience_fraction.yaml": (11, "salience is on 0-100; multiply by 100"),
}


def test_every_broken_file_has_an_expectation():
    on_disk = {p.name for p in BROKEN.iterdir()}
    assert on_disk == set(EXPECTED)
    assert len(EXPECTED) >= 25


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_exits_2_with_one_clear_line(name, capsys):
    line, words = EXPECTED[name]
    path = BROKEN / name
    code, out, err = run_cli(["forecast", str(path), "--json"], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    prefix = f"detente: {path}" + (f":{line}:" if line is not None else ":")
    assert lines[0].startswith(prefix), lines[0]
    assert words in lines[0]


def test_validate_lists_every_problem(tmp_path, capsys):
    bad = tmp_path / "many.yaml"
    bad.write_text(
        "meta: {title: t}\n"
        "actors:\n  - {id: A, capability: -1}\n  - {id: B, capability: 1}\n"
        "issues:\n  - {id: x}\n"
        "stances:\n"
        "  - {actor: A, issue: x, position: 120, salience: 50}\n"
        "  - {actor: Z, issue: x, position: 10, salience: 500}\n",
        encoding="utf-8",
    )
    code, _out, err = run_cli(["validate", str(bad)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert any(":3: actors[0].capability" in x for x in lines)
    assert any(":8: stances[0].position" in x for x in lines)
    assert any(":9: stances[1].actor: unknown actor 'Z'" in x for x in lines)
    assert any(":9: stances[1].salience" in x for x in lines)
    assert len(lines) == 4


def test_unknown_model_and_bad_option_exit_2(capsys):
    small = str(Path(__file__).parents[1] / "data" / "small.csv")
    code, _, err = run_cli(["forecast", small, "--model", "nope"], capsys)
    assert code == 2 and "unknown model 'nope'; available:" in err
    code, _, err = run_cli(["forecast", small, "-m", "compromise:weights=zzz"], capsys)
    assert code == 2 and "compromise: option 'weights'" in err
    code, _, err = run_cli(["forecast", small, "-m", "compromise:oops"], capsys)
    assert code == 2 and "is not KEY=VALUE" in err
    code, _, err = run_cli(["forecast", "--bogus"], capsys)
    assert code == 2 and "No such option: --bogus" in err and len(err.strip().splitlines()) == 1


def test_missing_file_names_bundled_scenarios(capsys):
    code, _, err = run_cli(["forecast", "no-such-thing.yaml"], capsys)
    assert code == 2
    assert "no such file or bundled scenario; bundled:" in err


def test_real_process_exit_status_and_no_traceback():
    """One end-to-end check through a real process: the console entry point itself."""
    proc = subprocess.run(
        [sys.executable, "-m", "detente", "forecast", str(BROKEN / "semicolons.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["advise", "ec-emissions-1994", "--actor", "XX"], "--actor: unknown actor 'XX'"),
        (["ratify", "russia-nato-2021", "--form", "nope"], "unknown form 'nope'"),
        (["ratify", "russia-nato-2021", "--set", "enlargement=300"], "off the scale"),
        (["crisis", "ec-emissions-1994", "--samples", "0"], "has no crisis section"),
        (["backtest", "deu", "missing.tsv"], "missing.tsv: cannot read the file"),
        (
            ["report", "ec-emissions-1994", "-o", "/nonexistent/dir/r.html"],
            "/nonexistent/dir: the folder does not exist",
        ),
        (["montecarlo", "--samples", "0"], "--samples"),
        (["sensitivity", "--method", "foo"], "allowed: oat, sobol"),
    ],
)
def test_command_mistakes_exit_2_with_one_line(args, words, capsys):
    code, _, err = run_cli(args, capsys)
    lines = [x for x in err.splitlines() if x.startswith("detente:")]
    assert code == 2
    assert len(lines) == 1 and words in lines[0], err
    assert "Traceback" not in err
