"""Inserting rows on the hot path (a sale's commit) straight through the DB-API.

SQLAlchemy Core costs about a tenth of a millisecond per statement, which is most of a
sale's commit once SQLite's own work is this fast. The SQL is still generated from the
SQLModel table definitions, so the schema has one source; only the execution skips the
statement machinery. Every row must name every column (no silent defaults).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Table


@cache
def _insert_sql(table: Table) -> str:
    columns = [column.name for column in table.columns]
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(f":{name}" for name in columns)
    return f'INSERT INTO "{table.name}" ({names}) VALUES ({values})'


def driver(conn: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a SQLAlchemy connection (same transaction)."""
    return cast(sqlite3.Connection, conn.connection.driver_connection)


def insert_rows(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    driver(conn).executemany(_insert_sql(table), rows)
