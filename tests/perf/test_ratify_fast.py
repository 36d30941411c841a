"""The faster vote with approval costs and the closed-form pull of ``nearest_ratifiable``
(issue 23): same votes bit for bit, first passing point of a segment."""

from __future__ import annotations

import numpy as np
import pytest

from detente.analyses import ratification as R
from detente.scenario.ratification import CompiledBody


def _old_gain_terms(x: np.ndarray, body: CompiledBody) -> tuple[np.ndarray, ...]:
    """``_gain_terms`` before issue 23."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[None]
    lead, d = x.shape[:-1], x.shape[-1]
    xf = x.reshape(x.shape[0], -1, d)
    r = body.reversion[:, None, :]
    wt = np.swapaxes(body.weight, 1, 2)
    wzt = np.swapaxes(body.weighted_ideal, 1, 2)
    unknown = np.isnan(xf) | np.isnan(r)
    x0 = np.where(np.isnan(xf), 0.0, xf)
    r0 = np.where(np.isnan(r), 0.0, r)
    a = r0**2 - x0**2
    b = r0 - x0
    gain = a @ wt - 2 * (b @ wzt)
    if unknown.any():
        on_t = np.swapaxes(body.weight > 0, 1, 2).astype(float)
        gain = np.where((unknown.astype(float) @ on_t) > 0, np.nan, gain)
    shape = (gain.shape[0], *lead[1:], gain.shape[-1])
    return gain, a, b, shape


def _old_approvals(x: np.ndarray, body: CompiledBody) -> np.ndarray:
    """``approvals`` before issue 23: the distances of every member to every package."""
    import math

    g, a, b, shape = _old_gain_terms(x, body)
    z_max = body.ideal_limit if math.isfinite(body.ideal_limit) else body.ideal_bound[:, None, None]
    w_sum = body.weight.sum(axis=2)[:, None, :]
    big = np.abs(a).max(axis=2, keepdims=True) + 2 * z_max * np.abs(b).max(axis=2, keepdims=True)
    near = np.abs(g) <= (2 * R.TIE_RTOL * big) * w_sum
    tie = np.zeros(g.shape, dtype=bool)
    if near.any():
        tie = near & (np.abs(g) <= R.TIE_RTOL * R._term_size(a, b, body))
    ok = (g > 0) | tie if body.ties == "yes" else (g > 0) & ~tie
    ok = ok.reshape(shape)
    if body.approval_cost is None:
        return ok
    d_x, d_r = R._distances(x, body)
    c = body.approval_cost.reshape((body.approval_cost.shape[0],) + (1,) * (d_x.ndim - 2) + (-1,))
    return ok & ((c <= 0) | (d_r - d_x > c))


def _body(
    rng: np.random.Generator, s: int, m: int, d: int, ties: str, costs: bool = True
) -> CompiledBody:
    z = rng.uniform(0.0, 100.0, (s, m, d))
    w = rng.uniform(0.0, 2.0, (s, m, d)) * (rng.random((s, m, d)) > 0.2)
    cost = rng.choice([0.0, -1.0, 3.0, 10.0, 40.0], size=(s, m))
    return CompiledBody(
        id="b",
        ideal=z,
        weight=w,
        reversion=rng.uniform(0.0, 100.0, (s, d)),
        threshold=max(1, m // 2),
        ties=ties,  # type: ignore[arg-type]
        ideal_limit=100.0,
        approval_cost=cost if costs else None,
    )


@pytest.mark.parametrize("costs", [True, False])
@pytest.mark.parametrize("ties", ["no", "yes"])
@pytest.mark.parametrize("s", [1, 3])
def test_votes_are_the_former_computation_bit_for_bit(ties: str, s: int, costs: bool) -> None:
    rng = np.random.default_rng(11 + s)
    body = _body(rng, s, 40, 6, ties, costs)
    x = rng.uniform(0.0, 100.0, (s, 500, 6))
    # packages on a member's cost boundary, ||x - z|| = ||SQ - z|| - c, and a hair either side
    on = body.weight > 0
    k = 0
    for i in range(s):
        for m in range(40):
            c = body.approval_cost[i, m] if costs else 0.0
            d_r = np.sqrt(
                (
                    body.weight[i, m]
                    * np.where(on[i, m], body.reversion[i] - body.ideal[i, m], 0) ** 2
                ).sum()
            )
            if c <= 0:  # on the member's indifference sphere: ties
                c = 0.0
            elif d_r <= c:
                continue
            u = rng.normal(size=6)
            u /= np.sqrt((body.weight[i, m] * u**2).sum())
            for eps in (0.0, 1e-13, -1e-13, 1e-9, -1e-9):
                if k < 500:
                    x[i, k] = body.ideal[i, m] + (d_r - c) * (1 + eps) * u
                    k += 1
    x[0, 7, 2] = np.nan  # unknown values vote no
    np.testing.assert_array_equal(R.approvals(x, body), _old_approvals(x, body))
    x1 = x[:1, :5][:, :, None]  # (1, 5, 1, D): extra package axes broadcast against samples
    np.testing.assert_array_equal(R.approvals(x1, body), _old_approvals(x1, body))


def test_first_passing_is_the_first_passing_point_of_each_segment() -> None:
    rng = np.random.default_rng(3)
    bodies = [_body(rng, 1, 30, 3, "no"), _body(rng, 1, 12, 3, "yes")]
    y = rng.uniform(0.0, 100.0, (1, 3))
    c = rng.uniform(0.0, 100.0, (1, 400, 3))
    good = R.form_passes(c, bodies)[0]
    c = c[:, good][:, :40]
    assert c.shape[1] > 5
    seg = c - y[:, None]
    t = R.first_passing(y, seg, bodies)
    assert R.form_passes(y[:, None] + t[..., None] * seg, bodies).all()
    grid = np.linspace(0.0, 1.0, 4001)
    pts = y[:, None, None] + grid[None, None, :, None] * seg[:, :, None]
    p = R.form_passes(pts, bodies)[0]  # (K, G)
    first_grid = grid[p.argmax(-1)]
    # no grid point before t passes (up to the grid's step)
    assert (t[0] <= first_grid + 1e-12).all()
