"""Readers of third-party input formats (KTAB, Decide, DEU, GENIUS, ...) into detente arrays."""
