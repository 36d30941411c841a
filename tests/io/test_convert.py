"""``detente convert``: every input format to YAML/CSV, round trips, and refusals.

Expected numbers come from the input files themselves (GENIUS XML weights and evaluations, the
Decide and KTAB rows quoted below) and from the compromise model's published formula (the
capability x salience weighted mean, models.md), computed by hand here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente import api
from detente.commands.convert import convert, convert_file, detect_format
from detente.errors import InputError
from detente.io.decide import read_decide
from detente.io.export import render_csv, render_yaml
from detente.scenario import compile_scenario, load
from detente.scenario.loading import parse_csv, validate_document
from detente.scenario.yamlmap import parse_yaml
from tests.io.shared import REPO, shared_data
from tests.io.test_genius import ENGLAND_W, ZIMBABWE_W

SCENARIOS = REPO / "src" / "detente" / "scenarios"
DECIDE = REPO / "tests" / "fixtures" / "decide" / "cop21.csv"


def ez_domain() -> Path:
    return shared_data("genius", "EnglandZimbabwe", "EnglandZimbabwe_domain.xml")


def arrays_of(path: Path):
    return compile_scenario(load(path).scenario)


def same_numbers(a, b) -> None:
    """The core numbers two compiled scenarios hold are identical."""
    assert a.actor_ids == b.actor_ids and a.issue_ids == b.issue_ids
    for name in ("position", "salience", "capability", "mask", "scale_min", "scale_max"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.status_quo, b.status_quo)


# ------------------------------------------------------------------------------------------
# GENIUS


def test_genius_converts_and_forecasts(tmp_path):
    out = tmp_path / "ez.yaml"
    result = convert_file(ez_domain(), out)
    assert sum("not single-peaked" in w for w in result.warnings) == 2
    fc = api.forecast(str(out), ["compromise"])["forecasts"]["compromise"]
    # compromise = sum(c s x) / sum(c s) with equal capability; England at $10 billion
    # (200/3), Zimbabwe at $100 Billion (0), saliences 100 x the weights in the two XML files
    expected = 200 / 3 * ENGLAND_W[0] / (ENGLAND_W[0] + ZIMBABWE_W[0])
    assert fc["Size_of_Fund"] == pytest.approx(expected, abs=1e-5)  # = 40.40
    # Zimbabwe Trade Policy: England at item 1 (0), Zimbabwe at item 2 of 3 (50)
    expected = 50 * ZIMBABWE_W[2] / (ENGLAND_W[2] + ZIMBABWE_W[2])
    assert fc["Zimbabwe_Trade_Policy"] == pytest.approx(expected, abs=1e-5)  # = 37.93
    sc = load(out).scenario
    fund = sc.issue("Size_of_Fund")
    assert fund.name == "Size of Fund" and fund.label(66.7) == "$10 billion"
    assert sorted(fund.anchors) == pytest.approx([0, 100 / 3, 200 / 3, 100], abs=1e-5)
    assert all(s.why.startswith("GENIUS ") for s in sc.stances)
    assert "reservation value 0" in sc.meta.description
    text = out.read_text(encoding="utf-8")
    # one stance per line, flow style
    assert "  - {actor: England, issue: Size_of_Fund, position: 66.666667," in text


def test_genius_uncertain_profile_keeps_its_settings_in_the_description(tmp_path):
    out = tmp_path / "ez10.yaml"
    profile = shared_data("genius", "EnglandZimbabwe_uncertain_variant", "England10.xml")
    convert_file(ez_domain(), out, profiles=[str(profile)], capabilities={"England10": 2})
    sc = load(out).scenario
    # England10.xml: <discount_factor value="1.0">, <reservation value="0.00617677">, 10 comparisons
    d = sc.meta.description
    assert "reservation value 0.00617677" in d and "discount factor 1" in d
    assert "comparisons=10" in d and "UNCERTAIN" in d
    assert sc.actors[0].capability.centre == 2.0


def test_genius_options_reach_the_import(tmp_path):
    domain = shared_data("genius", "AMPOvsCity", "ampo_vs_city_template.xml")
    out = tmp_path / "ampo.yaml"
    convert_file(domain, out, genius_options=["ties=mean"])
    sc = load(out).scenario
    assert "ties=mean" in sc.meta.description
    # ampo_vs_city_ampo_space.xml, vacation (more than five years): evaluations 0,0,0,100,100
    # on five items; the mean of the tied items' points 75 and 100
    (vac,) = [s for s in sc.stances if s.actor == "AMPO" and "More_Than" in s.issue]
    assert vac.position.centre == 87.5
    with pytest.raises(InputError, match="ties"):
        convert_file(domain, tmp_path / "x.yaml", genius_options=["ties=random"])


def test_genius_nonlinear_is_refused_and_nothing_written(tmp_path):
    out = tmp_path / "ten.yaml"
    domain = shared_data(
        "genius", "10issuesDiscountedwithRV", "10issuesDiscountedwithRV-domain.xml"
    )
    with pytest.raises(InputError, match="nonlinear"):
        convert_file(domain, out)
    assert not out.exists()


# ------------------------------------------------------------------------------------------
# Round trips between detente's own formats


def test_yaml_csv_yaml_keeps_the_core_numbers(tmp_path):
    src = SCENARIOS / "ec-emissions-1994.yaml"
    convert_file(src, tmp_path / "ec.csv")
    convert_file(tmp_path / "ec.csv", tmp_path / "ec.yaml")
    same_numbers(arrays_of(src), arrays_of(tmp_path / "ec.yaml"))
    # the table has the scale columns: the EC issue runs 4..10 (bundled file)
    assert (tmp_path / "ec.csv").read_text().splitlines()[0] == (
        "actor,issue,position,salience,capability,scale_min,scale_max,status_quo,name"
    )


OVERRIDES = """meta: {title: overrides}
actors:
  - {id: A, capability: 2}
  - {id: B, capability: 1.5, name: "Bee, Inc."}
