"""Readers for third-party input formats (each returns :class:`detente.arrays.ScenarioArrays`)."""
