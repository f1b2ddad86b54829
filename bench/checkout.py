"""Per-sale commit latency through the checkout use case, beside bare sqlite3.

Both sides run in this process, on files in the same folder, with the ledger's pragmas
(WAL, synchronous=FULL, foreign keys, BEGIN IMMEDIATE), and write the same rows per sale:
one journal row, one sale, its lines, its tax groups and its payment (the baseline
inserts exactly the rows the checkout wrote, into the same schema). The timed part of
a sale is its commit, `Checkout.pay_cash` (the scans before it are in-memory and not
timed): tender, sale record, receipt number, payload, hash chain, projections, draft
removal, COMMIT. The baseline inserts precomputed values with executemany. The ratio of the
two p50s is the figure to watch (target: at most 2.0).

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


def checkout_latencies(folder: Path, sales: int, seed: int) -> tuple[list[float], Path]:
    config = load_config(None, folder / "pos")
    ledger = open_ledger(config)
    catalog = current_catalog(ledger)
    barcodes = [item.barcode for item in catalog if item.barcode and not item.weighed]
    rng = random.Random(seed)
    checkout = Checkout(
        ledger, catalog, Till("T01", "T01-", "101"), config.settings.scanner.rules()
    )
    latencies = []
    for _ in range(sales):
        for code in rng.sample(barcodes, rng.randint(2, 6)):
            checkout.scan(code)
        start = time.perf_counter()
        checkout.pay_cash(None)
        latencies.append(time.perf_counter() - start)
    ledger.close()
    return latencies, config.ledger_path


def baseline_latencies(folder: Path, ledger_file: Path) -> list[float]:
    """Insert the very rows the checkout wrote, sale by sale, into an empty copy of the
    ledger's schema (same tables, indexes and triggers) with bare sqlite3."""
    source = sqlite3.connect(ledger_file)
    schema = [
        sql
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        )
    ]
    sales = source.execute("SELECT * FROM sales ORDER BY seq").fetchall()
    children = {
        table: _rows_by_sale(source, table) for table in ("sale_lines", "sale_taxes", "payments")
    }
    journal_sql = "SELECT * FROM journal WHERE type = 'sale.completed'"
    journal = {row[0]: row for row in source.execute(journal_sql)}
    source.close()

    conn = sqlite3.connect(folder / "bare.db", isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    for sql in schema:
        conn.execute(sql)
    latencies = []
    for sale in sales:
        sale_id, seq = sale[0], sale[1]
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO journal VALUES (?,?,?,?,?,?,?,?)", journal[seq])
        conn.execute(f"INSERT INTO sales VALUES ({_marks(sale)})", sale)
        for table, rows in children.items():
            mine = rows[sale_id]
            conn.executemany(f"INSERT INTO {table} VALUES ({_marks(mine[0])})", mine)
        conn.execute("DELETE FROM drafts WHERE draft_id = ?", (sale_id,))
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - start)
    conn.close()
    return latencies


def _rows_by_sale(conn: sqlite3.Connection, table: str) -> dict[str, list[tuple[object, ...]]]:
    column = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")].index("sale_id")
    grouped: dict[str, list[tuple[object, ...]]] = {}
    for row in conn.execute(f"SELECT * FROM {table}"):
        grouped.setdefault(row[column], []).append(row)
    return grouped


def _marks(row: tuple[object, ...]) -> str:
    return ",".join("?" * len(row))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        ours, ledger_file = checkout_latencies(Path(folder), args.sales, args.seed)
        bare = baseline_latencies(Path(folder), ledger_file)
    print(f"{args.sales} cash sales of 2-6 lines, seed {args.seed}, ledger schema on both sides")
    print(f"{'':24}{'p50 ms':>10}{'p99 ms':>10}")
    for name, values in (("checkout use case", ours), ("bare sqlite3 baseline", bare)):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"{name:24}{p50:10.3f}{p99:10.3f}")
    ratio50 = percentile(ours, 0.5) / percentile(bare, 0.5)
    ratio99 = percentile(ours, 0.99) / percentile(bare, 0.99)
    print(f"{'ratio':24}{ratio50:10.2f}{ratio99:10.2f}   (target p50 ratio <= 2.0)")


if __name__ == "__main__":
    main()
