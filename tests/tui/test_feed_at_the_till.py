"""A price the chain changes reaches the running till through its background sync and
is sold by from the next scan, with a notice; a coupon the cloud rejects is told to the
manager. The HQ is real, over HTTP on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from hq_enrollment import enrolled
from sqlalchemy import Engine
from tui_helpers import WATER, TillUnderTest, cart_rows, settle, start_selling, until

from cloud.hq import feed
from cloud.hq.app import create_app
from cloud.hq.database import database_url, open_engine
from cloud.hq.publishing import publish_catalog
from cloud.serving import serving
from pos.catalog_admin import current_catalog
from pos.domain.money import format_amount
from pos.ledger.chain import format_ts
from pos.ledger.database import utc_now
from pos.tui.app import PosApp
from sync.credentials import save_credentials

UPDATED = "已按总部更新"
REJECTED = "优惠券核销被总部拒绝"


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    engine = open_engine(database_url(None, tmp_path / "hq"))
    with serving(create_app(engine), "HQ") as base_url:
        yield base_url, engine
    engine.dispose()


def notices(app: PosApp) -> list[str]:
    return [f"{n.title} {n.message}" for n in app._notifications]


async def test_a_price_the_chain_changes_is_sold_by_at_the_next_scan(
    till: TillUnderTest, hq: tuple[str, Engine]
) -> None:
    save_credentials(till.config.data_dir, enrolled(hq))
    app = till.app()
    water = current_catalog(till.ledgers[-1]).by_barcode(WATER)
    assert water is not None
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        old_price = format_amount(water.price)
        assert cart_rows(screen)[0][2] == old_price

        dearer = dataclasses.replace(water, price=water.price + 50)
        with hq[1].begin() as conn:
            publish_catalog(conn, [dearer], None, format_ts(utc_now()))
        app.receipt_queued()  # as after a sale: the pusher goes now, not after its idle wait
        await until(pilot, lambda: any(UPDATED in n for n in notices(app)), "the notice")
        screen.scan(WATER)
        await settle(pilot)
        # The line scanned before keeps its price; the new scan is at the chain's price.
        prices = [row[2] for row in cart_rows(screen)]
        assert prices == [old_price, format_amount(water.price + 50)]


async def test_a_coupon_the_cloud_rejected_is_told_to_the_manager(
    till: TillUnderTest, hq: tuple[str, Engine]
) -> None:
    save_credentials(till.config.data_dir, enrolled(hq))
    rejection = {
        "coupon_id": "c-1",
        "campaign_id": "welcome",
        "sale_id": "s-1",
        "seq": 1,
        "amount": 500,
        "reason": "used_elsewhere",
        "winner_device_id": "T02",
        "winner_seq": 9,
    }
    with hq[1].begin() as conn:
        feed.append(
            conn, "coupon.redemption_rejected", rejection, format_ts(utc_now()), device_id="T01"
        )
    app = till.app()
    async with app.run_test(size=(120, 36)) as pilot:
        await start_selling(pilot)
        await until(pilot, lambda: any(REJECTED in n for n in notices(app)), "the notice")
    assert till.events("coupon.redemption_rejected") == [rejection]
