"""Issue control and veto players (issue 18): who can move an issue at all.

Independent checks: the veto win-set is recomputed by brute force over a grid of outcomes from
the veto players' individual preferences (each weakly prefers the point to the status quo,
Tsebelis 2002); the exchange model's compensation is read from its own recorded exchanges;
the NBS's participation constraint is checked with a spatial utility written here.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.api import make_model
from detente.arrays import ScenarioArrays
from detente.models.base import apply_issue_control
from detente.scenario import compile_scenario, load_scenario

FIXED = ("mean", "compromise", "median", "detente")


def _arrays(pos, sal, cap, sq, controller=None, veto=()) -> ScenarioArrays:
    a = ScenarioArrays.from_table(
        np.asarray(pos), np.asarray(sal), np.asarray(cap), status_quo=np.asarray(sq)
    )
    d = a.n_issues
    ctrl = tuple(
        a.actor_ids[controller] if (j == 0 and controller is not None) else None for j in range(d)
    )
    vet = tuple(tuple(a.actor_ids[v] for v in veto) if j == 1 else () for j in range(d))
    return replace(
        a,
        controlled_by=ctrl if controller is not None else None,
        veto=vet if veto else None,
    )


tables = st.integers(3, 5).flatmap(
    lambda n: st.tuples(
        st.lists(st.lists(st.floats(0, 100), min_size=2, max_size=2), min_size=n, max_size=n),
        st.lists(st.lists(st.floats(0.05, 1), min_size=2, max_size=2), min_size=n, max_size=n),
        st.lists(st.floats(0.1, 10), min_size=n, max_size=n),
        st.lists(st.floats(0, 100), min_size=2, max_size=2),
        st.integers(0, n - 1),
        st.sets(st.integers(0, n - 1), min_size=1, max_size=n),
    )
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_property_a_controlled_issue_stays_with_its_controller(t):
    pos, sal, cap, sq, c, _ = t
    arr = _arrays(pos, sal, cap, sq, controller=c)
    for name in FIXED:
        fc = make_model(name).forecast(arr, np.random.default_rng(0))
        assert fc[0, 0] == pytest.approx(pos[c][0])  # the controller's choice, no vote


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_property_veto_winset_by_brute_force(t):
    """What the rule leaves unchanged is exactly what every veto player weakly prefers to the
    status quo; so adding a veto player never enlarges it."""
    pos, sal, cap, sq, _, veto = t
    grid = np.linspace(0, 100, 401)
    arr = _arrays(pos, sal, cap, sq, veto=sorted(veto))
    fc = np.repeat(np.asarray(sq, dtype=float)[None], grid.size, 0)
    fc[:, 1] = grid
    big = arr  # one sample: its bounds broadcast over the grid of outcomes
    kept = apply_issue_control("fixed", big, fc)[:, 1] == grid
    ok = np.ones(grid.size, dtype=bool)
    edge = np.zeros(grid.size, dtype=bool)
    for v in veto:  # each player on its own: |x - p_v| <= |q - p_v|
        gap = np.abs(grid - pos[v][1]) - np.abs(sq[1] - pos[v][1])
        ok &= gap <= 0
        edge |= np.abs(gap) < 1e-6  # at a bound rounding may fall either way
    assert np.array_equal(kept[~edge], ok[~edge])
    fewer = sorted(veto)[:-1]
    if fewer:
        arr2 = replace(
            big,
            veto=tuple(tuple(big.actor_ids[v] for v in fewer) if j == 1 else () for j in range(2)),
        )
        kept2 = apply_issue_control("fixed", arr2, fc)[:, 1] == grid
        assert not np.any(kept & ~kept2)


@pytest.fixture(scope="module")
def russia():
    sc = load_scenario("russia-nato-2021")
    return sc, compile_scenario(sc)


def test_default_scenario_marks_control_and_vetoes(russia):
    sc, arr = russia
    issues = {i.id: i for i in sc.issues}
    assert issues["russian_forces"].controlled_by == "RUS"
    assert issues["reciprocity"].controlled_by == "RUS"
    assert set(issues["enlargement"].veto) >= {"USA", "EAST"}
    assert arr.controlled_by is not None and arr.veto is not None


@pytest.mark.parametrize("name", ["bdm", "smp", *FIXED])
def test_voting_models_leave_russias_forces_to_russia(russia, name):
    _, arr = russia
    d = arr.issue_ids.index("russian_forces")
    fc = make_model(name).forecast(arr, np.random.default_rng(0))
    assert fc[0, d] == pytest.approx(arr.position[0, arr.actor_ids.index("RUS"), d])


def test_exchange_moves_a_controlled_issue_only_by_the_controllers_trades(russia):
    _, arr = russia
    d = arr.issue_ids.index("russian_forces")
    r = arr.actor_ids.index("RUS")
    sim = make_model("exchange").simulate(arr, None, np.random.default_rng(0))
    assert sim.final[0, d] == pytest.approx(sim.positions[-1, 0, r, d])
    if abs(sim.final[0, d] - arr.position[0, r, d]) > 1e-9:  # compensation is recorded
        supplied = [
            e
            for rnd in sim.events
            for e in rnd
            if e.get("type") == "exchange"
            and any(
                isinstance(side, dict)
                and side.get("actor") == "RUS"
                and side.get("supplies") == "russian_forces"
                for side in (e.get("i"), e.get("j"))
            )
        ]
        assert supplied, "RUS's forces moved without an exchange in which RUS supplied them"


def test_nbs_moves_a_controlled_issue_only_with_the_controller_better_off(russia):
    _, arr = russia
    out = make_model("nbs").simulate(arr, None, np.random.default_rng(0))
    x = out.final[0]
    r = arr.actor_ids.index("RUS")
    mask = arr.mask[r]
    w = arr.salience[0, r] * mask
    width = arr.scale_width

    def u(y):  # quadratic loss, the NBS default (models.md E.1), written here independently
        return -float(np.sum(w * ((y - arr.position[0, r]) / width) ** 2))

    sq = np.where(np.isnan(arr.status_quo[0]), arr.position[0, r], arr.status_quo[0])
    if out.agreement is None or out.agreement[0].all():
        assert u(x) >= u(sq) - 1e-9


def test_control_and_veto_are_validated(tmp_path, capsys):
    """Unknown actors, a missing stance, a vetoed issue without status quo, a repeat: one line
    each, with the field."""
    from detente.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "meta: {title: t}\n"
        "actors: [{id: A, capability: 1}, {id: B, capability: 1}]\n"
        "issues: [{id: x, controlled_by: C, veto: [A, B, A]}]\n"
        "stances: [{actor: A, issue: x, position: 1, salience: 50}]\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(bad)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "issues[0].controlled_by: unknown actor 'C'" in err
    assert "issues[0].veto[1]: 'B' has no stance on 'x'" in err
    assert "give the issue a status_quo" in err
    assert "a veto player is listed twice" in err
