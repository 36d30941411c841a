"""Scenario layer: schema, loading and validation, compilation to arrays."""

from detente.scenario.compile import compile_scenario
from detente.scenario.loading import (
    DEFAULT_SCENARIO,
    Loaded,
    bundled_scenarios,
    load,
    load_scenario,
)
from detente.scenario.schema import Scenario, json_schema

__all__ = [
    "DEFAULT_SCENARIO",
    "Loaded",
    "Scenario",
    "bundled_scenarios",
    "compile_scenario",
    "json_schema",
    "load",
    "load_scenario",
]
