"""Crash safety: a till killed with SIGKILL at any moment loses no committed sale.

A child process sells in a loop through the real `Checkout` on a real SQLite file and
reports each sale after its COMMIT returned. The parent kills it at a random moment
(after a random number of sales, or a random short time), reopens the same ledger and
does it again. Afterwards every reported sale is there exactly once, every sale adds up,
the chain verifies, and the one sale that may have been in progress comes back.

Rounds: 25, or $POS_CRASH_ROUNDS. Seed: printed; set $POS_CRASH_SEED to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import load_config
from pos.ledger.verify import verify

ROUNDS = int(os.environ.get("POS_CRASH_ROUNDS", "25"))
HANG_GUARD_S = 120  # only so a wedged child fails the test instead of hanging CI

CHILD = textwrap.dedent(
    """
    import random
    import sys
    from pathlib import Path

    from pos.bootstrap import open_ledger
    from pos.catalog_admin import current_catalog
    from pos.checkout import Added, Checkout, Till
    from pos.config import load_config

    data_dir, seed = Path(sys.argv[1]), sys.argv[2]
    rng = random.Random(seed)
    config = load_config(None, data_dir)
    ledger = open_ledger(config)
    catalog = current_catalog(ledger)
    barcodes = sorted(item.barcode for item in catalog if item.barcode and not item.weighed)
    checkout = Checkout(
        ledger, catalog, Till("T01", "T01-", "101"), config.settings.scanner.rules()
    )
    restored = checkout.restore_draft()
    print(f"READY {len(checkout.cart.lines) if restored else 0}", flush=True)
    while True:
        for _ in range(rng.randint(1, 5)):
            outcome = checkout.scan(rng.choice(barcodes))
            if not isinstance(outcome, Added):
                raise SystemExit(f"scan refused: {outcome}")
        checkout.save_draft()
        record = checkout.pay_cash(None)
        print(f"COMMITTED {record.receipt_no} {record.total}", flush=True)
    """
)


def _env() -> dict[str, str]:
    # The child must open the built-in demo store, whatever the machine's POS_CONFIG says.
    return {key: value for key, value in os.environ.items() if key != "POS_CONFIG"}


class _Child:
    """The selling process and the complete lines it has printed so far."""

    def __init__(self, script: Path, data_dir: Path, seed: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(data_dir), seed],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
            cwd=script.parent,
        )
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._fd = self.process.stdout.fileno()
        self._buffer = b""
        self.lines: list[str] = []
        self._deadline = time.monotonic() + HANG_GUARD_S

    def _pump(self, wait: float) -> bool:
        """Take in what the child printed within `wait` seconds; False at end of output."""
        ready, _, _ = select.select([self._fd], [], [], max(wait, 0.0))
        if not ready:
            return True
        chunk = os.read(self._fd, 65536)
        if not chunk:
            return False
        self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\n")
        self.lines.extend(line.decode() for line in complete)
        return True

    def wait_for(self, count: int, prefix: str) -> None:
        """Read until `count` lines starting with `prefix` have arrived."""
        while sum(line.startswith(prefix) for line in self.lines) < count:
            if time.monotonic() > self._deadline:
                self.fail("the child stopped making progress")
            if not self._pump(0.5):
                self.fail("the child exited on its own")

    def sleep_reading(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if not self._pump(left):
                self.fail("the child exited on its own")

    def kill(self) -> None:
        """SIGKILL, then collect every line the child had printed before it died."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        while self._pump(0.0):
            pass
        # A line cut off by the kill was never reported, so it proves nothing.
        self._close()

    def fail(self, why: str) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        assert self.process.stderr is not None
        stderr = self.process.stderr.read().decode(errors="replace")
        self._close()
        raise AssertionError(f"{why}; stdout so far {self.lines!r}\nstderr:\n{stderr}")

    def _close(self) -> None:
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.process.stdout.close()
        self.process.stderr.close()


