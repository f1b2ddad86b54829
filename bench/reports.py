"""X and Z reports on a year of a busy store, beside one hand-written SQL aggregate of
the same day, and closing a day of 10,000 sales.

Inputs, both made by `pos simulate` (pos.simulate.simulate with bulk=True: the real
checkout, cash tenders, the demo catalog) and cached in bench/out/cache/ (keyed by the
parameters and the ledger's schema revision), since the year takes minutes to make:

- the year: --sales sales (default 500,000) over 365 days, the store closing each day
  with a Z as it goes (so 364 Zs and the last day still open);
- the close: one day of --close-sales sales (default 10,000), never closed; each timed
  close runs on a fresh copy.

Timed in this process, --repeat rounds (default 7), each round running every subject
once in turn so a noisy moment hits them alike; the medians are printed:

- Z: `pos.end_of_day.z_report` for a closed day in the middle of the year (finding the
  day's span, every aggregate, the pure report);
- X: `x_report` on the open last day;
- aggregate: one hand-written SQL statement over the same day as the Z (its sales found
  by the ts index) giving the figures of the report's tables: totals, tenders per
  cashier, tax by rate, categories and hours (the baseline);
- close: `close_day` of the 10,000-sale day, its day.closed committed (synchronous=FULL).

Targets: the Z under 200 ms and at most 3x the aggregate; the close under 1 s.

    python bench/reports.py [--sales N] [--close-sales N] [--repeat R] [--seed S]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pos.bootstrap import open_ledger
from pos.config import Config, load_config
from pos.domain.business_day import day_start_ts
from pos.domain.sale import SaleRecord
from pos.end_of_day import Place, close_day, x_report, z_report
from pos.ledger.chain import parse_ts
from pos.ledger.database import PRAGMAS, Ledger
from pos.ledger.migrate import HEAD_REVISION
from pos.simulate import simulate

CACHE = Path(__file__).parent / "out" / "cache"
ZONE = ZoneInfo("Asia/Shanghai")
YEAR_END = datetime(2026, 10, 31, 23, 30, tzinfo=ZONE)
"""The last day's last moment: fixed, so a cached year is the same year on every run."""
CLOSE_DAY = datetime(2026, 11, 2, 23, 30, tzinfo=ZONE)
DAYS = 365

AGGREGATE = """
WITH day AS (SELECT sale_id, cashier, item_count, subtotal, discount_total, total, ts
             FROM sales WHERE ts >= :start AND ts < :end)
SELECT 'totals', '', '', count(*), sum(item_count), sum(subtotal), sum(discount_total),
       sum(total) FROM day
UNION ALL
SELECT 'tender', d.cashier, p.tender, count(*), sum(p.amount), 0, 0, 0
  FROM payments p JOIN day d ON d.sale_id = p.sale_id GROUP BY d.cashier, p.tender
UNION ALL
SELECT 'tax', t.rate_bp, '', 0, sum(t.net), sum(t.tax), 0, 0
  FROM sale_taxes t JOIN day d ON d.sale_id = t.sale_id GROUP BY t.rate_bp
UNION ALL
SELECT 'category', l.category, '', sum(l.quantity), sum(l.net), 0, 0, 0
  FROM sale_lines l JOIN day d ON d.sale_id = l.sale_id GROUP BY l.category
UNION ALL
SELECT 'hour', substr(d.ts, 1, 13), '', count(*), sum(d.total), 0, 0, 0
  FROM day d GROUP BY 2
"""


def _config(folder: Path) -> Config:
    return load_config(None, folder, environ={})


def _generate(
    folder: Path, sales: int, days: int, end: datetime, seed: int, *, close: bool
) -> None:
    """A demo-store ledger of `sales` sales over `days` days ending at `end`; with
    `close`, each day is closed with a Z once the next day's first sale is in."""
    shutil.rmtree(folder, ignore_errors=True)
    config = _config(folder)
    first = end.replace(hour=0, minute=0) - timedelta(days=days)
    # The ledger's own first events (creation, staff, catalog) are dated before the
    # first sale, as they would be: a business day is assigned in seq order.
    ledger = open_ledger(config, clock=lambda: first)
    place = Place.of(config.settings)
    day: list[date] = []
    started = time.perf_counter()

    def closing(record: SaleRecord) -> None:
        moment = parse_ts(record.ts)
        today = place.day_of(moment)
        if day and today > day[0]:
            ledger.clock = lambda: moment
            close_day(ledger, place, "900", day[0])
        if not day or today > day[0]:
            day[:] = [today]
        if record.receipt_seq % 50_000 == 0:
            elapsed = time.perf_counter() - started
            print(f"  {record.receipt_seq:,} sales, {elapsed:.0f} s", file=sys.stderr)

    try:
        simulate(
            ledger,
            config.settings,
            sales=sales,
            seed=seed,
            days=days,
            until=end,
            bulk=True,
            on_sale=closing if close else lambda _record: None,
        )
    finally:
        ledger.close()
    (folder / "complete").touch()


