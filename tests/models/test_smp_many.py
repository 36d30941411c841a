"""``SMP.forecast`` (a pool of runs in flight) and ``SMP.forecast_many`` (problems stacked on the
sample axis) against one ``simulate`` per problem: identical results, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from detente.analyses.power import deu_capabilities
from detente.arrays import ScenarioArrays
from detente.models import get_model
from tests.analyses.test_backtest import train_path

SEED = 20_240_601


@pytest.fixture(scope="module")
def deu_parts():
    from detente.io.deu import load_deu

    path = train_path()
    data = load_deu(path)
    cap = deu_capabilities(data, "treaty")
    groups = data.proposal_groups()
    return [
        data.subset(idx).arrays(cap[idx], blank_salience="exclude")
        for idx in (np.flatnonzero(groups == g) for g in np.unique(groups))
    ]


def test_deu_proposals_stacked_equal_one_at_a_time(deu_parts):
    """The DEU training proposals with at most 16 actors (21 of 95; all 95 take about 20 s,
    and were compared once): 1 to 4 issues, own masks and scales, runs of 3 to 100 turns."""
    model = get_model("smp")
    deu_parts = [p for p in deu_parts if p.mask.any(axis=1).sum() <= 16]
    sims = [model.simulate(p, None, np.random.default_rng(SEED)) for p in deu_parts]
    assert len({(int(p.mask.any(axis=1).sum()), p.n_issues) for p in deu_parts}) > 5  # groups
    assert len({int(s.turns[0]) for s in sims}) > 3  # runs of different lengths share a pool
    many = model.forecast_many(deu_parts, SEED)
    assert len(many) == len(deu_parts)
    for k, (got, sim) in enumerate(zip(many, sims, strict=True)):
        np.testing.assert_array_equal(got, sim.final, err_msg=f"part {k}")


def random_part(rng: np.random.Generator, samples: int, actors: int, issues: int) -> ScenarioArrays:
    lo = rng.choice([0.0, -5.0, 10.0], issues)
    hi = lo + rng.choice([1.0, 10.0, 100.0], issues)
    pos = lo + rng.random((samples, actors, issues)) * (hi - lo)
    sal = 0.1 + 0.9 * rng.random((samples, actors, issues))
    sal /= np.maximum(sal.sum(axis=2, keepdims=True), 1.0)
    cap = 0.5 + 3 * rng.random((samples, actors, 1))
    mask = rng.random((actors, issues)) > 0.25
    mask[:2] = True  # at least two actors on every issue
    if actors > 4:
        mask[-1] = False  # an actor absent altogether sits out
    return ScenarioArrays.from_table(
        pos, sal, np.broadcast_to(cap, pos.shape), mask=mask, scale_min=lo, scale_max=hi
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"outcome": "most_probable", "voting_rule": "ASymProsp", "victory_prob_model": "Quartic"},
        {"pce_model": "MarkovIncentive", "bargn_model": "InitRcvrInterp", "max_iter": 10},
    ],
)
def test_mixed_shapes_samples_masks_and_scales(options):
    rng = np.random.default_rng(7)
    parts = [
        random_part(rng, s, n, d)
        for s, n, d in [(3, 4, 2), (1, 4, 2), (2, 5, 1), (1, 4, 2), (4, 6, 3), (1, 5, 1)]
    ]
    model = get_model("smp", **options)
    many = model.forecast_many(parts, SEED)
    for k, part in enumerate(parts):
        sim = model.simulate(part, None, np.random.default_rng(SEED))
        np.testing.assert_array_equal(many[k], sim.final, err_msg=f"part {k}")
        np.testing.assert_array_equal(
            model.forecast(part, np.random.default_rng(SEED)), sim.final, err_msg=f"part {k}"
        )


@pytest.mark.parametrize("pool", [1, 5])
def test_pool_size_changes_nothing(pool):
    """Samples stopping at different turns are replaced in the pool by waiting ones."""
    rng = np.random.default_rng(3)
    part = random_part(rng, 12, 4, 2)
    model = get_model("smp")
    sim = model.simulate(part, None, np.random.default_rng(0))
    assert len(set(sim.turns.tolist())) > 2
    x0, sal, cap, acc = model._inputs(part)
    got = part.from_normalised(model._forecast_pool(x0, sal, cap, acc, part.mask, pool))
    np.testing.assert_array_equal(got, sim.final)


def test_stochastic_and_ideal_adjustment_fall_back_to_one_part_at_a_time():
    rng = np.random.default_rng(5)
    parts = [random_part(rng, 2, 4, 2), random_part(rng, 1, 4, 2)]
    parts = [p.take_actors(np.flatnonzero(p.mask.any(axis=1))) for p in parts]
    for options in ({"state_transitions": "Stochastic"},):
        model = get_model("smp", **options)
        many = model.forecast_many(parts, SEED)
        for k, part in enumerate(parts):
            expect = model.forecast(part, np.random.default_rng(SEED))
            np.testing.assert_array_equal(many[k], expect)