def test_sigkill_at_random_moments_loses_no_committed_sale(tmp_path: Path) -> None:
    seed = int(os.environ.get("POS_CRASH_SEED", random.SystemRandom().randrange(2**32)))
    print(f"crash test seed: {seed} (POS_CRASH_SEED={seed} replays it), rounds: {ROUNDS}")
    rng = random.Random(seed)
    script = tmp_path / "sell_forever.py"
    script.write_text(CHILD, encoding="utf-8")
    data_dir = tmp_path / "data"

    reported: list[tuple[str, int]] = []
    for round_no in range(ROUNDS):
        child = _Child(script, data_dir, f"{seed}-{round_no}")
        how = rng.choice(("after_sales", "after_sales", "after_time", "early"))
        if how == "early":
            # Any moment from start-up (imports, opening, migrating) into the first sales.
            child.sleep_reading(rng.uniform(0.0, 1.0))
        else:
            child.wait_for(1, "READY")
            if how == "after_time":
                child.sleep_reading(rng.uniform(0.0, 0.3))
            else:
                child.wait_for(rng.randint(0, 8), "COMMITTED")
        child.kill()
        for line in child.lines:
            if line.startswith("COMMITTED "):
                _, receipt_no, total = line.split()
                reported.append((receipt_no, int(total)))
        print(f"round {round_no}: {how}, {len(child.lines)} lines")

    _check_ledger(data_dir, reported)


def _check_ledger(data_dir: Path, reported: list[tuple[str, int]]) -> None:
    receipt_nos = [receipt_no for receipt_no, _total in reported]
    assert len(set(receipt_nos)) == len(receipt_nos), "a receipt number was reported twice"

    db = sqlite3.connect(data_dir / "ledger.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []

        for receipt_no, total in reported:
            rows = db.execute(
                "SELECT total FROM sales WHERE receipt_no = ?", (receipt_no,)
            ).fetchall()
            assert rows == [(total,)], f"reported sale {receipt_no} ({total} fen) is {rows}"

        sales = db.execute(
            "SELECT sale_id, receipt_no, receipt_seq, subtotal, discount_total, total "
            "FROM sales ORDER BY receipt_seq"
        ).fetchall()
        assert len(sales) >= len(reported)
        # Receipt numbers are per device, monotonic and without gaps.
        assert [sale[2] for sale in sales] == list(range(1, len(sales) + 1))
        for sale_id, receipt_no, _seq, subtotal, discount_total, total in sales:
            paid, payments = db.execute(
                "SELECT coalesce(sum(amount), 0), count(*) FROM payments WHERE sale_id = ?",
                (sale_id,),
            ).fetchone()
            net, lines = db.execute(
                "SELECT coalesce(sum(net), 0), count(*) FROM sale_lines WHERE sale_id = ?",
                (sale_id,),
            ).fetchone()
            assert payments >= 1, receipt_no
            assert paid == total, f"{receipt_no}: paid {paid} of {total}"
            assert lines >= 1, receipt_no
            assert net == total, f"{receipt_no}: lines add to {net} of {total}"
            assert subtotal - discount_total == total, receipt_no

        count, first, last = db.execute(
            "SELECT count(*), min(seq), max(seq) FROM journal"
        ).fetchone()
        assert (first, last) == (1, count), f"journal seq has gaps: {count} rows, {first}..{last}"
        completed = db.execute(
            "SELECT count(*) FROM journal WHERE type = 'sale.completed'"
        ).fetchone()[0]
        assert completed == len(sales)

        drafts = db.execute("SELECT draft_id, kind, staff_no, cart FROM drafts").fetchall()
    finally:
        db.close()

    print(f"{len(reported)} sales reported, {len(sales)} in the ledger, {len(drafts)} draft(s)")
    assert len(drafts) <= 1, f"more than one sale in progress was left: {drafts}"
    if drafts:
        assert drafts[0][1:3] == ("current", "101")
        assert json.loads(drafts[0][3])  # a readable cart

    ledger = open_ledger(load_config(None, data_dir, environ={}))
    try:
        report = verify(ledger)
        assert report.ok, report.problems
        checkout = Checkout(ledger, current_catalog(ledger), Till("T01", "T01-", "101"))
        restored = checkout.restore_draft()
        assert restored == bool(drafts)
        if restored:
            assert not checkout.cart.is_empty
            assert checkout.draft_id == drafts[0][0]
    finally:
        ledger.close()