def cached(name: str, make: Callable[[Path], None]) -> Path:
    folder = CACHE / f"{name}-schema{HEAD_REVISION}"
    if not (folder / "complete").exists():
        print(f"generating {folder} (cached for the next runs) ...", file=sys.stderr)
        started = time.perf_counter()
        make(folder)
        print(f"  done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return folder


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def run(args: argparse.Namespace) -> None:
    year = cached(
        f"year-{args.sales}-{args.seed}",
        lambda folder: _generate(folder, args.sales, DAYS, YEAR_END, args.seed, close=True),
    )
    one_day = cached(
        f"day-{args.close_sales}-{args.seed}",
        lambda folder: _generate(folder, args.close_sales, 1, CLOSE_DAY, args.seed, close=False),
    )
    config = _config(year)
    place = Place.of(config.settings)
    ledger = Ledger.open(config.ledger_path, config.settings.till.device_id)
    ledger.clock = lambda: YEAR_END
    middle = YEAR_END.date() - timedelta(days=DAYS // 2)
    bare = sqlite3.connect(config.ledger_path)
    for pragma in PRAGMAS:
        bare.execute(pragma)
    bounds = {
        "start": day_start_ts(middle, place.zone, place.boundary),
        "end": day_start_ts(middle + timedelta(1), place.zone, place.boundary),
    }
    z = z_report(ledger, place, middle)
    (totals,) = [row for row in bare.execute(AGGREGATE, bounds).fetchall() if row[0] == "totals"]
    if (totals[3], totals[7]) != (z.totals.receipts, z.totals.sales_total):
        raise SystemExit(f"the aggregate and the Z disagree: {totals} vs {z.totals}")
    (sales_count,) = bare.execute("SELECT count(*) FROM sales").fetchone()
    timings: dict[str, list[float]] = {"Z": [], "X": [], "aggregate": [], "close": []}
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        for _ in range(args.repeat):
            start = time.perf_counter()
            z_report(ledger, place, middle)
            timings["Z"].append(time.perf_counter() - start)
            start = time.perf_counter()
            x = x_report(ledger, place)
            timings["X"].append(time.perf_counter() - start)
            start = time.perf_counter()
            bare.execute(AGGREGATE, bounds).fetchall()
            timings["aggregate"].append(time.perf_counter() - start)
            timings["close"].append(_close_once(one_day, Path(scratch)))
    ledger.close()
    bare.close()

    print(
        f"year: {sales_count:,} sales over {DAYS} days, closed daily; Z of {middle} "
        f"({z.totals.receipts:,} receipts), X of {x.header.business_day} "
        f"({x.totals.receipts:,} receipts); median of {args.repeat}"
    )
    z_ms, x_ms, agg_ms = (median_ms(timings[name]) for name in ("Z", "X", "aggregate"))
    close_ms = median_ms(timings["close"])
    print(f"{'':34}{'ms':>10}{'ratio':>10}")
    print(f"{'hand-written SQL aggregate':34}{agg_ms:10.2f}{1.0:10.2f}")
    print(f"{'Z report (z_report)':34}{z_ms:10.2f}{z_ms / agg_ms:10.2f}")
    print(f"{'X report (x_report)':34}{x_ms:10.2f}{x_ms / agg_ms:10.2f}")
    print(f"{f'close a day of {args.close_sales:,} sales':34}{close_ms:10.2f}")
    print(
        f"targets: Z < 200 ms ({'met' if z_ms < 200 else 'MISSED'}), "
        f"Z <= 3x the aggregate ({'met' if z_ms <= 3 * agg_ms else 'MISSED'}), "
        f"close < 1000 ms ({'met' if close_ms < 1000 else 'MISSED'})"
    )


def _close_once(one_day: Path, scratch: Path) -> float:
    """Close the cached day on a fresh copy of its ledger; only close_day is timed."""
    folder = scratch / "close"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(one_day, folder)
    config = _config(folder)
    ledger = Ledger.open(config.ledger_path, config.settings.till.device_id)
    ledger.clock = lambda: CLOSE_DAY
    try:
        start = time.perf_counter()
        close_day(ledger, Place.of(config.settings), "900", CLOSE_DAY.date())
        return time.perf_counter() - start
    finally:
        ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sales", type=int, default=500_000)
    parser.add_argument("--close-sales", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    run(args)


if __name__ == "__main__":
    main()
