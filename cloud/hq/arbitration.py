"""Coupon arbitration: a single-use coupon stands at the first till to reach the cloud.

Projected from each stored event in the ingest's transaction. A `coupon.redeemed`
takes the coupon if no other till holds it; when another till already does, the
redemption is rejected: the till that made it gets a `coupon.redemption_rejected`
through the feed, which it journals (the sale itself is never edited; the manager sees
it and reports count it). A `coupon.restored` (a refund gave the coupon back) frees it.
Leased coupons cannot reach here twice: the cloud leases each to one till only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from cloud.hq import feed
from cloud.hq.schema import COUPON_USES

ARBITRATED = frozenset({"coupon.redeemed", "coupon.restored"})
"""The event types this module projects."""


def project(conn: Connection, event: Mapping[str, Any], now: str) -> None:
    kind = event["type"]
    if kind == "coupon.redeemed":
        _redeemed(conn, event, now)
    elif kind == "coupon.restored":
        payload = event["payload"]
        conn.execute(
            delete(COUPON_USES).where(
                COUPON_USES.c.coupon_id == payload["coupon_id"],
                COUPON_USES.c.device_id == event["device_id"],
            )
        )


def _redeemed(conn: Connection, event: Mapping[str, Any], now: str) -> None:
    payload = event["payload"]
    use = {
        "coupon_id": str(payload["coupon_id"]),
        "campaign_id": str(payload["campaign_id"]),
        "device_id": event["device_id"],
        "seq": event["seq"],
        "sale_id": str(payload["sale_id"]),
        "amount": int(payload["amount"]),
        "received_at": now,
    }
    try:
        with conn.begin_nested():
            conn.execute(insert(COUPON_USES), use)  # as parameters: see records.project
        return
    except IntegrityError:
        pass
    winner = conn.execute(
        select(COUPON_USES).where(COUPON_USES.c.coupon_id == use["coupon_id"])
    ).one()
    if (winner.device_id, winner.seq) == (use["device_id"], use["seq"]):
        return  # the same redemption seen again
    feed.append(
        conn,
        "coupon.redemption_rejected",
        {
            "coupon_id": use["coupon_id"],
            "campaign_id": use["campaign_id"],
            "sale_id": use["sale_id"],
            "seq": use["seq"],
            "amount": use["amount"],
            "reason": "used_elsewhere",
            "winner_device_id": winner.device_id,
            "winner_seq": winner.seq,
        },
        now,
        device_id=use["device_id"],
    )
