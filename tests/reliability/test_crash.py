"""Crash safety: a till killed with SIGKILL at any moment loses no committed sale.

A child process sells in a loop through the real `Checkout` on a real SQLite file,
reports each sale after its COMMIT returned, and prints each receipt through the real
print queue (queued -> sending -> "paper" -> printed, each step its own commit). The
parent kills it, reopens the same ledger and does it again. The moment of each kill is
drawn from:

- random: during start-up (imports, opening, migrating), or after a random time or a
  random number of sales;
- just before a COMMIT or just after one returned: the child counts the ledger's write
  transactions (drafts, sales, print steps) and, at the one the parent named, says so
  and waits to be killed there.

Pass: every reported sale is there exactly once with its lines and payments, receipt
numbers and the journal have no gap, `PRAGMA integrity_check` is ok, the chain
verifies, the sale in progress comes back, and the print queue is restored: after a
restart's recovery nothing is left `sending`, every sale has exactly one job, a printed
job is on the paper, and no receipt came out twice unless the second says COPY.

CI runs 25 kills; the full run is 1,000: `POS_CRASH_ROUNDS=1000 scripts/test
tests/reliability/test_crash.py -s`. The seed is printed; $POS_CRASH_SEED replays it.
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
from collections import Counter
from pathlib import Path

import pytest
from reliability.figures import report

from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import load_config
from pos.ledger.verify import verify
from pos.print_queue import PrintQueue

pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("POS_CRASH_ROUNDS", "25"))
HANG_GUARD_S = 120  # only so a wedged child fails the test instead of hanging CI
MOMENTS = ("after_sales", "after_time", "early", "before_commit", "after_commit")

CHILD = textwrap.dedent(
    """
    import os
    import random
    import sys
    import time
    from contextlib import contextmanager
    from pathlib import Path

    from pos.bootstrap import open_ledger
    from pos.catalog_admin import current_catalog
    from pos.checkout import Added, Checkout, Till
    from pos.config import load_config
    from pos.ledger.database import Ledger
    from pos.print_queue import PrintQueue

    data_dir, seed, stop_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    point, _, number = stop_at.partition(":")
    commits = 0


    def wait_here(where):
        # The parent kills us now: we are exactly `where`, nothing else runs.
        print(f"AT {where} {commits}", flush=True)
        time.sleep(3600)


    original = Ledger.transaction


    @contextmanager
    def counted(self):
        global commits
        with original(self) as writer:
            yield writer
            commits += 1
            if point == "before" and commits == int(number):
                wait_here("before")  # the transaction's SQL ran; COMMIT has not
        if point == "after" and commits == int(number):
            wait_here("after")  # COMMIT returned; nothing has been told of it


    Ledger.transaction = counted

    rng = random.Random(seed)
    config = load_config(None, data_dir)
    ledger = open_ledger(config)
    catalog = current_catalog(ledger)
    barcodes = sorted(item.barcode for item in catalog if item.barcode and not item.weighed)
    checkout = Checkout(
        ledger, catalog, Till("T01", "T01-", "101"), config.settings.scanner.rules()
    )
    queue = PrintQueue(ledger)
    recovered = queue.recover()
    restored = checkout.restore_draft()
    print(f"READY {len(checkout.cart.lines) if restored else 0} {recovered}", flush=True)
    paper = os.open(data_dir / "paper.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND)


    def print_receipts():
        while (job := queue.next_job()) is not None:
            queue.sending(job)
            os.write(paper, f"{job.receipt_no} {'copy' if job.is_copy else 'original'}\\n".encode())
            queue.printed(job)


    print_receipts()  # what the last run left queued
    while True:
        for _ in range(rng.randint(1, 5)):
            outcome = checkout.scan(rng.choice(barcodes))
            if not isinstance(outcome, Added):
                raise SystemExit(f"scan refused: {outcome}")
            if rng.random() < 0.3:
                checkout.save_draft()
        checkout.save_draft()
        record = checkout.pay_cash(None)
        print(f"COMMITTED {record.receipt_no} {record.total}", flush=True)
        print_receipts()
    """
)


def _env() -> dict[str, str]:
    # The child must open the built-in demo store, whatever the machine's POS_CONFIG says.
    return {key: value for key, value in os.environ.items() if key != "POS_CONFIG"}


class _Child:
    """The selling process and the complete lines it has printed so far."""

    def __init__(self, script: Path, data_dir: Path, seed: str, stop_at: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(data_dir), seed, stop_at],
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


def test_sigkill_at_random_moments_and_around_commits_loses_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("POS_CRASH_SEED", random.SystemRandom().randrange(2**32)))
    print(f"crash test seed: {seed} (POS_CRASH_SEED={seed} replays it), rounds: {ROUNDS}")
    rng = random.Random(seed)
    script = tmp_path / "sell_forever.py"
    script.write_text(CHILD, encoding="utf-8")
    data_dir = tmp_path / "data"

    reported: list[tuple[str, int]] = []
    moments: Counter[str] = Counter()
    for round_no in range(ROUNDS):
        how = rng.choice(MOMENTS)
        # Commits counted from start: the recovery, then drafts, sales and print steps.
        stop_at = f"{how.split('_')[0]}:{rng.randint(1, 30)}" if "commit" in how else "none"
        child = _Child(script, data_dir, f"{seed}-{round_no}", stop_at)
        if how == "early":
            # Any moment from start-up (imports, opening, migrating) into the first sales.
            child.sleep_reading(rng.uniform(0.0, 1.0))
        elif "commit" in how:
            child.wait_for(1, "AT ")
        else:
            child.wait_for(1, "READY")
            if how == "after_time":
                child.sleep_reading(rng.uniform(0.0, 0.3))
            else:
                child.wait_for(rng.randint(0, 8), "COMMITTED")
        child.kill()
        moments[how] += 1
        for line in child.lines:
            if line.startswith("COMMITTED "):
                _, receipt_no, total = line.split()
                reported.append((receipt_no, int(total)))

    figures = _check_ledger(data_dir, reported)
    print(f"kills by moment: {dict(moments)}")
    report("crash", seed, kills=ROUNDS, **figures, **{f"kills_{k}": v for k, v in moments.items()})
    assert figures["sales_lost"] == 0
    assert figures["duplicates"] == 0


def _check_ledger(data_dir: Path, reported: list[tuple[str, int]]) -> dict[str, int]:
    receipt_nos = [receipt_no for receipt_no, _total in reported]
    assert len(set(receipt_nos)) == len(receipt_nos), "a receipt number was reported twice"

    db = sqlite3.connect(data_dir / "ledger.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []

        lost = 0
        for receipt_no, total in reported:
            rows = db.execute(
                "SELECT total FROM sales WHERE receipt_no = ?", (receipt_no,)
            ).fetchall()
            lost += rows == []
            assert rows in ([], [(total,)]), f"reported sale {receipt_no} ({total} fen) is {rows}"

        sales = db.execute(
            "SELECT sale_id, receipt_no, receipt_seq, subtotal, discount_total, total "
            "FROM sales ORDER BY receipt_seq"
        ).fetchall()
        duplicates = len(sales) - len({sale[1] for sale in sales})
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
        verdict = verify(ledger)
        assert verdict.ok, verdict.problems
        checkout = Checkout(ledger, current_catalog(ledger), Till("T01", "T01-", "101"))
        restored = checkout.restore_draft()
        assert restored == bool(drafts)
        if restored:
            assert not checkout.cart.is_empty
            assert checkout.draft_id == drafts[0][0]
        reprints = PrintQueue(ledger).recover()
        _check_print_queue(ledger.path, data_dir / "paper.txt", {sale[1] for sale in sales})
    finally:
        ledger.close()
    return {
        "sales_reported": len(reported),
        "sales_in_ledger": len(sales),
        "sales_lost": lost,
        "duplicates": duplicates,
        "reprints_as_copy": reprints,
    }


def _check_print_queue(ledger_path: Path, paper: Path, receipt_nos: set[str]) -> None:
    """Each sale has one job; printed jobs are on paper; no second original came out."""
    db = sqlite3.connect(ledger_path)
    try:
        jobs = db.execute("SELECT receipt_no, is_copy, state FROM print_jobs").fetchall()
    finally:
        db.close()
    assert Counter(job[0] for job in jobs) == Counter(receipt_nos), "a sale's receipt job"
    assert {job[2] for job in jobs} <= {"queued", "printed"}, "a job left half-sent"
    printed = [line.split() for line in paper.read_text().splitlines()] if paper.exists() else []
    originals = Counter(receipt_no for receipt_no, kind in printed if kind == "original")
    assert max(originals.values(), default=0) <= 1, "a receipt printed twice as an original"
    on_paper = {receipt_no for receipt_no, _kind in printed}
    for receipt_no, _is_copy, state in jobs:
        if state == "printed":
            assert receipt_no in on_paper, f"{receipt_no} is marked printed but never came out"
