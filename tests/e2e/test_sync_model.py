"""Sync as a state machine (Hypothesis): two tills sell, take the same chain coupons
while offline, push whole or a batch at a time, lose the cloud's answers (and so send
again what it holds), crash and reopen their ledgers, while the HQ (on SQLite, over
HTTP on 127.0.0.1) is restarted on the same database now and then.

After every step the HQ holds a prefix of each till's journal, event for event, and no
coupon is used twice; after the final heal each till's journal is in the HQ whole, its
acked_through is its last seq, every coupon taken at several tills stands at exactly
one, and each other till that took it has exactly one `coupon.redemption_rejected`.

Examples: 4 in CI, POS_SYNC_MODEL_EXAMPLES for more.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from chain_coupons import chain_campaign, chain_coupon, knowing
from hq_enrollment import enrolled, other_till
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import Engine, select

from cloud.hq.app import create_app
from cloud.hq.database import database_url, open_engine
from cloud.hq.schema import COUPON_USES, EVENTS, FORKS
from cloud.serving import serving
from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config, load_config
from pos.config.settings import SyncSettings
from pos.ledger.database import Ledger
from pos.ledger.tables import META
from pos.ledger.verify import iter_events, verify
from pos.loyalty_setup import open_loyalty
from sync.client import CloudClient
from sync.credentials import Credentials
from sync.outbox import ACKED_THROUGH
from sync.pusher import Pusher, sync_status

EXAMPLES = int(os.environ.get("POS_SYNC_MODEL_EXAMPLES", "4"))
WATER = "6921168509256"
SMALL = SyncSettings(batch_events=9, backoff_base_s=0.01, backoff_cap_s=0.05)
COUPONS = ("SHARED-1", "SHARED-2", "SHARED-3")
TILLS = ("T01", "T02")


class TillState:
    def __init__(self, config: Config, credentials: Credentials) -> None:
        self.config, self.credentials = config, credentials
        self.ledger = open_ledger(config)
        self.checkout = self._checkout()
        self.coupons_taken: set[str] = set()

    def _checkout(self) -> Checkout:
        loyalty = open_loyalty(self.config, self.ledger)
        assert loyalty is not None
        loyalty = knowing(loyalty, chain_campaign(loyalty, "CHAIN5", 500, "flag"))
        till = self.config.settings.till
        return Checkout(
            self.ledger,
            current_catalog(self.ledger),
            Till(till.device_id, till.receipt_prefix, "101"),
            self.config.settings.scanner.rules(),
            loyalty=loyalty,
        )

    def pusher(self, url: str) -> Pusher:
        return Pusher(self.ledger, CloudClient(replace(self.credentials, cloud_url=url)), SMALL)

    def reopen(self) -> None:
        """As after a crash: the file is all there is."""
        self.ledger.close()
        self.ledger = open_ledger(self.config)
        self.checkout = self._checkout()

    def journal(self) -> list[tuple[int, str]]:
        with self.ledger.read() as conn:
            return [(event.seq, event.hash) for event, _broken in iter_events(conn, 0)]


class SyncModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.temp = tempfile.TemporaryDirectory(prefix="sync-model-")
        self.folder = Path(self.temp.name)
        self.database = database_url(None, self.folder / "hq")
        self.engine, self.url, self.server = self._serve()
        demo = load_config(None, self.folder / "T01", environ={})
        configs = {"T01": demo, "T02": other_till(demo, self.folder)}
        self.tills = {
            device_id: TillState(config, enrolled((self.url, self.engine), device_id))
            for device_id, config in configs.items()
        }

    def _serve(self) -> tuple[Engine, str, ExitStack]:
        engine = open_engine(self.database)
        server = ExitStack()
        url = server.enter_context(serving(create_app(engine), "HQ"))
        return engine, url, server

    def teardown(self) -> None:
        for till in self.tills.values():
            till.ledger.close()
        self.server.close()
        self.engine.dispose()
        self.temp.cleanup()

    # -- what happens at the tills and the HQ ------------------------------------------

    @rule(device_id=st.sampled_from(TILLS), units=st.integers(1, 3))
    def sell(self, device_id: str, units: int) -> None:
        till = self.tills[device_id].checkout
        till.scan(WATER, units)
        till.pay_cash()

    @rule(device_id=st.sampled_from(TILLS), coupon=st.sampled_from(COUPONS))
    def take_a_chain_coupon_offline(self, device_id: str, coupon: str) -> None:
        state = self.tills[device_id]
        if coupon in state.coupons_taken:
            return
        now = int(state.ledger.clock().timestamp())
        state.checkout.scan(WATER, 5)
        state.checkout.present_coupon(chain_coupon(now, coupon, "CHAIN5"))
        state.checkout.pay_cash()
        state.coupons_taken.add(coupon)

    @rule(device_id=st.sampled_from(TILLS))
    def push_everything(self, device_id: str) -> None:
        pusher = self.tills[device_id].pusher(self.url)
        try:
            pusher.drain()
        finally:
            pusher.stop()
            pusher.client.close()

    @rule(device_id=st.sampled_from(TILLS))
    def push_one_batch(self, device_id: str) -> None:
        pusher = self.tills[device_id].pusher(self.url)
        try:
            pusher.push_once()
        finally:
            pusher.stop()
            pusher.client.close()

    @rule(device_id=st.sampled_from(TILLS))
    def lose_the_clouds_answers(self, device_id: str) -> None:
        with self.tills[device_id].ledger.transaction() as writer:
            writer.conn.execute(META.delete().where(META.c.key == ACKED_THROUGH))

    @rule(device_id=st.sampled_from(TILLS))
    def crash_and_reopen(self, device_id: str) -> None:
        self.tills[device_id].reopen()

    @rule()
    def restart_the_hq(self) -> None:
        """A new server and engine on the same database (it moves to a new port)."""
        self.server.close()
        self.engine.dispose()
        self.engine, self.url, self.server = self._serve()

    # -- what must always hold -------------------------------------------------------------

    @invariant()
    def the_hq_holds_a_prefix_of_each_journal(self) -> None:
        for device_id, till in self.tills.items():
            stored = self._stored(device_id)
            assert stored == till.journal()[: len(stored)], device_id

    @invariant()
    def no_coupon_is_used_twice_and_nothing_forked(self) -> None:
        with self.engine.connect() as conn:
            uses = conn.execute(select(COUPON_USES.c.coupon_id)).scalars().all()
            assert len(uses) == len(set(uses))
            assert conn.execute(select(FORKS.c.device_id)).first() is None

    def _stored(self, device_id: str) -> list[tuple[int, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(EVENTS.c.seq, EVENTS.c.hash)
                .where(EVENTS.c.device_id == device_id)
                .order_by(EVENTS.c.seq)
            ).all()
        return [(row.seq, row.hash) for row in rows]

    def heal(self) -> None:
        """Everyone pushes until nothing is left (twice: rejections journaled by the
        first round go up in the second)."""
        for _round in range(2):
            for device_id in TILLS:
                self.push_everything(device_id)
        for device_id, till in self.tills.items():
            assert self._stored(device_id) == till.journal()
            assert sync_status(till.ledger).backlog == 0
            assert verify(till.ledger).ok
        for coupon in COUPONS:
            takers = {d for d, t in self.tills.items() if coupon in t.coupons_taken}
            with self.engine.connect() as conn:
                winners = (
                    conn.execute(
                        select(COUPON_USES.c.device_id).where(COUPON_USES.c.coupon_id == coupon)
                    )
                    .scalars()
                    .all()
                )
            assert len(winners) == (1 if takers else 0), coupon
            for device_id in takers - set(winners):
                rejected = _rejections(self.tills[device_id].ledger, coupon)
                assert len(rejected) == 1, (coupon, device_id)
            for device_id in set(winners):
                assert _rejections(self.tills[device_id].ledger, coupon) == []


def _rejections(ledger: Ledger, coupon: str) -> list[dict[str, Any]]:
    with ledger.read() as conn:
        return [
            event.payload
            for event, _broken in iter_events(conn, 0)
            if event.type == "coupon.redemption_rejected" and event.payload["coupon_id"] == coupon
        ]


class HealedSyncModel(SyncModel):
    def teardown(self) -> None:
        try:
            self.heal()
        finally:
            super().teardown()


TestSync = HealedSyncModel.TestCase
TestSync.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
