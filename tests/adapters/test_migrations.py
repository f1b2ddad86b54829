"""Schema migrations: the code's head revision, the migrated schema against the table
definitions, reopening without migrating again, and refusing another till's file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import alembic.command
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlmodel import SQLModel
from support import raw

import pos.ledger.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from pos.errors import LedgerError
from pos.ledger.database import Ledger
from pos.ledger.migrate import HEAD_REVISION, MIGRATIONS
from pos.ledger.verify import verify


def schema_diff(path: Path) -> list[Any]:
    """Alembic's autogenerate comparison of the file's schema with SQLModel.metadata."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    finally:
        engine.dispose()


def new_ledger(path: Path, device_id: str = "T01") -> Path:
    ledger = Ledger.open(path, device_id)
    try:
        with ledger.transaction() as writer:
            writer.append("ledger.created", {"device_id": device_id, "store_id": "demo-store"})
            writer.append("drawer.opened", {"reason": "no_sale", "staff_no": "101"})
    finally:
        ledger.close()
    return path


@pytest.fixture
def upgrades(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every Alembic upgrade the ledger runs (and still runs it)."""
    calls: list[str] = []
    real: Callable[..., None] = alembic.command.upgrade

    def recording(config: Any, revision: str, *args: Any, **kwargs: Any) -> None:
        calls.append(revision)
        real(config, revision, *args, **kwargs)

    monkeypatch.setattr(alembic.command, "upgrade", recording)
    return calls


def test_head_revision_is_the_head_of_the_migration_scripts() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS))
    assert scripts.get_heads() == [HEAD_REVISION]  # one head, no branches
    assert scripts.get_current_head() == HEAD_REVISION


def test_a_migrated_file_matches_the_table_definitions(tmp_path: Path) -> None:
    path = new_ledger(tmp_path / "ledger.db")
    assert schema_diff(path) == []
    assert raw(path, "SELECT version_num FROM alembic_version") == [{"version_num": HEAD_REVISION}]
    triggers = raw(path, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    assert triggers == [{"name": "journal_no_delete"}, {"name": "journal_no_update"}]


def test_the_schema_comparison_notices_a_difference(tmp_path: Path) -> None:
    """The check above can fail: a file missing an index is reported."""
    path = new_ledger(tmp_path / "ledger.db")
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX ix_sales_ts")
    conn.commit()
    conn.close()
    diff = schema_diff(path)
    assert [(entry[0], entry[1].name) for entry in diff] == [("add_index", "ix_sales_ts")]


def test_a_new_file_is_migrated_once_and_reopening_does_not_migrate_again(
    tmp_path: Path, upgrades: list[str]
) -> None:
    path = new_ledger(tmp_path / "ledger.db")
    assert upgrades == ["head"]
    before = raw(path, "SELECT * FROM journal ORDER BY seq")
    schema = raw(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")

    ledger = Ledger.open(path, "T01")
    try:
        assert upgrades == ["head"]  # no second upgrade
        assert verify(ledger).ok
        with ledger.transaction() as writer:
            writer.append("drawer.opened", {"reason": "no_sale", "staff_no": "102"})
    finally:
        ledger.close()
    after = raw(path, "SELECT * FROM journal ORDER BY seq")
    assert after[: len(before)] == before  # the data is kept
    assert [row["seq"] for row in after] == [1, 2, 3]
    assert raw(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert raw(path, "SELECT value FROM meta WHERE key = 'device_id'") == [{"value": "T01"}]


def test_opening_another_tills_ledger_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    path = new_ledger(tmp_path / "ledger.db", device_id="T02")
    before = raw(path, "SELECT * FROM journal ORDER BY seq"), raw(path, "SELECT * FROM meta")
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path, "T01")
    assert caught.value.title == "Ledger belongs to another till"
    assert "T02" in caught.value.message
    assert "T01" in caught.value.message
    assert (raw(path, "SELECT * FROM journal ORDER BY seq"), raw(path, "SELECT * FROM meta")) == (
        before
    )
    # Its own till still opens it.
    Ledger.open(path, "T02").close()


def test_opening_a_file_that_is_not_a_database_is_refused_and_leaves_it_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"
    junk = b"definitely not SQLite " * 200
    path.write_bytes(junk)
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path, "T01")
    assert caught.value.title == "Ledger damaged"
    assert path.read_bytes() == junk
