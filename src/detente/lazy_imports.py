"""NumPy submodules that SciPy imports at start-up and detente never uses, loaded on first use.

SciPy (1.15 and later) builds its array-API namespace with ``from numpy import *``, and NumPy
lists its public submodules in ``numpy.__all__``, so the first ``import scipy.special`` (or
Numba's first kernel, which imports ``scipy.linalg`` to find BLAS) imports every one of them.
Two are expensive and unused by detente: ``numpy.f2py`` (the Fortran wrapper generator, 50 ms
with the ``charset_normalizer`` it pulls in) and ``numpy.testing`` (27 ms, with ``unittest``).
That is 0.07-0.08 s of every ``crisis``, ``ratify``, ``report`` or ``montecarlo`` run.

Numba's first kernel imports ``scipy.linalg.cython_blas`` only to learn that a BLAS exists
(``numba.np.arraymath``), and that import runs all of ``scipy.linalg``'s package first (0.06-0.11
s, mostly SciPy parsing its own docstrings). :func:`load_blas_module` loads that one extension
module from its file before Numba asks for it; the package, if something imports it later, gets
it bound as its attribute as usual (the finder attaches it).

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
import os
import sys
from collections.abc import Sequence
from types import ModuleType

#: imported by SciPy's ``from numpy import *``; never used by detente's own code
DEFERRED = frozenset({"numpy.f2py", "numpy.testing"})

#: the module Numba imports to check for a BLAS, loaded without its package by
#: :func:`load_blas_module`
BLAS_MODULE = "scipy.linalg.cython_blas"
_BLAS_PACKAGE, _, _BLAS_NAME = BLAS_MODULE.rpartition(".")


def _eager() -> bool:
    """``DETENTE_EAGER_IMPORTS`` set to anything but empty or ``0`` (as ``DETENTE_NO_NUMBA`` reads
    its value): the import system is left alone."""
    return os.environ.get("DETENTE_EAGER_IMPORTS", "").strip() not in ("", "0")


class _AttachingLoader(importlib.abc.Loader):
    """Runs a package's own loader, then binds :data:`BLAS_MODULE`, loaded earlier by
    :func:`load_blas_module`, as the package's attribute (as importing it would have)."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        child = sys.modules.get(BLAS_MODULE)
        if child is not None and not hasattr(module, _BLAS_NAME):
            setattr(module, _BLAS_NAME, child)


class _DeferredFinder(importlib.abc.MetaPathFinder):
    """Finds the :data:`DEFERRED` modules as the normal path finder does, with a lazy loader."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        attach = fullname == _BLAS_PACKAGE and BLAS_MODULE in sys.modules
        if fullname not in DEFERRED and not attach:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        if attach:
            spec.loader = _AttachingLoader(spec.loader)
        else:
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
    if _eager():
        return
    if not any(isinstance(f, _DeferredFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _DeferredFinder())


def load_blas_module() -> None:
    """Load :data:`BLAS_MODULE` from its file, without running ``scipy.linalg``'s package.

    Called before Numba is imported (:func:`detente.models._numba.load`). Does nothing where
    ``scipy.linalg`` or the module is already loaded, where ``DETENTE_EAGER_IMPORTS`` is set, or
    where the file is not found; if loading it fails, Numba imports it the usual way later.
    """
    if _eager() or BLAS_MODULE in sys.modules or _BLAS_PACKAGE in sys.modules:
        return
    try:
        scipy = importlib.util.find_spec("scipy")
    except (ImportError, ValueError):
        return
    if scipy is None or not scipy.submodule_search_locations:
        return
    folder = os.path.join(scipy.submodule_search_locations[0], *_BLAS_PACKAGE.split(".")[1:])
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(folder, _BLAS_NAME + suffix)
        if os.path.isfile(path):
            break
    else:
        return
    loader = importlib.machinery.ExtensionFileLoader(BLAS_MODULE, path)
    spec = importlib.util.spec_from_file_location(BLAS_MODULE, path, loader=loader)
    if spec is None:
        return
    try:
        module = importlib.util.module_from_spec(spec)
        sys.modules[BLAS_MODULE] = module
        loader.exec_module(module)
    except Exception:  # leave it to the normal import
        sys.modules.pop(BLAS_MODULE, None)
