"""Bargaining and decision models. Importing this package registers them all.

Each model lives in its own module and registers itself with :func:`detente.models.base.register`.
Add a new model's module to ``MODEL_MODULES``; the order there is the order of the registry, and
so of every table and JSON output.
"""

from importlib import import_module

from detente.models.base import Model, Simulation, register, registry

MODEL_MODULES = ("central", "nbs", "bdm", "exchange", "smp", "detente_model")

for _module in MODEL_MODULES:
    import_module(f"detente.models.{_module}")

__all__ = ["MODEL_MODULES", "Model", "Simulation", "get_model", "register", "registry"]


def get_model(name: str, **options: object) -> Model:
    """Instantiate a registered model by name (``KeyError`` if unknown)."""
    return registry()[name](**options)
