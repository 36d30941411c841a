"""Command functions registered on the CLI app by ``detente.cli``."""
