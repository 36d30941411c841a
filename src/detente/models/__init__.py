"""Bargaining and decision models. Importing this package registers them all.

Each model lives in its own module and registers itself with :func:`detente.models.base.register`.
Add a new model's module to the import list below.
"""

from detente.models import central  # noqa: F401
from detente.models import nbs  # noqa: F401
from detente.models.base import Model, Simulation, register, registry

__all__ = ["Model", "Simulation", "get_model", "register", "registry"]


def get_model(name: str, **options: object) -> Model:
    """Instantiate a registered model by name (``KeyError`` if unknown)."""
    return registry()[name](**options)
