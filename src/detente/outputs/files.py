"""Writing output files safely: kept here for the commands; the code is in :mod:`detente.io.files`.

It moved down a layer because loading a scenario records its file as an input (so that no
output replaces it), and the scenario layer must not import from ``outputs``.
"""

from detente.io.files import check_output, forget_inputs, remember_input, write_atomic

__all__ = ["check_output", "forget_inputs", "remember_input", "skip_gc_at_exit", "write_atomic"]

_skipping: list[bool] = []


def skip_gc_at_exit() -> None:
    """Freeze the heap (:func:`gc.freeze`) when the interpreter exits, once per process.

    Python's shutdown runs garbage collections over every object left, which after a command
    that loaded NumPy, SciPy, pydantic and Numba costs 0.1-0.2 s of CPU (``crisis``: 1.62 s in
    all, 1.40 s with the heap frozen). Frozen objects are left out of those collections; the
    modules are still torn down and their objects finalised as before, only cyclic garbage left
    at exit is not collected (Python does not promise to collect it at exit either). The output
    is written before; the commands call this.
    """
    if not _skipping:
        import atexit
        import gc

        atexit.register(gc.freeze)
        _skipping.append(True)
