"""Event types and the projections each one writes.

Every event type the till writes is listed in `EVENT_TYPES` with what it means; a
type with a projector updates the projection tables in the same transaction as the
event. `pos ledger verify` replays the journal through these same functions into an
empty database and compares, so projections can never drift from the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pos.ledger.chain import Event, canonical_json
from pos.ledger.rows import insert_rows
from pos.ledger.tables import (
    CASH_COUNTS,
    CASH_MOVEMENTS,
    CHAIN_CAMPAIGNS,
    COUPONS,
    DAY_CLOSES,
    DRAWER_OPENINGS,
    ITEMS,
    LEASED_COUPONS,
    MEMBERS,
    OVERRIDES,
    PAYMENT_ORDERS,
    PAYMENTS,
    POINTS_CHANGES,
    REDEMPTIONS,
    REFUNDS,
    RETURN_LINES,
    RETURNS,
    REVOKED,
    SALE_LINES,
    SALE_TAXES,
    SALES,
    SHIFTS,
    TRUSTED_KEYS,
)

EVENT_TYPES: dict[str, str] = {
    "ledger.created": "The first event of a till's ledger: device and store ids.",
    "staff.added": "A staff account was created (number, name, role; never the PIN).",
    "staff.locked": "An account locked after too many wrong PINs, and until when.",
    "catalog.item_added": "A product entered the catalog (all its fields).",
    "catalog.item_updated": "A product's fields other than its price changed.",
    "catalog.price_changed": "A product's price changed (old and new price).",
    "sale.completed": "A sale was paid: its lines, discounts, taxes and tenders.",
    "drawer.opened": "The cash drawer was opened, for a sale or with no sale.",
    "shift.opened": "A cashier started a shift with an opening float in the drawer.",
    "override.granted": "A manager's PIN approved an action the cashier may not do alone.",
    "receipt.reprinted": "A copy of a sale's receipt was printed (who asked for it).",
    "payment.started": "A wallet payment order, journaled before it is sent to the gateway.",
    "payment.resolved": "How a wallet payment order ended: paid, failed, reversed, unresolved.",
    "return.started": "Goods coming back on a receipt, approved by a manager: lines and the "
    "refund planned on each tender, journaled before any wallet refund is sent.",
    "return.completed": "Every refund of a return answered: refunded, or paid out in cash.",
    "member.enrolled": "A customer became a member: by paying with a wallet, by phone, or by "
    "redeeming a friend's referral coupon.",
    "member.imported": (
        "A member another till enrolled, as the cloud's feed sent them (known here from "
        "now on; their points stay where they were earned)."
    ),
    "member.merged": (
        "One payer enrolled at two stores: the chain keeps the first membership, and the "
        "other's number, points and phone go to it."
    ),
    "member.deleted": "A manager deleted a member (their codes are refused from then on).",
    "points.changed": "A member's points went up or down: earned, redeemed, reversed or "
    "restored by a refund, or adjusted by a manager with a reason.",
    "coupon.issued": "The till issued a coupon (welcome, next visit, referral, reward) or "
    "recorded one signed elsewhere that a sale used: its terms and signed code.",
    "coupon.redeemed": "A sale used a coupon: how much it took off, and whether it was "
    "accepted offline on a lease or flagged for the cloud to arbitrate.",
    "coupon.restored": "A refund of the whole sale gave a redeemed coupon back.",
    "coupon.voided": "A coupon can no longer be used (its earning sale was refunded).",
    "coupon.lease_granted": "Coupons the cloud leased to this till alone, to take offline.",
    "campaign.published": "A coupon campaign the chain published (its settings), which the "
    "till sells by from then on.",
    "coupon.redemption_rejected": (
        "The cloud rejected one of this till's coupon redemptions: another till used the "
        "coupon first (the sale stands; the coupon's value is a loss to report)."
    ),
    "key.trusted": "A public key whose signed member and coupon codes the till accepts.",
    "key.revoked": "A public key whose codes the till no longer accepts (the chain's word).",
    "cash.moved": "Cash put into or taken out of the drawer outside a sale (pay-in, "
    "pay-out, bleed to the safe), with a reason and the approving manager.",
    "cash.counted": "A shift's drawer counted by denomination, against the cash expected.",
    "shift.closed": "A cashier's shift ended on a cash count, its over or short recorded.",
    "day.closed": "A Z report: a business day closed, its totals and the chain head it covers.",
    "line.voided": "A line was taken off a sale before payment, or with the whole sale cleared.",
}

Projector = Callable[[Connection, Event], None]

ITEM_FIELDS = (
    "sku",
    "barcode",
    "plu",
    "name_zh",
    "name_en",
    "price",
    "tax_rate_bp",
    "category",
    "weighed",
)


def _sale_completed(conn: Connection, event: Event) -> None:
    sale: dict[str, Any] = event.payload
    sale_id = sale["sale_id"]
    insert_rows(
        conn,
        SALES,
        [
            {
                "sale_id": sale_id,
                "seq": event.seq,
                "receipt_seq": sale["receipt_seq"],
                "receipt_no": sale["receipt_no"],
                "device_id": event.device_id,
                "ts": event.ts,
                "cashier": sale["cashier"],
                "shift_id": sale.get("shift_id"),
                "item_count": sale["item_count"],
                "subtotal": sale["subtotal"],
                "discount_total": sale["discount_total"],
                "total": sale["total"],
                "tax_total": sum(tax["tax"] for tax in sale["taxes"]),
                "change": sale["change"],
                "member_no": sale["member"]["member_no"] if sale.get("member") else None,
            }
        ],
    )
    insert_rows(conn, SALE_LINES, ({"sale_id": sale_id, **line} for line in sale["lines"]))
    insert_rows(conn, SALE_TAXES, ({"sale_id": sale_id, **tax} for tax in sale["taxes"]))
    insert_rows(
        conn,
        PAYMENTS,
        ({"sale_id": sale_id, "seq": event.seq, **payment} for payment in sale["payments"]),
    )


def _item_added(conn: Connection, event: Event) -> None:
    item = event.payload["item"]
    conn.execute(insert(ITEMS), {**{name: item[name] for name in ITEM_FIELDS}, "seq": event.seq})


def _item_updated(conn: Connection, event: Event) -> None:
    item = event.payload["item"]
    values = {name: item[name] for name in ITEM_FIELDS if name not in ("sku", "price")}
    conn.execute(update(ITEMS).where(ITEMS.c.sku == item["sku"]).values(**values, seq=event.seq))


def _price_changed(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        update(ITEMS)
        .where(ITEMS.c.sku == payload["sku"])
        .values(price=payload["new_price"], seq=event.seq)
    )


def _drawer_opened(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        insert(DRAWER_OPENINGS),
        {
            "seq": event.seq,
            "reason": payload["reason"],
            "staff_no": payload["staff_no"],
            "sale_id": payload.get("sale_id"),
        },
    )


def _shift_opened(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        insert(SHIFTS),
        {
            "shift_id": payload["shift_id"],
            "staff_no": payload["staff_no"],
            "opened_seq": event.seq,
            "opened_ts": event.ts,
            "opening_float": payload["opening_float"],
            "closed_seq": None,
        },
    )


def _override_granted(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        insert(OVERRIDES),
        {
            "seq": event.seq,
            "action": payload["action"],
            "manager": payload["manager"],
            "cashier": payload["cashier"],
            "detail": canonical_json(payload["detail"]),
        },
    )


def _payment_started(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        insert(PAYMENT_ORDERS),
        {
            "out_trade_no": payload["out_trade_no"],
            "provider": payload["provider"],
            "amount": payload["amount"],
            "draft_id": payload["draft_id"],
            "cashier": payload["cashier"],
            "started_seq": event.seq,
            "started_ts": event.ts,
        },
    )


def _payment_resolved(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        update(PAYMENT_ORDERS)
        .where(PAYMENT_ORDERS.c.out_trade_no == payload["out_trade_no"])
        .values(
            outcome=payload["outcome"],
            transaction_id=payload["transaction_id"],
            openid=payload["openid"],
            reason=payload["reason"],
            resolved_seq=event.seq,
        )
    )


def _return_started(conn: Connection, event: Event) -> None:
    payload = event.payload
    return_id = payload["return_id"]
    conn.execute(
        insert(RETURNS),
        {
            "return_id": return_id,
            "receipt_no": payload["receipt_no"],
            "sale_id": payload["sale_id"],
            "cashier": payload["cashier"],
            "manager": payload["manager"],
            "amount": payload["amount"],
            "started_seq": event.seq,
            "started_ts": event.ts,
            "completed_seq": None,
        },
    )
    insert_rows(conn, RETURN_LINES, ({"return_id": return_id, **line} for line in payload["lines"]))
    insert_rows(
        conn,
        REFUNDS,
        (
            {"return_id": return_id, **part, "outcome": None, "refund_id": "", "reason": ""}
            for part in payload["refunds"]
        ),
    )


def _return_completed(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        update(RETURNS)
        .where(RETURNS.c.return_id == payload["return_id"])
        .values(completed_seq=event.seq)
    )
    for result in payload["results"]:
        conn.execute(
            update(REFUNDS)
            .where(REFUNDS.c.refund_no == result["refund_no"])
            .values(
                outcome=result["outcome"], refund_id=result["refund_id"], reason=result["reason"]
            )
        )


def _member_enrolled(conn: Connection, event: Event) -> None:
    _insert_member(conn, event.payload, event.seq, event.device_id, event.ts)


def _member_imported(conn: Connection, event: Event) -> None:
    # Another till's enrollment: where and when it happened, as the feed said.
    payload = event.payload
    _insert_member(conn, payload, event.seq, payload["device_id"], payload["enrolled_ts"])


def _insert_member(
    conn: Connection, member: dict[str, Any], seq: int, device_id: str, enrolled_ts: str
) -> None:
    conn.execute(
        insert(MEMBERS),
        {
            "member_no": member["member_no"],
            "openid": member["openid"],
            "phone": member["phone"],
            "store_id": member["store_id"],
            "device_id": device_id,
            "via": member["via"],
            "referred_by": member["referred_by"],
            "enrolled_seq": seq,
            "enrolled_ts": enrolled_ts,
        },
    )


def _member_merged(conn: Connection, event: Event) -> None:
    # At most one of the two is new here (the puller journals this only where one of
    # them is known), so enrolled_seq stays unique.
    merged, into = event.payload["member"], event.payload["into"]
    known = {
        row.member_no: row
        for row in conn.execute(
            select(MEMBERS).where(MEMBERS.c.member_no.in_([merged["member_no"], into["member_no"]]))
        )
    }
    before = known.get(merged["member_no"])
    if before is None:  # known here from now on by the number it stands for
        _insert_member(
            conn, {**merged, "openid": None}, event.seq, merged["device_id"], merged["enrolled_ts"]
        )
    # The openid is unique: it leaves the merged member before the survivor takes it.
    conn.execute(
        update(MEMBERS)
        .where(MEMBERS.c.member_no == merged["member_no"])
        .values(merged_into=into["member_no"], openid=None, points=0, lifetime_points=0)
    )
    if into["member_no"] not in known:
        _insert_member(conn, into, event.seq, into["device_id"], into["enrolled_ts"])
    if before is not None:
        conn.execute(
            update(MEMBERS)
            .where(MEMBERS.c.member_no == into["member_no"])
            .values(
                points=MEMBERS.c.points + before.points,
                lifetime_points=MEMBERS.c.lifetime_points + before.lifetime_points,
                phone=func.coalesce(MEMBERS.c.phone, before.phone),
            )
        )


def _member_deleted(conn: Connection, event: Event) -> None:
    conn.execute(
        update(MEMBERS)
        .where(MEMBERS.c.member_no == event.payload["member_no"])
        .values(deleted_seq=event.seq)
    )


def _points_changed(conn: Connection, event: Event) -> None:
    payload = event.payload
    delta = payload["delta"]
    earned = delta if payload["reason"] == "earned" else 0
    # A merged member's points live with the member they became (a refund of a sale
    # made before the merge takes its points from there).
    merged_into = conn.execute(
        select(MEMBERS.c.merged_into).where(MEMBERS.c.member_no == payload["member_no"])
    ).scalar()
    conn.execute(
        update(MEMBERS)
        .where(MEMBERS.c.member_no == (merged_into or payload["member_no"]))
        .values(
            points=MEMBERS.c.points + delta,
            lifetime_points=MEMBERS.c.lifetime_points + earned,
        )
    )
    conn.execute(
        insert(POINTS_CHANGES),
        {
            "seq": event.seq,
            "member_no": payload["member_no"],
            "delta": delta,
            "reason": payload["reason"],
            "sale_id": payload.get("sale_id"),
            "return_id": payload.get("return_id"),
            "staff_no": payload.get("staff_no"),
            "note": payload.get("note", ""),
        },
    )


COUPON_FIELDS = (
    "coupon_id",
    "campaign_id",
    "member_no",
    "giver",
    "store_id",
    "valid_from",
    "valid_until",
    "code",
    "purpose",
    "sale_id",
)


def _coupon_issued(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        insert(COUPONS),
        {
            **{name: payload[name] for name in COUPON_FIELDS},
            # Coupons issued before 0011 did not carry their face value.
            "value": payload.get("value", 0),
            "issued_seq": event.seq,
        },
    )


def _coupon_redeemed(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        insert(REDEMPTIONS),
        {
            "seq": event.seq,
            "coupon_id": payload["coupon_id"],
            "campaign_id": payload["campaign_id"],
            "sale_id": payload["sale_id"],
            "member_no": payload["member_no"],
            "amount": payload["amount"],
            "flagged": payload["flagged"],
            "leased": payload["leased"],
        },
    )


def _coupon_restored(conn: Connection, event: Event) -> None:
    conn.execute(
        update(REDEMPTIONS)
        .where(
            REDEMPTIONS.c.coupon_id == event.payload["coupon_id"],
            REDEMPTIONS.c.restored_seq.is_(None),
        )
        .values(restored_seq=event.seq)
    )


def _coupon_voided(conn: Connection, event: Event) -> None:
    conn.execute(
        update(COUPONS)
        .where(COUPONS.c.coupon_id == event.payload["coupon_id"])
        .values(voided_seq=event.seq)
    )


def _lease_granted(conn: Connection, event: Event) -> None:
    # A grant journaled before 0009 named a quantity, not coupons: it leases nothing.
    payload = event.payload
    coupon_ids = payload.get("coupon_ids", [])
    if coupon_ids:
        conn.execute(
            sqlite_insert(LEASED_COUPONS).on_conflict_do_nothing(),
            [
                {
                    "coupon_id": coupon_id,
                    "campaign_id": payload["campaign_id"],
                    "granted_seq": event.seq,
                }
                for coupon_id in coupon_ids
            ],
        )


def _campaign_published(conn: Connection, event: Event) -> None:
    campaign = event.payload["campaign"]
    row = {"settings": canonical_json(campaign), "seq": event.seq}
    conn.execute(
        sqlite_insert(CHAIN_CAMPAIGNS)
        .values(campaign_id=campaign["id"], **row)
        .on_conflict_do_update(index_elements=[CHAIN_CAMPAIGNS.c.campaign_id], set_=row)
    )


def _key_trusted(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        sqlite_insert(TRUSTED_KEYS)
        .values(
            kid=payload["kid"],
            public_key=payload["public_key"],
            source=payload["source"],
            seq=event.seq,
        )
        .on_conflict_do_update(
            index_elements=[TRUSTED_KEYS.c.kid],
            set_={
                "public_key": payload["public_key"],
                "source": payload["source"],
                "seq": event.seq,
            },
        )
    )


def _key_revoked(conn: Connection, event: Event) -> None:
    # The row stays, marked, so that a key pos.toml still names is not trusted again
    # at the next start.
    kid = event.payload["kid"]
    revoked = {"public_key": "", "source": REVOKED, "seq": event.seq}
    conn.execute(
        sqlite_insert(TRUSTED_KEYS)
        .values(kid=kid, **revoked)
        .on_conflict_do_update(index_elements=[TRUSTED_KEYS.c.kid], set_=revoked)
    )


def _cash_moved(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        insert(CASH_MOVEMENTS),
        {
            "seq": event.seq,
            **{name: payload[name] for name in ("shift_id", "kind", "amount", "reason")},
            "staff_no": payload["staff_no"],
            "manager": payload["manager"],
        },
    )


def _cash_counted(conn: Connection, event: Event) -> None:
    payload = event.payload
    conn.execute(
        insert(CASH_COUNTS),
        {
            "seq": event.seq,
            **{name: payload[name] for name in ("shift_id", "staff_no", "counted", "expected")},
            "difference": payload["counted"] - payload["expected"],
        },
    )


def _shift_closed(conn: Connection, event: Event) -> None:
    conn.execute(
        update(SHIFTS)
        .where(SHIFTS.c.shift_id == event.payload["shift_id"])
        .values(closed_seq=event.seq, count_seq=event.payload["count_seq"])
    )


def _day_closed(conn: Connection, event: Event) -> None:
    payload = event.payload
    totals = payload["totals"]
    conn.execute(
        insert(DAY_CLOSES),
        {
            **{
                name: payload[name]
                for name in ("z_no", "business_day", "first_day", "first_seq", "last_seq")
            },
            "seq": event.seq,
            "ts": event.ts,
            "head_hash": payload["head_hash"],
            **{
                name: totals[name]
                for name in ("sales_total", "net_sales", "grand_total", "perpetual_total")
            },
        },
    )


PROJECTORS: dict[str, Projector] = {
    "catalog.item_added": _item_added,
    "catalog.item_updated": _item_updated,
    "catalog.price_changed": _price_changed,
    "sale.completed": _sale_completed,
    "drawer.opened": _drawer_opened,
    "shift.opened": _shift_opened,
    "override.granted": _override_granted,
    "payment.started": _payment_started,
    "payment.resolved": _payment_resolved,
    "return.started": _return_started,
    "return.completed": _return_completed,
    "member.enrolled": _member_enrolled,
    "member.imported": _member_imported,
    "member.merged": _member_merged,
    "member.deleted": _member_deleted,
    "points.changed": _points_changed,
    "coupon.issued": _coupon_issued,
    "coupon.redeemed": _coupon_redeemed,
    "coupon.restored": _coupon_restored,
    "coupon.voided": _coupon_voided,
    "coupon.lease_granted": _lease_granted,
    "campaign.published": _campaign_published,
    "key.trusted": _key_trusted,
    "key.revoked": _key_revoked,
    "cash.moved": _cash_moved,
    "cash.counted": _cash_counted,
    "shift.closed": _shift_closed,
    "day.closed": _day_closed,
}


def project(conn: Connection, event: Event) -> None:
    """Apply one event to the projections (a no-op for types that have none)."""
    if event.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event.type!r}")
    projector = PROJECTORS.get(event.type)
    if projector is not None:
        projector(conn, event)
