"""What the chain publishes reaches its tills through the feed, over HTTP on 127.0.0.1
(the HQ on SQLite and on PostgreSQL): catalog items and prices, and the keys whose
signed codes tills accept. Each till journals what it applies, once, so its receipts
are explained by its own journal; what a till cannot apply halts sync with an alert."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chain_coupons import chain_coupon
from fastapi import FastAPI
from hq_enrollment import enrolled, other_till
from sqlalchemy import Engine, select

from cloud.hq import feed
from cloud.hq.errors import HQError
from cloud.hq.publishing import (
    Published,
    lease_coupons,
    publish_campaigns,
    publish_catalog,
    revoke_key,
    trust_key,
)
from cloud.hq.schema import COUPONS, MEMBERS
from cloud.member_codes import dynamic_member_code
from cloud.serving import serving
from cloud.wallet.codes import make_code
from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config
from pos.config.settings import CampaignSettings, SyncSettings
from pos.domain.catalog import CatalogItem
from pos.domain.codes import CodeError, parse_code
from pos.ledger.chain import format_ts
from pos.ledger.database import Ledger, read_meta, utc_now
from pos.ledger.verify import iter_events, verify
from pos.loyalty_setup import key_ring, open_loyalty, selling_campaigns, trust
from pos.payments.micropay import MicropayClient
from pos.payments.wallet_tender import pay_by_wallet
from pos.signing import SigningKey, public_key_text
from sync.client import CloudClient, Refused
from sync.credentials import Credentials
from sync.puller import FEED_CURSOR, Puller
from sync.pusher import Pusher, sync_status

WATER = "6921168509256"
PAYER = "246801"
SETTINGS = SyncSettings(batch_events=50, backoff_base_s=0.01, backoff_cap_s=0.05)


def now() -> str:
    return format_ts(utc_now())


@pytest.fixture
def pusher(hq: tuple[str, Engine], demo_ledger: Ledger) -> Iterator[tuple[Pusher, list[str]]]:
    """Till T01 of demo-store, enrolled; the second item is what its feed journaled."""
    heard: list[str] = []
    client = CloudClient(enrolled(hq))
    pusher = Pusher(demo_ledger, client, SETTINGS, on_feed=heard.extend)
    yield pusher, heard
    pusher.stop()
    client.close()


def feed_events(ledger: Ledger, after: int) -> list[tuple[str, dict[str, object]]]:
    with ledger.read() as conn:
        return [(event.type, event.payload) for event, _broken in iter_events(conn, after)]


def test_published_items_and_prices_are_journaled_at_each_till_once_and_sold_by(
    hq: tuple[str, Engine],
    demo_ledger: Ledger,
    checkout: Checkout,
    pusher: tuple[Pusher, list[str]],
) -> None:
    engine = hq[1]
    water = current_catalog(demo_ledger).by_barcode(WATER)
    assert water is not None
    dearer = dataclasses.replace(water, price=water.price + 50)
    tea = CatalogItem("TEA-001", "6900000000014", "乌龙茶", "Oolong Tea", 450, 1300, "饮料")
    with engine.begin() as conn:
        assert publish_catalog(conn, [dearer, tea], None, now()) == Published(2, 0)
        # For another store only: T01 must not see it.
        elsewhere = dataclasses.replace(tea, price=1)
        assert publish_catalog(conn, [elsewhere], "other-store", now()) == Published(1, 0)

    before = demo_ledger.head()[0]
    pusher[0].drain()
    applied = feed_events(demo_ledger, before)
    assert applied == [
        (
            "catalog.price_changed",
            {"sku": water.sku, "old_price": water.price, "new_price": water.price + 50},
        ),
        ("catalog.item_added", {"item": dataclasses.asdict(tea)}),
    ]
    assert set(pusher[1]) == {"catalog.price_changed", "catalog.item_added"}
    # What the till sells by now.
    checkout.catalog = current_catalog(demo_ledger)
    checkout.scan(WATER)
    checkout.scan(tea.barcode or "")
    assert checkout.totals().total == water.price + 50 + 450

    with engine.begin() as conn:  # the same file again: nothing is sent
        assert publish_catalog(conn, [dearer, tea], None, now()) == Published(0, 2)
    head = demo_ledger.head()[0]
    pusher[0].drain()
    assert [t for t, _ in feed_events(demo_ledger, head)] == []
    assert verify(demo_ledger).ok


def test_a_key_the_chain_trusts_and_then_revokes_is_accepted_then_refused_at_the_till(
    hq: tuple[str, Engine], demo_ledger: Ledger, pusher: tuple[Pusher, list[str]]
) -> None:
    engine = hq[1]
    chain = SigningKey.from_seed(bytes(range(32)), "chain-2027")
    public = public_key_text(chain.public_key)
    code = parse_code(dynamic_member_code(chain, "M000123", int(time.time())))
    with pytest.raises(CodeError, match="does not know"):
        key_ring(demo_ledger).verify(code)

    with engine.begin() as conn:
        assert trust_key(conn, "chain-2027", public, now())
        assert not trust_key(conn, "chain-2027", public, now())  # once
        with pytest.raises(HQError, match="another key"):
            trust_key(conn, "chain-2027", public_key_text(bytes(32)), now())
    before = demo_ledger.head()[0]
    pusher[0].drain()
    assert feed_events(demo_ledger, before) == [
        ("key.trusted", {"kid": "chain-2027", "public_key": public, "source": "cloud"})
    ]
    key_ring(demo_ledger).verify(code)  # accepted

    with engine.begin() as conn:
        assert revoke_key(conn, "chain-2027", now())
        assert not revoke_key(conn, "chain-2027", now())
    pusher[0].drain()
    with pytest.raises(CodeError, match="does not know"):
        key_ring(demo_ledger).verify(code)
    assert "key.revoked" in pusher[1]
    # pos.toml naming the revoked key again does not bring it back at the next start.
    assert "chain-2027" not in trust(demo_ledger, {"chain-2027": (public, "config")})
    with engine.begin() as conn, pytest.raises(HQError, match="revoked"):
        trust_key(conn, "chain-2027", public, now())
    assert verify(demo_ledger).ok


def test_a_feed_change_the_till_cannot_apply_halts_sync_with_an_alert_and_applies_nothing(
    hq: tuple[str, Engine], demo_ledger: Ledger, pusher: tuple[Pusher, list[str]]
) -> None:
    water = current_catalog(demo_ledger).by_barcode(WATER)
    assert water is not None
    # Another item claiming the water's barcode: the till's catalog would be ambiguous.
    clash = CatalogItem("CLASH", WATER, "重码", "Clash", 100, 1300, "饮料")
    good = CatalogItem("TEA-001", "6900000000014", "乌龙茶", "Oolong Tea", 450, 1300, "饮料")
    with hq[1].begin() as conn:
        publish_catalog(conn, [good], None, now())
        feed.append(conn, "catalog.item", {"item": dataclasses.asdict(clash)}, now())
    head = demo_ledger.head()[0]
    with pytest.raises(Refused, match="Barcode 6921168509256 is on both"):
        pusher[0].drain()
    status = sync_status(demo_ledger)
    assert status.alert is not None
    assert "Barcode 6921168509256 is on both" in status.alert
    # The page is all or nothing: not even the good item, and the cursor stayed.
    assert feed_events(demo_ledger, head) == []
    with demo_ledger.read() as conn:
        assert not read_meta(conn, FEED_CURSOR)


def test_one_payer_enrolled_offline_at_two_stores_is_merged_into_the_first_to_sync(
    hq: tuple[str, Engine],
    demo_config: Config,
    demo_ledger: Ledger,
    gateway: MicropayClient,
    tmp_path: Path,
) -> None:
    second = other_till(demo_config, tmp_path)
    other_ledger = open_ledger(second)
    try:
        tills = {
            "T01": selling_till(demo_config, demo_ledger),
            "T02": selling_till(second, other_ledger),
        }
        # Both offline, the same payer pays at each: a member at each, one openid.
        numbers = {}
        for serial, (device_id, till) in enumerate(tills.items(), start=1):
            till.scan(WATER, 3)
            sale = pay_by_wallet(till, gateway, make_code(PAYER, serial=serial), body="x").sale
            assert sale is not None
            assert sale.member is not None
            numbers[device_id] = (sale.member.member_no, sale.member.points_balance)
        first_no, first_points = numbers["T01"]
        second_no, second_points = numbers["T02"]
        assert first_no != second_no

        pushers = [
            Pusher(ledger, CloudClient(enrolled(hq, device_id, store)), SETTINGS)
            for ledger, device_id, store in (
                (demo_ledger, "T01", "demo-store"),
                (other_ledger, "T02", "other-store"),
            )
        ]
        for pusher in (*pushers, *pushers):  # T01 first; twice: nothing is merged twice
            pusher.drain()

        for ledger in (demo_ledger, other_ledger):
            (merged,) = events_of(ledger, "member.merged")
            assert (merged["member"]["member_no"], merged["into"]["member_no"]) == (
                second_no,
                first_no,
            )
            assert verify(ledger).ok
        # At T02 its own number now finds the first member, holding the points it earned.
        there = tills["T02"].loyalty
        assert there is not None
        member = there.member(second_no)
        assert (member.member_no, member.points) == (first_no, second_points)
        card = parse_code(there.card_code(second_no))
        assert card.kind == "member"
        # At T01 the second number finds its member too; the points earned here stay.
        here = tills["T01"].loyalty
        assert here is not None
        assert here.member(second_no).member_no == first_no
        assert here.member(first_no).points == first_points
        # The payer pays again at T02: a sale for the first member, not a new one.
        tills["T02"].scan(WATER)
        again = pay_by_wallet(tills["T02"], gateway, make_code(PAYER, serial=3), body="x").sale
        assert again is not None
        assert again.member is not None
        assert (again.member.member_no, again.member.enrolled) == (first_no, False)
        with hq[1].connect() as conn:
            rows = conn.execute(select(MEMBERS.c.member_no, MEMBERS.c.merged_into)).all()
        assert sorted(map(tuple, rows)) == sorted([(first_no, None), (second_no, first_no)])
        # The coupons each till issued are the chain's record too, and are not leased.
        issued = {
            device_id: [p["coupon_id"] for p in events_of(ledger, "coupon.issued")]
            for device_id, ledger in (("T01", demo_ledger), ("T02", other_ledger))
        }
        with hq[1].begin() as conn:
            rows = conn.execute(select(COUPONS.c.coupon_id, COUPONS.c.device_id)).all()
            assert sorted(map(tuple, rows)) == sorted(
                (c, device_id) for device_id, ids in issued.items() for c in ids
            )
            with pytest.raises(HQError) as refused:
                lease_coupons(conn, "T02", "WELCOME10", [issued["T01"][0]], now())
            assert refused.value.code == "issued_by_a_till"
        for pusher in pushers:
            pusher.stop()
            pusher.client.close()
    finally:
        other_ledger.close()


def selling_till(config: Config, ledger: Ledger) -> Checkout:
    loyalty = open_loyalty(config, ledger)
    assert loyalty is not None
    settings = config.settings
    return Checkout(
        ledger,
        current_catalog(ledger),
        Till(settings.till.device_id, settings.till.receipt_prefix, "101"),
        settings.scanner.rules(),
        loyalty=loyalty,
    )


def events_of(ledger: Ledger, type_: str) -> list[dict[str, Any]]:
    with ledger.read() as conn:
        return [e.payload for e, _broken in iter_events(conn, 0) if e.type == type_]


def test_a_campaign_the_chain_publishes_is_sold_by_in_place_of_the_tills_own(
    hq: tuple[str, Engine],
    demo_config: Config,
    demo_ledger: Ledger,
    pusher: tuple[Pusher, list[str]],
) -> None:
    hq7 = CampaignSettings(
        id="CHAIN7", name_zh="总部立减", name_en="HQ 7 off", kind="amount_off", amount="7",
        member_bound=False,
    )  # fmt: skip
    (welcome,) = [c for c in demo_config.settings.members.campaigns if c.id == "WELCOME10"]
    richer = welcome.model_copy(update={"amount": "12"})
    with hq[1].begin() as conn:
        assert publish_campaigns(conn, [hq7, richer], now()) == Published(2, 0)
    head = demo_ledger.head()[0]
    pusher[0].drain()
    assert [(t, p["campaign"]["id"]) for t, p in feed_events(demo_ledger, head)] == [
        ("campaign.published", "CHAIN7"),
        ("campaign.published", "WELCOME10"),
    ]
    assert "campaign.published" in pusher[1]
    campaigns = selling_campaigns(demo_config, demo_ledger)
    assert (campaigns["CHAIN7"].amount, campaigns["WELCOME10"].amount) == (700, 1200)
    # A till started now sells by it: the chain's coupon of the new campaign takes 7.00.
    till = selling_till(demo_config, demo_ledger)
    till.scan(WATER, 5)
    till.present_coupon(chain_coupon(int(demo_ledger.clock().timestamp()), "C7-1", "CHAIN7"))
    assert till.pay_cash().total == 5 * 200 - 700

    with hq[1].begin() as conn:  # the same again: nothing sent
        assert publish_campaigns(conn, [hq7, richer], now()) == Published(0, 2)
        # A campaign a till cannot sell by halts its sync rather than being skipped.
        broken = {**hq7.model_dump(mode="json"), "id": "BROKEN", "kind": "percent_off"}
        feed.append(conn, "campaign.published", {"campaign": broken}, now())
    head = demo_ledger.head()[0]
    with pytest.raises(Refused, match="coupon campaign"):
        pusher[0].drain()
    assert feed_events(demo_ledger, head) == []
    assert verify(demo_ledger).ok


def test_a_whole_catalog_published_arrives_over_several_feed_pages_each_item_once(
    hq: tuple[str, Engine], demo_ledger: Ledger, pusher: tuple[Pusher, list[str]]
) -> None:
    items = [
        CatalogItem(f"BULK-{n:05d}", None, f"商品{n}", f"Item {n}", 100 + n, 1300, "杂货")
        for n in range(1200)  # the feed sends 500 a page
    ]
    with hq[1].begin() as conn:
        assert publish_catalog(conn, items, None, now()) == Published(1200, 0)
        # The same item changed again later: the till ends on its last price.
        repriced = dataclasses.replace(items[0], price=999)
        assert publish_catalog(conn, [repriced], None, now()) == Published(1, 0)
    head = demo_ledger.head()[0]
    pusher[0].drain()
    kinds = [kind for kind, _ in feed_events(demo_ledger, head)]
    assert kinds.count("catalog.item_added") == 1200
    catalog = current_catalog(demo_ledger)
    assert catalog.by_sku("BULK-00000") == repriced
    assert catalog.by_sku("BULK-01199") == items[-1]
    assert verify(demo_ledger).ok


def test_a_feed_that_does_not_move_past_its_cursor_is_refused_not_applied_for_ever(
    demo_ledger: Ledger,
) -> None:
    """A broken HQ (served for real on 127.0.0.1) that answers every read of the feed
    with the same change and the cursor it was given."""
    broken = FastAPI()
    rejection = {"coupon_id": "c", "campaign_id": "X", "sale_id": "s", "seq": 1, "amount": 1}

    @broken.get("/v1/feed")
    def stuck(cursor: str = "") -> dict[str, object]:
        change = {"kind": "coupon.redemption_rejected", "body": rejection}
        return {"changes": [change], "cursor": cursor, "more": False}

    head = demo_ledger.head()[0]
    with serving(broken, "broken HQ") as url:
        client = CloudClient(Credentials(url, "T01", "demo-store", "token"))
        with pytest.raises(Refused, match="without moving on"):
            Puller(demo_ledger, client).pull()
        client.close()
    assert demo_ledger.head()[0] == head  # nothing journaled
