"""Outside options that are not war (issue 18): ``crisis.responses``.

Each target's alternative to conceding is its own response to force, fight or resist without
fighting, at its own cost. Properties: a dearer response never makes a target concede less
(the acceptable range's top never falls); without ``responses`` every target uses
``cost_target`` exactly as before.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from importlib.resources import files

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.analyses.outcome import acceptable_range, signing
from detente.scenario import compile_scenario, load_scenario
from detente.scenario.crisis import compile_crisis
from tests._bad_input import one_line_error

BASE = yaml.safe_load(
    (files("detente") / "scenarios" / "russia-nato-2021.yaml").read_text(encoding="utf-8")
)
SC = load_scenario("russia-nato-2021")
ARRAYS = compile_scenario(SC)
CR = compile_crisis(SC, ARRAYS)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(CR.targets) - 1), st.floats(0.0, 2.0), st.floats(0.0, 1.0))
def test_property_a_dearer_response_never_lowers_what_the_targets_concede(t, extra, hazard):
    costs = CR.target_costs().copy()
    dearer = costs.copy()
    dearer[:, t] += extra
    before = acceptable_range(ARRAYS, replace(CR, cost_targets=costs), hazard)["high"]
    after = acceptable_range(ARRAYS, replace(CR, cost_targets=dearer), hazard)["high"]
    assert np.all(after >= before - 1e-12)


def test_without_responses_every_target_uses_cost_target():
    doc = copy.deepcopy(BASE)
    del doc["crisis"]["responses"]
    from detente.scenario.loading import validate_document

    sc = validate_document(doc, {}, "test").scenario
    arrays = compile_scenario(sc)
    cr = compile_crisis(sc, arrays)
    assert np.array_equal(cr.target_costs(), np.repeat(cr.cost_target[:, None], 8, axis=1))
    assert set(cr.responses) == {"fight"}


def _package_with_share(target: float) -> np.ndarray:
    """A package on the line from the status quo to the challenger's ideal with RUS's share
    equal to ``target`` (bisection; the share rises along the line)."""
    sq, ideal = ARRAYS.status_quo[0], CR.ideal[0]
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if CR.share((sq + mid * (ideal - sq))[None])[0] < target:
            lo = mid
        else:
            hi = mid
    return (sq + hi * (ideal - sq))[None]


def test_the_range_and_the_signing_rule_agree_with_per_target_costs():
    """Independent check of the solved range with per-target costs: every target signs a
    package just below its top, and the binding target refuses one just above it."""
    r = acceptable_range(ARRAYS, CR, 0.0)
    top, k = float(r["high"][0]), int(r["binding_target"][0])
    below = signing(ARRAYS, _package_with_share(top - 1e-4), crisis=CR)
    above = signing(ARRAYS, _package_with_share(top + 1e-4), crisis=CR)
    assert below["accepts"][0, 1:].all()
    assert not above["accepts"][0, 1 + k]
    assert CR.responses[list(CR.targets).index("UKR")] == "fight"


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("crisis", "responses", "GEO"), {"cost": 0.1}, "'GEO' is not a target"),
        (("crisis", "responses", "USA"), {"response": "flee", "cost": 0.1}, "responses.USA"),
        (("crisis", "responses", "USA"), {"cost": -0.2}, "can be below 0"),
    ],
)
def test_bad_responses_are_one_line_errors(tmp_path, capsys, where, value, message):
    assert message in one_line_error(tmp_path, capsys, where, value, "validate")


def test_crisis_says_what_the_build_up_buys_and_how_credible_it_is():
    """Fearon (1997) by hand: belief (V - v_f)/(V - K) with v_f = c_C/p, and the most the
    targets concede is higher with the build-up than without it."""
    from detente import api

    ar = api.crisis(samples=20)["acceptable_range"]
    sg = ar["signal"]
    v, v_f, k = sg["value_max"], sg["v_fight"], sg["sunk"]
    assert ar["targets_belief"] == pytest.approx((v - v_f) / (v - k), abs=1e-12)
    assert ar["targets_prior"] == pytest.approx((v - v_f) / v, abs=1e-12)
    assert ar["high"] > ar["high_without_signal"]
    assert ar["binding_target"] in CR.targets
