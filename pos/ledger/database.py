"""The ledger file: one SQLite database, one writer, every write a BEGIN IMMEDIATE.

Pragmas (DESIGN.md §3, reference/sync-and-durability.md §2): WAL so the TUI can read
while a sale commits; synchronous=FULL so a committed sale survives a power cut (WAL
with NORMAL may lose the last commits); foreign_keys on; a busy timeout so a second
process (a backup, `pos ledger verify`) waits instead of failing. Write transactions
start with BEGIN IMMEDIATE so the busy timeout applies at BEGIN rather than a deferred
transaction failing with SQLITE_BUSY when it upgrades to a write.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, exc, insert, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import NullPool, QueuePool

from pos.errors import LedgerError
from pos.ledger.chain import (
    GENESIS_HASH,
    Event,
    canonical_text,
    format_ts,
    payload_json,
    sha256_hex,
)
from pos.ledger.migrate import migrate
from pos.ledger.projections import project
from pos.ledger.rows import driver, insert_rows
from pos.ledger.tables import JOURNAL, META

BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)
_HEAD_SQL = "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def sqlite_engine(
    path: Path | str, *, immediate: bool, single: bool = False, read_only: bool = False
) -> Engine:
    """An engine with the ledger's pragmas; `immediate` makes every BEGIN a write lock.

    `read_only` opens the file with mode=ro, so nothing can be written through it. On a
    read-only file system SQLite cannot create the WAL's -shm file, so there a ledger with
    no -wal file (closed cleanly: the main file is the whole ledger) is opened immutable,
    which needs neither and is safe because nothing can change the file there.
    """
    url = f"sqlite:///{path}"
    if read_only:
        immutable = on_read_only_fs(Path(path)) and not Path(f"{path}-wal").exists()
        query = "mode=ro&immutable=1" if immutable else "mode=ro"
        url = f"sqlite:///file:{quote(str(path))}?{query}&uri=true"
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        poolclass=QueuePool if single else NullPool,
        **({"pool_size": 1, "max_overflow": 0} if single else {}),
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Take transaction control from the sqlite3 module so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        for pragma in PRAGMAS:
            dbapi_connection.execute(pragma)

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Straight to the driver: exec_driver_sql's bookkeeping costs a tenth of a commit.
        driver(connection).execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def on_read_only_fs(path: Path) -> bool:
    """Whether `path` (or the folder it would be in) is on a file system mounted read-only."""
    for candidate in (path, path.parent):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def translate(error: BaseException, path: Path) -> LedgerError:
    """Turn SQLite's failure into words a manager or technician can act on."""
    text_ = str(getattr(error, "orig", error)).lower()
    if "disk is full" in text_ or "disk full" in text_:
        return LedgerError(
            "Disk full",
            f"The ledger at {path} cannot grow: the disk is full. Nothing was recorded; "
            "free some space and try again.",
        )
    # On a read-only file system SQLite says "unable to open": it cannot create the
    # WAL's -wal and -shm files next to the ledger.
    if "readonly" in text_ or ("unable to open" in text_ and on_read_only_fs(path)):
        return LedgerError(
            "Ledger is read-only",
            f"{path} cannot be written (read-only file or file system). Nothing was recorded.",
        )
    if "unable to open" in text_:
        return LedgerError(
            "Ledger cannot be opened",
            f"{path} cannot be opened: check that its folder exists and is writable.",
        )
    if "locked" in text_ or "busy" in text_:
        return LedgerError(
            "Ledger busy",
            f"Another program holds {path} locked for more than "
            f"{BUSY_TIMEOUT_MS // 1000} s. Nothing was recorded; try again.",
        )
    if "malformed" in text_ or "not a database" in text_:
        return LedgerError(
            "Ledger damaged",
            f"{path} is not a healthy SQLite database ({text_}). Restore the last backup "
            "(see docs/ledger.md).",
        )
    return LedgerError("Ledger error", f"{path}: {text_}")


class Writer:
    """The open write transaction: events appended here commit together or not at all."""

    def __init__(self, conn: Connection, device_id: str, clock: Clock) -> None:
        self.conn = conn
        self._device_id = device_id
        self._clock = clock
        row = driver(conn).execute(_HEAD_SQL).fetchone()
        self._seq: int = row[0] if row else 0
        self._hash: str = row[1] if row else GENESIS_HASH
        self.events: list[Event] = []

    def append(self, type_: str, payload: dict[str, Any], *, at: datetime | None = None) -> Event:
        text = payload_json(payload)
        fields: dict[str, Any] = {
            "seq": self._seq + 1,
            "event_id": str(uuid.uuid4()),
            "device_id": self._device_id,
            "type": type_,
            "ts": format_ts(at or self._clock()),
            "prev_hash": self._hash,
        }
        digest = sha256_hex(canonical_text(fields, text))
        insert_rows(self.conn, JOURNAL, [{**fields, "payload": text, "hash": digest}])
        new = Event(**fields, payload=payload, hash=digest)
        project(self.conn, new)
        self._seq, self._hash = new.seq, new.hash
        self.events.append(new)
        return new


