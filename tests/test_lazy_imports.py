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
