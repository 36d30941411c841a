"""The fast exchange implementation against frozen outputs of the one it replaced.

Independent numbers: ``tests/fixtures/exchange/frozen.npz``, produced by
``tests/fixtures/exchange/generate_frozen.py`` with the implementation of commit 1e6a57a (itself
verified against ``decide-exchange-model`` 2022.1.28 in ``test_exchange.py``). Every forecast,
voting position and logged event of sample 0 must agree to 1e-12 and in the same order: the
rewrite changed how the work is done, not what is computed (same tie rules, same draws from the
generator).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.exchange.generate_frozen import CASES, run

FROZEN = Path(__file__).resolve().parents[1] / "fixtures" / "exchange" / "frozen.npz"
ATOL = 1e-12  # on the 0..100 scale (Decide inputs) or the issues' own (smaller) scales
NO_TRADE = {"one_actor", "one_issue"}


@pytest.fixture(scope="module")
def frozen():
    with np.load(FROZEN) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_frozen_outputs(name, frozen):
    now = run(name)
    assert set(now) == {k for k in frozen if k.startswith(f"{name}.")}
    np.testing.assert_array_equal(now[f"{name}.names"], frozen[f"{name}.names"])
    assert bool(now[f"{name}.converged"]) == bool(frozen[f"{name}.converged"])
    for part in ("forecasts", "positions", "events"):
        key = f"{name}.{part}"
        assert now[key].shape == frozen[key].shape, key
        np.testing.assert_allclose(now[key], frozen[key], atol=ATOL, rtol=0, err_msg=key)


def test_frozen_cases_trade_and_differ():
    """The comparison is not vacuous: every case exchanges, and the options change results."""
    with np.load(FROZEN) as z:
        for name in CASES:
            # one actor or one issue: no pair of actors or issues, so nothing to trade
            assert (z[f"{name}.events"].shape[0] > 0) == (name not in NO_TRADE), name
        assert np.abs(z["cop21_default.forecasts"] - z["cop21_pass.forecasts"]).max() > 1e-6
        rr = z["copenhagen_random_rate.forecasts"]
        assert np.abs(rr - z["copenhagen_default.forecasts"][: rr.shape[0]]).max() > 1e-6
