"""The HQ database: an embedded SQLite file by default, PostgreSQL for a chain.

On SQLite the service is one process and its writes go one at a time (`BEGIN
IMMEDIATE`, WAL, synchronous=FULL, like the till's ledger). On PostgreSQL several
instances share one database: ingest locks the device's row (`SELECT ... FOR UPDATE`),
so two instances never interleave one device's events, and different devices proceed
in parallel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, exc, text

from pos.ledger.migrate import upgrade

HEAD_REVISION = "0008"
MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(database: str | None, data_dir: Path) -> str:
    """The SQLAlchemy URL for `--database` (a postgresql:// URL or a SQLite path), or
    the embedded file in the data directory."""
    if not database:
        return f"sqlite:///{data_dir / 'cloud.db'}"
    if database.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + database.split("://", 1)[1]
    if "://" in database:
        return database
    return f"sqlite:///{Path(database)}"


def open_engine(url: str) -> Engine:
    """An engine with the schema brought up to date."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    with engine.begin() as conn:
        migrate(conn)
    return engine


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows (values in `columns` order) in this transaction with the driver's
    fastest bulk path: on PostgreSQL one COPY (a unique violation fails it whole, as an
    INSERT would: the driver's IntegrityError, undone by the caller's savepoint), on
    SQLite the driver's executemany. SQLAlchemy's own executemany made a parameter dict
    per row and, on psycopg, sent one INSERT per row."""
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def _configure_sqlite(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None  # BEGIN is emitted by _begin_immediate
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
        cursor.execute(f"PRAGMA {pragma}")
    # A push writes about 3 MiB: at SQLite's default of 1,000 pages (4 MiB) nearly
    # every push's commit also copied the WAL into the file and flushed it, before its
    # answer. At 10,000 pages (about 40 MiB of WAL) that happens every dozen pushes;
    # each commit is as durable as before (synchronous=FULL flushes the WAL).
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def current_revision(conn: Connection) -> str | None:
    try:
        with conn.begin_nested():
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except exc.DBAPIError:
        return None


def migrate(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        # Instances starting together: one migrates, the others wait and find it done.
        conn.execute(text("SELECT pg_advisory_xact_lock(730100)"))
    if current_revision(conn) == HEAD_REVISION:
        return
    upgrade(conn, MIGRATIONS)
