"""Helpers shared by the test modules (importable because pytest puts tests/ on the path)."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
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


@contextlib.contextmanager
def pos_cloud_serve(data: Path, logs: list[str] | None = None) -> Iterator[str]:
    """`pos --data DATA cloud serve` in a child process, as a chain runs it: its URL once
    it answers /v1/health; stopped after, its output added to `logs`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    cloud = subprocess.Popen(
        [sys.executable, "-m", "pos", "--data", str(data), "cloud", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # only so a cloud that never starts fails
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/v1/health").status_code == 200:
                    break
            assert cloud.poll() is None, "the HQ exited"
            assert time.monotonic() < deadline, "the HQ did not start"
            time.sleep(0.1)
        yield url
    finally:
        cloud.terminate()
        output, _ = cloud.communicate(timeout=30)
        if logs is not None:
            logs.append(output)


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
