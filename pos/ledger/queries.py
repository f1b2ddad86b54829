"""Reads the use cases need from the ledger, kept in one place so SQL stays out of them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from pos.domain.catalog import Catalog, CatalogItem
from pos.domain.returns import History, ReturnRecord
from pos.domain.sale import SaleRecord
from pos.ledger.projections import ITEM_FIELDS
from pos.ledger.rows import driver
from pos.ledger.tables import ITEMS, JOURNAL, REFUNDS, RETURN_LINES, RETURNS, SALES


def catalog_items(conn: Connection) -> list[CatalogItem]:
    rows = conn.execute(select(*(ITEMS.c[name] for name in ITEM_FIELDS)).order_by(ITEMS.c.sku))
    return [CatalogItem(**row._asdict()) for row in rows]


def load_catalog(conn: Connection) -> Catalog:
    return Catalog(catalog_items(conn))


def next_receipt_seq(conn: Connection) -> int:
    # On every sale's commit path: plain SQL through the driver (see rows.py).
    (last,) = driver(conn).execute("SELECT coalesce(max(receipt_seq), 0) FROM sales").fetchone()
    return int(last) + 1


def sale_by_receipt(conn: Connection, receipt_no: str) -> SaleRecord | None:
    """The sale as journaled (not the projection), so a reprint shows what was recorded."""
    row = conn.execute(
        select(JOURNAL.c.payload, JOURNAL.c.ts, JOURNAL.c.device_id)
        .join(SALES, SALES.c.seq == JOURNAL.c.seq)
        .where(SALES.c.receipt_no == receipt_no)
    ).first()
    return _record(row) if row else None


def last_sale(conn: Connection) -> SaleRecord | None:
    row = conn.execute(
        select(JOURNAL.c.payload, JOURNAL.c.ts, JOURNAL.c.device_id)
        .join(SALES, SALES.c.seq == JOURNAL.c.seq)
        .order_by(SALES.c.receipt_seq.desc())
        .limit(1)
    ).first()
    return _record(row) if row else None


def _record(row: tuple[str, str, str]) -> SaleRecord:
    payload, ts, device_id = row
    return SaleRecord.from_payload(json.loads(payload), ts=ts, device_id=device_id)


def receipt_by_no(conn: Connection, receipt_no: str) -> SaleRecord | ReturnRecord | None:
    """A sale's or a return's receipt, as journaled."""
    return sale_by_receipt(conn, receipt_no) or return_by_receipt(conn, receipt_no)


def return_history(conn: Connection, sale_id: str) -> History:
    """What the sale's returns took back so far, open ones included (they are committed
    to: their refunds may already be on their way)."""
    returned = conn.execute(
        select(RETURN_LINES.c.line_no, func.sum(RETURN_LINES.c.quantity))
        .join(RETURNS, RETURNS.c.return_id == RETURN_LINES.c.return_id)
        .where(RETURNS.c.sale_id == sale_id)
        .group_by(RETURN_LINES.c.line_no)
    ).all()
    refunded = conn.execute(
        select(REFUNDS.c.payment_id, func.sum(REFUNDS.c.amount))
        .join(RETURNS, RETURNS.c.return_id == REFUNDS.c.return_id)
        .where(RETURNS.c.sale_id == sale_id)
        .group_by(REFUNDS.c.payment_id)
    ).all()
    return History(
        returned={int(no): int(units) for no, units in returned},
        refunded={str(payment): int(fen) for payment, fen in refunded},
    )


def next_return_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(RETURNS)).scalar_one()) + 1


def return_by_receipt(conn: Connection, receipt_no: str) -> ReturnRecord | None:
    found = _returns(conn, RETURNS.c.receipt_no == receipt_no)
    return found[0] if found else None


def open_returns(conn: Connection) -> list[ReturnRecord]:
    """Returns a crash cut off before every refund was answered, oldest first."""
    return _returns(conn, RETURNS.c.completed_seq.is_(None))


def _returns(conn: Connection, where: Any) -> list[ReturnRecord]:
    started, completed = JOURNAL.alias("started"), JOURNAL.alias("completed")
    rows = conn.execute(
        select(
            started.c.payload,
            completed.c.payload,
            started.c.ts,
            completed.c.ts,
            started.c.device_id,
        )
        .select_from(RETURNS)
        .join(started, started.c.seq == RETURNS.c.started_seq)
        .outerjoin(completed, completed.c.seq == RETURNS.c.completed_seq)
        .where(where)
        .order_by(RETURNS.c.started_seq)
    ).all()
    return [
        ReturnRecord.from_payloads(
            json.loads(begun),
            json.loads(done) if done else None,
            ts=done_ts or begun_ts,
            device_id=device_id,
        )
        for begun, done, begun_ts, done_ts, device_id in rows
    ]
