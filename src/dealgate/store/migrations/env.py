"""Alembic environment: runs against the engine dealgate hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from dealgate.store.tables import metadata

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
