"""``detente montecarlo`` and ``detente sensitivity`` from the command line: JSON contract,
atomic output files, Ctrl-C, and one-line errors."""

from __future__ import annotations

import json
import math

import pytest

from detente.cli import main

# One issue, A at 0 with capability U[1, 3], B at 100 with capability 1, equal saliences: the
# compromise is 100 / (1 + c), whose median is 100 / 3 (c = 2) and mean 50 ln 2.
TWO = """
meta: {title: two actors}
actors:
  - {id: A, capability: [1, 3]}
  - {id: B, capability: 1}
issues:
  - {id: x, status_quo: 0}
stances:
  - {actor: A, issue: x, position: 0, salience: 50}
  - {actor: B, issue: x, position: 100, salience: 50}
"""


@pytest.fixture
def two(tmp_path):
    f = tmp_path / "two.yaml"
    f.write_text(TWO)
    return f


def test_json_contract_and_output_file(two, tmp_path, capsys):
    out = tmp_path / "mc.json"
    argv = ["montecarlo", str(two), "-n", "4000", "--seed", "5", "-m", "compromise"]
    main([*argv, "--json", "--output", str(out)])
    printed = capsys.readouterr().out
    assert out.read_text() == printed
    r = json.loads(printed)
    s = r["issues"]["x"]["compromise"]
    assert s["quantiles"]["50"] == pytest.approx(100 / 3, abs=0.5)
    assert s["mean"] == pytest.approx(50 * math.log(2), abs=0.3)
    assert r["samples"] == 4000 and r["seed"] == 5 and r["uncertain_inputs"] == 1
    assert r["models"]["compromise"]["model"] == "compromise"  # options recorded
    assert "options" in r["models"]["compromise"]
    assert r["ratification"] is None and r["escalation"] is None
    # same seed, another backend and chunking: the same bytes
    main([*argv, "--json", "--backend", "processes", "--workers", "2", "--chunk-size", "1000"])
    assert capsys.readouterr().out == printed


def test_progress_bar_goes_to_stderr_only(two, capsys):
    main(["montecarlo", str(two), "-n", "600", "-m", "compromise", "--json", "--progress"])
    assert json.loads(capsys.readouterr().out)["samples"] == 600


def test_tables_on_the_default_scenario(capsys):
    main(["montecarlo", "-n", "64", "-m", "compromise", "-m", "nbs"])
    text = capsys.readouterr().out
    assert "enlargement" in text and "P(agreement)" in text
    assert "P(ratification)" in text and "P(escalation)" in text


def test_ctrl_c_leaves_no_output_file(two, tmp_path, monkeypatch, capsys):
    import detente.analyses.montecarlo as mc

    real, calls = mc.run_chunk, []

    def interrupted(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(mc, "run_chunk", interrupted)
    out = tmp_path / "mc.json"
    with pytest.raises(SystemExit) as exc:
        main(["montecarlo", str(two), "-n", "1024", "--chunk-size", "256", "-o", str(out)])
    assert exc.value.code == 130  # typer maps Ctrl-C to 130
    assert len(calls) == 2  # stopped at the second chunk of four
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.yaml"]  # no file, no temp file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samples", "0"], "--samples"),
        (["--backend", "mpi"], "--backend"),
        (["--backend", "processes", "--scheduler", "tcp://127.0.0.1:8786"], "--scheduler"),
        (["-m", "nosuchmodel"], "unknown model"),
    ],
)
def test_bad_options_end_in_one_line(two, args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["montecarlo", str(two), *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_sensitivity_default_names_enlargement_and_escalation_drivers(capsys):
    main(["sensitivity", "--json"])
    r = json.loads(capsys.readouterr().out)
    # the headline model outside legislation is the compromise model (docs/outcome.md)
    assert r["method"] == "oat" and r["models"] == ["compromise"]
    for name in ("compromise forecast of strike_weapons", "P(escalation) under compromise"):
        out = r["outputs"][name]
        assert out["drivers"] and out["summary"].startswith(out["drivers"][0]["input"])
    # the allies' veto holds enlargement at the status quo whatever the inputs (docs/outcome.md)
    held = r["outputs"]["compromise forecast of enlargement"]
    assert held["drivers"] == [] and held["summary"].startswith("No uncertain input moves")
    main(["sensitivity"])
    text = capsys.readouterr().out
    assert "moves the compromise forecast of strike_weapons most" in text
    assert "P(escalation) under compromise" in text


def test_sensitivity_sobol_in_words(two, capsys):
    main(["sensitivity", str(two), "--method", "sobol", "-n", "64", "-m", "compromise"])
    text = capsys.readouterr().out
    # one uncertain input: it explains all the variance
    assert "A capability explains 100% of the variance of the compromise forecast of x" in text


def test_sensitivity_bad_method(two, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sensitivity", str(two), "--method", "morris"])
    assert exc.value.code == 2
    assert "--method" in capsys.readouterr().err
