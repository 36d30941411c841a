"""detente: model, forecast and shape multi-party negotiations.

The package is layered so that data flows one way::

    scenario (schema, loading, validation)
      -> arrays (compiled, batched NumPy arrays)
        -> models (pure functions on arrays)
          -> analyses (feasibility, crisis, uncertainty, advice)
            -> outputs (CLI, reports)
"""

__version__ = "0.1.0"
