"""Reads the use cases need from the ledger, kept in one place so SQL stays out of them."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from pos.domain.catalog import Catalog, CatalogItem
from pos.domain.sale import SaleRecord
from pos.ledger.projections import ITEM_FIELDS
from pos.ledger.rows import driver
from pos.ledger.tables import ITEMS, JOURNAL, SALES


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
