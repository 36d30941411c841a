"""Whether the compiled kernels run: Numba installed and not switched off.

Numba is a dependency of the default install where it has wheels (CPython on the common 64-bit
platforms, see ``pyproject.toml``). The BDM, exchange and SMP models compile their kernels with
it, and the NBS its Newton steps and line searches (``nbs.KERNELS``, and ``nbs._gram_kernel``'s
Hessian sums), lazily and only for batches large enough to pay for loading it (the models'
``NUMBA_MIN_*`` constants), and cache them on disk. Setting ``DETENTE_NO_NUMBA=1`` keeps every
model on its NumPy path, as on an install without Numba; both paths give the same numbers bit
for bit (BDM's NumPy rounds take their powers from the C library's ``pow``, as the kernel does,
see :func:`detente.models.bdm._pow`).

**First use.** Compiling a kernel takes seconds (SMP about 6 s of CPU, exchange 4 s, BDM 3.5 s).
The NumPy paths give the compiled ones' numbers bit for bit, so a model whose kernel is not
compiled yet (:func:`ready`) runs on NumPy and asks a detached background process to compile
every kernel into the disk cache (:func:`compile_in_background`, :mod:`detente.models.warm`): a
short command does not wait for the compiler and the next one finds the kernels compiled.
``DETENTE_COMPILE=now`` compiles every kernel in the command instead (the test suite sets it).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

#: Environment variable that switches the compiled kernels off (any value but "" or "0").
ENV = "DETENTE_NO_NUMBA"


def disabled() -> bool:
    """Whether ``DETENTE_NO_NUMBA`` asks for the NumPy paths."""
    return os.environ.get(ENV, "").strip() not in ("", "0")


def load() -> ModuleType | None:
    """The ``numba`` module, or None when it is missing or switched off (imports it: 0.2-0.5 s)."""
    if disabled():
        return None
    from detente.lazy_imports import load_blas_module

    load_blas_module()  # what Numba's first kernel imports, without scipy.linalg's package
    try:
        import numba
    except ImportError:
        return None
    return numba


#: Environment variable: ``now`` compiles a missing kernel in the command itself; anything else
#: (the default) compiles the SMP and exchange kernels in a background process (module docstring).
COMPILE_ENV = "DETENTE_COMPILE"
#: Set in the background process itself, which compiles in the foreground (and starts no other).
WARMING_ENV = "DETENTE_WARMING"

_spawned: list[Any] = []  # the background compiler started by this process (a Popen)


def compile_now() -> bool:
    """Whether a missing kernel is compiled in this process (``DETENTE_COMPILE=now``, or this is
    the background compiler)."""
    return os.environ.get(COMPILE_ENV, "").strip().lower() == "now" or bool(
        os.environ.get(WARMING_ENV)
    )


def ready(kernel: Any) -> bool:
    """Whether ``kernel`` (a Numba dispatcher) runs without compiling: compiled in this process,
    or found in its disk cache for the current source (any signature; a call with another one
    still compiles). Anything that is not a Numba dispatcher, e.g. a test's Python stand-in, and
    any surprise from Numba's cache internals count as ready (the call then compiles, as before).
    """
    try:
        if kernel.overloads:
            return True
        return bool(kernel._cache._cache_file._load_index())
    except Exception:  # not a dispatcher, or Numba's internals changed
        return True


def compile_in_background() -> bool:
    """Start ``python -m detente.models.warm`` detached, once per process, unless this is that
    process. Returns whether one was started (or had been). Its output goes nowhere; if it fails,
    the next command compiles or starts it again."""
    if _spawned:
        return True
    if os.environ.get(WARMING_ENV):
        return False
    import subprocess

    try:
        _spawned.append(
            subprocess.Popen(
                [sys.executable, "-m", "detente.models.warm"],
                env={**os.environ, WARMING_ENV: "1"},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # not stopped by the command's Ctrl-C, not waited for
            )
        )
    except OSError:
        return False
    return True


def usable(kernel: Any) -> bool:
    """For a kernel (each model's NumPy path gives its numbers bit for bit): True where it runs
    without compiling, or where compiling in the command is asked for; else False, and the
    kernels are compiled in the background (module docstring)."""
    if compile_now() or ready(kernel):
        return True
    compile_in_background()
    return False


def kernels() -> str:
    """``"numba"`` where the compiled kernels run for large batches, else ``"numpy"``; found
    without importing Numba."""
    if disabled() or importlib.util.find_spec("numba") is None:
        return "numpy"
    return "numba"
