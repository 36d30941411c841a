"""detente: model, forecast and shape multi-party negotiations.

The package is layered so that data flows one way; no module imports from a layer above its
own (``tests/test_layering.py`` checks every import)::

    scenario, io, errors, arrays (schema, loading, validation, importers, compiled arrays)
      -> models (pure functions on arrays)
        -> analyses (feasibility, crisis, uncertainty, advice, and their JSON-ready reports)
          -> api (the facade: one function per analysis, JSON-ready results)
            -> outputs (text, the briefing report and its charts)
              -> commands, cli, web (front ends: parse options, call the api, render)
"""

__version__ = "0.1.0"

from detente import lazy_imports as _lazy_imports

_lazy_imports.install()
