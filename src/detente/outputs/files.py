"""Writing output files safely: kept here for the commands; the code is in :mod:`detente.io.files`.

It moved down a layer because loading a scenario records its file as an input (so that no
output replaces it), and the scenario layer must not import from ``outputs``.
"""

from detente.io.files import check_output, forget_inputs, remember_input, write_atomic

__all__ = ["check_output", "forget_inputs", "remember_input", "write_atomic"]
