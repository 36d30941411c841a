"""The facade (issue 19, step 1): every analysis through ``detente.api``, JSON-ready.

Each function takes a parsed scenario (or a name) and options and returns what the CLI prints
with ``--json``; the commands only render it. Small sample counts keep these tests quick.
"""

from __future__ import annotations

import json

import pytest

from detente import api
from detente.analyses.power import CAPABILITIES
from detente.cli import main
from detente.commands.backtest import CAPABILITIES as CLI_CAPABILITIES
from detente.errors import InputError
from detente.scenario import load

RUSSIA = "russia-nato-2021"


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    try:
        main([*argv, "--json"])
    except SystemExit as stop:  # main exits only on an error or a non-zero code
        assert stop.code in (0, None)
    return capsys.readouterr().out


def _dumps(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@pytest.fixture(scope="module")
def russia():
    return load(RUSSIA)


def test_the_facade_names_every_analysis() -> None:
    for name in (
        "forecast",
        "simulate",
        "ratify",
        "crisis",
        "advise",
        "montecarlo",
        "sensitivity",
        "backtest",
        "report",
    ):
        assert callable(getattr(api, name)) and name in api.__all__


def test_ratify_takes_a_parsed_scenario_and_equals_the_cli(russia, capsys) -> None:
    out = api.ratify(russia, forms=["treaty"], set_values=["enlargement=50"])
    text = _cli_json(capsys, "ratify", RUSSIA, "--form", "treaty", "--set", "enlargement=50")
    assert json.loads(text) == out
    assert api.ratify(russia.scenario, forms=["treaty"], set_values=["enlargement=50"]) == out


def test_crisis_takes_a_parsed_scenario_and_equals_the_cli(russia, capsys) -> None:
    out = api.crisis(russia, samples=20, seed=3)
    assert _cli_json(capsys, "crisis", RUSSIA, "--samples", "20", "--seed", "3") == _dumps(out)


def test_advise_montecarlo_and_sensitivity_are_json_ready(russia) -> None:
    adv = api.advise(russia, "RUS", samples=8, seed=1)
    assert adv["actor"] == "RUS" and adv["moves"]
    mc = api.montecarlo(russia, samples=16, seed=2, models=["compromise"])
    assert mc["samples"] == 16
    sens = api.sensitivity(russia, models=["compromise"], top=2)
    assert sens["method"] == "oat"
    for data in (adv, mc, sens):
        _dumps(data)  # JSON-ready: no NumPy values, no NaN


def test_simulate_and_forecast_take_a_parsed_scenario(russia) -> None:
    sim = api.simulate(russia, "compromise", rounds=2)
    assert sim["rounds"][0]["round"] == 0
    fc = api.forecast(russia, ["compromise"], samples=0)
    assert set(fc["forecasts"]) == {"compromise"}


def test_user_mistakes_are_input_errors(russia) -> None:
    with pytest.raises(InputError, match="--outsiders"):
        api.ratify(russia, outsiders="ignore")
    with pytest.raises(InputError, match="unknown actor"):
        api.advise(russia, "XX", samples=4)
    with pytest.raises(InputError, match="no crisis section"):
        api.crisis("ec-emissions-1994", samples=0)
    with pytest.raises(InputError, match="allowed: oat, sobol"):
        api.sensitivity(russia, method="morris")
    with pytest.raises(InputError, match="allowed: local, processes, dask"):
        api.montecarlo(russia, backend="gpu")
    with pytest.raises(InputError, match="allowed: html, md"):
        api.report(russia, fmt="pdf")


def test_the_cli_keeps_its_own_copy_of_the_capability_conventions() -> None:
    # the copy keeps NumPy out of `detente --help`; it must not drift from the analysis
    assert tuple(CLI_CAPABILITIES) == tuple(CAPABILITIES)
