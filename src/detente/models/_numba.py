"""Whether the compiled kernels run: Numba installed and not switched off.

Numba is a dependency of the default install where it has wheels (CPython on the common
64-bit platforms, see ``pyproject.toml``). The BDM, exchange and SMP models compile their
kernels with it, lazily and only for batches large enough to pay for loading it (the models'
``NUMBA_MIN_*`` constants), and cache them on disk. Setting ``DETENTE_NO_NUMBA=1`` keeps every
model on its NumPy path, as on an install without Numba; both paths give the same numbers (see
the README's Performance section for the one exception, BDM's powers on AVX-512 CPUs).
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType

#: Environment variable that switches the compiled kernels off (any value but "" or "0").
ENV = "DETENTE_NO_NUMBA"


def disabled() -> bool:
    """Whether ``DETENTE_NO_NUMBA`` asks for the NumPy paths."""
    return os.environ.get(ENV, "").strip() not in ("", "0")


def load() -> ModuleType | None:
    """The ``numba`` module, or None when it is missing or switched off (imports it: 0.2-0.5 s)."""
    if disabled():
        return None
    try:
        import numba
    except ImportError:
        return None
    return numba


def kernels() -> str:
    """``"numba"`` where the compiled kernels run for large batches, else ``"numpy"``; found
    without importing Numba."""
    if disabled() or importlib.util.find_spec("numba") is None:
        return "numpy"
    return "numba"
