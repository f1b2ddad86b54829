"""Alembic environment for the HQ database: runs on the connection cloud.hq.database
hands it, SQLite or PostgreSQL alike."""

from alembic import context

from cloud.hq.schema import HQModel

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=HQModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
