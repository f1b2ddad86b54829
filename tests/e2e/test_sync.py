"""The till's journal to the chain's cloud and back, over real HTTP on 127.0.0.1: the
HQ service (FastAPI) on its own SQLite file, the till's demo ledger, the pusher.

Enrollment with a one-time code, every event stored exactly once and in order,
resends absorbed, batches past a gap held until it fills, a revoked till refused with
its reason while it keeps selling, and both kinds of fork (a journal row edited by
hand, a till restored from an old copy of its ledger) caught and quarantined.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import threading
from pathlib import Path

import httpx
import postgres
import pytest
from chain_coupons import chain_campaign, chain_coupon, knowing
from hq_enrollment import enrolled, other_till
from sqlalchemy import Engine, select

from cloud.hq import feed as hq_feed
from cloud.hq.app import RateLimit, create_app
from cloud.hq.database import database_url, open_engine
from cloud.hq.devices import new_enrollment_code, revoke
from cloud.hq.errors import HQError
from cloud.hq.publishing import lease_coupons
from cloud.hq.schema import COUPON_USES, DEVICES, EVENTS, FORKS, HELD
from cloud.hq.schema import SALES as HQ_SALES
from cloud.member_codes import DEMO_CHAIN_KEY, dynamic_member_code
from cloud.serving import serving
from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config
from pos.config.settings import SyncSettings
from pos.ledger.chain import Event, event_hash, format_ts
from pos.ledger.database import Ledger, utc_now
from pos.ledger.tables import META
from pos.ledger.tables import SALES as TILL_SALES
from pos.ledger.verify import iter_events, verify
from pos.loyalty import LoyaltyError
from pos.loyalty_setup import open_loyalty
from sync.background import start_background_sync
from sync.client import CloudClient, Refused, Unreachable, enroll
from sync.credentials import Credentials, save_credentials
from sync.outbox import ACKED_THROUGH
from sync.pusher import Pusher, sync_status

WATER = "6921168509256"
SMALL_BATCHES = SyncSettings(batch_events=7, backoff_base_s=0.01, backoff_cap_s=0.05)


def sell(checkout: Checkout, count: int) -> None:
    for _ in range(count):
        checkout.scan(WATER)
        checkout.pay_cash(None)


def stored(engine: Engine, device_id: str = "T01") -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(EVENTS.c.seq, EVENTS.c.hash)
            .where(EVENTS.c.device_id == device_id)
            .order_by(EVENTS.c.seq)
        ).all()
    return [(row.seq, row.hash) for row in rows]


def journal(ledger: Ledger) -> list[tuple[int, str]]:
    with ledger.read() as conn:
        return [(event.seq, event.hash) for event, _broken in iter_events(conn, 0)]


def forget_acks(ledger: Ledger) -> None:
    """As if the cloud's answers had been lost: the pusher starts again from seq 1."""
    with ledger.transaction() as writer:
        writer.conn.execute(META.delete().where(META.c.key == ACKED_THROUGH))


def test_a_till_enrolls_and_its_journal_arrives_once_in_order_however_often_it_is_sent(
    hq: tuple[str, Engine], demo_ledger: Ledger, checkout: Checkout
) -> None:
    client = CloudClient(enrolled(hq))
    pusher = Pusher(demo_ledger, client, SMALL_BATCHES)
    sell(checkout, 5)
    progress: list[int] = []
    done = pusher.drain(lambda status: progress.append(status.acked_through))
    assert done.backlog == 0
    assert done.acked_through == demo_ledger.head()[0]
    assert progress == sorted(progress)
    assert len(progress) > 1  # several small batches
    assert stored(hq[1]) == journal(demo_ledger)

    forget_acks(demo_ledger)  # every batch again: all duplicates, nothing twice
    sell(checkout, 2)
    assert pusher.drain().acked_through == demo_ledger.head()[0]
    assert stored(hq[1]) == journal(demo_ledger)
    assert client.acked_through() == demo_ledger.head()[0]
    status = sync_status(demo_ledger)
    assert status.last_sync is not None
    assert status.alert is None
    assert status.reachable is True
    # The chain's sales: each once, as the till recorded it.
    with demo_ledger.read() as conn:
        sold = conn.execute(select(TILL_SALES.c.sale_id, TILL_SALES.c.total)).all()
    with hq[1].connect() as conn:
        seen = conn.execute(select(HQ_SALES.c.sale_id, HQ_SALES.c.total, HQ_SALES.c.tenders)).all()
    assert sorted((r.sale_id, r.total) for r in seen) == sorted(map(tuple, sold))
    assert len(seen) == 7
    assert all(json.loads(r.tenders) == {"cash": r.total} for r in seen)
    client.close()


