"""Helpers shared by the test modules (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def raw(path: Path, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
    """Rows straight from the SQLite file, with a plain sqlite3 connection of its own."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()
