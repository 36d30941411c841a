"""NumPy's f2py and testing are loaded on first use, not when SciPy imports them
(:mod:`detente.lazy_imports`); code that uses them still gets the real modules."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys, detente, scipy.special
state = {m: type(sys.modules[m]).__name__ for m in ("numpy.f2py", "numpy.testing")}
ran = sorted(m for m in ("charset_normalizer", "numpy.f2py.crackfortran", "unittest")
             if m in sys.modules)
from numpy.testing import assert_allclose
assert_allclose([1.0], [1.0])
import numpy.f2py
print(state, ran, type(sys.modules["numpy.testing"]).__name__, callable(numpy.f2py.main))
"""


def _probe(**env: str) -> str:
    res = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    return res.stdout.strip()


def test_deferred_until_used() -> None:
    out = _probe(DETENTE_EAGER_IMPORTS="0")
    # SciPy bound both names, but neither module's code ran until the first attribute read
    assert out == (
        "{'numpy.f2py': '_LazyModule', 'numpy.testing': '_LazyModule'} [] module True"
    ), out


def test_eager_switch() -> None:
    for value in ("1", "yes"):
        out = _probe(DETENTE_EAGER_IMPORTS=value)
        assert out.startswith("{'numpy.f2py': 'module', 'numpy.testing': 'module'}"), out


BLAS_PROBE = """
import sys
import numpy as np
from detente.models import _numba, nbs
nbs.NUMBA_MIN_SAMPLES = 0
if _numba.load() is None:
    print("no numba")
    raise SystemExit
kernel = nbs._compiled_gram()
out = np.empty((2, 1, 1))
kernel(np.ones((2, 3)), np.ones((2, 3, 1)), np.ones((2, 3, 1)), out)  # Numba checks for BLAS
before = "scipy.linalg" in sys.modules, "scipy.linalg.cython_blas" in sys.modules
import scipy.linalg
print(before, scipy.linalg.cython_blas is sys.modules["scipy.linalg.cython_blas"],
      float(scipy.linalg.solve(np.eye(2), np.ones(2))[0]), float(out[0, 0, 0]))
"""


def test_numba_finds_blas_without_scipy_linalg_package() -> None:
    """Numba's first kernel checks for a BLAS by importing ``scipy.linalg.cython_blas``; the
    extension is loaded from its file first, so ``scipy.linalg``'s package does not run until
    something imports it, and then the module is its attribute as usual."""
    res = subprocess.run(
        [sys.executable, "-c", BLAS_PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, "DETENTE_COMPILE": "now"},
        check=True,
    )
    out = res.stdout.strip()
    if out == "no numba":
        return
    assert out == "(False, True) True 1.0 3.0", out
    eager = subprocess.run(
        [sys.executable, "-c", BLAS_PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, "DETENTE_COMPILE": "now", "DETENTE_EAGER_IMPORTS": "1"},
        check=True,
    )
    assert eager.stdout.strip() == "(True, True) True 1.0 3.0", eager.stdout