def test_events_past_a_gap_are_held_until_it_fills(
    hq: tuple[str, Engine], demo_ledger: Ledger, checkout: Checkout
) -> None:
    sell(checkout, 2)
    with demo_ledger.read() as conn:
        events = [event.as_json() for event, _ in iter_events(conn, 0)]
    client = CloudClient(enrolled(hq))
    assert client.push(events[5:]) == 0  # out of order: all held
    with hq[1].connect() as conn:
        assert conn.execute(select(HELD.c.seq)).scalars().all() == [e["seq"] for e in events[5:]]
    assert client.push(events[:5]) == len(events)  # the gap filled: everything stored
    assert stored(hq[1]) == journal(demo_ledger)
    with hq[1].connect() as conn:
        assert conn.execute(select(HELD.c.seq)).all() == []
    client.close()


def test_integers_past_64_bits_are_stored_exactly_in_order_past_a_gap_and_resent(
    hq: tuple[str, Engine], demo_ledger: Ledger
) -> None:
    # The HQ reads pushes with orjson, which reads these as floats: the ingest must
    # notice and decide on the standard library's reading, never call them forks.
    huge = [2**70 + 1, -(2**64) - 3, 10**30]
    with demo_ledger.transaction() as writer:
        for number in huge:
            writer.append("receipt.reprinted", {"sale_id": "S-1", "copies": number})
    with demo_ledger.read() as conn:
        events = [event.as_json() for event, _ in iter_events(conn, 0)]
    client = CloudClient(enrolled(hq))
    assert client.push(events[-1:]) == 0  # past a gap: held
    assert client.push(events[:-2]) == len(events) - 2  # the gap fills up to one
    assert client.push(events[-2:-1]) == len(events)  # in order, then the held one
    assert client.push(events) == len(events)  # sent again: all duplicates
    assert stored(hq[1]) == journal(demo_ledger)
    with hq[1].connect() as conn:
        assert conn.execute(select(FORKS.c.seq)).all() == []
        payloads = conn.execute(
            select(EVENTS.c.payload).where(EVENTS.c.seq > len(events) - 3).order_by(EVENTS.c.seq)
        ).scalars()
        assert [json.loads(text)["copies"] for text in payloads] == huge
    client.close()


def test_a_till_replaying_another_tills_event_ids_is_stored_up_to_them_then_forked(
    hq: tuple[str, Engine], demo_ledger: Ledger
) -> None:
    """A cloned till re-hashing another's journal as its own: the batch's bulk insert
    (COPY on PostgreSQL) fails on the first event id already stored, and the HQ keeps
    what came before it."""
    with demo_ledger.read() as conn:
        theirs = [event.as_json() for event, _ in iter_events(conn, 0)][:10]
    t01 = CloudClient(enrolled(hq))
    assert t01.push(theirs) == 10
    clone, prev = [], "0" * 64
    for index, event in enumerate(theirs, start=1):
        fields = {**event, "device_id": "T02", "prev_hash": prev}
        if index <= 3:
            fields["event_id"] = f"00000000-0000-4000-8000-00000000000{index}"
        fields.pop("hash")
        prev = event_hash(fields)
        clone.append({**fields, "hash": prev})
    t02 = CloudClient(enrolled(hq, "T02"))
    with pytest.raises(Refused) as fork:
        t02.push(clone)
    assert fork.value.code == "fork"
    assert fork.value.acked_through == 3
    assert [seq for seq, _hash in stored(hq[1], "T02")] == [1, 2, 3]
    with hq[1].connect() as conn:
        reasons = conn.execute(select(FORKS.c.device_id, FORKS.c.seq, FORKS.c.reason)).all()
    assert [tuple(row) for row in reasons] == [
        ("T02", 4, "its event_id is already stored for another event")
    ]
    t01.close()
    t02.close()


