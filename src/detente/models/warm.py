"""``python -m detente.models.warm``: compile every Numba kernel into the disk cache.

Started detached by :func:`detente.models._numba.compile_in_background` when a command finds
a BDM, SMP, exchange or NBS kernel not compiled yet (that command runs them on NumPy, with the same
numbers). It runs each model whose kernel exists on a small batch of the bundled default
scenario, forcing the compiled path, so that the kernels are compiled with the signatures the
commands use and cached; a kernel already cached is only loaded. Without Numba, or with
``DETENTE_NO_NUMBA`` set, it does nothing. Commands started at the same moment on an empty
cache may each start one; the first holds a lock (:func:`compile_kernels_once`) and the others
leave at once instead of compiling the same kernels again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from detente.models import _numba

#: Models with a compiled kernel, in the order they are compiled (the slowest to compile and
#: the ones short commands fall back from first).
KERNEL_MODELS = ("smp", "exchange", "bdm", "nbs")


@contextmanager
def compiled_paths() -> Iterator[None]:
    """Within the block, every model with a kernel takes its compiled path whatever the batch
    size (its ``NUMBA_MIN_*`` threshold is 0); the thresholds are restored on leaving."""
    from detente.models import bdm, exchange, nbs, smp

    saved = (
        smp.NUMBA_MIN_SAMPLES,
        exchange.NUMBA_MIN_SAMPLES,
        bdm.NUMBA_MIN_ROWS,
        nbs.NUMBA_MIN_SAMPLES,
    )
    smp.NUMBA_MIN_SAMPLES = exchange.NUMBA_MIN_SAMPLES = bdm.NUMBA_MIN_ROWS = 0
    nbs.NUMBA_MIN_SAMPLES = 0
    try:
        yield
    finally:
        (
            smp.NUMBA_MIN_SAMPLES,
            exchange.NUMBA_MIN_SAMPLES,
            bdm.NUMBA_MIN_ROWS,
            nbs.NUMBA_MIN_SAMPLES,
        ) = saved


def compile_kernels(samples: int = 2) -> list[str]:
    """Run each of :data:`KERNEL_MODELS` through its compiled kernel on ``samples`` draws of the
    default scenario; returns the models run (none without Numba)."""
    import numpy as np

    from detente.models.spec import make_model
    from detente.scenario import compile_scenario, load

    if _numba.load() is None:
        return []
    os.environ.setdefault(_numba.WARMING_ENV, "1")  # compile here, start no other process
    arrays = compile_scenario(load(None).scenario, samples=samples, rng=np.random.default_rng(0))
    done = []
    with compiled_paths():
        for name in KERNEL_MODELS:
            make_model(name).forecast(arrays, np.random.default_rng(0))
            done.append(name)
    return done


def lock_path() -> str:
    """The lock file of this installation's background compiler (one per package folder and
    user, in the temporary folder)."""
    import tempfile
    import zlib

    here = os.path.dirname(os.path.abspath(__file__)).encode("utf-8", "surrogateescape")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    name = f"detente-warm-{uid}-{zlib.crc32(here):08x}.lock"
    return os.path.join(tempfile.gettempdir(), name)


def compile_kernels_once(samples: int = 2) -> list[str] | None:
    """:func:`compile_kernels` unless another process of this installation is compiling (it
    holds the lock): then None at once. Without ``fcntl`` (Windows) it always compiles."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return compile_kernels(samples)
    with open(lock_path(), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None  # another compiler is at work; its cache serves every command
        try:
            return compile_kernels(samples)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


if __name__ == "__main__":  # pragma: no cover - run as a detached process
    compile_kernels_once()
