"""Issue 22: capabilities are relative, so their unit must not move a forecast.

Multiplying every capability by a positive constant leaves every model's forecast unchanged
within 1e-9, except SMP's, which depends on the unit (measured on ec-emissions-1994: 2.15 scale
points when capabilities are multiplied by 1e-6). That dependence is recorded as a strict
expected failure until SMP is made invariant or its documentation says why it is not.

Saliences are relative weights for the weighted-centre models (compromise, median, NBS, detente;
mean ignores them). BDM and the exchange model are left out of the salience case: on
china-soe-reform halving every salience moves their forecasts by up to 3 scale points, as their
formulas read a salience on its absolute scale (documented in each model's module docstring, as
is SMP's dependence on the capability unit, KTAB's arithmetic).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from detente import api
from detente.models import registry
from detente.scenario import bundled_scenarios
from detente.scenario.loading import validate_document

SCENARIOS = ["ec-emissions-1994", "china-soe-reform"]
CASES = [("capability", 1e-6), ("capability", 1e3), ("salience", 0.5)]
SALIENCE_ABSOLUTE = {"bdm", "exchange"}  # see the module docstring


def _scaled(doc: dict[str, Any], key: str, factor: float) -> dict[str, Any]:
    """``doc`` with every ``key`` number (points and ranges) in actors and stances scaled."""
    doc = copy.deepcopy(doc)
    for entry in [*doc["actors"], *doc["stances"]]:
        value = entry.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            entry[key] = value * factor
        elif isinstance(value, list):
            entry[key] = [v * factor for v in value]
        elif value is not None:
            raise AssertionError(f"scale {key} given as {value!r} by hand")
    return doc


def _forecasts(doc: dict[str, Any], name: str, model: str) -> dict[str, float]:
    loaded = validate_document(doc, {}, name)
    return api.forecast(loaded, [model])["forecasts"][model]


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize(("key", "factor"), CASES)
@pytest.mark.parametrize(
    "model",
    [
        pytest.param(
            m,
            marks=pytest.mark.xfail(
                strict=True, reason="SMP's forecast depends on the capability and salience unit"
            ),
        )
        if m == "smp"
        else m
        for m in registry()
    ],
)
def test_forecasts_do_not_depend_on_units(name, key, factor, model):
    if key == "salience" and model in SALIENCE_ABSOLUTE | {"smp"}:
        pytest.skip(f"{model}'s forecast depends on the salience unit (module docstring)")
    doc = yaml.safe_load(bundled_scenarios()[name].read_text(encoding="utf-8"))
    base = _forecasts(doc, name, model)
    scaled = _forecasts(_scaled(doc, key, factor), name, model)
    assert scaled == pytest.approx(base, abs=1e-9)
