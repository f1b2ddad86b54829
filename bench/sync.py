"""Events a second pushed from a large backlog to the cloud on loopback, beside bare
HTTP POSTs of the same bytes to a trivial endpoint, in the same run.

The backlog is a demo ledger: a few hundred real cash sales through the checkout, then
more sales up to the target count that are copies of those under new ids (sale,
payments) and receipt numbers of the same length, so the bytes per event are a real
sale's and the HQ projects each one into its sales, as it does a till's real backlog.
(Until these were sales, the copies were `receipt.reprinted` events, which the HQ does
not project: that hid a projection costing four times the insert of its event.) The
pusher drains it with the default [sync] batches (2000 events,
4 MiB) to the HQ service (uvicorn + FastAPI) on its embedded SQLite file and, when
PostgreSQL can be started here (initdb/pg_ctl) or `--database` names one, on
PostgreSQL, each served by `pos cloud serve` in its own process as deployed. The
baseline sends the very same request bodies with the same HTTP client to an endpoint
that only reads them, on the same server stack (uvicorn + FastAPI), also in its own
process.

Targets: at least 5,000 events/s, and at least 0.5 of the baseline.

    python bench/sync.py [--events N] [--database postgresql://...]
"""

# ruff: noqa: E402  (the path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# This file is bench/sync.py: run as a script, its folder comes first on sys.path and
# would hide the `sync` package; the tests' folder gives the PostgreSQL launcher.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent / "tests"))

import argparse
import json
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import postgres

from cloud.hq.database import database_url, open_engine
from cloud.hq.devices import new_enrollment_code
from pos.bootstrap import open_ledger
from pos.config import load_config
from pos.config.settings import SyncSettings
from pos.ledger.database import Ledger, utc_now, write_meta
from pos.ledger.tables import JOURNAL
from pos.simulate import simulate
from sync.client import CloudClient, enroll
from sync.outbox import ACKED_THROUGH, next_batch
from sync.pusher import Pusher

REAL_SALES = 300
FILL_CHUNK = 5000


def backlog(folder: Path, events: int) -> Ledger:
    config = load_config(None, folder / "till", environ={})
    ledger = open_ledger(config)
    simulate(ledger, config.settings, sales=REAL_SALES, seed=1)
    with ledger.read() as conn:
        payloads = [
            json.loads(row.payload)
            for row in conn.execute(
                JOURNAL.select().where(JOURNAL.c.type == "sale.completed")
            ).all()
        ]
    head, _ = ledger.head()
    while head < events:
        with ledger.transaction() as writer:
            for seq in range(head + 1, min(head + FILL_CHUNK, events) + 1):
                writer.append("sale.completed", copied_sale(payloads[seq % len(payloads)], seq))
        head, _ = ledger.head()
    return ledger


def copied_sale(sale: dict[str, Any], seq: int) -> dict[str, Any]:
    """`sale` again as the sale journaled at `seq`: new ids and receipt number, of the
    same lengths, so the till and the HQ take it as a sale of its own."""
    return {
        **sale,
        "sale_id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"sale {seq}")),
        "receipt_no": f"F{seq:0{len(sale['receipt_no']) - 1}d}",
        "receipt_seq": seq,
        "payments": [
            {**payment, "payment_id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"payment {seq} {n}"))}
            for n, payment in enumerate(sale["payments"])
        ],
    }


SINK = """
import sys, uvicorn
from fastapi import FastAPI, Request
app = FastAPI()
@app.post("/sink")
async def sink(request: Request) -> dict[str, int]:
    return {"bytes": len(await request.body())}
@app.get("/v1/health")
def health() -> dict[str, bool]:
    return {"ok": True}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


@contextmanager
def spawned(argv: list[str], port: int) -> Iterator[str]:
    """A server in its own process (as it is deployed: its own interpreter and core),
    until the block ends; yields its base URL once it answers."""
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError(f"{argv[:4]} exited: {server.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
            try:
                httpx.get(f"{base}/v1/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def push_all(ledger: Ledger, folder: Path, database: str) -> float:
    """Seconds for the pusher to drain the whole journal into a fresh HQ database,
    served by `pos cloud serve` in its own process."""
    engine = open_engine(database_url(database, folder))
    with engine.begin() as conn:
        code = new_enrollment_code(conn, "demo-store", utc_now())
    engine.dispose()
    port = free_port()
    argv = [sys.executable, "-m", "pos", "--data", str(folder), "cloud", "serve"]
    with spawned([*argv, "--port", str(port), "--database", database], port) as base:
        client = CloudClient(enroll(base, code, "T01"), timeout_s=60)
        with ledger.transaction() as writer:
            write_meta(writer.conn, ACKED_THROUGH, "0")
        start = time.perf_counter()
        pusher = Pusher(ledger, client, SyncSettings(timeout_s=60))
        done = pusher.drain()
        seconds = time.perf_counter() - start
        pusher.stop()
        client.close()
    if done.backlog:
        raise RuntimeError(f"the drain stopped with {done.backlog} events left")
    return seconds


def bare_posts(ledger: Ledger) -> float:
    """Seconds to POST the same batch bodies to an endpoint (in its own process too)
    that only reads them."""
    settings = SyncSettings()
    bodies = []
    with ledger.transaction() as writer:
        write_meta(writer.conn, ACKED_THROUGH, "0")
    while True:
        with ledger.read() as conn:
            batch = next_batch(
                conn, max_events=settings.batch_events, max_bytes=settings.batch_bytes
            )
        if batch is None:
            break
        bodies.append(batch.body())
        with ledger.transaction() as writer:
            write_meta(writer.conn, ACKED_THROUGH, str(batch.last_seq))
    port = free_port()
    with (
        spawned([sys.executable, "-c", SINK, str(port)], port) as base,
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        start = time.perf_counter()
        for body in bodies:
            http.post(
                "/sink", content=body, headers={"Content-Type": "application/json"}
            ).raise_for_status()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database", help="a PostgreSQL URL (default: start one if possible)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ledger = backlog(Path(folder), args.events)
        events = ledger.head()[0]
        baseline = events / bare_posts(ledger)
        defaults = SyncSettings()
        print(
            f"{events} events in the backlog; batches of {defaults.batch_events} events"
            f" / {defaults.batch_bytes >> 20} MiB"
        )
        print(f"{'':28}{'events/s':>12}{'vs baseline':>14}")
        print(f"{'baseline (bare POSTs)':28}{baseline:12.0f}{1:14.2f}")
        backends = [("HQ on SQLite", str(Path(folder) / "hq" / "cloud.db"))]
        with _postgres(args.database) as pg_url:
            if pg_url is not None:
                backends.append(("HQ on PostgreSQL", pg_url))
            for name, database in backends:
                rate = events / push_all(ledger, Path(folder), database)
                print(f"{name:28}{rate:12.0f}{rate / baseline:14.2f}")
        if len(backends) == 1:
            print(f"(no PostgreSQL: {postgres.available() or 'could not start'})")
        print("targets: at least 5000 events/s and at least 0.5 of the baseline")
        ledger.close()


@contextmanager
def _postgres(given: str | None) -> Iterator[str | None]:
    """The given PostgreSQL URL, a fresh database on a temporary server, or None when
    neither is possible here."""
    if given or postgres.available() is not None:
        yield given
        return
    with postgres.server() as server:
        yield postgres.fresh_database(server)


if __name__ == "__main__":
    main()
