"""Monte Carlo: draws, statistics against closed forms, and byte-identical results whatever the
backend, worker count or chunk size (issue 7, "Done means")."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest

from detente.analyses.montecarlo import chunks, run_montecarlo
from detente.scenario import compile_scenario, load_scenario
from detente.scenario.compile import compile_values, draw_core
from detente.scenario.parameters import compile_all, draw_values, uncertain_parameters
from detente.scenario.schema import Scenario

# Two actors on one issue: A at 0 with capability c ~ U[1, 3], B at 100 with capability 1, equal
# saliences. The compromise (capability x salience weighted mean) is f(c) = 100 / (1 + c):
# decreasing in c, so its q-quantile is f(1 + 2 (1 - q)) and its mean is
# (1/2) * integral_1^3 100 / (1 + c) dc = 50 ln 2. One senator with ideal z ~ U[0, 100] and
# status quo 0 approves x = f(c) iff |x - z| < |z|, i.e. z > x / 2: P = E[1 - f(c) / 200].
TWO: dict[str, Any] = {
    "meta": {"title": "two actors"},
    "actors": [{"id": "A", "capability": [1, 3]}, {"id": "B", "capability": 1}],
    "issues": [{"id": "x", "status_quo": 0}],
    "stances": [
        {"actor": "A", "issue": "x", "position": 0, "salience": 50},
        {"actor": "B", "issue": "x", "position": 100, "salience": 50},
    ],
    "bodies": [
        {"id": "senate", "threshold": 1, "members": [{"id": "s", "ideal": {"x": [0, 100]}}]}
    ],
    "forms": [{"id": "treaty", "ratified_by": ["senate"]}],
}


def _scenario(doc: dict[str, Any]) -> Scenario:
    return Scenario.model_validate(copy.deepcopy(doc))


def _dump(r: dict[str, Any]) -> str:
    return json.dumps(r, indent=2, allow_nan=False)


def test_core_draws_are_those_of_compile_scenario():
    """The parameter vector draws the core Numbers in compile_scenario's order and stream."""
    sc = load_scenario("russia-nato-2021")
    params = uncertain_parameters(sc)
    values = draw_values(params, 50, np.random.default_rng(7))
    ours = compile_all(sc, params, values, np.random.default_rng(0)).arrays
    ref = compile_scenario(sc, 50, np.random.default_rng(7))
    for f in ("position", "salience", "capability", "status_quo", "demand", "publicity"):
        np.testing.assert_array_equal(getattr(ours, f), getattr(ref, f), err_msg=f)
    # drawing and compiling apart is compile_scenario
    again = compile_values(sc, draw_core(sc, 50, np.random.default_rng(7)), 50)
    np.testing.assert_array_equal(again.position, ref.position)


def test_labels_cover_core_crisis_and_ratification_sections():
    sc = load_scenario("russia-nato-2021")
    labels = [p.label for p in uncertain_parameters(sc)]
    assert "ITA position on enlargement" in labels
    assert "crisis.p_win" in labels
    assert "forms.treaty.revision_hazard" in labels
    assert len(labels) == len(set(labels))


def test_compromise_quantiles_mean_and_ratification_match_closed_form():
    r = run_montecarlo(_scenario(TWO), 20_000, seed=3, models=["compromise"])
    s = r["issues"]["x"]["compromise"]
    # Monte Carlo error: sd of f(c) is about 7, so the mean's standard error is about 0.05
    assert s["mean"] == pytest.approx(50 * math.log(2), abs=0.25)
    for q in (5, 25, 50, 75, 95):
        assert s["quantiles"][str(q)] == pytest.approx(100 / (1 + 1 + 2 * (1 - q / 100)), abs=0.4)
    assert sum(s["histogram"]["counts"]) == 20_000
    # f(c) lies in [25, 50]: bins 5..9 of 20 on 0..100
    assert sum(s["histogram"]["counts"][5:10]) == 20_000
    p_expected = 1 - 50 * math.log(2) / 200
    p_treaty = r["ratification"]["treaty"]["models"]["compromise"]
    assert p_treaty == pytest.approx(p_expected, abs=0.02)


def test_escalation_is_the_brinkmanship_risk_when_the_offer_is_never_rejected():
    """Complete information (point belief): the optimal offer is accepted (models.md B.2), so
    P(escalation) at the offer is E[1 - exp(-h t)] with h ~ U[a, b]: closed form (B.5)."""
    doc = copy.deepcopy(TWO)
    del doc["bodies"], doc["forms"]
    a, b, t = 0.01, 0.05, 6.0
    doc["crisis"] = {
        "challenger": "A",
        "targets": ["B"],
        "stakes": {"x": 1},
        "p_win": 0.5,
        "cost_challenger": 0.1,
        "cost_target": 0.1,
        "deadline_months": t,
        "brinkmanship": {"hazard_per_month": [a, b]},
    }
    r = run_montecarlo(_scenario(doc), 4000, seed=1, models=["compromise"])
    expected = 1 - (math.exp(-a * t) - math.exp(-b * t)) / (t * (b - a))
    assert r["escalation"]["offer"] == pytest.approx(expected, abs=0.003)