def test_a_revoked_till_is_refused_with_the_reason_keeps_selling_and_resumes_after_enrolling(
    hq: tuple[str, Engine], demo_ledger: Ledger, checkout: Checkout
) -> None:
    client = CloudClient(enrolled(hq))
    Pusher(demo_ledger, client, SMALL_BATCHES).drain()
    acked = sync_status(demo_ledger).acked_through
    with hq[1].begin() as conn:
        revoke(conn, "T01", "till stolen", utc_now())
    sell(checkout, 3)  # selling goes on
    with pytest.raises(Refused) as refused:
        Pusher(demo_ledger, client, SMALL_BATCHES).drain()
    assert refused.value.code == "revoked"
    assert "till stolen" in refused.value.message
    status = sync_status(demo_ledger)
    assert status.acked_through == acked
    assert "revoked" in (status.alert or "")
    assert status.backlog > 0

    again = CloudClient(enrolled(hq))  # a new code: a new token, the same chain
    assert Pusher(demo_ledger, again, SMALL_BATCHES).drain().backlog == 0
    assert sync_status(demo_ledger).alert is None
    assert stored(hq[1]) == journal(demo_ledger)
    with pytest.raises(Refused) as old_token:
        client.push([])
    assert old_token.value.code == "unknown_token"
    again.close()
    client.close()


def test_enrollment_codes_work_once_and_only_as_given(hq: tuple[str, Engine]) -> None:
    url, engine = hq
    with engine.begin() as conn:
        code = new_enrollment_code(conn, "demo-store", utc_now())
    enroll(url, code.lower().replace("-", " "), "T01")  # as a person might type it
    with pytest.raises(Refused) as used:
        enroll(url, code, "T02")
    assert used.value.code == "used_code"
    with pytest.raises(Refused) as unknown:
        enroll(url, "AAAA-BBBB-CCCC", "T02")
    assert unknown.value.code == "unknown_code"


def test_a_journal_row_edited_by_hand_is_a_fork_and_the_till_is_quarantined(
    hq: tuple[str, Engine], demo_ledger: Ledger, checkout: Checkout
) -> None:
    client = CloudClient(enrolled(hq))
    pusher = Pusher(demo_ledger, client, SMALL_BATCHES)
    pusher.drain()
    acked = sync_status(demo_ledger).acked_through
    sell(checkout, 3)  # offline, then someone "fixes" a sale with sqlite3 before it syncs
    with sqlite3.connect(demo_ledger.path) as raw:
        (seq,) = raw.execute(
            "SELECT max(seq) FROM journal WHERE type = 'sale.completed'"
        ).fetchone()
        raw.execute("DROP TRIGGER journal_no_update")
        raw.execute(
            "UPDATE journal SET payload = replace(payload, '\"total\":', '\"total\":1') "
            "WHERE seq = ?",
            (seq,),
        )
    with pytest.raises(Refused) as fork:
        pusher.drain()
    assert fork.value.code == "fork"
    assert f"seq {seq}: hash does not match the event" in fork.value.message
    with hq[1].connect() as conn:
        (row,) = conn.execute(select(FORKS)).all()
        assert (row.device_id, row.seq) == ("T01", seq)
        assert conn.execute(select(DEVICES.c.quarantined_at)).scalar() is not None
    # What came before the edited event is stored; nothing after it.
    status = sync_status(demo_ledger)
    assert acked < status.acked_through == seq - 1
    assert stored(hq[1]) == journal(demo_ledger)[: seq - 1]
    assert "fork" in (status.alert or "")
    with pytest.raises(Refused) as quarantined:  # until someone has looked
        client.push([])
    assert quarantined.value.code == "quarantined"
    client.close()


