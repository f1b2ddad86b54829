"""Sync under faults: three tills selling while their pushers go through a proxy on
loopback that drops requests, drops answers after the cloud committed, answers 500 and
503 with Retry-After, delays past the client's timeout (the request still arrives) and
delivers requests twice; then the faults stop and every till catches up.

Pass: the cloud holds every event of every till exactly once, in order, each chain
verified (the cloud checked each link as it stored it, and the stored (seq, hash) list
equals the till's journal), nothing held or forked, and every till's acked_through
equals its last seq.

CI runs POS_RELIABILITY_SALES (default 1,500) sales across the three tills; the full
run is 10,000: `POS_RELIABILITY_SALES=10000 scripts/test tests/reliability -s`. The
seed is printed and can be replayed with POS_RELIABILITY_SEED.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability.figures import report
from sqlalchemy import Engine, select

from cloud.hq.app import RateLimit, create_app
from cloud.hq.database import database_url, open_engine
from cloud.hq.devices import new_enrollment_code
from cloud.hq.schema import EVENTS, FORKS, HELD
from cloud.serving import serving
from pos.bootstrap import open_ledger
from pos.config import Config, load_config
from pos.config.settings import SyncSettings
from pos.ledger.database import Ledger, utc_now
from pos.ledger.verify import iter_events
from pos.simulate import simulate
from sync.client import CloudClient, enroll
from sync.credentials import Credentials
from sync.pusher import Pusher, sync_status

SALES = int(os.environ.get("POS_RELIABILITY_SALES", "1500"))
SEED = int(os.environ.get("POS_RELIABILITY_SEED", random.randrange(1 << 30)))
TILLS = ("T01", "T02", "T03")
FAULTS = {
    "drop_request": 0.08,
    "drop_answer": 0.10,
    "error_500": 0.05,
    "busy_503": 0.01,
    "late": 0.04,
    "twice": 0.07,
}
"""Chance of each fault per request; the rest pass through untouched."""
FAST_RETRIES = SyncSettings(
    batch_events=40, timeout_s=0.5, idle_s=0.05, backoff_base_s=0.01, backoff_cap_s=0.2
)


class FaultyProxy:
    """An HTTP proxy (ASGI) in front of the cloud that misbehaves at random."""

    def __init__(self, upstream: str, rng: random.Random) -> None:
        self.upstream, self.rng = upstream, rng
        self.healed = False
        self.seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._http = httpx.AsyncClient(base_url=upstream, timeout=30)

    def _fault(self) -> str:
        if self.healed:
            return "none"
        with self._lock:
            roll = self.rng.random()
        for kind, chance in FAULTS.items():
            if roll < chance:
                return kind
            roll -= chance
        return "none"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        fault = self._fault()
        self.seen[fault] += 1
        await send_answer(send, *await self._outcome(fault, scope, body))

    async def _outcome(
        self, fault: str, scope: dict[str, Any], body: bytes
    ) -> tuple[int, bytes, str | None]:
        """The answer the till gets: (status, body, Retry-After)."""
        if fault in ("drop_request", "error_500"):
            return (502 if fault == "drop_request" else 500), b"{}", None
        if fault == "busy_503":
            return 503, b"{}", "1"
        if fault == "late":
            await asyncio.sleep(FAST_RETRIES.timeout_s * 2)  # the client has given up
        status, content = await self._forward(scope, body)
        if fault == "twice":
            status, content = await self._forward(scope, body)
        if fault == "drop_answer":
            return 502, b"{}", None  # the cloud committed; nobody hears of it
        return status, content, None

    async def _forward(self, scope: dict[str, Any], body: bytes) -> tuple[int, bytes]:
        headers = {
            key.decode(): value.decode()
            for key, value in scope["headers"]
            if key.lower() not in (b"host", b"content-length")
        }
        path = scope["path"] + (
            f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        )
        response = await self._http.request(scope["method"], path, content=body, headers=headers)
        return response.status_code, response.content


async def send_answer(send: Any, status: int, content: bytes, retry_after: str | None) -> None:
    headers = [(b"content-type", b"application/json")]
    if retry_after is not None:
        headers.append((b"retry-after", retry_after.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def till_config(base: Config, device_id: str, folder: Path) -> Config:
    settings = base.settings
    till = settings.till.model_copy(
        update={"device_id": device_id, "receipt_prefix": f"{device_id}-"}
    )
    return replace(base, data_dir=folder, settings=settings.model_copy(update={"till": till}))


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    engine = open_engine(database_url(None, tmp_path / "hq"))
    # The rate limit is not under test here; the proxy's faults are.
    with serving(create_app(engine, rate_limit=RateLimit(1e9, 1e9)), "HQ") as url:
        yield url, engine
    engine.dispose()


@pytest.mark.slow
def test_every_event_arrives_exactly_once_in_order_through_faults(
    cloud: tuple[str, Engine], tmp_path: Path
) -> None:
    print(f"POS_RELIABILITY_SEED={SEED} POS_RELIABILITY_SALES={SALES}")
    url, engine = cloud
    proxy = FaultyProxy(url, random.Random(SEED))
    base = load_config(None, tmp_path / "base", environ={})
    ledgers: dict[str, Ledger] = {}
    pushers: dict[str, Pusher] = {}
    threads: list[threading.Thread] = []
    with serving(proxy, "faulty proxy") as proxied:
        try:
            for device_id in TILLS:
                config = till_config(base, device_id, tmp_path / device_id)
                ledgers[device_id] = ledger = open_ledger(config)
                with engine.begin() as conn:
                    code = new_enrollment_code(conn, "demo-store", utc_now())
                token = enroll(url, code, device_id).token
                client = CloudClient(
                    Credentials(proxied, device_id, "demo-store", token), timeout_s=0.5
                )
                pushers[device_id] = pusher = Pusher(
                    ledger, client, FAST_RETRIES, rng=random.Random(SEED)
                )
                thread = threading.Thread(target=pusher.run, name=f"pusher-{device_id}")
                thread.start()
                threads.append(thread)
            # The tills sell while their pushers fight the faults.
            for number, device_id in enumerate(TILLS):
                simulate(
                    ledgers[device_id],
                    base.settings,
                    sales=SALES // len(TILLS),
                    seed=SEED + number,
                    on_sale=lambda _sale, pusher=pushers[device_id]: pusher.nudge(),
                )
            proxy.healed = True
            for device_id in TILLS:  # the heal: each catches up
                pushers[device_id].stop()
            for thread in threads:
                thread.join()
            for device_id in TILLS:
                fresh = Pusher(ledgers[device_id], pushers[device_id].client, FAST_RETRIES)
                fresh.drain(attempts=50)
                fresh.stop()

            print(f"faults injected: {dict(proxy.seen)}")
            faults = sum(count for kind, count in proxy.seen.items() if kind != "none")
            assert faults >= 5  # the run did meet faults (about a third of requests)
            for device_id, ledger in ledgers.items():
                with ledger.read() as conn:
                    journal = [(e.seq, e.hash) for e, _ in iter_events(conn, 0)]
                with engine.connect() as conn:
                    stored = [
                        (row.seq, row.hash)
                        for row in conn.execute(
                            select(EVENTS.c.seq, EVENTS.c.hash)
                            .where(EVENTS.c.device_id == device_id)
                            .order_by(EVENTS.c.seq)
                        )
                    ]
                assert stored == journal, device_id  # once each, in order, every one
                status = sync_status(ledger)
                assert status.acked_through == status.last_seq == journal[-1][0]
                assert status.alert is None
            with engine.connect() as conn:
                assert conn.execute(select(HELD)).all() == []
                assert conn.execute(select(FORKS)).all() == []
            report(
                "sync",
                SEED,
                sales=SALES,
                tills=len(TILLS),
                requests=sum(proxy.seen.values()),
                faults_injected=faults,
                events_lost=0,  # asserted above: the cloud holds each till's whole journal
                duplicates=0,  # and each event once
            )
        finally:
            for pusher in pushers.values():
                pusher.stop()
                pusher.client.close()
            for ledger in ledgers.values():
                ledger.close()
