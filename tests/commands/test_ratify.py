"""``detente ratify``: the report on the two-level test scenario and its input errors.

Expected votes follow from the fixture's numbers (tests/ratification_scenario.py docstring):
democrats approve enlargement x iff 60 < x < 100, republicans iff 90 < x < 100, every Duma member
iff x < 100; 67 of 100 senators and 226 of 450 Duma members are needed.
"""

from __future__ import annotations

import json

import pytest

from detente import api
from detente.analyses.ratify_report import ratify_report
from detente.commands import ratify as cmd
from detente.errors import InputError
from detente.models import registry
from detente.scenario import Loaded
from tests.ratification_scenario import doc, point_arrays, scenario


@pytest.fixture
def loaded(monkeypatch):
    sc = scenario()
    arrays = point_arrays(sc)
    # the command loads through the facade
    monkeypatch.setattr(api, "load", lambda name: Loaded(scenario=sc, source=str(name)))
    return sc, arrays


def _report(**kw):
    sc = scenario()
    return ratify_report(sc, point_arrays(sc), source="test.yaml", **kw)


def _form(pkg: dict, form_id: str) -> dict:
    return next(f for f in pkg["forms"] if f["form"] == form_id)


def test_every_proposal_and_every_models_forecast_in_every_form():
    rep = _report()
    ids = [p["id"] for p in rep["packages"]]
    assert ids == ["russia-draft", "compromise", "status-quo"] + [
        f"forecast:{m}" for m in registry()
    ]
    for p in rep["packages"]:
        assert [f["form"] for f in p["forms"]] == ["treaty", "declaration"]


def test_russian_draft_is_blocked_by_the_senate():
    pkg = _report(proposal="russia-draft")["packages"][0]
    treaty = _form(pkg, "treaty")
    assert not treaty["ratified"]
    assert treaty["blocking"] == {"body": "senate", "short": 67}
    senate, duma = treaty["bodies"]
    assert (senate["yes"], senate["needed"], senate["members"], senate["passed"]) == (
        0,
        67,
        100,
        False,
    )
    assert (duma["yes"], duma["needed"], duma["passed"]) == (450, 226, True)
    # democrats (margin 20 - 80) are closer to approving than republicans (5 - 95)
    assert senate["to_win_over"][:50] == [f"democrats[{k}]" for k in range(1, 51)]
    assert senate["to_win_over_summary"] == "50 of democrats, 17 of republicans"
    # the 67th most favourable senator: all 50 democrats rank first, then republicans 1..17
    assert senate["pivot"] == "republicans[17]"
    assert treaty["explanation"] == (
        "Treaty fails: US Senate gives 0 of the 67 votes needed (67 short); it would have to "
        "win over 50 of democrats, 17 of republicans."
    )
    decl = _form(pkg, "declaration")
    assert decl["blocking"] == {"body": "president", "short": 1}
    assert "win over biden" in decl["explanation"]


def test_compromise_is_ratified_in_both_forms_with_its_durable_value():
    pkg = _report(proposal="compromise")["packages"][0]
    treaty, decl = _form(pkg, "treaty"), _form(pkg, "declaration")
    assert treaty["ratified"] and decl["ratified"] and treaty["blocking"] is None
    assert treaty["explanation"] == (
        "Treaty is ratified: every body passes it; the narrowest is US Senate with 33 votes to "
        "spare (pivotal member: republicans[17])."
    )
    # at 92 democrats gain 20 - 12 = 8, republicans 5 - 3 = 2: the 67th most favourable senator
    # is the 17th republican
    # RUS: u(x) = 1 - (0.95 * 0.87 + 0.9 * 0.5) / 1.85 = 0.3102703, u(SQ) = 1 - (0.95 * 0.95
    # + 0.9 * 1) / 1.85 = 0.0254054; treaty keeps 0.99^20 = 0.8179069 of the difference
    u_x, u_sq = 1 - (0.95 * 0.87 + 0.9 * 0.5) / 1.85, 1 - (0.95 * 0.95 + 0.9) / 1.85
    assert treaty["durable_value"]["RUS"] == pytest.approx(
        u_sq + 0.8179069376 * (u_x - u_sq), abs=1e-6
    )
    assert decl["durable_value"]["RUS"] == pytest.approx(
        u_sq + 0.3584859224 * (u_x - u_sq), abs=1e-6
    )


def test_compromise_model_forecast_fails_the_senate_by_17():
    rep = _report()
    pkg = next(p for p in rep["packages"] if p["id"] == "forecast:compromise")
    assert pkg["values"]["enlargement"] == pytest.approx(10582.5 / 150.5, abs=1e-6)
    assert pkg["model"]["model"] == "compromise" and "options" in pkg["model"]
    treaty = _form(pkg, "treaty")
    assert treaty["blocking"] == {"body": "senate", "short": 17}
    assert treaty["bodies"][0]["to_win_over_summary"] == "17 of republicans"


