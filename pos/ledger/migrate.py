"""Schema migrations (Alembic), applied when the ledger opens.

Alembic is imported only when the file is behind: a till starts many times a day and
the common case, an up-to-date file, is one SELECT.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, exc, text

HEAD_REVISION = "0011"
"""The newest migration; a test checks it matches migrations/versions."""

MIGRATIONS = Path(__file__).with_name("migrations")


def current_revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except exc.OperationalError:
        return None


def migrate(conn: Connection) -> None:
    """Bring the schema to HEAD_REVISION inside the caller's write transaction."""
    if current_revision(conn) == HEAD_REVISION:
        return
    upgrade(conn, MIGRATIONS)


def upgrade(conn: Connection, migrations: Path) -> None:
    """Run the Alembic scripts in `migrations` up to their head on `conn` (the till's
    ledger and the cloud's database both migrate this way)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
