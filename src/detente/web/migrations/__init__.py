"""Alembic migrations of the run history (run by :func:`detente.web.store.migrate`)."""
