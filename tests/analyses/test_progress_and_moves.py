"""Progress reports do not change results; the sweep and the move-to-edits translation.

The workbench runs advice, sensitivity and sweeps as background jobs that report progress and
can be cancelled from the progress callback; the numbers must be those of the CLI.
"""

from __future__ import annotations

import pytest

from detente import api
from detente.analyses import sensitivity as sa
from detente.analyses.advice import move_edits
from detente.errors import InputError
from detente.scenario import load

RUSSIA = "russia-nato-2021"


class Stop(Exception):
    pass


@pytest.fixture(scope="module")
def russia():
    return load(RUSSIA)


def test_advice_with_progress_equals_advice_without(russia) -> None:
    seen: list[tuple[int, int]] = []
    with_progress = api.advise(
        russia, "RUS", samples=8, seed=2, progress=lambda d, t: seen.append((d, t))
    )
    assert with_progress == api.advise(russia, "RUS", samples=8, seed=2)
    assert seen[-1][0] == seen[-1][1] and all(d <= t for d, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_progress_can_stop_advice(russia) -> None:
    def stop(done: int, total: int) -> None:
        if done >= 3:
            raise Stop

    with pytest.raises(Stop):
        api.advise(russia, "RUS", samples=8, progress=stop)


def test_oat_with_progress_equals_oat_without(russia) -> None:
    seen: list[tuple[int, int]] = []
    out = api.sensitivity(russia, top=3, progress=lambda d, t: seen.append((d, t)))
    assert out == api.sensitivity(russia, top=3)
    assert seen[-1] == (out["evaluations"], out["evaluations"])


def test_sweep_ends_are_the_tornado_ends(russia) -> None:
    label = sa.uncertain_inputs(russia.scenario)[0]
    sw = api.sweep(russia, label, points=3)
    tornado = sa.oat(russia.scenario, top=40)
    assert sw["quantiles"] == pytest.approx([0.05, 0.5, 0.95])
    for name, ys in sw["outputs"].items():
        drivers = {d["input"]: d for d in tornado["outputs"][name]["drivers"]}
        if label in drivers:
            assert ys[0] == pytest.approx(drivers[label]["output_at_low"])
            assert ys[-1] == pytest.approx(drivers[label]["output_at_high"])
    with pytest.raises(InputError, match="not an uncertain input"):
        api.sweep(russia, "nobody's capability")


def test_a_move_becomes_stance_edits_that_validate(russia) -> None:
    advice = api.advise(russia, "RUS", samples=8)
    every = advice["moves"] + advice["no_effect_moves"]
    move = next(m["move"] for m in every if m["kind"] == "reciprocity")
    edits = move_edits(russia.scenario, "RUS", move)
    assert edits and {e["field"] for e in edits} <= {"position", "demand", "salience", "publicity"}
    for e in edits:
        st = russia.scenario.stances[e["stance"]]
        assert (st.actor, st.issue) == ("RUS", e["issue"])
    deadline = next(m["move"] for m in every if m["kind"] == "deadline")
    (only,) = move_edits(russia.scenario, "RUS", deadline)
    assert only["path"] == "crisis.deadline_months"
    with pytest.raises(ValueError, match="not a move open"):
        move_edits(russia.scenario, "RUS", "surrender")
    setting = next(m["move"] for m in every if m["kind"] == "signal")
    with pytest.raises(InputError, match="changes the setting"):
        api.move_edits(russia, "RUS", setting)
