"""NumPy submodules that SciPy imports at start-up and detente never uses, loaded on first use.

SciPy (1.15 and later) builds its array-API namespace with ``from numpy import *``, and NumPy
lists its public submodules in ``numpy.__all__``, so the first ``import scipy.special`` (or
Numba's first kernel, which imports ``scipy.linalg`` to find BLAS) imports every one of them.
Two are expensive and unused by detente: ``numpy.f2py`` (the Fortran wrapper generator, 50 ms
with the ``charset_normalizer`` it pulls in) and ``numpy.testing`` (27 ms, with ``unittest``).
That is 0.07-0.08 s of every ``crisis``, ``ratify``, ``report`` or ``montecarlo`` run.

:func:`install` puts a finder first on :data:`sys.meta_path` that hands out these two modules
through the standard library's :class:`importlib.util.LazyLoader`: the import binds a module
object at once and runs the module's code the first time any of its attributes is read. Code
that uses them (``from numpy.testing import assert_allclose``, the test suite) gets the real
module, as before; only the cost moves to where it is used.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

#: imported by SciPy's ``from numpy import *``; never used by detente's own code
DEFERRED = frozenset({"numpy.f2py", "numpy.testing"})


class _DeferredFinder(importlib.abc.MetaPathFinder):
    """Finds the :data:`DEFERRED` modules as the normal path finder does, with a lazy loader."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def install() -> None:
    """Put the deferring finder first on :data:`sys.meta_path`, once per process.

    Modules already imported stay as they are; ``DETENTE_EAGER_IMPORTS`` set to anything but
    empty or ``0`` leaves the import system alone (as ``DETENTE_NO_NUMBA`` reads its value).

    >>> install(); install()
    >>> sum(isinstance(f, _DeferredFinder) for f in sys.meta_path)
    1
    """
    import os

    if os.environ.get("DETENTE_EAGER_IMPORTS", "").strip() not in ("", "0"):
        return
    if not any(isinstance(f, _DeferredFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _DeferredFinder())
