"""``Exchange.forecast_many`` (proposals stacked along the sample axis) against one call per part.

Stacking must not change any part's result: each part keeps its own mask, parts with fewer issues
are padded with issues nobody takes part in, and a sample that has converged stays put while the
rest of its batch trades on. Compared to 1e-12 (the results are in fact bit for bit equal).
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.analyses.power import deu_capabilities
from detente.arrays import ScenarioArrays
from detente.models import get_model
from tests.analyses.test_backtest import train_path

ATOL = 1e-12
SEED = 20_240_601


def per_part(model, parts: list[ScenarioArrays]) -> list[np.ndarray]:
    return [model.forecast(p, np.random.default_rng(SEED)) for p in parts]


def assert_same(many: list[np.ndarray], alone: list[np.ndarray]) -> None:
    assert len(many) == len(alone)
    for k, (a, b) in enumerate(zip(many, alone, strict=True)):
        assert a.shape == b.shape, k
        np.testing.assert_allclose(a, b, atol=ATOL, rtol=0, err_msg=f"part {k}")


@pytest.fixture(scope="module")
def deu_parts():
    from detente.io.deu import load_deu

    data = load_deu(train_path())
    cap = deu_capabilities(data, "treaty")
    groups = data.proposal_groups()
    return [
        data.subset(idx).arrays(cap[idx], blank_salience="exclude")
        for idx in (np.flatnonzero(groups == g) for g in np.unique(groups))
    ]


def test_deu_proposals_stacked_equal_one_at_a_time(deu_parts):
    """Every fourth DEU training proposal plus the first of each issue count (all 95 alone take
    about 15 s): 1 to 6 issues, proposals converging in round 1, in round 3 and never."""
    model = get_model("exchange")
    first_of = {p.n_issues: k for k, p in reversed(list(enumerate(deu_parts)))}
    pick = sorted({*range(0, len(deu_parts), 4), *first_of.values()})
    parts = [deu_parts[k] for k in pick]
    assert {p.n_issues for p in parts} == {1, 2, 3, 4, 5, 6}
    sims = [model.simulate(p, None, np.random.default_rng(SEED)) for p in parts]
    # not vacuous: some multi-issue proposal converges early while others trade all rounds
    pairs = list(zip(sims, parts, strict=True))
    assert any(s.converged and s.rounds > 1 and p.n_issues > 1 for s, p in pairs)
    assert any(not s.converged for s in sims)
    many = model.forecast_many(parts, SEED)
    assert_same(many, [s.final for s in sims])
    # and trading moves outcomes away from the initial weighted means
    assert max(np.abs(s.final - s.forecasts[0]).max() for s in sims) > 1.0


def random_part(rng: np.random.Generator, samples: int, actors: int, issues: int) -> ScenarioArrays:
    lo = rng.choice([0.0, -5.0, 10.0], issues)
    hi = lo + rng.choice([1.0, 10.0, 100.0], issues)
    pos = lo + rng.random((samples, actors, issues)) * (hi - lo)
    sal = 0.1 + 0.9 * rng.random((samples, actors, issues))
    cap = 0.5 + 3 * rng.random((samples, actors, 1))
    mask = rng.random((actors, issues)) > 0.2
    return ScenarioArrays.from_table(
        pos, sal, np.broadcast_to(cap, pos.shape), mask=mask, scale_min=lo, scale_max=hi
    )


@pytest.mark.parametrize("options", [{}, {"start_update": "off"}, {"boundary": "pass"}])
def test_mixed_shapes_samples_and_scales(options):
    """Different actor and issue counts, several samples per part, own scales and masks."""
    rng = np.random.default_rng(4)
    shapes = [(1, 7, 3), (2, 7, 1), (3, 7, 4), (1, 5, 2), (2, 7, 3), (1, 5, 3), (1, 1, 3)]
    parts = [random_part(rng, *shape) for shape in shapes]
    model = get_model("exchange", max_rounds=4, **options)
    assert_same(model.forecast_many(parts, SEED), per_part(model, parts))


def test_batches_split_by_candidate_budget(monkeypatch):
    import detente.models.exchange as exchange

    rng = np.random.default_rng(5)
    parts = [random_part(rng, 2, 6, 3) for _ in range(5)]
    model = get_model("exchange", max_rounds=3)
    whole = model.forecast_many(parts, SEED)
    monkeypatch.setattr(exchange, "_BATCH_CANDIDATES", 100)  # 45 candidates a sample: 2 a batch
    assert_same(model.forecast_many(parts, SEED), whole)
    assert_same(whole, per_part(model, parts))


@pytest.mark.parametrize("options", [{"rate": "random_rate"}, {"tie": "random"}])
def test_random_variants_run_each_part_with_its_own_generator(options):
    rng = np.random.default_rng(6)
    parts = [random_part(rng, 2, 6, 3) for _ in range(3)]
    model = get_model("exchange", max_rounds=3, **options)
    for a, b in zip(model.forecast_many(parts, SEED), per_part(model, parts), strict=True):
        np.testing.assert_array_equal(a, b)


def test_empty_list():
    assert get_model("exchange").forecast_many([], SEED) == []
