"""The returns use case: goods come back on a receipt, the money goes back where it came from.

    start_return     ── one transaction: re-read what earlier returns took, plan the
                        lines and the refunds, journal return.started (nothing can be
                        returned twice: two tills or two clicks serialise on the writer)
    complete_return  ── send each wallet refund (idempotent on its refund_no), then
                        journal return.completed with the return receipt's print job

A crash between the two leaves an open return; `settle_open_returns` finishes it on the
next start by asking again with the same refund numbers, so a refund is paid once. A
wallet that definitely refuses (its reason is kept) is paid out in cash instead; a
gateway that never answers leaves the return open, to be finished later.

Blocking (the ledger, the gateway): a worker's job.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import Connection

from pos.domain.errors import PosError
from pos.domain.members import POINTS_TENDER
from pos.domain.returns import (
    History,
    RefundOutcome,
    RefundPart,
    RefundResult,
    ReturnRecord,
    plan_lines,
    plan_refunds,
    returnable,
)
from pos.domain.sale import SaleRecord
from pos.ledger.database import Ledger
from pos.ledger.queries import (
    next_return_seq,
    open_returns,
    return_history,
    sale_by_receipt,
)
from pos.member_refunds import journal_member_refund
from pos.payments.micropay import Refund
from pos.print_queue import enqueue

CASH = "cash"


class Refunder(Protocol):
    """A wallet provider's refund call (WeChat Pay's micropay client is one)."""

    def refund(
        self, out_trade_no: str, out_refund_no: str, total_fee: int, refund_fee: int
    ) -> Refund: ...


@dataclass(frozen=True, slots=True)
class ReturnableSale:
    """A sale as the returns screen shows it: what it sold and what earlier returns took."""

    sale: SaleRecord
    history: History

    def left(self) -> dict[int, int]:
        """Units of each line still returnable."""
        return returnable(self.sale, self.history)


def find_sale(ledger: Ledger, receipt_no: str) -> ReturnableSale:
    with ledger.read() as conn:
        sale = _sold(conn, receipt_no)
        return ReturnableSale(sale, return_history(conn, sale.sale_id))


def start_return(
    ledger: Ledger,
    receipt_no: str,
    picks: Mapping[int, int],
    *,
    cashier: str,
    manager: str,
    receipt_prefix: str,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> ReturnRecord:
    """Journal the return (return.started); raise and change nothing if it cannot be made."""
    with ledger.transaction() as writer:
        sale = _sold(writer.conn, receipt_no)
        history = return_history(writer.conn, sale.sale_id)
        lines = plan_lines(sale, picks, history)
        refund_nos = [_refund_no(ledger.device_id) for _ in sale.payments]
        refunds = plan_refunds(sale, sum(line.amount for line in lines), history, refund_nos)
        names = {line.line_no: line.name_zh or line.name_en for line in sale.lines}
        record = ReturnRecord(
            return_id=new_id(),
            receipt_no=f"{receipt_prefix}R{next_return_seq(writer.conn):05d}",
            sale_id=sale.sale_id,
            sale_receipt_no=sale.receipt_no,
            cashier=cashier,
            manager=manager,
            lines=lines,
            refunds=refunds,
            names={line.line_no: names[line.line_no] for line in lines},
        )
        event = writer.append("return.started", record.started_payload())
    return replace(record, ts=event.ts, device_id=event.device_id)


def complete_return(
    ledger: Ledger, record: ReturnRecord, refunders: Mapping[str, Refunder]
) -> ReturnRecord:
    """Send the wallet refunds, journal return.completed and queue the return receipt.

    Raises (leaving the return open, to finish later) when a wallet gateway is missing
    or never answers; the refunds already made are asked again, never paid twice.
    """
    with ledger.read() as conn:
        sale = _sold(conn, record.sale_receipt_no)
    paid = {payment.payment_id: payment.amount for payment in sale.payments}
    results = tuple(_refund(part, paid[part.payment_id], refunders) for part in record.refunds)
    done = replace(record, results=results)
    with ledger.transaction() as writer:
        event = writer.append("return.completed", done.completed_payload())
        journal_member_refund(writer, sale, record.return_id)
        enqueue(writer.conn, record.receipt_no, ledger.clock())
    return replace(done, ts=event.ts, device_id=event.device_id)


def settle_open_returns(ledger: Ledger, refunders: Mapping[str, Refunder]) -> list[ReturnRecord]:
    """Finish every return a crash (or a silent gateway) left open; blocking.

    One that cannot be finished yet (its wallet is unavailable or silent) does not
    hold up the others; it stays open, and the first such error is raised at the end.
    """
    with ledger.read() as conn:
        pending = open_returns(conn)
    done, waiting = [], []
    for record in pending:
        try:
            done.append(complete_return(ledger, record, refunders))
        except PosError as error:
            waiting.append(error)
    if waiting:
        first = waiting[0]
        raise PosError(
            first.title,
            f"{len(waiting)} return(s) still waiting for their refund "
            f"({len(done)} finished): {first.message}",
        )
    return done


def _refund(part: RefundPart, order_total: int, refunders: Mapping[str, Refunder]) -> RefundResult:
    if part.tender in (CASH, POINTS_TENDER):
        # Cash leaves the drawer; points go back to the member (pos.member_refunds).
        return RefundResult(part.refund_no, RefundOutcome.REFUNDED)
    refunder = refunders.get(part.tender)
    if refunder is None:
        raise PosError(
            "Refund waiting for the wallet",
            f"The {part.tender} gateway is not available: the return is kept and its refund "
            "is sent when the till is back online.",
        )
    answer = refunder.refund(part.payment_id, part.refund_no, order_total, part.amount)
    if answer.refunded:
        return RefundResult(part.refund_no, RefundOutcome.REFUNDED, refund_id=answer.refund_id)
    if not answer.answered:
        raise PosError(
            "Refund not confirmed",
            f"The {part.tender} gateway did not answer: the return is kept and its refund is "
            "asked again later (it is never paid twice).",
        )
    return RefundResult(part.refund_no, RefundOutcome.IN_CASH, reason=answer.reason)


def _sold(conn: Connection, receipt_no: str) -> SaleRecord:
    sale = sale_by_receipt(conn, receipt_no)
    if sale is None:
        raise PosError("Unknown receipt", f"Receipt {receipt_no} is not in this till's ledger.")
    return sale


def _refund_no(device_id: str) -> str:
    """Unique, at most 32 characters of the gateway's alphabet (like out_trade_no)."""
    return f"{device_id[:7]}-r{uuid.uuid4().hex[:23]}"
