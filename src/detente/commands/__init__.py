"""Command functions that the CLI registers (kept apart so they can be tested alone)."""
