"""``python -m detente.models.warm``: compile every Numba kernel into the disk cache.

Started detached by :func:`detente.models._numba.compile_in_background` when a command finds
a BDM, SMP, exchange or NBS kernel not compiled yet (that command runs them on NumPy, with the same
numbers). It runs each model whose kernel exists on a small batch of the bundled default
scenario, forcing the compiled path, so that the kernels are compiled with the signatures the
commands use and cached; a kernel already cached is only loaded. Without Numba, or with
``DETENTE_NO_NUMBA`` set, it does nothing.
"""

from __future__ import annotations

import os

from detente.models import _numba

#: Models with a compiled kernel, in the order they are compiled (the slowest to compile and
#: the ones short commands fall back from first).
KERNEL_MODELS = ("smp", "exchange", "bdm", "nbs")


def compile_kernels(samples: int = 2) -> list[str]:
    """Run each of :data:`KERNEL_MODELS` through its compiled kernel on ``samples`` draws of the
    default scenario; returns the models run (none without Numba)."""
    import numpy as np

    from detente.models import bdm, exchange, nbs, smp
    from detente.models.spec import make_model
    from detente.scenario import compile_scenario, load

    if _numba.load() is None:
        return []
    os.environ.setdefault(_numba.WARMING_ENV, "1")  # compile here, start no other process
    arrays = compile_scenario(load(None).scenario, samples=samples, rng=np.random.default_rng(0))
    saved = (
        smp.NUMBA_MIN_SAMPLES,
        exchange.NUMBA_MIN_SAMPLES,
        bdm.NUMBA_MIN_ROWS,
        nbs.NUMBA_MIN_SAMPLES,
    )
    smp.NUMBA_MIN_SAMPLES = exchange.NUMBA_MIN_SAMPLES = bdm.NUMBA_MIN_ROWS = 0
    nbs.NUMBA_MIN_SAMPLES = 0
    try:
        done = []
        for name in KERNEL_MODELS:
            make_model(name).forecast(arrays, np.random.default_rng(0))
            done.append(name)
        return done
    finally:
        (
            smp.NUMBA_MIN_SAMPLES,
            exchange.NUMBA_MIN_SAMPLES,
            bdm.NUMBA_MIN_ROWS,
            nbs.NUMBA_MIN_SAMPLES,
        ) = saved


if __name__ == "__main__":  # pragma: no cover - run as a detached process
    compile_kernels()
