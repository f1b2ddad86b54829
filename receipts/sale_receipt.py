"""A sale's receipt as a document: what the customer takes home, in either language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo

from pos.domain.money import format_amount
from pos.domain.sale import SaleRecord, SoldLine
from receipts.document import Block, Columns, Cut, Document, Image, Line, QrCode, Rule, Style
from receipts.escpos import Align
from receipts.words import format_rate, local_time, words

RECEIPT_CODE_PREFIX = "R1:"
"""What the QR code on a receipt starts with, so a scan of it opens the sale for a return."""

_CENTRED = Style(align=Align.CENTER)
_TITLE = Style(bold=True, double=True, align=Align.CENTER)
_TOTAL = Style(bold=True, double=True)


@dataclass(frozen=True, slots=True)
class StoreHeader:
    name: str
    address: str
    tax_id: str
    logo: Image | None = None
    """Printed above the name when the store has one."""


def sale_receipt(
    sale: SaleRecord,
    store: StoreHeader,
    *,
    width_mm: int = 80,
    lang: str = "zh-CN",
    zone: tzinfo = UTC,
    copy: bool = False,
    extra: tuple[Block, ...] = (),
) -> Document:
    """The receipt of `sale`; `copy` marks a reprint.

    `extra` goes between the payment and the thanks: it is where the member's points
    and the coupons issued or redeemed are printed (the membership feature builds them).
    """
    said = words(lang)
    header = store_lines(store, said, copy=copy)
    header += [
        Rule(),
        Columns(f"{said['receipt']} {sale.receipt_no}", sale.device_id),
        Columns(f"{said['cashier']} {sale.cashier}", local_time(sale.ts, zone)),
        Rule(),
    ]
    lines = [block for line in sale.lines for block in _sold(line, lang, said["discount"])]
    return Document(
        width_mm,
        (
            *header,
            *lines,
            Rule(),
            *_totals(sale, said),
            Rule(),
            QrCode(RECEIPT_CODE_PREFIX + sale.receipt_no, caption=said["returns"]),
            *extra,
            Rule(),
            Line(said["thanks"], _CENTRED),
            Cut(),
        ),
    )


def store_lines(store: StoreHeader, said: Mapping[str, str], *, copy: bool) -> list[Block]:
    """The top of every receipt: logo, name, address, tax id, and COPY on a reprint."""
    header: list[Block] = [store.logo] if store.logo else []
    header += [
        Line(store.name, _TITLE),
        Line(store.address, _CENTRED),
        Line(store.tax_id, _CENTRED),
    ]
    if copy:
        header.append(Line(f"*** {said['copy']} ***", Style(bold=True, align=Align.CENTER)))
    return header


def _sold(line: SoldLine, lang: str, discount: str) -> list[Block]:
    if line.weight_g is not None:
        kilos = f"{line.weight_g // 1000}.{line.weight_g % 1000:03d}"
        quantity = f"  {kilos}kg x {format_amount(line.unit_price)}/kg"
    else:
        quantity = f"  {line.quantity} x {format_amount(line.unit_price)}"
    blocks: list[Block] = [Line(line.name(lang)), Columns(quantity, format_amount(line.gross))]
    if line.discount:
        blocks.append(Columns(f"  {discount}", f"-{format_amount(line.discount)}"))
    return blocks


def _totals(sale: SaleRecord, said: Mapping[str, str]) -> list[Block]:
    blocks: list[Block] = [
        Columns(said["items"], str(sale.item_count)),
        Columns(said["subtotal"], format_amount(sale.subtotal)),
    ]
    if sale.discount_total:
        blocks.append(Columns(said["discount"], f"-{format_amount(sale.discount_total)}"))
    blocks.append(Columns(said["total"], format_amount(sale.total), _TOTAL))
    blocks += (
        Columns(f"  {said['tax']} {format_rate(tax.rate_bp)}", format_amount(tax.tax))
        for tax in sale.taxes
    )
    blocks += (
        Columns(said.get(payment.tender, payment.tender), format_amount(payment.tendered))
        for payment in sale.payments
    )
    if sale.change:
        blocks.append(Columns(said["change"], format_amount(sale.change)))
    return blocks
