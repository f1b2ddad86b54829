"""Reads the use cases need from the ledger, kept in one place so SQL stays out of them."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from pos.domain.catalog import Catalog, CatalogItem
from pos.domain.sale import SaleRecord
from pos.ledger.projections import ITEM_FIELDS
from pos.ledger.rows import driver
from pos.ledger.tables import Item, JournalRow, Sale

_ITEM = Item.__table__  # type: ignore[attr-defined]
_SALE = Sale.__table__  # type: ignore[attr-defined]
_JOURNAL = JournalRow.__table__  # type: ignore[attr-defined]


def catalog_items(conn: Connection) -> list[CatalogItem]:
    rows = conn.execute(select(*(_ITEM.c[name] for name in ITEM_FIELDS)).order_by(_ITEM.c.sku))
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
        select(_JOURNAL.c.payload, _JOURNAL.c.ts, _JOURNAL.c.device_id)
        .join(_SALE, _SALE.c.seq == _JOURNAL.c.seq)
        .where(_SALE.c.receipt_no == receipt_no)
    ).first()
    return _record(row) if row else None


def last_sale(conn: Connection) -> SaleRecord | None:
    row = conn.execute(
        select(_JOURNAL.c.payload, _JOURNAL.c.ts, _JOURNAL.c.device_id)
        .join(_SALE, _SALE.c.seq == _JOURNAL.c.seq)
        .order_by(_SALE.c.receipt_seq.desc())
        .limit(1)
    ).first()
    return _record(row) if row else None


def _record(row: tuple[str, str, str]) -> SaleRecord:
    payload, ts, device_id = row
    return SaleRecord.from_payload(json.loads(payload), ts=ts, device_id=device_id)
