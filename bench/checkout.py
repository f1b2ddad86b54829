"""Per-sale commit latency through the checkout use case, beside bare sqlite3.

Both sides run in this process, interleaved sale by sale so a noisy moment hits both
alike, on files in the same folder, with the ledger's pragmas (WAL, synchronous=FULL,
foreign keys, BEGIN IMMEDIATE), and write the same rows per sale: the baseline
inserts exactly the rows the checkout just wrote (one journal row, the sale, its lines,
its tax groups, its payment, its print job; then the draft delete) into an empty copy
of the ledger's schema (same tables, indexes and triggers). The timed part of a checkout sale is its
commit, `Checkout.pay_cash` (the scans before it are in memory and not timed): tender,
sale record, receipt number, payload, hash chain, projections, print job, draft
removal, COMMIT.
The ratio of the two p50s is the figure to watch (target: at most 2.0).

    python bench/checkout.py [--sales N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import load_config
from pos.ledger.database import PRAGMAS

CHILD_TABLES = ("sale_lines", "sale_taxes", "payments")


class Baseline:
    """Bare sqlite3 writing given rows into an empty copy of the ledger's schema."""

    def __init__(self, folder: Path, ledger_file: Path) -> None:
        self.source = sqlite3.connect(ledger_file)
        self.conn = sqlite3.connect(folder / "bare.db", isolation_level=None)
        for pragma in PRAGMAS:
            self.conn.execute(pragma)
        schema = "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        for (sql,) in self.source.execute(schema).fetchall():
            self.conn.execute(sql)

    def rows_of(self, sale_id: str) -> list[tuple[str, list[tuple[object, ...]]]]:
        """What the checkout wrote for one sale, table by table (read untimed)."""
        (seq,) = self.source.execute(
            "SELECT seq FROM sales WHERE sale_id = ?", (sale_id,)
        ).fetchone()
        rows = [
            (
                "journal",
                self.source.execute("SELECT * FROM journal WHERE seq = ?", (seq,)).fetchall(),
            ),
            ("sales", self.source.execute("SELECT * FROM sales WHERE seq = ?", (seq,)).fetchall()),
        ]
        for table in CHILD_TABLES:
            query = f"SELECT * FROM {table} WHERE sale_id = ?"
            rows.append((table, self.source.execute(query, (sale_id,)).fetchall()))
        job = "SELECT j.* FROM print_jobs j JOIN sales s USING (receipt_no) WHERE s.seq = ?"
        rows.append(("print_jobs", self.source.execute(job, (seq,)).fetchall()))
        return rows

    def write(self, rows: list[tuple[str, list[tuple[object, ...]]]], draft_id: str) -> float:
        start = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        for table, values in rows:
            marks = ",".join("?" * len(values[0]))
            self.conn.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
        self.conn.execute("DELETE FROM drafts WHERE draft_id = ?", (draft_id,))
        self.conn.execute("COMMIT")
        return time.perf_counter() - start


def run(folder: Path, sales: int, seed: int) -> tuple[list[float], list[float]]:
    config = load_config(None, folder / "pos", environ={})
    ledger = open_ledger(config)
    catalog = current_catalog(ledger)
    barcodes = [item.barcode for item in catalog if item.barcode and not item.weighed]
    rng = random.Random(seed)
    checkout = Checkout(
        ledger, catalog, Till("T01", "T01-", "101"), config.settings.scanner.rules()
    )
    baseline = Baseline(folder, config.ledger_path)
    ours, bare = [], []
    for _ in range(sales):
        for code in rng.sample(barcodes, rng.randint(2, 6)):
            checkout.scan(code)
        draft_id = checkout.draft_id
        start = time.perf_counter()
        record = checkout.pay_cash(None)
        ours.append(time.perf_counter() - start)
        bare.append(baseline.write(baseline.rows_of(record.sale_id), draft_id))
    ledger.close()
    return ours, bare


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        ours, bare = run(Path(folder), args.sales, args.seed)
    print(f"{args.sales} cash sales of 2-6 lines, seed {args.seed}; same schema and rows")
    print(f"{'':24}{'p50 ms':>10}{'p99 ms':>10}")
    for name, values in (("checkout use case", ours), ("bare sqlite3 baseline", bare)):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"{name:24}{p50:10.3f}{p99:10.3f}")
    ratio50 = percentile(ours, 0.5) / percentile(bare, 0.5)
    ratio99 = percentile(ours, 0.99) / percentile(bare, 0.99)
    print(f"{'ratio':24}{ratio50:10.2f}{ratio99:10.2f}   (target: p50 ratio <= 2.0)")


if __name__ == "__main__":
    main()
