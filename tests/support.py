"""Helpers shared by the test modules (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image


def raw(path: Path, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
    """Rows straight from the SQLite file, with a plain sqlite3 connection of its own."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def run_pos(
    data: Path, *args: str, stdin: str = "", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`pos --data DATA ARGS...` in a child process, on the built-in demo store whatever
    the machine's POS_CONFIG says; `env` adds to the environment."""
    environ = {key: value for key, value in os.environ.items() if key != "POS_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "pos", "--data", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        timeout=300,
        check=False,
    )


# (top module dark, bottom module dark) of each half-block character, black on white.
MODULES = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}
# Screen pixels a module: a character cell is 1 module wide and 2 high.
SCALE = 6


def picture(lines: list[str]) -> Image.Image:
    """Half-block QR text (receipts.qr_text) as a terminal shows it: each character two
    square modules, one over the other, dark ink on a white background."""
    rows: list[list[bool]] = []
    for line in lines:
        pairs = [MODULES[char] for char in line]
        rows.append([top for top, _bottom in pairs])
        rows.append([bottom for _top, bottom in pairs])
    width, height = len(rows[0]), len(rows)
    dots = bytes(0 if dark else 255 for row in rows for dark in row)
    image = Image.frombytes("L", (width, height), dots)
    return image.resize((width * SCALE, height * SCALE), Image.Resampling.NEAREST)
