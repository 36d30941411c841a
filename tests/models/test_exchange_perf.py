"""The fast exchange implementation against frozen outputs of the one it replaced.

Regression pins, not independent numbers: ``tests/fixtures/exchange/frozen.npz`` was produced
by ``tests/fixtures/exchange/generate_frozen.py`` with this project's own implementation as of
commit 1e6a57a. They show that the performance rewrite did not change the results; they verify
nothing about the model. The check against a peer is ``test_exchange.py`` (the
``decide-exchange-model`` 2022.1.28 outputs, with that package's tie and boundary decisions fed
in where it breaks ties at random). Every forecast,
voting position and logged event of sample 0 must agree to 1e-12 and in the same order: the
rewrite changed how the work is done, not what is computed (same tie rules, same draws from the
generator). Both ways of computing an exchange, NumPy and the optional Numba kernel, are
checked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.models import exchange
from tests import _require
from tests.fixtures.exchange.generate_frozen import CASES, run

FROZEN = Path(__file__).resolve().parents[1] / "fixtures" / "exchange" / "frozen.npz"
ATOL = 1e-12  # on the 0..100 scale (Decide inputs) or the issues' own (smaller) scales
NO_TRADE = {"one_actor", "one_issue"}


@pytest.fixture(scope="module")
def frozen():
    with np.load(FROZEN) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(params=["numpy", "numba"])
def path(request, monkeypatch):
    """Force the NumPy exchange computation or the compiled kernel (skipped without Numba)."""
    if request.param == "numba":
        _require.module("numba")
        monkeypatch.setattr(exchange, "NUMBA_MIN_SAMPLES", 0)
    else:
        monkeypatch.setattr(exchange, "NUMBA_MIN_SAMPLES", 10**9)
    return request.param


@pytest.mark.parametrize("name", list(CASES))
def test_matches_frozen_outputs(name, frozen, path):
    """Regression pin: the outputs equal those of the implementation the rewrite replaced."""
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


def test_kernel_in_python_equals_numpy(monkeypatch):
    """The kernel's code run as plain Python (what Numba compiles) on a traded case."""
    arrays = CASES["random_a"][0]()
    model = exchange.Exchange(max_rounds=3)
    monkeypatch.setattr(exchange, "NUMBA_MIN_SAMPLES", 10**9)
    ref = model.simulate(arrays, None, np.random.default_rng(0))
    monkeypatch.setattr(exchange, "NUMBA_MIN_SAMPLES", 0)
    # the plain function, whether or not an earlier test compiled it (Numba keeps it as py_func)
    plain = getattr(exchange._compute_rows, "py_func", exchange._compute_rows)
    python = (plain, exchange._affected_rows)
    monkeypatch.setattr(exchange, "_compiled_kernel", lambda: python)
    now = model.simulate(arrays, None, np.random.default_rng(0))
    np.testing.assert_array_equal(now.positions, ref.positions)
    np.testing.assert_array_equal(now.forecasts, ref.forecasts)
    assert now.events == ref.events and sum(map(len, ref.events)) > 0