def test_a_till_restored_from_an_old_copy_of_its_ledger_is_a_fork(
    hq: tuple[str, Engine], demo_config: Config, demo_ledger: Ledger, checkout: Checkout
) -> None:
    client = CloudClient(enrolled(hq))
    Pusher(demo_ledger, client, SMALL_BATCHES).drain()
    old_copy = demo_ledger.path.with_name("yesterday.db")
    demo_ledger.checkpoint()
    shutil.copy(demo_ledger.path, old_copy)
    sell(checkout, 2)
    Pusher(demo_ledger, client, SMALL_BATCHES).drain()
    demo_ledger.close()

    shutil.copy(old_copy, demo_config.ledger_path)  # the restore
    for suffix in ("-wal", "-shm"):
        Path(f"{demo_config.ledger_path}{suffix}").unlink(missing_ok=True)
    restored = open_ledger(demo_config)
    try:
        sell(Checkout(restored, checkout.catalog, checkout.till, checkout.rules), 1)
        with pytest.raises(Refused) as fork:
            Pusher(restored, client, SMALL_BATCHES).drain()
        assert fork.value.code == "fork"
    finally:
        restored.close()
    client.close()


def test_a_tampered_event_sent_fresh_is_refused_as_a_fork(
    hq: tuple[str, Engine], demo_ledger: Ledger
) -> None:
    with demo_ledger.read() as conn:
        first = next(iter_events(conn, 0))[0].as_json()
    first["payload"] = {**first["payload"], "forged": True}
    client = CloudClient(enrolled(hq))
    with pytest.raises(Refused) as fork:
        client.push([first])
    assert fork.value.code == "fork"
    assert "hash does not match" in fork.value.message
    client.close()


def test_the_cloud_answers_bad_requests_with_a_code_and_a_message(
    hq: tuple[str, Engine],
) -> None:
    url, _engine = hq
    credentials = enrolled(hq)
    auth = {"Authorization": f"Bearer {credentials.token}"}
    with httpx.Client(base_url=url) as http:
        no_token = http.post("/v1/devices/T01/events", json={"events": []})
        assert (no_token.status_code, no_token.json()["code"]) == (401, "no_token")
        other = http.post("/v1/devices/T02/events", json={"events": []}, headers=auth)
        assert (other.status_code, other.json()["code"]) == (403, "wrong_device")
        malformed = http.post("/v1/devices/T01/events", json={"events": [{"seq": 1}]}, headers=auth)
        assert (malformed.status_code, malformed.json()["code"]) == (422, "bad_event")
        not_json = http.post("/v1/devices/T01/events", content=b"{", headers=auth)
        assert (not_json.status_code, not_json.json()["code"]) == (422, "bad_request")
        huge = http.post("/v1/devices/T01/events", content=b" " * (9 << 20), headers=auth)
        assert (huge.status_code, huge.json()["code"]) == (413, "too_large")
        assert http.get("/openapi.json").json()["info"]["title"] == "pos HQ"