def test_set_values_on_top_of_the_status_quo_and_of_a_proposal():
    rep = _report(set_values=["enlargement=95"])
    (pkg,) = rep["packages"]
    assert pkg["kind"] == "custom" and pkg["values"] == {"enlargement": 95.0, "legal_form": 0.0}
    assert _form(pkg, "treaty")["ratified"]
    (pkg,) = _report(proposal="russia-draft", set_values=["enlargement=91"])["packages"]
    assert pkg["values"] == {"enlargement": 91.0, "legal_form": 100.0}
    assert pkg["name"] == "russia-draft with enlargement=91"


def test_form_option_restricts_the_forms():
    rep = _report(forms=["declaration"], proposal="compromise")
    assert [f["form"] for f in rep["packages"][0]["forms"]] == ["declaration"]


def test_forum_forecasts_bargain_without_outsiders():
    rep = _report(forum="concert")
    pkg = next(p for p in rep["packages"] if p["id"] == "forecast:compromise")
    assert pkg["values"]["enlargement"] == pytest.approx(8782.5 / 132.5, abs=1e-6)
    assert [f["form"] for f in pkg["forms"]] == ["declaration"]  # the concert's only form
    assert rep["options"]["forum"] == {"outsiders": "exclude", "discount": 0.5}


def test_probability_and_nearest_package():
    rep = _report(proposal="russia-draft", samples=50, nearest=True, forms=["treaty"])
    treaty = rep["packages"][0]["forms"][0]
    # every spread is 0: the draws change nothing and the treaty never passes
    assert treaty["probability"] == {"p": 0.0, "se": 0.0, "samples": 50}
    near = treaty["nearest"]
    assert near["values"]["enlargement"] == pytest.approx(90.0, abs=1e-6)  # republicans: > 90
    assert near["values"]["legal_form"] == 100.0  # no treaty body weighs it
    assert near["distance"] == pytest.approx(0.9, abs=1e-6)


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"forms": ["summit"]}, "--form", "unknown form 'summit'; known: treaty, declaration"),
        ({"proposal": "nope"}, "--proposal", "unknown proposal 'nope'; known: russia-draft"),
        ({"set_values": ["enlargement"]}, "--set", "'enlargement' is not ISSUE=VALUE"),
        ({"set_values": ["kaliningrad=3"]}, "--set", "unknown issue 'kaliningrad'; known"),
        ({"set_values": ["enlargement=lots"]}, "--set", "the value must be a number"),
        ({"set_values": ["enlargement=120"]}, "--set", "off the scale; allowed: 0 to 100"),
        ({"set_values": ["enlargement=nan"]}, "--set", "off the scale; allowed: 0 to 100"),
        ({"forum": "g20"}, "--forum", "unknown forum 'g20'; known: nrc, concert"),
    ],
)
def test_bad_input_raises_input_error(kw, field, words):
    with pytest.raises(InputError) as e:
        _report(**kw)
    prob = e.value.problems[0]
    assert prob.source == "test.yaml" and prob.field == field and words in prob.message


def test_scenario_without_forms_is_an_input_error():
    d = doc()
    d["forms"], d["forums"] = [], []
    from detente.scenario.schema import Scenario

    sc = Scenario.model_validate(d)
    with pytest.raises(InputError, match="the scenario has no forms"):
        ratify_report(sc, point_arrays(sc))


def test_command_prints_tables(loaded, capsys):
    cmd.ratify("two-level", proposal="russia-draft")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Ratification: Two-level test scenario"
    assert any(line.split() == ["treaty", "senate", "0", "67", "100", "NO"] for line in lines)
    assert any(line.split() == ["treaty", "duma", "450", "226", "450", "yes"] for line in lines)
    assert "Treaty fails: US Senate gives 0 of the 67 votes needed (67 short)" in out


def test_command_json(loaded, capsys):
    cmd.ratify("two-level", form=["treaty"], set_=["enlargement=95"], json_=True)
    rep = json.loads(capsys.readouterr().out)
    assert rep["packages"][0]["forms"][0]["ratified"] is True
    assert rep["status_quo"] == {"enlargement": 100.0, "legal_form": 0.0}


def test_command_checks_its_options(loaded):
    with pytest.raises(InputError, match="allowed: exclude, discounted"):
        cmd.ratify("two-level", outsiders="ignore")
    with pytest.raises(InputError, match="allowed: 0 to 1"):
        cmd.ratify("two-level", discount=2.0)


def test_render_shows_probability_and_nearest():
    text = cmd.render(_report(proposal="russia-draft", samples=10, nearest=True))
    assert "P(ratified) = 0.000 (se 0.000, 10 draws)" in text
    assert "Nearest package that passes (distance 0.9 in scale widths): enlargement=90" in text


def test_registers_as_a_typer_command(loaded):
    import typer
    from typer.testing import CliRunner

    app = typer.Typer()
    app.command()(cmd.ratify)
    app.command("other")(lambda: None)  # two commands, so that `ratify` is a subcommand
    res = CliRunner().invoke(
        app, ["ratify", "two-level", "--set", "enlargement=95", "--set", "legal_form=10", "--json"]
    )
    assert res.exit_code == 0, res.output
    pkg = json.loads(res.stdout)["packages"][0]
    assert pkg["values"] == {"enlargement": 95.0, "legal_form": 10.0}
    res = CliRunner().invoke(app, ["ratify", "two-level", "--form", "summit"])
    assert isinstance(res.exception, InputError)
