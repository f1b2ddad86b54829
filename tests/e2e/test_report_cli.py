"""`pos report x|z|day` and `pos report z --close` end to end on a simulated ledger: the
exports agree with what was sold, a day closes once with a manager's PIN, and a refused
close writes nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pos.cli import main
from pos.config.load import CONFIG_ENV


@pytest.fixture(autouse=True)
def _no_config_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def _pos(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != CONFIG_ENV}
    return subprocess.run(
        [sys.executable, "-m", "pos", "--data", str(data), *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _one(data: Path, sql: str) -> object:
    conn = sqlite3.connect(data / "ledger.db")
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _report(data: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["--data", str(data), "report", *args]) == 0
    return capsys.readouterr().out


def test_x_then_close_then_a_second_close_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["--data", str(data), "simulate", "--sales", "25", "--seed", "3"]) == 0
    sold = _one(data, "SELECT sum(total) FROM sales")

    x = json.loads(_report(data, capsys, "x", "--format", "json"))
    assert x["header"]["kind"] == "x"
    assert x["totals"]["receipts"] == 25
    assert x["totals"]["sales_total"] == sold
    rows = list(csv.reader(io.StringIO(_report(data, capsys, "x", "--format", "csv"))))
    assert ["totals", "", "sales_total", str(sold)] in rows
    assert _one(data, "SELECT count(*) FROM journal WHERE type = 'day.closed'") == 0

    wrong = _pos(data, "report", "z", "--close", "--manager", "900", stdin="1111\n")
    assert wrong.returncode == 2
    assert _one(data, "SELECT count(*) FROM journal WHERE type = 'day.closed'") == 0

    closed = _pos(
        data, "report", "z", "--close", "--manager", "900", "--format", "json", stdin="9000\n"
    )
    assert closed.returncode == 0, closed.stderr
    z = json.loads(closed.stdout)
    assert (z["header"]["z_no"], z["totals"]["sales_total"]) == (1, sold)
    assert z["header"]["head_hash"] == _one(
        data, f"SELECT hash FROM journal WHERE seq = {z['last_seq']}"
    )
    assert _one(data, "SELECT action FROM overrides ORDER BY seq DESC LIMIT 1") == "day_close"

    again = _pos(data, "report", "z", "--close", "--manager", "900", stdin="9000\n")
    assert again.returncode == 2
    assert "Day already closed" in again.stderr
    assert _one(data, "SELECT count(*) FROM journal WHERE type = 'day.closed'") == 1

    day = z["header"]["business_day"]
    reprint = _report(data, capsys, "z", "--date", day, "--width", "58")
    assert "#1" in reprint
    assert z["header"]["head_hash"] in reprint.replace("\n", "")
    assert (
        json.loads(_report(data, capsys, "day", "--date", day, "--format", "json"))["header"][
            "z_no"
        ]
        == 1
    )
    assert main(["--data", str(data), "ledger", "verify"]) == 0


def test_the_z_of_a_day_not_closed_says_how_to_close_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["--data", str(data), "report", "z", "--date", "2026-01-02"]) == 2
    assert "pos report z --close" in capsys.readouterr().err


def test_print_queues_the_report_for_the_tills_printer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["--data", str(data), "simulate", "--sales", "3", "--seed", "1"]) == 0
    _report(data, capsys, "x", "--print")
    assert str(_one(data, "SELECT receipt_no FROM print_jobs")).startswith("report|x|")
    assert _one(data, "SELECT count(*) FROM journal WHERE type LIKE 'day.%'") == 0
