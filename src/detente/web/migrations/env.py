"""Alembic environment: migrate the connection handed over by :func:`detente.web.store.migrate`.

Importing this module outside an Alembic run (e.g. by pytest's doctest collection) does nothing.
"""

from __future__ import annotations

from alembic import context


def _in_alembic() -> bool:
    try:
        context.config  # noqa: B018 - fails outside a migration run
    except (NameError, AttributeError):
        return False
    return True


def run_migrations() -> None:
    """Run the migrations on the connection in ``config.attributes['connection']``."""
    conn = context.config.attributes["connection"]
    context.configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if _in_alembic():
    run_migrations()
