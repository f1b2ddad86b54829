"""Power loss: what was not synced is gone, and no committed sale may be with it.

The real checkout sells on a real ledger while the sqlite3 connection's trace records
every statement it runs (values bound in): that is the ledger's SQL, transaction by
transaction. A child process (power_loss_child.py) replays it through APSW with the
ledger's own pragmas on a VFS that keeps only what was synced, and the power is cut
at a random I/O operation (half the time with a random part of the unsynced writes
landing anyway, in any order: a drive's cache), or after the last COMMIT. The parent
then opens what the "disk" held with the real ledger code.

Pass with the project's pragmas (WAL, synchronous=FULL): every transaction the child
saw COMMIT is there, the sales are a prefix of those sold (all or nothing each),
`PRAGMA integrity_check` is ok and the chain and projections verify. Negative control:
the same replay with synchronous=NORMAL, cut after the last COMMIT, must lose at least
one committed sale, or the harness could not see a loss at all.

CI cuts the power 30 times; the full run is 1,000: `POS_POWER_CUTS=1000 scripts/test
tests/reliability/test_power_loss.py -s`. $POS_POWER_SEED replays a run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability.figures import report

from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import load_config
from pos.ledger.database import PRAGMAS, Ledger
from pos.ledger.rows import driver
from pos.ledger.verify import verify

pytestmark = pytest.mark.slow

CUTS = int(os.environ.get("POS_POWER_CUTS", "30"))
SEED = int(os.environ.get("POS_POWER_SEED", random.SystemRandom().randrange(1 << 30)))
SALES = 40
CHILD = Path(__file__).with_name("power_loss_child.py")
NORMAL = tuple(
    "PRAGMA synchronous=NORMAL" if pragma == "PRAGMA synchronous=FULL" else pragma
    for pragma in PRAGMAS
)


@dataclass(frozen=True)
class Recording:
    base: Path
    """The ledger file before the first recorded transaction (closed cleanly: no WAL)."""
    transactions: list[list[str]]
    sales: dict[int, str]
    """Transaction number -> the receipt number of the sale it committed."""


def record(folder: Path, rng: random.Random) -> Recording:
    config = load_config(None, folder / "recorded", environ={})
    open_ledger(config).close()  # created, migrated and seeded
    assert not Path(f"{config.ledger_path}-wal").exists()
    base = folder / "base.db"
    shutil.copyfile(config.ledger_path, base)

    ledger = open_ledger(config)
    statements: list[str] = []
    try:
        with ledger.transaction() as writer:  # the writer's one connection, kept open
            driver(writer.conn).set_trace_callback(statements.append)
        statements.clear()
        catalog = current_catalog(ledger)
        barcodes = sorted(item.barcode for item in catalog if item.barcode and not item.weighed)
        checkout = Checkout(ledger, catalog, Till("T01", "T01-", "101"))
        sales: dict[int, str] = {}
        for _ in range(SALES):
            for _ in range(rng.randint(1, 4)):
                checkout.scan(rng.choice(barcodes))
            checkout.save_draft()
            receipt_no = checkout.pay_cash(None).receipt_no
            sales[statements.count("COMMIT") - 1] = receipt_no
    finally:
        ledger.close()

    transactions: list[list[str]] = []
    for statement in statements:
        if statement == "BEGIN IMMEDIATE":
            transactions.append([])
        transactions[-1].append(statement)
    assert all(t[0] == "BEGIN IMMEDIATE" and t[-1] == "COMMIT" for t in transactions)
    return Recording(base, transactions, sales)


@dataclass(frozen=True)
class Cut:
    committed: int
    """Transactions whose COMMIT returned before the power went."""
    ops: int | None
    """I/O operations done, when the run reached its end."""
    durable: Path


def replay(
    recording: Recording, folder: Path, pragmas: tuple[str, ...], cut_at: int, tear: bool
) -> Cut:
    folder.mkdir()
    (folder / "durable").mkdir()
    db = folder / "ledger.db"
    shutil.copyfile(recording.base, db)
    plan = folder / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "db": str(db),
                "durable": str(folder / "durable"),
                "pragmas": list(pragmas),
                "transactions": recording.transactions,
                "cut_at": cut_at,
                "tear": tear,
                "seed": SEED + cut_at,
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(CHILD), str(plan)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    committed = sum(line.startswith("COMMITTED ") for line in lines)
    ops = [int(line.split()[1]) for line in lines if line.startswith("OPS ")]
    return Cut(committed, ops[0] if ops else None, folder / "durable")


def lost_sales(recording: Recording, cut: Cut, folder: Path) -> int:
    """Open what the disk held after the cut; check it; count committed sales missing."""
    folder.mkdir()
    for name in ("ledger.db", "ledger.db-wal"):
        if (cut.durable / name).exists():
            shutil.copyfile(cut.durable / name, folder / name)
    db = sqlite3.connect(folder / "ledger.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        present = {row[0] for row in db.execute("SELECT receipt_no FROM sales")}
    finally:
        db.close()
    in_order = [recording.sales[number] for number in sorted(recording.sales)]
    assert set(in_order[: len(present)]) == present, "sales survived out of order"
    ledger = Ledger.open(folder / "ledger.db", "T01")
    try:
        verdict = verify(ledger)
        assert verdict.ok, verdict.problems
    finally:
        ledger.close()
    acked = {recording.sales[n] for n in range(cut.committed) if n in recording.sales}
    return len(acked - present)


def test_power_cuts_lose_no_committed_sale_with_the_ledgers_pragmas(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    print(f"POS_POWER_SEED={SEED} POS_POWER_CUTS={CUTS}")
    recording = record(tmp_path, rng)

    # After the last COMMIT, with NORMAL: the negative control. Commits in WAL are not
    # synced with NORMAL, so the latest ones must be gone, or the harness is blind.
    # A checkpoint syncs everything, so a run whose last COMMIT set one off would lose
    # nothing at its end: a few random cuts besides make the control certain.
    control = replay(recording, tmp_path / "normal", NORMAL, 0, tear=False)
    assert control.committed == len(recording.transactions)
    assert control.ops is not None
    control_lost = lost_sales(recording, control, tmp_path / "normal-after")
    for number in range(5):
        cut_at = rng.randint(control.ops // 2, control.ops)
        cut = replay(recording, tmp_path / f"normal{number}", NORMAL, cut_at, tear=False)
        control_lost += lost_sales(recording, cut, tmp_path / f"normal{number}-after")
    assert control_lost >= 1, "synchronous=NORMAL lost nothing: the harness cannot see loss"

    whole = replay(recording, tmp_path / "full", PRAGMAS, 0, tear=False)
    assert whole.ops is not None
    lost = lost_sales(recording, whole, tmp_path / "full-after")
    torn = 0
    for number in range(CUTS):
        cut_at, tear = rng.randint(1, whole.ops), rng.random() < 0.5
        torn += tear
        cut = replay(recording, tmp_path / f"cut{number}", PRAGMAS, cut_at, tear)
        lost += lost_sales(recording, cut, tmp_path / f"cut{number}-after")
    report(
        "power_loss",
        SEED,
        cuts=CUTS + 1,
        torn_cuts=torn,
        io_ops_per_run=whole.ops,
        sales_lost=lost,
        control_sales_lost_with_normal=control_lost,
    )
    assert lost == 0
