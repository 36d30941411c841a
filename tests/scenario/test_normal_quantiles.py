"""The tabulated bloc-member quantiles are SciPy's ``ndtri`` values bit for bit (issue 23:
``ratify`` no longer imports ``scipy.special`` for them)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.special import ndtri

from detente.scenario import _normal_quantiles as nq


@pytest.mark.parametrize("count", [*nq.COUNTS, 21, 7 * 11])
def test_midpoint_quantiles_are_scipys_bits(count):
    got = nq.midpoint_quantiles(count)
    want = ndtri((np.arange(count) + 0.5) / count)
    assert got.dtype == np.float64 and got.shape == (count,)
    np.testing.assert_array_equal(got, want)  # not to a tolerance
    assert got.tobytes() == want.tobytes()


def test_the_table_covers_every_small_count_and_returns_copies():
    assert set(range(1, 21)) <= set(nq.COUNTS)
    a = nq.midpoint_quantiles(5)
    a[:] = 0.0
    assert nq.midpoint_quantiles(5)[0] < 0  # the table itself is not changed


def test_a_point_compile_of_the_bundled_bodies_does_not_import_scipy_special():
    code = (
        "import sys, numpy as np\n"
        "from detente.scenario import load_scenario\n"
        "from detente.scenario.ratification import compile_ratification\n"
        "sc = load_scenario('russia-nato-2021')\n"
        "compile_ratification(sc)\n"
        "assert 'scipy.special' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
