"""Readers for external data sets."""