def test_an_unreachable_cloud_is_retried_with_capped_full_jitter_then_reported(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    sell(checkout, 1)
    dead = Credentials("http://127.0.0.1:9", "T01", "demo-store", "x")  # discard port
    pusher = Pusher(
        demo_ledger, CloudClient(dead, timeout_s=1), SMALL_BATCHES, rng=random.Random(1)
    )
    assert sync_status(demo_ledger).reachable is None  # not tried yet
    with pytest.raises(Unreachable):
        pusher.drain()
    assert sync_status(demo_ledger).acked_through == 0
    assert sync_status(demo_ledger).reachable is False
    waits = [pusher.backoff(failures, None) for failures in range(12)]
    assert all(0 <= wait <= SMALL_BATCHES.backoff_cap_s for wait in waits)
    assert len(set(waits)) > 1  # jittered, not a fixed schedule
    assert pusher.backoff(0, 30.0) == 30.0  # never sooner than Retry-After


def test_event_hashes_the_cloud_stores_are_the_tills(
    hq: tuple[str, Engine], demo_ledger: Ledger
) -> None:
    client = CloudClient(enrolled(hq))
    Pusher(demo_ledger, client, SyncSettings()).drain()
    with hq[1].connect() as conn:
        row = conn.execute(select(EVENTS).order_by(EVENTS.c.seq).limit(1)).one()
    fields = {
        "seq": row.seq,
        "event_id": row.event_id,
        "device_id": row.device_id,
        "type": row.type,
        "ts": row.ts,
        "payload": json.loads(row.payload),
        "prev_hash": row.prev_hash,
    }
    assert event_hash(fields) == row.hash
    client.close()


def test_the_background_pusher_sends_new_sales_and_stops_when_asked(
    hq: tuple[str, Engine], demo_config: Config, demo_ledger: Ledger, checkout: Checkout
) -> None:
    assert start_background_sync(demo_config.data_dir, demo_ledger, SyncSettings()) is None
    save_credentials(demo_config.data_dir, enrolled(hq))
    background = start_background_sync(demo_config.data_dir, demo_ledger, SMALL_BATCHES)
    assert background is not None
    try:
        sell(checkout, 2)
        background.nudge()
        head = demo_ledger.head()[0]
        for _ in range(500):  # waits for the thread, bounded; no duration asserted
            if sync_status(demo_ledger).acked_through == head:
                break
            threading.Event().wait(0.02)
        assert sync_status(demo_ledger).acked_through == head
    finally:
        background.stop()
    assert not any(thread.name == "sync-pusher" for thread in threading.enumerate())
    assert stored(hq[1]) == journal(demo_ledger)


def test_two_instances_of_the_cloud_on_one_postgresql_database_store_each_event_once(
    postgres_server: str, tmp_path: Path, demo_ledger: Ledger, checkout: Checkout
) -> None:
    url = database_url(postgres.fresh_database(postgres_server), tmp_path)
    engines = [open_engine(url), open_engine(url)]  # the second finds the schema done
    sell(checkout, 10)
    with demo_ledger.read() as conn:
        events = [event.as_json() for event, _ in iter_events(conn, 0)]
    batches = [events[start : start + 9] for start in range(0, len(events), 9)]
    with (
        serving(create_app(engines[0]), "HQ 1") as one,
        serving(create_app(engines[1]), "HQ 2") as two,
    ):
        credentials = enrolled((one, engines[0]))
        clients = [
            CloudClient(Credentials(base, "T01", "demo-store", credentials.token))
            for base in (one, two)
        ]

        # Both instances get every batch at once, in either order: a retry through a
        # load balancer racing the original.
        def send(client: CloudClient, order: list[list[dict[str, object]]]) -> None:
            for batch in order:
                client.push(batch)

        racers = [
            threading.Thread(target=send, args=(clients[0], batches)),
            threading.Thread(target=send, args=(clients[1], batches[::-1])),
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        assert clients[0].acked_through() == clients[1].acked_through() == len(events)
        for client in clients:
            client.close()
    assert stored(engines[0]) == journal(demo_ledger)
    with engines[1].connect() as conn:
        assert conn.execute(select(HELD)).all() == []
        assert conn.execute(select(FORKS)).all() == []
    for engine in engines:
        engine.dispose()


def test_a_till_over_its_rate_is_told_when_to_come_back(tmp_path: Path) -> None:
    engine = open_engine(database_url(None, tmp_path / "hq"))
    app = create_app(engine, rate_limit=RateLimit(rate=0.01, burst=1))
    with serving(app, "HQ") as url:
        client = CloudClient(enrolled((url, engine)))
        assert client.push([]) == 0
        with pytest.raises(Unreachable) as throttled:
            client.push([])
        assert throttled.value.retry_after is not None
        assert throttled.value.retry_after >= 1
        assert "HTTP 429" in throttled.value.message
        client.close()
    engine.dispose()


def _till_with_chain_coupons(config: Config, ledger: Ledger, offline: str = "flag") -> Checkout:
    """A checkout whose member program also knows CHAIN5, a 5.00-off coupon the chain
    hands out (signed by the chain's key): every till accepts it offline, flagged, or
    with `offline` "lease" only the till it is leased to."""
    loyalty = open_loyalty(config, ledger)
    assert loyalty is not None
    loyalty = knowing(loyalty, chain_campaign(loyalty, "CHAIN5", 500, offline))
    till = config.settings.till
    return Checkout(
        ledger,
        current_catalog(ledger),
        Till(till.device_id, till.receipt_prefix, "101"),
        config.settings.scanner.rules(),
        loyalty=loyalty,
    )


def test_a_coupon_redeemed_at_two_offline_tills_stands_once_and_the_other_gets_a_rejection(
    hq: tuple[str, Engine], demo_config: Config, demo_ledger: Ledger, tmp_path: Path
) -> None:
    second = other_till(demo_config, tmp_path)
    other_ledger = open_ledger(second)
    tills = {
        "T01": (demo_ledger, _till_with_chain_coupons(demo_config, demo_ledger)),
        "T02": (other_ledger, _till_with_chain_coupons(second, other_ledger)),
    }
    code = chain_coupon(int(demo_ledger.clock().timestamp()), "SHARED1", "CHAIN5")
    for _ledger, checkout in tills.values():  # both offline: each accepts it, flagged
        checkout.scan(WATER, 5)
        checkout.present_coupon(code)
        assert checkout.pay_cash().total == 500
    try:
        pushers = {}
        for device_id, (ledger, _checkout) in tills.items():  # T01 reaches the cloud first
            client = CloudClient(enrolled(hq, device_id))
            pushers[device_id] = Pusher(ledger, client, SMALL_BATCHES)
            pushers[device_id].drain()
        pushers["T01"].drain()
        pushers["T02"].drain()  # pulled again: the rejection is not repeated

        with hq[1].connect() as conn:
            uses = conn.execute(select(COUPON_USES.c.coupon_id, COUPON_USES.c.device_id)).all()
        assert [tuple(use) for use in uses] == [("SHARED1", "T01")]
        assert events_of(demo_ledger, "coupon.redemption_rejected") == []
        (rejected,) = events_of(other_ledger, "coupon.redemption_rejected")
        (redeemed,) = [
            (event.seq, event.payload)
            for event in all_events(other_ledger)
            if event.type == "coupon.redeemed"
        ]
        assert rejected["coupon_id"] == "SHARED1"
        assert rejected["seq"] == redeemed[0]
        assert rejected["sale_id"] == redeemed[1]["sale_id"]
        assert rejected["amount"] == 500
        assert rejected["winner_device_id"] == "T01"
        assert rejected["reason"] == "used_elsewhere"
        # The rejection went into T02's journal and on to the cloud like any event.
        assert stored(hq[1], "T02") == journal(other_ledger)
        assert verify(other_ledger).ok
        for pusher in pushers.values():
            pusher.stop()
            pusher.client.close()
    finally:
        other_ledger.close()


def test_a_leased_coupon_is_taken_only_at_the_till_it_is_leased_to_so_never_twice(
    hq: tuple[str, Engine], demo_config: Config, demo_ledger: Ledger, tmp_path: Path
) -> None:
    second = other_till(demo_config, tmp_path)
    other_ledger = open_ledger(second)
    tills = {
        "T01": (demo_ledger, _till_with_chain_coupons(demo_config, demo_ledger, "lease")),
        "T02": (other_ledger, _till_with_chain_coupons(second, other_ledger, "lease")),
    }
    try:
        pushers = {
            device_id: Pusher(ledger, CloudClient(enrolled(hq, device_id)), SMALL_BATCHES)
            for device_id, (ledger, _checkout) in tills.items()
        }
        now = format_ts(utc_now())
        with hq[1].begin() as conn:
            assert lease_coupons(conn, "T01", "CHAIN5", ["SHARED2", "SHARED2"], now) == ["SHARED2"]
            assert lease_coupons(conn, "T01", "CHAIN5", ["SHARED2"], now) == []  # once
            with pytest.raises(HQError, match="another till") as elsewhere:
                lease_coupons(conn, "T02", "CHAIN5", ["SHARED2"], now)
            assert elsewhere.value.code == "leased_elsewhere"
        for pusher in pushers.values():
            pusher.drain()
        assert events_of(demo_ledger, "coupon.lease_granted") == [
            {"campaign_id": "CHAIN5", "coupon_ids": ["SHARED2"], "source": "cloud"}
        ]
        assert events_of(other_ledger, "coupon.lease_granted") == []

        # Both offline now: the coupon is taken at T01 and refused at T02's counter.
        code = chain_coupon(int(demo_ledger.clock().timestamp()), "SHARED2", "CHAIN5")
        for device_id, (_ledger, checkout) in tills.items():
            checkout.scan(WATER, 5)
            if device_id == "T01":
                checkout.present_coupon(code)
                assert checkout.pay_cash().total == 500
            else:
                with pytest.raises(LoyaltyError) as refused:
                    checkout.present_coupon(code)
                assert refused.value.reason == "no_lease"
                assert checkout.pay_cash().total == 1000
        for pusher in pushers.values():
            pusher.drain()
        with hq[1].connect() as conn:
            uses = conn.execute(select(COUPON_USES.c.coupon_id, COUPON_USES.c.device_id)).all()
        assert [tuple(use) for use in uses] == [("SHARED2", "T01")]
        for ledger, _checkout in tills.values():
            assert events_of(ledger, "coupon.redemption_rejected") == []
            assert verify(ledger).ok
        for pusher in pushers.values():
            pusher.stop()
            pusher.client.close()
    finally:
        other_ledger.close()


def all_events(ledger: Ledger) -> list[Event]:
    with ledger.read() as conn:
        return [event for event, _ in iter_events(conn, 0)]


def events_of(ledger: Ledger, type_: str) -> list[dict[str, object]]:
    return [event.payload for event in all_events(ledger) if event.type == type_]


def test_the_feed_pages_with_an_opaque_cursor_that_never_skips_or_repeats(
    hq: tuple[str, Engine],
) -> None:
    url, engine = hq
    credentials = enrolled(hq)
    with engine.begin() as conn:
        for number in range(5):
            hq_feed.append(conn, "note", {"n": number}, "now", device_id="T01")
            hq_feed.append(conn, "note", {"n": -1}, "now", device_id="T09")  # not ours
        hq_feed.append(conn, "note", {"n": 5}, "now", store_id="demo-store")
        hq_feed.append(conn, "note", {"n": 6}, "now")  # every till
    auth = {"Authorization": f"Bearer {credentials.token}"}
    seen: list[object] = []
    cursor, pages = "", 0
    with httpx.Client(base_url=url, headers=auth) as http:
        while True:
            page = http.get("/v1/feed", params={"cursor": cursor, "limit": 2}).json()
            seen += [change["body"]["n"] for change in page["changes"]]
            cursor, pages = page["cursor"], pages + 1
            if not page["more"]:
                break
        assert seen == list(range(7))
        assert pages == 4
        again = http.get("/v1/feed", params={"cursor": cursor}).json()
        assert again["changes"] == []
        assert again["cursor"] == cursor
        forged = http.get("/v1/feed", params={"cursor": "not-a-cursor"})
        assert (forged.status_code, forged.json()["code"]) == (422, "bad_cursor")


def test_a_member_enrolled_at_one_till_is_known_at_the_others_after_sync(
    hq: tuple[str, Engine], demo_config: Config, demo_ledger: Ledger, tmp_path: Path
) -> None:
    second = other_till(demo_config, tmp_path)
    other_ledger = open_ledger(second)
    try:
        here = open_loyalty(demo_config, demo_ledger)
        there = open_loyalty(second, other_ledger)
        assert here is not None
        assert there is not None
        member, _ = here.enroll_by_phone("13912345678")
        assert there.find_by_phone("13912345678") is None
        pushers = [
            Pusher(ledger, CloudClient(enrolled(hq, device_id)), SMALL_BATCHES)
            for ledger, device_id in ((demo_ledger, "T01"), (other_ledger, "T02"))
        ]
        for pusher in (*pushers, *pushers):  # twice: nothing is imported twice
            pusher.drain()

        found = there.find_by_phone("139 1234 5678")
        assert found is not None
        assert found.member_no == member.member_no
        code = dynamic_member_code(DEMO_CHAIN_KEY, member.member_no, there.now())
        assert there.member_from_code(code).member_no == member.member_no
        (imported,) = events_of(other_ledger, "member.imported")
        assert imported["device_id"] == "T01"
        assert events_of(demo_ledger, "member.imported") == []  # its own came back: skipped
        assert verify(other_ledger).ok
        for pusher in pushers:
            pusher.stop()
            pusher.client.close()
    finally:
        other_ledger.close()
