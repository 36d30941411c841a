"""Every command, option and output term has an entry in the glossary (issue 20).

The terms are pulled from the actual outputs of the README's Quickstart (the default scenario,
run once per session by the ``quickstart`` fixture) and of a Markdown report, by the structural
rules of :mod:`tests.cli.terms`; no list of expected words is kept here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml

from detente import glossary
from detente.cli import app, main
from tests.cli.quickstart import PACKAGE, Run, run_line
from tests.cli.terms import terms

#: A word with two capitals or more: an abbreviation or a code (NATO, OneThird).
ABBREVIATION = r"\b[A-Za-z0-9]*[A-Z][a-z0-9]*[A-Z][A-Za-z0-9]*\b"

#: The commands whose text output the glossary must cover (issue 20).
COVERED = {
    "forecast",
    "simulate",
    "ratify",
    "crisis",
    "advise",
    "montecarlo",
    "sensitivity",
    "models",
    "backtest",
    "report",
}


def _commands() -> list[tuple[str, object]]:
    out = []

    def walk(cmd: object, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            out.append((" ".join(path), cmd))

    walk(typer.main.get_command(app), [])
    return out


def _names() -> set[str]:
    """Ids, names and abbreviations that come from the scenarios, examples and models."""
    from detente.models import registry

    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("id", "name", "title", "actor", "issue", "body", "form") and isinstance(
                    value, str
                ):
                    names.add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in [PACKAGE / "scenarios" / "russia-nato-2021.yaml"]:  # the default, run above
        text = path.read_text(encoding="utf-8")
        walk(yaml.safe_load(text))
        names |= set(re.findall(ABBREVIATION, text))
    for row in (PACKAGE / "examples" / "talks.csv").read_text(encoding="utf-8").splitlines()[1:]:
        names |= set(row.split(",")[:2])  # its actor and issue ids
    for cls in registry().values():
        d = cls().describe()
        names.add(d["model"])
        # abbreviations in a citation or title are journals and publishers (JPE, MIT), and
        # option values in CamelCase are the model's own codes (OneThird)
        names |= set(re.findall(ABBREVIATION, d["citation"] + " " + d["title"]))
        names |= set(re.findall(ABBREVIATION, " ".join(map(str, d["options"].values()))))
    names |= {"v1", "slot2", "DEU", "pooled"}  # the detente forecaster's variants, DEU's eras
    return {n for n in names if n}


def test_every_name_is_unique() -> None:
    seen: dict[str, str] = {}
    for e in glossary.entries():
        for n in e.names:
            key = glossary.normalise(n)
            assert key not in seen, f"glossary: {n!r} is in {seen[key]!r} and in {e.term!r}"
            seen[key] = e.term
    assert len(seen) > 100


def test_every_entry_has_a_definition() -> None:
    for e in glossary.entries():
        assert len(e.text) >= 20, f"glossary: {e.term!r} has no definition"


@pytest.mark.parametrize(
    ("path", "cmd"), _commands(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_every_command_and_option_has_an_entry(path: str, cmd: object) -> None:
    assert glossary.known(f"detente {path}"), f"glossary.md: no entry for the command {path!r}"
    for p in cmd.params:  # type: ignore[attr-defined]
        name = p.opts[0] if p.param_type_name == "option" else p.name.upper()
        if name in ("--help", "-h"):
            continue
        assert glossary.known(name), f"glossary.md: no entry for {name} (detente {path})"


def _covered(runs: list[Run]) -> list[Run]:
    return [
        r for r in runs if shlex.split(r.line)[1] in COVERED and "--json" not in shlex.split(r.line)
    ]


def test_every_output_term_has_an_entry(quickstart, tmp_path: Path, monkeypatch) -> None:
    runs = _covered(quickstart.runs)
    assert {shlex.split(r.line)[1] for r in runs} == COVERED, "a covered command left the README"
    outputs = {r.line: r.stdout for r in runs}
    outputs["report.html"] = (quickstart.folder / "report.html").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    md = run_line("detente report --format md -o report.md --samples 40")
    assert md.code == 0, md.stderr
    outputs["report.md"] = (tmp_path / "report.md").read_text(encoding="utf-8")
    names = _names()
    missing: dict[str, list[str]] = {}
    for where, text in outputs.items():
        for term in terms(text, names=names):
            if not glossary.known(term):
                missing.setdefault(term, []).append(where)
    assert not missing, "terms without a glossary entry (src/detente/glossary.md):\n" + "\n".join(
        f"  {t!r} in {', '.join(w)}" for t, w in sorted(missing.items())
    )


def test_report_carries_the_glossary(quickstart) -> None:
    html = (quickstart.folder / "report.html").read_text(encoding="utf-8")
    body = html.split("<h2>Glossary", 1)[1]
    for e in glossary.report_entries():
        assert f"<dt><b>{e.term.replace('&', '&amp;').replace('<', '&lt;')}" in body.replace(
            "&#x27;", "'"
        ), e.term
    assert "<dt><b>--samples" not in body  # options are for `detente explain`, not the briefing


def test_explain_prints_an_entry(capsys) -> None:
    main(["explain", "P(esc)"])
    out = capsys.readouterr().out
    assert out.startswith("P(escalation) (Outcome")
    assert "E0 = 1 - (1 - F)(1 - H)" in out
    main(["explain", "--samples"])
    assert capsys.readouterr().out.startswith("--samples")


def test_explain_lists_every_term(capsys) -> None:
    main(["explain"])
    out = capsys.readouterr().out
    assert all(e.term in out for e in glossary.entries())


def test_explain_unknown_term_is_one_line_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["explain", "no such thing"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "glossary: TERM: no entry for 'no such thing'" in err


def test_the_rules_find_terms() -> None:
    text = (
        "┏━━━━━┳━━━━━━━━┓\n┃ foo ┃ bar ┃\n┃     ┃ baz ┃\n┡━━━━━╇━━━━━━━━┩\n"
        "Widget gap (see x): 0.3\n  3. not a label: x\n"
        "P(win | foo) 0.5 (pivotal thing: RUS[5]) moved 1.2 in odd units); through other +0.1\n"
    )
    assert terms(text, names={"RUS"}) == {
        "foo",
        "bar baz",
        "Widget gap",
        "pivotal thing",
        "P(win | foo)",
        "odd units",
        "other",
    }
    assert not glossary.known("Widget gap")
