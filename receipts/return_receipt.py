"""A return's receipt: what came back, and where each fen of the refund went."""

from __future__ import annotations

from datetime import UTC, tzinfo

from pos.domain.money import format_amount
from pos.domain.returns import RefundOutcome, ReturnRecord
from receipts.document import Block, Columns, Cut, Document, Line, Rule, Style
from receipts.escpos import Align
from receipts.sale_receipt import StoreHeader, store_lines
from receipts.words import local_time, words

_TITLE = Style(bold=True, double=True, align=Align.CENTER)
_TOTAL = Style(bold=True, double=True)


def return_receipt(
    record: ReturnRecord,
    store: StoreHeader,
    *,
    width_mm: int = 80,
    lang: str = "zh-CN",
    zone: tzinfo = UTC,
    copy: bool = False,
) -> Document:
    said = words(lang)
    in_cash = {
        result.refund_no for result in record.results if result.outcome == RefundOutcome.IN_CASH
    }
    lines: list[Block] = []
    for line in record.lines:
        lines += [
            Line(record.names.get(line.line_no, f"#{line.line_no}")),
            Columns(f"  {line.quantity} x", f"-{format_amount(line.amount)}"),
        ]
    refunds: list[Block] = []
    for part in record.refunds:
        tender = said.get(part.tender, part.tender)
        if part.refund_no in in_cash:
            tender = f"{tender} ({said['in_cash']})"
        refunds.append(Columns(tender, f"-{format_amount(part.amount)}"))
    return Document(
        width_mm,
        (
            *store_lines(store, said, copy=copy),
            Line(said["return_title"], _TITLE),
            Rule(),
            Columns(f"{said['receipt']} {record.receipt_no}", record.device_id),
            Columns(said["original"], record.sale_receipt_no),
            Columns(f"{said['cashier']} {record.cashier}", local_time(record.ts, zone)),
            Columns(said["manager"], record.manager),
            Rule(),
            *lines,
            Rule(),
            Columns(said["refund_total"], f"-{format_amount(record.amount)}", _TOTAL),
            *refunds,
            Rule(),
            Cut(),
        ),
    )
