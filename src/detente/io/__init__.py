"""Readers of third-party input formats (KTAB CSV/XML, ...)."""
