"""Regression tests for issue 22: no traceback, no silent misreading, bounded resources.

Each test is one reproducer from the issue. A user mistake must end with exit status 2 and one
line on stderr naming the file, the line or field, and what is allowed; a valid input must give
exit 0 and, with ``--json``, strict JSON (no NaN or Infinity tokens).
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from detente.cli import main
from detente.errors import InputError
from detente.scenario import load
from detente.scenario.yamlmap import parse_yaml
from tests.ratification_scenario import DOC as RATIFY_DOC

SMALL = {
    "meta": {"title": "t"},
    "actors": [{"id": "A", "capability": 1}, {"id": "B", "capability": 2}],
    "issues": [{"id": "x", "scale": {"min": 0, "max": 100}, "status_quo": 50}],
    "stances": [
        {"actor": "A", "issue": "x", "position": 10, "salience": 50},
        {"actor": "B", "issue": "x", "position": 90, "salience": 60},
    ],
}


def run(args: list[str], capsys) -> tuple[int, str, str]:
    """Run the CLI in process; return (exit status, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text: str) -> Any:
    """Parse JSON, refusing the NaN and Infinity tokens Python's json accepts by default."""

    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def one_line_error(code: int, err: str, *words: str) -> str:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("detente: "), err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def write_yaml(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------
# Numbers: finite and bounded at load


def test_overflowing_csv_capability_is_rejected_at_load(tmp_path, capsys):
    f = tmp_path / "cap.csv"
    f.write_text("actor,issue,position,salience,capability\nA,x,10,50,1e308\nB,x,90,60,1\n")
    code, out, err = run(["forecast", str(f), "--json"], capsys)
    one_line_error(code, err, f"{f}:2: capability: '1e308' is too large", "-1e12 and 1e12")
    assert out == ""


def test_overflowing_scale_is_rejected_at_load(tmp_path, capsys):
    doc = copy.deepcopy(SMALL)
    doc["issues"][0]["scale"] = {"min": -1e308, "max": 1e308}
    f = write_yaml(tmp_path / "s.yaml", doc)
    code, _, err = run(["forecast", str(f), "--json"], capsys)
    one_line_error(code, err, "issues[0].scale.min", "too large")


def test_huge_integer_position_is_rejected(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    text = yaml.safe_dump(SMALL, sort_keys=False).replace("position: 10", "position: " + "9" * 400)
    f.write_text(text, encoding="utf-8")
    code, _, err = run(["forecast", str(f)], capsys)
    one_line_error(code, err, "stances[0].position", "too large")


def test_numbers_at_the_limit_give_finite_forecasts(tmp_path, capsys):
    doc = copy.deepcopy(SMALL)
    doc["actors"][1]["capability"] = 1e12
    doc["issues"][0] = {"id": "x", "scale": {"min": -1e12, "max": 1e12}, "status_quo": 0}
    doc["stances"][0]["position"] = -1e12
    doc["stances"][1]["position"] = 1e12
    f = write_yaml(tmp_path / "s.yaml", doc)
    code, out, err = run(["forecast", str(f), "--json"], capsys)
    assert code == 0 and err == "", err
    result = strict_json(out)
    assert result["forecasts"] and not result["skipped"]


def test_mapping_as_dist_is_a_clear_error(tmp_path, capsys):
    doc = copy.deepcopy(SMALL)
    doc["stances"][0]["position"] = {"dist": {"a": 1}, "value": 3}
    f = write_yaml(tmp_path / "s.yaml", doc)
    code, _, err = run(["forecast", str(f)], capsys)
    one_line_error(code, err, f"{f}:", "stances[0].position", "unknown dist {'a': 1}")


def test_negative_zero_sd_is_read_as_zero(tmp_path, capsys):
    doc = copy.deepcopy(SMALL)
    doc["stances"][0]["position"] = {"dist": "normal", "mean": 10, "sd": -0.0}
    f = write_yaml(tmp_path / "s.yaml", doc)
    code, out, err = run(
        ["montecarlo", str(f), "--samples", "20", "-m", "compromise", "--json"], capsys
    )
    assert code == 0, err
    strict_json(out)


def test_unknown_format_version_is_rejected(tmp_path, capsys):
    doc = {"detente": 2, **SMALL}
    f = write_yaml(tmp_path / "s.yaml", doc)
    code, _, err = run(["forecast", str(f)], capsys)
    one_line_error(code, err, f"{f}:1: detente: scenario format version 2 is not supported")


def test_huge_bloc_is_rejected_at_validation(tmp_path, capsys):
    doc = copy.deepcopy(RATIFY_DOC)
    doc["bodies"][0]["blocs"][0]["count"] = 10**7
    f = write_yaml(tmp_path / "s.yaml", doc)
    code, _, err = run(["ratify", str(f), "--json"], capsys)
    one_line_error(code, err, "bodies[0]", "10,000,050 members; at most 10,000")


# ------------------------------------------------------------------------------------------
# Commands that used to raise


def test_simulate_smp_prints_actors_that_challenge_nobody(capsys):
    code, out, err = run(["simulate", "russia-nato-2021", "-m", "smp"], capsys)
    assert code == 0, err
    assert "challenges nobody" in out


def test_ratify_skips_smp_when_an_actor_has_no_capability(tmp_path, capsys):
    doc = copy.deepcopy(RATIFY_DOC)
    doc["actors"][0]["capability"] = 0
    f = write_yaml(tmp_path / "s.yaml", doc)
    code, out, err = run(["ratify", str(f), "--json"], capsys)
    assert code == 0, err
    report = strict_json(out)
    assert "positive capability" in report["skipped"]["smp"]
    assert not any(p["id"] == "forecast:smp" for p in report["packages"])
    code, out, err = run(["ratify", str(f)], capsys)
    assert code == 0 and "smp did not run" in out, err


@pytest.mark.parametrize(
    "command",
    [
        ["forecast"],
        ["simulate", "russia-nato-2021", "-m", "mean"],
        ["ratify", "russia-nato-2021"],
        ["crisis", "russia-nato-2021"],
        ["report", "russia-nato-2021"],
        ["advise", "--actor", "RUS"],
        ["montecarlo"],
        ["sensitivity"],
        ["backtest", "deu", "missing.tsv"],
    ],
)
def test_negative_seed_names_seed(command, capsys):
    code, out, err = run([*command, "--seed", "-1"], capsys)
    one_line_error(code, err, "'--seed'", "greater than or equal to 0")
    assert out == ""


# ------------------------------------------------------------------------------------------
# YAML 1.2 scalars, JSON, merge keys, line numbers


def test_yaml_scalars_follow_yaml_1_2():
    doc, _ = parse_yaml(
        "a: 010\nb: 1:30\nc: NO\nd: ON\ne: yes\nf: 1e3\ng: 0o17\nh: 0x1F\ni: true\nj: ~\n"
        "k: 2021-12-17\nl: '010'\n",
        "s.yaml",
    )
    assert doc == {
        "a": 10,
        "b": "1:30",
        "c": "NO",
        "d": "ON",
        "e": "yes",
        "f": 1000.0,
        "g": 15,
        "h": 31,
        "i": True,
        "j": None,
        "k": "2021-12-17",
        "l": "010",
    }


def test_octal_looking_position_is_ten(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    text = yaml.safe_dump(SMALL, sort_keys=False).replace("position: 10", "position: 010")
    f.write_text(text, encoding="utf-8")
    code, out, err = run(["forecast", str(f), "--json", "-m", "mean"], capsys)
    assert code == 0, err
    assert strict_json(out)["forecasts"]["mean"]["x"] == 50.0  # (10 + 90) / 2, not (8 + 90) / 2


def test_actor_ids_no_and_on_stay_text(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    text = yaml.safe_dump(SMALL, sort_keys=False).replace("'A'", "A")
    text = text.replace("id: A", "id: NO").replace("actor: A", "actor: NO")
    text = text.replace("id: B", "id: ON").replace("actor: B", "actor: ON")
    f.write_text(text, encoding="utf-8")
    code, out, err = run(["forecast", str(f), "--json", "-m", "mean"], capsys)
    assert code == 0, err
    assert strict_json(out)["actors"] == ["NO", "ON"]


def test_json_with_exponent_and_escaped_emoji(tmp_path, capsys):
    doc = copy.deepcopy(SMALL)
    doc["meta"]["title"] = "talks \U0001f600"
    doc["actors"][1]["capability"] = 2e3
    f = tmp_path / "s.json"
    # ensure_ascii writes the emoji as a surrogate pair and 2e3 as 2000.0; spell it 2e3
    f.write_text(json.dumps(doc).replace("2000.0", "2e3"), encoding="utf-8")
    assert "\\ud83d\\ude00" in f.read_text() and "2e3" in f.read_text()
    code, _, err = run(["validate", str(f)], capsys)
    assert code == 0, err
    loaded = load(str(f))
    assert loaded.scenario.meta.title == "talks \U0001f600"
    assert loaded.scenario.actors[1].capability.centre == 2000.0


def test_unpaired_surrogate_is_an_error(tmp_path, capsys):
    f = tmp_path / "s.json"
    f.write_text(json.dumps(SMALL).replace('"t"', '"\\ud83d"'), encoding="utf-8")
    code, _, err = run(["forecast", str(f)], capsys)
    line = one_line_error(code, err, f"{f}:1: ")
    # libyaml refuses the escape itself; the pure-Python parser leaves it to the converter
    assert "invalid Unicode character escape" in line or "unpaired surrogate" in line


def test_merge_key_with_override_is_no_duplicate():
    doc, lines = parse_yaml("base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n", "s.yaml")
    assert doc["thing"] == {"x": 1, "y": 3}
    assert lines[("thing", "y")] == 4
    with pytest.raises(InputError, match="duplicate key 'y'"):
        parse_yaml("thing:\n  y: 1\n  y: 2\n", "s.yaml")


def test_line_numbers_ignore_nel_inside_quotes():
    _, lines = parse_yaml('a: 1\nb: "x\x85y"\nc: 3\n', "s.yaml")
    assert lines[("c",)] == 3


# ------------------------------------------------------------------------------------------
# CSV tables and files


def test_csv_names_with_spaces_get_ids_and_keep_names(tmp_path, capsys):
    f = tmp_path / "t.csv"
    f.write_text(
        "actor,issue,position,salience,capability\n"
        "United Kingdom,Size of fund,10,50,1\n"
        "France,Size of fund,90,60,2\n",
        encoding="utf-8",
    )
    sc = load(str(f)).scenario
    assert [(a.id, a.name) for a in sc.actors] == [
        ("United_Kingdom", "United Kingdom"),
        ("France", None),
    ]
    assert (sc.issues[0].id, sc.issues[0].name) == ("Size_of_fund", "Size of fund")
    code, out, err = run(["forecast", str(f), "--json", "-m", "mean"], capsys)
    assert code == 0, err
    assert strict_json(out)["actors"] == ["United_Kingdom", "France"]


def test_convert_reads_cr_line_endings(tmp_path, capsys):
    src = tmp_path / "mac.csv"
    src.write_bytes(b"actor,issue,position,salience,capability\rA,x,10,50,1\rB,x,90,60,2\r")
    out = tmp_path / "out.yaml"
    code, _, err = run(["convert", str(src), str(out)], capsys)
    assert code == 0, err
    assert [a.id for a in load(str(out)).scenario.actors] == ["A", "B"]


def test_csv_line_numbers_after_a_quoted_newline(tmp_path, capsys):
    f = tmp_path / "q.csv"
    f.write_text(
        'actor,issue,position,salience,capability,name\nA,x,10,50,1,"two\nlines"\nB,x,abc,60,2,b\n',
        encoding="utf-8",
    )
    code, _, err = run(["forecast", str(f)], capsys)
    one_line_error(code, err, f"{f}:4: position: 'abc' is not a number")


@pytest.mark.parametrize("command", [["forecast"], ["convert", "--from", "csv"]])
def test_only_regular_files_are_read(tmp_path, capsys, command):
    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "z.csv"
    zero.symlink_to("/dev/zero")
    for f in (fifo, zero):
        args = [*command, str(f)] + ([str(tmp_path / "o.yaml")] if "convert" in command else [])
        code, _, err = run(args, capsys)
        one_line_error(code, err, f"{f}: is not a regular file")


def test_size_limit_is_enforced_while_reading(tmp_path):
    from detente.scenario.loading import MAX_BYTES, read_bytes

    f = tmp_path / "big.csv"
    f.write_bytes(b"x" * 2000)
    with pytest.raises(InputError, match="larger than 1,000 bytes; at most 1,000 bytes"):
        read_bytes(f, str(f), limit=1000)
    assert len(read_bytes(f, str(f), limit=2000)) == 2000
    assert MAX_BYTES == 50 * 2**20


# ------------------------------------------------------------------------------------------
# Outputs never replace inputs, nor existing files without --force


def test_montecarlo_does_not_overwrite_its_scenario(tmp_path, capsys):
    f = write_yaml(tmp_path / "talks.yaml", SMALL)
    before = f.read_bytes()
    code, out, err = run(["montecarlo", str(f), "-n", "8", "-m", "mean", "-o", str(f)], capsys)
    one_line_error(code, err, f"{f}: is an input file of this run")
    assert f.read_bytes() == before and out == ""


def test_schema_output_needs_force_to_overwrite(tmp_path, capsys):
    out = tmp_path / "schema.json"
    out.write_text("keep")
    code, _, err = run(["schema", "-o", str(out)], capsys)
    one_line_error(code, err, f"{out}: already exists; pass --force to overwrite it")
    assert out.read_text() == "keep"
    code, _, err = run(["schema", "-o", str(out), "--force"], capsys)
    assert code == 0, err
    assert strict_json(out.read_text())["title"] == "detente scenario"


def test_output_naming_a_folder_blames_the_folder(tmp_path, capsys):
    code, _, err = run(["schema", "-o", str(tmp_path)], capsys)
    one_line_error(code, err, f"{tmp_path}: is a folder; give a file name to write")


def test_report_checks_its_output_before_working(tmp_path, capsys):
    out = tmp_path / "r.html"
    out.write_text("keep")
    code, _, err = run(["report", "ec-emissions-1994", "-o", str(out), "--samples", "5"], capsys)
    one_line_error(code, err, f"{out}: already exists; pass --force")
    code, _, err = run(["report", "-o", str(out), "--format", "pdf"], capsys)
    one_line_error(code, err, "detente: --format: 'pdf' is not a report format; allowed: html, md")


# ------------------------------------------------------------------------------------------
# One line on stderr, valid UTF-8 everywhere


def test_control_characters_in_a_field_name_stay_on_one_line(tmp_path, capsys):
    doc = copy.deepcopy(SMALL)
    doc["stances"][0]["col\u2028our\x85\n"] = 1
    f = tmp_path / "s.yaml"
    f.write_text(json.dumps(doc), encoding="utf-8")
    for command in (["validate"], ["forecast"]):
        code, _, err = run([*command, str(f)], capsys)
        assert code == 2
        assert len(err.splitlines()) == 1, err
        assert "col\\u2028our\\x85\\n" in err


def test_a_non_utf8_file_name_gives_valid_utf8_json(tmp_path, capsysbinary):
    name = os.fsdecode(b"bad\xff.csv")
    f = tmp_path / name
    f.write_text("actor,issue,position,salience,capability\nA,x,10,50,1\nB,x,90,60,2\n")
    with pytest.raises(SystemExit) as exc:
        main(["forecast", str(f), "--json", "-m", "mean"])
        raise SystemExit(0)
    out = capsysbinary.readouterr().out
    assert exc.value.code == 0
    assert strict_json(out.decode("utf-8"))["scenario"].endswith("bad\\xff.csv")


def test_tiny_numbers_are_rejected_at_load(tmp_path, capsys):
    doc = copy.deepcopy(SMALL)
    doc["stances"][0]["position"] = 1e-299
    f = write_yaml(tmp_path / "s.yaml", doc)
    code, _, err = run(["forecast", str(f)], capsys)
    one_line_error(code, err, "stances[0].position", "too small; write 0 or a number of at least")


def test_nbs_with_capabilities_twelve_orders_apart_gives_no_warning(tmp_path, capsys):
    from detente.scenario import bundled_scenarios

    text = bundled_scenarios()["china-soe-reform"].read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    doc["actors"][7]["capability"] = 1e12  # found by fuzzing: a party's gain rounds to 0
    f = write_yaml(tmp_path / "china.yaml", doc)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = run(["montecarlo", str(f), "-n", "16", "-m", "nbs", "--json"], capsys)
    assert code == 0, err
    assert [str(w.message) for w in caught if w.category is RuntimeWarning] == []
    strict_json(out)


# ------------------------------------------------------------------------------------------
# Element limits, checked before the work they bound


def test_csv_rows_beyond_the_stance_limit_stop_the_read(tmp_path, capsys, monkeypatch):
    from detente.scenario.schema import LIMITS

    monkeypatch.setitem(LIMITS, "stances", 3)
    f = tmp_path / "t.csv"
    rows = [f"A{k},x,10,50,1" for k in range(5)]
    f.write_text("actor,issue,position,salience,capability\n\n" + "\n".join(rows) + "\n")
    code, _, err = run(["forecast", str(f)], capsys)
    one_line_error(code, err, f"{f}:6: more than 3 rows; a table holds at most 3 stances")


def test_sections_beyond_their_limit_are_refused_before_validation(tmp_path, capsys, monkeypatch):
    from detente.scenario.schema import LIMITS

    monkeypatch.setitem(LIMITS, "actors", 1)
    f = write_yaml(tmp_path / "s.yaml", SMALL)
    code, _, err = run(["forecast", str(f)], capsys)
    one_line_error(code, err, f"{f}:3: actors: 2 entries; at most 1 are allowed")


def test_yaml_values_are_counted_while_streaming(tmp_path, capsys, monkeypatch):
    from detente.scenario import yamlmap

    monkeypatch.setattr(yamlmap, "MAX_EVENTS", 20)
    f = write_yaml(tmp_path / "s.yaml", SMALL)
    code, _, err = run(["forecast", str(f)], capsys)
    one_line_error(code, err, f"{f}:", "more than 20 YAML values")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs resource.setrlimit in a child")
def test_a_scenario_at_the_limits_validates_within_1_gib(tmp_path):
    """1,000 actors x 50 issues = 50,000 stances: measured 285 MB (YAML), 215 MB (CSV) peak."""
    import resource
    import subprocess
    import sys

    from detente.scenario.schema import LIMITS

    actors, issues = LIMITS["actors"], LIMITS["stances"] // LIMITS["actors"]
    cells = [
        (k, j, (k * 37 + j) % 101, (k + j) % 90 + 10, k % 7 + 1)
        for k in range(actors)
        for j in range(issues)
    ]
    table = tmp_path / "limit.csv"
    table.write_text(
        "actor,issue,position,salience,capability\n"
        + "".join(f"a{k},i{j},{x},{s},{c}\n" for k, j, x, s, c in cells)
    )
    doc = tmp_path / "limit.yaml"
    doc.write_text(
        "meta: {title: limit}\nactors:\n"
        + "".join(f"  - {{id: a{k}, capability: {k % 7 + 1}}}\n" for k in range(actors))
        + "issues:\n"
        + "".join(f"  - {{id: i{j}, status_quo: 50}}\n" for j in range(issues))
        + "stances:\n"
        + "".join(
            f"  - {{actor: a{k}, issue: i{j}, position: {x}, salience: {s}}}\n"
            for k, j, x, s, _ in cells
        )
    )

    def one_gib() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    for f in (table, doc):
        proc = subprocess.run(
            [sys.executable, "-m", "detente", "validate", str(f)],
            preexec_fn=one_gib,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-500:]
        assert "(1000 actors, 50 issues, 50000 stances)" in proc.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["montecarlo", "-n"],
        ["advise", "--actor", "RUS", "--samples"],
        ["crisis", "--samples"],
        ["report", "--samples"],
        ["ratify", "russia-nato-2021", "--samples"],
    ],
)
def test_samples_are_bounded_while_parsing(command, capsys):
    code, out, err = run([*command, "2000000"], capsys)
    one_line_error(code, err, "--samples", "less than or equal to 1000000")
    assert out == ""


def test_advise_top_must_be_positive(capsys):
    code, _, err = run(["advise", "--actor", "RUS", "--top", "-1"], capsys)
    one_line_error(code, err, "'--top'", "greater than or equal to 1")