class Ledger:
    """The till's ledger file. Thread-safe: one writer at a time, readers alongside."""

    def __init__(
        self, path: Path, device_id: str, clock: Clock = utc_now, *, read_only: bool = False
    ) -> None:
        self.path = path
        self.device_id = device_id
        self.clock = clock
        self._write_lock = threading.RLock()
        self._writer = sqlite_engine(path, immediate=True, single=True, read_only=read_only)
        self._reader = sqlite_engine(path, immediate=False, read_only=read_only)
        # Kept open for the ledger's life: checking a connection out of the pool for
        # every sale costs more than the sale's SQL.
        self._write_conn: Connection | None = None

    @classmethod
    def open(cls, path: Path, device_id: str, clock: Clock = utc_now) -> Ledger:
        """Open (creating if needed) and migrate the ledger; refuse another device's file."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LedgerError(
                "Data folder unavailable", f"{path.parent} cannot be created: {error.strerror}."
            ) from None
        ledger = cls(path, device_id, clock)
        try:
            with ledger._writer.begin() as conn:
                migrate(conn)
                owner = conn.execute(select(META.c.value).where(META.c.key == "device_id")).scalar()
                if owner is None:
                    conn.execute(insert(META), {"key": "device_id", "value": device_id})
        except exc.DBAPIError as error:
            ledger.close()
            raise translate(error, path) from None
        if owner is not None and owner != device_id:
            ledger.close()
            raise LedgerError(
                "Ledger belongs to another till",
                f"{path} is the ledger of device {owner}, not {device_id}. "
                "Point [till] data_dir at this till's own folder.",
            )
        return ledger

    @classmethod
    def open_read_only(cls, path: Path, device_id: str) -> Ledger:
        """Open an existing ledger without writing anything, not even a migration: for
        `pos ledger verify` and `export` where the file system is read-only. A transaction
        on it raises LedgerError "Ledger is read-only"."""
        if not path.is_file():
            raise LedgerError("No ledger", f"There is no ledger at {path}.")
        return cls(path, device_id, read_only=True)

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """BEGIN IMMEDIATE ... COMMIT; any failure rolls back and raises LedgerError."""
        with self._write_lock:
            try:
                conn = self._writer_connection()
                with conn.begin():
                    yield Writer(conn, self.device_id, self.clock)
            # sqlite3.Error too: the hot path runs SQL straight on the driver (rows.py).
            except (exc.DBAPIError, sqlite3.Error) as error:
                raise translate(error, self.path) from None

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Commits without waiting for the disk (synchronous=OFF) until the block ends,
        then FULL again and the WAL folded in. Only for generating data (`pos simulate
        --bulk`): a power cut during the block may lose its last commits, never the file."""
        with self._write_lock:
            conn = driver(self._writer_connection())
            conn.execute("PRAGMA synchronous=OFF")
            try:
                yield
            finally:
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _writer_connection(self) -> Connection:
        if self._write_conn is None or self._write_conn.closed or self._write_conn.invalidated:
            self._write_conn = self._writer.connect()
        return self._write_conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A consistent read snapshot that never blocks the writer (WAL)."""
        try:
            with self._reader.begin() as conn:
                yield conn
        except (exc.DBAPIError, sqlite3.Error) as error:
            raise translate(error, self.path) from None

    def head(self) -> tuple[int, str]:
        """The last seq and its hash (0 and the genesis hash when empty)."""
        with self.read() as conn:
            row = conn.execute(
                select(JOURNAL.c.seq, JOURNAL.c.hash).order_by(JOURNAL.c.seq.desc()).limit(1)
            ).first()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    def checkpoint(self) -> None:
        """Fold the WAL back into the file at an idle moment (avoids WAL growth)."""
        with self._write_lock:
            driver(self._writer_connection()).execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._write_lock:
            if self._write_conn is not None:
                self._write_conn.close()
                self._write_conn = None
        self._writer.dispose()
        self._reader.dispose()


def read_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(META.c.value).where(META.c.key == key)).scalar()


def write_meta(conn: Connection, key: str, value: str) -> None:
    """Set a fact about this ledger file (not an event: sync progress, say)."""
    conn.execute(
        sqlite_insert(META)
        .values(key=key, value=value)
        .on_conflict_do_update(index_elements=[META.c.key], set_={"value": value})
    )


def journal_count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM journal")).scalar_one())
