"""A full disk, a read-only file system and a missing data folder: a clear error, no
traceback, exit code 2, and the ledger as it was.

The disks are real tmpfs mounts made in a private user and mount namespace
(`unshare --user --map-root-user --mount`), so no root is needed and nothing leaks
to the host. The mount exists only inside the namespace, so each case is one shell
script that runs every step in there; each step's output is written to files outside
the mount, and the ledger is copied out at the end for the checks done here.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pos.ledger.database import Ledger
from pos.ledger.verify import verify

UNSHARE = ("unshare", "--user", "--map-root-user", "--mount")

# Runs one `pos` command, keeping its output and exit code under $OUT.
STEP = """
set -u
step() {
  name=$1; shift
  "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  echo $? >"$OUT/$name.rc"
}
pos() { "$PY" -m pos --data "$MNT/data" "$@"; }
"""


@dataclass(frozen=True)
class Step:
    rc: int
    out: str
    err: str


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "POS_CONFIG"}
    return {**env, "PY": sys.executable, "PYTHONUNBUFFERED": "1", **extra}


def _in_namespace(script: str, mnt: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*UNSHARE, "sh", "-c", STEP + script],
        env=_env(MNT=str(mnt), OUT=str(out)),
        capture_output=True,
        text=True,
        check=False,
    )


def _step(out: Path, name: str) -> Step:
    rc_file = out / f"{name}.rc"
    assert rc_file.exists(), f"step {name} did not run"
    return Step(
        int(rc_file.read_text()),
        (out / f"{name}.out").read_text(encoding="utf-8"),
        (out / f"{name}.err").read_text(encoding="utf-8"),
    )


def _dirs(tmp_path: Path) -> tuple[Path, Path]:
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    return mnt, out


@pytest.fixture(scope="module", autouse=True)
def _tmpfs_allowed(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip (saying why) where a private tmpfs cannot be mounted."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    mnt, out = _dirs(tmp_path_factory.mktemp("probe"))
    probe = _in_namespace('mount -t tmpfs -o size=1m tmpfs "$MNT" && touch "$MNT/x"', mnt, out)
    if probe.returncode != 0:
        pytest.skip(
            "this machine does not allow a tmpfs mount in a user+mount namespace "
            f"(unshare --user --map-root-user --mount): {probe.stderr.strip()}"
        )


def _assert_clear_error(step: Step, *words: str) -> None:
    assert step.rc == 2, step
    assert "Traceback" not in step.err, step.err
    assert step.err.startswith("error: "), step.err
    for word in words:
        assert word.lower() in step.err.lower(), step.err


def _check_copy(copy: Path) -> tuple[int, int]:
    """Integrity and verify of a ledger copied out of the mount: (sales, events)."""
    db = sqlite3.connect(copy / "ledger.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        sales = db.execute("SELECT count(*) FROM sales").fetchone()[0]
    finally:
        db.close()
    ledger = Ledger.open(copy / "ledger.db", "T01")
    try:
        report = verify(ledger)
    finally:
        ledger.close()
    assert report.ok, report.problems
    return sales, report.events


def test_disk_full_stops_selling_with_a_clear_error_and_keeps_every_sale(tmp_path: Path) -> None:
    mnt, out = _dirs(tmp_path)
    # 3 MB holds the demo store and some sales, but nowhere near 100 000 of them.
    result = _in_namespace(
        """
        mount -t tmpfs -o size=3m tmpfs "$MNT" || exit 99
        step sell pos simulate --sales 100000
        step verify pos ledger verify
        mkdir "$OUT/copy" && cp "$MNT"/data/ledger.db* "$OUT/copy/"
        """,
        mnt,
        out,
    )
    assert result.returncode == 0, result.stderr

    sell = _step(out, "sell")
    _assert_clear_error(sell, "Disk full", "free some space")
    assert "verifies" not in sell.out

    verified = _step(out, "verify")
    assert verified.rc == 0, verified
    assert verified.out.startswith("ok: ")

    sales, events = _check_copy(out / "copy")
    assert sales > 0, "the disk filled before any sale: make the tmpfs larger"
    assert f"ok: {events} events" in verified.out


def test_read_only_file_system_refuses_sales_clearly_and_changes_nothing(tmp_path: Path) -> None:
    mnt, out = _dirs(tmp_path)
    result = _in_namespace(
        """
        mount -t tmpfs -o size=16m tmpfs "$MNT" || exit 99
        step create pos simulate --sales 3
        step before pos ledger verify
        mount -o remount,ro "$MNT" || exit 98
        step sell pos simulate --sales 5
        step staff pos staff list
        step verify pos ledger verify
        mkdir "$OUT/copy" && cp "$MNT"/data/ledger.db* "$OUT/copy/"
        """,
        mnt,
        out,
    )
    assert result.returncode == 0, result.stderr
    assert _step(out, "create").rc == 0
    before = _step(out, "before")
    assert before.rc == 0, before

    _assert_clear_error(_step(out, "sell"), "read-only")
    _assert_clear_error(_step(out, "staff"), "read-only")

    # An auditor or technician can still check the ledger where it is, and it is unchanged.
    after = _step(out, "verify")
    assert after.rc == 0, after
    assert after.out == before.out
    sales, _events = _check_copy(out / "copy")
    assert sales == 3


@pytest.mark.parametrize(
    "command",
    [["simulate", "--sales", "1"], ["staff", "list"], ["catalog", "export"]],
    ids=" ".join,
)
def test_data_folder_under_a_regular_file_is_refused_clearly(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "afile").write_text("not a folder\n")
    data = tmp_path / "afile" / "sub"
    result = subprocess.run(
        [sys.executable, "-m", "pos", "--data", str(data), *command],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    _assert_clear_error(Step(result.returncode, result.stdout, result.stderr),
                        "Data folder unavailable", str(data))  # fmt: skip
    assert (tmp_path / "afile").read_text() == "not a folder\n"
