"""Forms carry substance (issue 18): ``forms[].fixes`` / ``bounds`` commit the package.

A binding treaty and a revisable declaration with the same wording are different objects to a
senator (Putnam 1988): the form fixes the legal-form issue before every signature and vote.
Independent checks: the votes are recomputed on the package with the fixed issue set by hand,
and the Monte Carlo engine's per-form verdicts equal a vote on the carried package.
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.analyses.ratification import form_votes, passes
from detente.scenario import compile_scenario, load_scenario
from detente.scenario.ratification import CompiledForm, carrier, compile_ratification
from tests._bad_input import one_line_error

BASE = yaml.safe_load(
    (files("detente") / "scenarios" / "russia-nato-2021.yaml").read_text(encoding="utf-8")
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=3, max_size=3),
    st.floats(0, 100),
    st.tuples(st.floats(0, 100), st.floats(0, 100)).map(sorted),
)
def test_property_carry_sets_fixed_clips_bounded_and_is_idempotent(x, v, lohi):
    lo, hi = lohi
    f = CompiledForm("f", (), np.zeros(1), np.zeros(1), fixed=((2, v),), bounded=((0, lo, hi),))
    y = f.carry(np.array([x]))
    assert y[0, 2] == v
    assert lo <= y[0, 0] <= hi and (y[0, 0] == x[0] or not lo <= x[0] <= hi)
    assert y[0, 1] == x[1]
    assert np.array_equal(f.carry(y), y)


def test_a_treaty_and_a_declaration_with_the_same_wording_differ_in_the_senate():
    sc = load_scenario("russia-nato-2021")
    arrays = compile_scenario(sc)
    rat = compile_ratification(sc, status_quo=arrays.status_quo)
    senate = rat.body("us-senate")
    j = list(rat.issue_ids).index("legal_form")
    # one text: the status quo with a political moratorium on strike weapons
    x = rat.status_quo[0].copy()
    x[list(rat.issue_ids).index("strike_weapons")] = 50.0
    as_treaty = rat.form("treaty").carry(x[None])
    as_declaration = rat.form("declaration").carry(x[None])
    assert as_treaty[0, j] == 0.0 and as_declaration[0, j] == 50.0
    yes_t = int(form_votes(as_treaty, (senate,)).yes[0, 0])
    yes_d = int(form_votes(as_declaration, (senate,)).yes[0, 0])
    assert yes_t < yes_d  # binding the United States costs votes
    # by hand: a bill that only changes legal_form to a binding 0 gains no senator
    y = rat.status_quo[0].copy()
    y[j] = 0.0
    assert int(form_votes(y[None], (senate,)).yes[0, 0]) == 0


def test_montecarlo_votes_on_the_package_as_the_form_carries_it():
    from detente.analyses.montecarlo import Plan, block_rng, run_block
    from detente.scenario.parameters import compile_all, draw_values, uncertain_parameters

    sc = load_scenario("russia-nato-2021")
    params = tuple(uncertain_parameters(sc))
    values = draw_values(list(params), 16, np.random.default_rng(3))
    plan = Plan(scenario=sc, params=params, models=("compromise",), seed=3)
    out, _ = run_block(plan, values, 0)
    comp = compile_all(
        sc, list(params), values, block_rng(3, 0), plan.crisis_options.pie_zero, plan.name
    )
    x = out["forecast/compromise"]
    for form in comp.ratification.forms:
        want = np.ones(x.shape[0], dtype=bool)
        for k in form.bodies:
            want &= passes(form.carry(x), comp.ratification.bodies[k])
        assert np.array_equal(out[f"ratified/{form.id}/compromise"], want), form.id


def test_carrier_matches_the_compiled_form():
    sc = load_scenario("russia-nato-2021")
    rat = compile_ratification(sc)
    x = np.linspace(0, 100, len(rat.issue_ids))[None]
    for form in rat.forms:
        assert np.array_equal(carrier(sc, form.id)(x), form.carry(x))


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("forms", 0, "fixes"), {"nope": 0}, "forms[0].fixes.nope: unknown issue 'nope'"),
        (("forms", 0, "fixes"), {"legal_form": 150}, "must lie on the issue's scale, 0 to 100"),
        (("forms", 0, "bounds"), {"enlargement": [80, 20]}, "low <= high"),
        (("forms", 0, "bounds"), {"legal_form": [0, 10]}, "already fixed by `fixes`"),
    ],
)
def test_bad_commitments_are_one_line_errors(tmp_path, capsys, where, value, message):
    assert message in one_line_error(tmp_path, capsys, where, value, "validate")


def test_time_pressure_signs_only_where_the_talks_finish_by_the_deadline():
    """Time pressure (issue 18): a deal is signed only in draws with talks_months <= deadline."""
    from dataclasses import replace

    from detente.analyses.outcome import signing
    from detente.scenario.crisis import compile_crisis

    sc = load_scenario("russia-nato-2021")
    arrays = compile_scenario(sc, samples=64, rng=np.random.default_rng(5))
    cr = compile_crisis(sc, arrays, samples=64, rng=np.random.default_rng(6))
    # no audience costs and no chance of war: the status quo as a package is what every
    # signatory already has, so all sign it wherever the talks finish in time
    cr = replace(
        cr,
        p_win=np.zeros(64),
        p_future=np.full(64, np.nan),
        cost_target=np.ones(64),
        cost_targets=np.ones((64, len(cr.targets))),
        audience_challenger=np.zeros(64),
        audience_targets=np.zeros_like(cr.audience_targets),
    )
    x = arrays.status_quo
    free = replace(cr, talks_months=np.full(64, np.nan))
    base = signing(arrays, x, crisis=free)
    assert base["signed"].all()
    months = np.linspace(0, 6, 64)
    timed = signing(arrays, x, crisis=replace(cr, talks_months=months))
    assert np.array_equal(timed["signed"], months <= cr.deadline_months)
    assert 0 < timed["signed"].sum() < 64
    # a longer deadline never removes a signed draw (monotone)
    longer = replace(cr, talks_months=months, deadline_months=cr.deadline_months * 2)
    assert np.all(signing(arrays, x, crisis=longer)["signed"] >= timed["signed"])


def test_ratify_explains_the_legal_form_a_treaty_fixes_and_searches_only_carried_packages():
    from detente import api

    r = api.ratify(forms=["treaty"], proposal="frolov-compromise", nearest=True)
    (form,) = r["packages"][0]["forms"]
    assert form["commits"] == {"legal_form": 0.0}
    senate = next(b for b in form["bodies"] if b["body"] == "us-senate")
    assert not senate["passed"]
    lost = {c["issue"]: c for c in senate["costly_issues"]}
    assert lost["legal_form"]["fixed_by_form"] and lost["legal_form"]["votes"] > senate["yes"]
    assert "the form fixes it" in form["explanation"]
    if form.get("nearest"):
        assert form["nearest"]["values"]["legal_form"] == 0.0