issues:
  - {id: x, scale: {min: -1, max: 1}, status_quo: 0.25}
  - {id: y}
stances:
  - {actor: A, issue: x, position: -0.5, salience: 40, capability: 3}
  - {actor: A, issue: y, position: 12.5, salience: 60, demand: 5, publicity: 0.5}
  - {actor: B, issue: x, position: 1, salience: 33.3}
"""


def test_round_trip_with_overrides_demands_and_scales(tmp_path):
    src = tmp_path / "o.yaml"
    src.write_text(OVERRIDES, encoding="utf-8")
    convert_file(src, tmp_path / "o.csv")
    convert_file(tmp_path / "o.csv", tmp_path / "o2.yaml")
    convert_file(tmp_path / "o2.yaml", tmp_path / "o3.csv")
    a, b = arrays_of(src), arrays_of(tmp_path / "o2.yaml")
    same_numbers(a, b)
    np.testing.assert_array_equal(a.demand, b.demand)
    np.testing.assert_array_equal(a.publicity, b.publicity)
    # CSV -> YAML -> CSV is a fixed point
    assert (tmp_path / "o.csv").read_text() == (tmp_path / "o3.csv").read_text()
    assert load(tmp_path / "o2.yaml").scenario.actor("B").name == "Bee, Inc."


def test_yaml_to_yaml_keeps_everything(tmp_path):
    src = SCENARIOS / "china-soe-reform.yaml"
    convert_file(src, tmp_path / "c.yaml")
    assert load(tmp_path / "c.yaml").scenario == load(src).scenario


def test_csv_refuses_ranges(tmp_path):
    # china-soe-reform.yaml gives both status quos as ranges ([10, 20], [0, 20])
    with pytest.raises(InputError) as err:
        convert_file(SCENARIOS / "china-soe-reform.yaml", tmp_path / "c.csv")
    assert "range or distribution" in err.value.first_line
    assert err.value.problems[0].field.endswith("status_quo")
    assert not (tmp_path / "c.csv").exists()


# ------------------------------------------------------------------------------------------
# Decide, KTAB, Predictioneer


def test_decide_to_yaml(tmp_path):
    out = tmp_path / "cop21.yaml"
    result = convert_file(DECIDE, out)
    assert result.from_format == "decide"
    sc = load(out).scenario
    assert len(sc.stances) == 181  # fixtures/decide/README.md: 181 actor-issue rows
    # cop21.csv line 55: '#D' 'African_grp' 'differentiation' 70.0 0.75 0.25
    first = sc.stances[0]
    assert (first.actor, first.issue, first.position.centre, first.salience.centre) == (
        "African_grp",
        "differentiation",
        70.0,
        75.0,
    )
    assert sc.actor("African_grp").capability.centre == 0.25
    assert first.why == "imported from Decide file cop21.csv"
    a, b = read_decide(DECIDE), arrays_of(out)
    for name in ("position", "salience", "capability", "mask"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=1e-12)


def test_ktab_to_yaml(tmp_path):
    src = shared_data("ktab", "smp", "SOE-Pol-Comp.csv")
    out = tmp_path / "soe.yaml"
    assert convert_file(src, out).from_format == "ktab"
    sc = load(out).scenario
    # SOE-Pol-Comp.csv row 3: XJ,Xi Jinping, 100.0,30,24.0,20,48.0
    xj = [s for s in sc.stances if s.actor == "XJ"]
    assert [(s.position.centre, s.salience.centre) for s in xj] == [(30.0, 24.0), (20.0, 48.0)]
    assert sc.actor("XJ").capability.centre == 100.0


def test_predictioneer_to_yaml_and_forecast(tmp_path):
    src = tmp_path / "p.csv"
    src.write_text("Actor,Clout,Position,Salience\nHawks,100,80,60\nDoves,50,20,90\n")
    out = tmp_path / "p.yaml"
    assert convert_file(src, out).from_format == "predictioneer"
    fc = api.forecast(str(out), ["compromise"])["forecasts"]["compromise"]["issue"]
    # (100*60*80 + 50*90*20) / (100*60 + 50*90) = 570000 / 10500
    assert fc == pytest.approx(54.285714285714, abs=1e-9)


# ------------------------------------------------------------------------------------------
# Format detection, overwrite rules, the command


@pytest.mark.parametrize(
    "parts, fmt",
    [
        (("genius", "Party", "party_domain.xml"), "genius"),
        (("ktab", "smp", "dummyData_3Dim.csv"), "ktab"),
        (("ktab", "smp", "smpExample.xml"), "ktab"),
        (("ktab", "kmodel", "dummyData_3Dim.xml"), "ktab"),
    ],
)
def test_detect_shared_formats(parts, fmt):
    assert detect_format(shared_data(*parts)) == fmt


def test_detect_local_formats(tmp_path):
    assert detect_format(DECIDE) == "decide"
    assert detect_format(REPO / "tests" / "data" / "small.csv") == "csv"
    assert detect_format(SCENARIOS / "ec-emissions-1994.yaml") == "yaml"
    p = tmp_path / "p.csv"
    p.write_text("actor,power,position,salience,issue\nA,1,2,3,x\n")
    assert detect_format(p) == "predictioneer"
    q = tmp_path / "q.csv"
    q.write_text("who,what\n1,2\n")
    with pytest.raises(InputError, match="--from"):
        detect_format(q)


def test_overwrite_needs_force(tmp_path):
    src = SCENARIOS / "ec-emissions-1994.yaml"
    out = tmp_path / "ec.csv"
    out.write_text("keep me")
    with pytest.raises(InputError, match="--force"):
        convert_file(src, out)
    assert out.read_text() == "keep me"
    convert_file(src, out, force=True)
    assert out.read_text().startswith("actor,issue,")
    with pytest.raises(InputError, match="is the input file"):
        convert_file(out, out, force=True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input": "missing.yaml"}, "no such file"),
        ({"from_format": "excel"}, "unknown input format 'excel'"),
        ({"to_format": "xml"}, "unknown output format 'xml'"),
        ({"output": "out.txt"}, "cannot tell the output format"),
        ({"output": "nowhere/out.yaml"}, "does not exist"),
        ({"profiles": ["x.xml"]}, "apply to GENIUS input"),
    ],
)
def test_broken_invocations(tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    args = {"input": str(SCENARIOS / "ec-emissions-1994.yaml"), "output": "out.yaml", **kwargs}
    with pytest.raises(InputError) as err:
        convert_file(**args)
    assert message in err.value.first_line


def test_command_registers_with_typer(tmp_path):
    app = typer.Typer()
    app.command()(convert)
    app.command("noop")(lambda: None)  # a second command, so typer keeps the name "convert"
    out = tmp_path / "ez.yaml"
    res = CliRunner().invoke(app, ["convert", str(ez_domain()), str(out), "--from", "genius"])
    assert res.exit_code == 0, res.output
    assert "wrote yaml from genius (2 actors, 5 issues, 10 stances)" in res.output
    res = CliRunner().invoke(app, ["convert", str(ez_domain()), str(out)])
    assert isinstance(res.exception, InputError) and "--force" in str(res.exception)
    profile = shared_data("genius", "EnglandZimbabwe", "England.xml")
    res = CliRunner().invoke(
        app,
        [
            "convert",
            str(ez_domain()),
            str(out),
            "--profile",
            str(profile),
            "--force",
            "--capability",
            "England=4",
        ],
    )
    assert res.exit_code == 0, res.output
    assert load(out).scenario.actor("England").capability.centre == 4.0


# ------------------------------------------------------------------------------------------
# Property: the writers' text reads back to the same numbers


def _scenario_floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats a scenario accepts: 0, or of magnitude 1e-12 to 1e12 (the README's limits)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).filter(
        lambda x: x == 0 or abs(x) >= 1e-12
    )


@st.composite
def documents(draw):
    n_actors = draw(st.integers(1, 4))
    n_issues = draw(st.integers(1, 3))
    actors = [
        {"id": f"a{k}", "capability": draw(_scenario_floats(0, 1e6))} for k in range(n_actors)
    ]
    issues, stances = [], []
    for j in range(n_issues):
        lo = draw(_scenario_floats(-1e3, 1e3))
        hi = lo + draw(_scenario_floats(1e-3, 1e3))
        hi = hi if abs(hi) >= 1e-12 else 0.0  # lo + width can round to a tiny number
        issues.append({"id": f"i{j}", "scale": {"min": lo, "max": hi}})
        for k in range(n_actors):
            stance = {
                "actor": f"a{k}",
                "issue": f"i{j}",
                "position": draw(_scenario_floats(lo, hi)),
                # at least one salience above 1, or the loader rightly suspects a 0..1 scale
                "salience": 50.0 if k == 0 else draw(_scenario_floats(0, 100)),
            }
            if draw(st.booleans()):
                stance["capability"] = draw(_scenario_floats(0, 1e6))
            stances.append(stance)
    return {"meta": {"title": "t"}, "actors": actors, "issues": issues, "stances": stances}


@settings(max_examples=40, deadline=None)
@given(documents())
def test_writers_read_back_exactly(doc):
    original = compile_scenario(validate_document(doc, {}, "doc").scenario)
    csv_text, _ = render_csv(doc, "doc")
    from_csv = validate_document(*parse_csv(csv_text, "t.csv", "t"), "t.csv").scenario
    same_numbers(original, compile_scenario(from_csv))
    yaml_doc, _ = parse_yaml(render_yaml(doc), "t.yaml")
    assert yaml_doc == {"detente": 1, **doc}


def test_cli_maps_convert_errors_to_exit_2(tmp_path, monkeypatch, capsys):
    from detente import cli

    app = typer.Typer()
    app.command()(convert)
    app.command("noop")(lambda: None)
    monkeypatch.setattr(cli, "app", app)  # as cli.py will register it, without editing cli.py
    domain = shared_data(
        "genius", "10issuesDiscountedwithRV", "10issuesDiscountedwithRV-domain.xml"
    )
    with pytest.raises(SystemExit) as exit_:
        cli.main(["convert", str(domain), str(tmp_path / "ten.yaml")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("detente: ") and "profile-1.xml:4: " in err[0]
