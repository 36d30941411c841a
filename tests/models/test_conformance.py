"""Run the generic conformance suite for every registered model with default options."""

from detente.models import registry
from tests.models.conformance import ModelConformance

for _name in registry():
    _cls = type(f"TestConformance_{_name}", (ModelConformance,), {"model": _name})
    globals()[_cls.__name__] = _cls
