"""Alembic environment: runs on the connection pos.ledger.migrate hands it."""

from alembic import context
from sqlmodel import SQLModel

import pos.ledger.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copy-and-move
)
with context.begin_transaction():
    context.run_migrations()