def test_p_solution_reported_for_models_that_can_disagree():
    r = run_montecarlo(_scenario(TWO), 64, models=["compromise", "nbs"])
    assert "p_solution" in r["issues"]["x"]["nbs"]
    assert "p_solution" not in r["issues"]["x"]["compromise"]
    assert 0.0 <= r["issues"]["x"]["nbs"]["p_solution"] <= 1.0


def test_chunks_are_runs_of_whole_blocks():
    assert chunks(1000, 256, None) == [(0, 1000)]
    assert chunks(1000, 256, 1) == [(0, 256), (256, 512), (512, 768), (768, 1000)]
    assert chunks(1000, 256, 300) == [(0, 512), (512, 1000)]


def test_identical_json_for_every_backend_worker_count_and_chunk_size():
    """Issue 7: same seed, identical JSON for local, processes and Dask with 1 and 2 workers,
    and with different chunk sizes. The default scenario has bloc members drawn inside each
    block (block-keyed generators) and a crisis section."""
    sc = load_scenario("russia-nato-2021")
    run = dict(samples=120, seed=11, models=["compromise", "nbs", "detente"], block_size=32)
    ref = _dump(run_montecarlo(sc, **run))
    variants = [
        dict(chunk_size=32),
        dict(chunk_size=50),
        dict(backend="processes", workers=1, chunk_size=64),
        dict(backend="processes", workers=2, chunk_size=32),
        dict(backend="dask", workers=1, chunk_size=96),
        dict(backend="dask", workers=2, chunk_size=32),
    ]
    for v in variants:
        assert _dump(run_montecarlo(sc, **run, **v)) == ref, v
    # and the seed matters
    assert _dump(run_montecarlo(sc, **{**run, "seed": 12})) != ref


def test_bad_arguments():
    sc = _scenario(TWO)
    with pytest.raises(ValueError, match="samples"):
        run_montecarlo(sc, 0)
    with pytest.raises(ValueError, match="backend"):
        run_montecarlo(sc, 4, models=["compromise"], backend="mpi")  # type: ignore[arg-type]


def test_randomness_inside_a_model_is_keyed_by_block_not_by_chunk():
    """Stochastic SMP (KTAB's state_transitions=Stochastic) on a scenario with no uncertain
    input: every spread in the results comes from the block-keyed generators, and still the
    chunking and the backend change nothing."""
    sc = load_scenario("ec-emissions-1994")
    spec = "smp:state_transitions=Stochastic"
    run = dict(samples=48, seed=3, models=[spec], block_size=16)
    ref = run_montecarlo(sc, **run)
    assert ref["uncertain_inputs"] == 0
    issue = next(iter(ref["issues"]))
    assert ref["issues"][issue][spec]["sd"] > 0  # the model's own draws do vary
    other = run_montecarlo(sc, **run, chunk_size=40, backend="processes", workers=2)
    assert _dump(other) == _dump(ref)
    assert _dump(run_montecarlo(sc, **{**run, "seed": 4})) != _dump(ref)
    # each model has its own generator: running another model beside it changes nothing
    both = run_montecarlo(sc, **{**run, "models": ["compromise", spec]})
    assert both["issues"][issue][spec] == ref["issues"][issue][spec]


def test_model_error_spares_the_issues_the_scenarios_rules_decide():
    """The detente forecaster's validated error widens its draws where it decides, not on
    issues a controller or veto players decide (there the issue-control rule sets the value)."""
    import numpy as np

    from detente.analyses.montecarlo import with_model_error
    from detente.scenario import compile_scenario, load_scenario

    sc = load_scenario("russia-nato-2021")
    arrays = compile_scenario(sc)
    fc = np.repeat(arrays.status_quo, 50, axis=0)
    fc = np.where(np.isnan(fc), 50.0, fc)
    noisy = with_model_error(fc, {"validated_error": {"mae": 20.0}}, arrays, 0, 0, "detente")
    ruled = [
        j
        for j, (c, v) in enumerate(zip(arrays.controlled_by, arrays.veto, strict=True))
        if c is not None or v
    ]
    free = [j for j in range(fc.shape[1]) if j not in ruled]
    assert ruled and free
    assert np.array_equal(noisy[:, ruled], fc[:, ruled])
    assert (noisy[:, free] != fc[:, free]).any(axis=0).all()
