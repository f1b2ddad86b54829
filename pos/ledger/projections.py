"""Event types and the projections each one writes.

Every event type the till writes is listed in `EVENT_TYPES` with what it means; a
type with a projector updates the projection tables in the same transaction as the
event. `pos ledger verify` replays the journal through these same functions into an
empty database and compares, so projections can never drift from the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert, update

from pos.ledger.chain import Event, canonical_json
from pos.ledger.rows import insert_rows
from pos.ledger.tables import (
    DRAWER_OPENINGS,
    ITEMS,
    OVERRIDES,
    PAYMENT_ORDERS,
    PAYMENTS,
    REFUNDS,
    RETURN_LINES,
    RETURNS,
    SALE_LINES,
    SALE_TAXES,
    SALES,
    SHIFTS,
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
}


def project(conn: Connection, event: Event) -> None:
    """Apply one event to the projections (a no-op for types that have none)."""
    if event.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event.type!r}")
    projector = PROJECTORS.get(event.type)
    if projector is not None:
        projector(conn, event)
