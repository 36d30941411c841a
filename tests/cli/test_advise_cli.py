"""``detente advise`` and ``detente report`` through the CLI entry point (issue 8)."""

from __future__ import annotations

import json

import pytest

from detente.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_advise_json_ranks_moves_and_names_the_pivotal_issue(capsys):
    code, out, _ = _run(capsys, "advise", "--actor", "RUS", "--samples", "40", "--json")
    assert code == 0
    r = json.loads(out)
    assert r["actor"] == "RUS" and r["samples"] == 40
    # the deal comes from the scenario's headline model (compromise outside legislation)
    assert r["models"] == ["compromise"] and r["options"]["models"] is None
    assert r["pivotal"]["issue"] in r["moves"][0]["outcome"]
    deltas = [m["delta_eu"] for m in r["moves"]]
    assert deltas == sorted(deltas, reverse=True)
    assert len(deltas) + len(r["no_effect"]) > 20  # every move is evaluated
    for m in r["moves"]:
        assert set(m["breakdown"]) == {
            "agreement",
            "ratification",
            "escalation",
            "achievement_gap",
            "durable_value",
            "other",
        }


def test_advise_text_and_same_seed_same_output(capsys):
    args = ("advise", "russia-nato-2021", "--actor", "USA", "--samples", "20", "--seed", "3")
    code, text, _ = _run(capsys, *args)
    assert code == 0
    assert text.startswith("Advice for United States (USA)")
    assert "Pivotal issue:" in text
    assert _run(capsys, *args)[1] == text


def test_advise_text_says_no_pivotal_issue_and_groups_the_moves_that_changed_nothing(capsys):
    """On the default scenario no deal is signed, so every issue's pivot change is negligible:
    the text must not name one as pivotal, and the moves that changed nothing are listed one
    line per kind (their labels hold semicolons themselves)."""
    code, out, _ = _run(capsys, "advise", "--actor", "RUS", "--samples", "40", "--json")
    r = json.loads(out)
    assert r["pivotal"]["pivotal"] is False
    assert abs(r["pivotal"]["issues"][0]["delta_eu"]) < r["options"]["min_effect"]
    code, text, _ = _run(capsys, "advise", "--actor", "RUS", "--samples", "40")
    assert code == 0
    assert f"Pivotal issue: none (largest change: {r['pivotal']['issue']})." in text
    assert "more than any other issue" not in text
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Changed nothing"))
    assert f"{len(r['no_effect'])} moves:" in lines[head]
    kinds = {m["kind"] for m in r["no_effect_moves"]}
    body = [line for line in lines[head + 1 : head + 1 + len(kinds)]]
    assert all(line.startswith("  ") for line in body)
    assert sum(len(line.split(" | ")) for line in body) == len(r["no_effect"])
    # the P(...) figures are said once, in the assessment's Baseline line
    assert sum(line.startswith("Baseline") for line in lines) == 2
    assert any(line.startswith("Baseline expected utility: ") for line in lines)


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (("advise", "--actor", "NOBODY"), "--actor"),
        (("advise",), "--actor"),
        (("advise", "--actor", "RUS", "--samples", "0"), "--samples"),
        (("advise", "--actor", "RUS", "--model", "nosuch"), "--model"),
    ],
)
def test_advise_bad_input_exits_2_with_one_line(capsys, argv, field):
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and field in err and "Traceback" not in err


def test_report_markdown_and_pngs(capsys, tmp_path):
    out = tmp_path / "r.md"
    code, _, err = _run(
        capsys,
        "report",
        "ec-emissions-1994",
        "-o",
        str(out),
        "--format",
        "md",
        "--png",
        str(tmp_path / "fig"),
        "--samples",
        "20",
    )
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# European Community car emission standards")
    assert "(fig/rounds.png)" in text
    assert (tmp_path / "fig" / "rounds.png").exists()
    assert "wrote" in err


def test_report_bad_format_exits_2(capsys, tmp_path):
    code, _, err = _run(capsys, "report", "-o", str(tmp_path / "x"), "--format", "pdf")
    assert code == 2 and "--format" in err and err.count("\n") == 1
