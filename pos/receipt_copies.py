"""Receipt copies: finding the sale to reprint and journaling that a copy was printed.

DESIGN.md §3: reprints come from the ledger and say so. Every copy is journaled as
receipt.reprinted, so a report can count the copies and who printed them; a copy
handed over as proof of payment is worth knowing about.
"""

from __future__ import annotations

from sqlalchemy import select

from pos.domain.sale import SaleRecord
from pos.errors import PosError
from pos.ledger.chain import parse_ts
from pos.ledger.database import Ledger
from pos.ledger.queries import last_sale
from pos.ledger.tables import SALES
from pos.print_queue import enqueue


def last_receipt(ledger: Ledger) -> SaleRecord | None:
    """The till's latest sale as journaled, or None before the first sale."""
    with ledger.read() as conn:
        return last_sale(conn)


def record_reprint(ledger: Ledger, sale: SaleRecord, staff_no: str) -> None:
    """Journal receipt.reprinted and queue the copy in the same transaction, so no copy
    can leave the till unrecorded.

    Refuses a sale this ledger does not hold, so the journal never counts a copy of a
    receipt that was not issued here.
    """
    with ledger.transaction() as writer:
        held = writer.conn.execute(
            select(SALES.c.sale_id).where(
                SALES.c.sale_id == sale.sale_id, SALES.c.receipt_no == sale.receipt_no
            )
        ).first()
        if held is None:
            raise PosError(
                "Unknown receipt", f"Receipt {sale.receipt_no} is not a sale of this till."
            )
        event = writer.append(
            "receipt.reprinted",
            {"sale_id": sale.sale_id, "receipt_no": sale.receipt_no, "staff_no": staff_no},
        )
        enqueue(writer.conn, sale.receipt_no, parse_ts(event.ts), copy=True)
