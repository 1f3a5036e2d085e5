"""Alembic environment: runs on the connection relman hands over in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from relman.adapters.db.tables import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # pragma: no cover - relman always passes its own connection
        raise RuntimeError("relman migrations run through `relman db upgrade`, not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
