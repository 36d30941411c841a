"""The SMP hot-path rewrites reproduce NumPy's own arithmetic bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from detente.models.smp import _pairwise_sum, challenge_matrix, prob_edu_challenge


@pytest.mark.parametrize("n", [*range(1, 20), 31, 127, 128, 129, 300])
def test_pairwise_sum_is_numpys_sum_over_a_contiguous_axis(n):
    rng = np.random.default_rng(n)
    a = rng.normal(size=(50, 3, n)) * np.exp(5 * rng.normal(size=(50, 3, n)))
    np.testing.assert_array_equal(_pairwise_sum([a[..., k] for k in range(n)]), a.sum(axis=-1))


@pytest.mark.parametrize("n_", [3, 9, 30])
def test_challenge_planes_equal_gathered_probeduchlg_exactly(n_):
    """One third party at a time on sample-last planes = the gathered general form."""
    rng = np.random.default_rng(n_)
    s_ = 3
    vd = rng.random((s_, n_, n_)) * 1.2  # some distances beyond 1
    vd[:, np.arange(n_), np.arange(n_)] = 0.0
    rhat = rng.uniform(-0.5, 1.0, (s_, n_, n_))
    sal = rng.uniform(0.2, 1.0, (s_, n_))
    w = sal * rng.uniform(1, 100, (s_, n_))
    p, g = challenge_matrix(vd, rhat, w, sal, "Prop", "SemiCommit")
    ii = np.broadcast_to(np.repeat(np.arange(n_), n_), (s_, n_ * n_))
    jj = np.broadcast_to(np.tile(np.arange(n_), n_), (s_, n_ * n_))
    p2, g2 = prob_edu_challenge(vd, rhat, w, sal, ii, ii, ii, jj, "Prop", "SemiCommit")
    off = ~np.eye(n_, dtype=bool)
    np.testing.assert_array_equal(p[:, off], p2.reshape(s_, n_, n_)[:, off])
    np.testing.assert_array_equal(g[:, off], g2.reshape(s_, n_, n_)[:, off])
