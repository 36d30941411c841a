"""Putnam's domestic price of agreement (issue 18): ``approval_cost`` on blocs and members.

Independent check: each member's vote is recomputed member by member with plain Python
(``sqrt(sum w (x - z)^2)`` against the reversion, Putnam 1988 / Tsebelis 2002), and raising a
cost never adds a yes vote.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.analyses.ratification import approvals
from detente.scenario import compile_scenario, load_scenario
from detente.scenario.ratification import CompiledBody, compile_ratification


def _vote(x, z, w, r, cost) -> bool:
    d_x = math.sqrt(sum(wi * (xi - zi) ** 2 for xi, zi, wi in zip(x, z, w, strict=True)))
    d_r = math.sqrt(sum(wi * (ri - zi) ** 2 for ri, zi, wi in zip(r, z, w, strict=True)))
    return d_r - d_x > cost and d_r > d_x


members = st.lists(
    st.tuples(
        st.lists(st.floats(0, 100), min_size=2, max_size=2),  # ideal
        st.lists(st.floats(0.1, 2), min_size=2, max_size=2),  # weights
        st.floats(0, 40),  # cost
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    members,
    st.lists(st.floats(0, 100), min_size=2, max_size=2),
    st.lists(st.floats(0, 100), min_size=2, max_size=2),
    st.floats(0, 20),
)
def test_property_votes_with_a_price_by_hand_and_monotone(ms, x, r, raise_by):
    z = np.array([[m[0] for m in ms]])
    w = np.array([[m[1] for m in ms]])
    cost = np.array([[m[2] for m in ms]])
    body = CompiledBody(
        id="b", ideal=z, weight=w, reversion=np.array([r]), threshold=1, approval_cost=cost
    )
    got = approvals(np.array([x]), body)[0]
    for k, m in enumerate(ms):
        d_x = math.sqrt(sum(wi * (xi - zi) ** 2 for xi, zi, wi in zip(x, m[0], m[1], strict=True)))
        d_r = math.sqrt(sum(wi * (ri - zi) ** 2 for ri, zi, wi in zip(r, m[0], m[1], strict=True)))
        if abs(d_r - d_x - m[2]) > 1e-9 * (1 + d_r) and abs(d_r - d_x) > 1e-9 * (1 + d_r):
            assert bool(got[k]) == _vote(x, m[0], m[1], r, m[2])
    dearer = replace(body, approval_cost=cost + raise_by)
    assert not np.any(approvals(np.array([x]), dearer)[0] & ~got)  # no vote is gained


def test_default_senate_prices_are_compiled_and_cost_votes():
    sc = load_scenario("russia-nato-2021")
    arr = compile_scenario(sc)
    rat = compile_ratification(sc, status_quo=arr.status_quo)
    senate = next(b for b in rat.bodies if b.id == "us-senate")
    assert senate.approval_cost is not None and senate.approval_cost.shape == (1, 100)
    free = replace(senate, approval_cost=None)
    x = np.where(np.isnan(arr.status_quo), 50.0, arr.status_quo) * 0.8 + 10  # some package
    with_price = approvals(x, senate).sum()
    without = approvals(x, free).sum()
    assert with_price <= without
