"""A sale's receipt as a document: what the customer takes home, in either language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo

from pos.domain.money import format_amount
from pos.domain.sale import IssuedCoupon, SaleMember, SaleRecord, SoldLine
from receipts.document import Block, Columns, Cut, Document, Image, Line, QrCode, Rule, Style
from receipts.escpos import Align
from receipts.layout import COLUMNS, cell_width, printable
from receipts.qr_text import QUIET_ZONE
from receipts.words import format_rate, local_time, words

RECEIPT_CODE_PREFIX = "R1:"
"""What the QR code on a receipt starts with, so a scan of it opens the sale for a return."""

_CENTRED = Style(align=Align.CENTER)
_TITLE = Style(bold=True, double=True, align=Align.CENTER)
_TOTAL = Style(bold=True, double=True)
_HEADING = Style(bold=True)
_NOTICE = Style(bold=True, align=Align.CENTER)
_QR_MODULE = 6
"""Dots a module of the receipt's QR codes (QrCode's default), where the paper has room."""
_DOTS_PER_COLUMN = 12
"""Dots of a standard character: the paper is its columns times this wide."""


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

    After the totals come the promotions the discount is made of; after the receipt's
    own QR code, the member (number, tier, points, and the card on joining) and a block
    for each coupon the sale issued, with its QR code. A sale without member, promotion
    or issued coupon prints none of them. `extra` goes after those, before the thanks.
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
            *_promotions(sale, lang, said, width_mm),
            Rule(),
            QrCode(RECEIPT_CODE_PREFIX + sale.receipt_no, caption=said["returns"]),
            *(_member(sale.member, lang, said, width_mm) if sale.member else ()),
            *(
                block
                for coupon in sale.coupons_issued
                for block in _coupon(coupon, lang, said, width_mm)
            ),
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


def _promotions(sale: SaleRecord, lang: str, said: Mapping[str, str], width_mm: int) -> list[Block]:
    """What was taken off and why: already in the discount above, told apart here.

    A name too long to share its line with the amount gets a line of its own: clipped,
    "10.00 off your first 20.00" would read "10.00 off your first 20".
    """
    if not sale.promotions:
        return []
    columns = COLUMNS[width_mm]
    blocks: list[Block] = [Rule(), Line(said["savings"], _HEADING)]
    for promotion in sale.promotions:
        name, amount = f"  {promotion.name(lang)}", f"-{format_amount(promotion.amount)}"
        if cell_width(printable(name)) + 1 + cell_width(amount) > columns:
            blocks += [Line(name), Columns("", amount)]
        else:
            blocks.append(Columns(name, amount))
    return blocks


def _member(member: SaleMember, lang: str, said: Mapping[str, str], width_mm: int) -> list[Block]:
    blocks: list[Block] = [Rule()]
    if member.enrolled:
        blocks.append(Line(said["welcome"], _NOTICE))
    blocks += [
        Columns(said["member_no"], member.member_no),
        Columns(said["tier"], _either(member.tier_zh, member.tier_en, lang)),
    ]
    if member.phone_masked:
        blocks.append(Columns(said["phone"], member.phone_masked))
    blocks.append(Columns(said["points_earned"], f"+{member.points_earned}"))
    if member.points_redeemed:
        blocks.append(Columns(said["points_redeemed"], f"-{member.points_redeemed}"))
    blocks.append(Columns(said["points_balance"], str(member.points_balance)))
    # The card is printed once, when this sale made them a member: a returning member
    # has theirs already (in the app or on an earlier receipt), and the paper stays short.
    if member.enrolled:
        blocks.append(_code(member.card_code, said["member_card"], width_mm))
    return blocks


def _coupon(coupon: IssuedCoupon, lang: str, said: Mapping[str, str], width_mm: int) -> list[Block]:
    blocks: list[Block] = [
        Rule(),
        Line(f"{said['coupon']} {_either(coupon.name_zh, coupon.name_en, lang)}", _HEADING),
    ]
    if coupon.terms:
        blocks.append(Line(coupon.terms))
    blocks.append(Columns(said["valid_until"], coupon.valid_until))
    if coupon.for_friend:
        blocks.append(Line(said["for_friend"], _NOTICE))
    blocks.append(_code(coupon.code, said["use_coupon"], width_mm))
    return blocks


def _either(zh: str, en: str, lang: str) -> str:
    """The name in `lang`, or in the other language when it has none in `lang`."""
    primary, other = (zh, en) if lang == "zh-CN" else (en, zh)
    return primary or other


def _code(data: str, caption: str, width_mm: int) -> QrCode:
    """A signed member or coupon code's QR, its modules as big as the receipt code's
    where the paper has room for the symbol and its quiet zone, smaller where not.

    A signed code runs to 240 characters (pos.domain.codes.MAX_CODE_LENGTH): version 11,
    61 modules and 8 of quiet zone, 414 dots at 6 a module, wider than 58 mm paper's
    384. A raster is shrunk to fit when it is drawn, but a native symbol too wide is
    the printer's to refuse, so the size is chosen here. The version is worked out for
    byte mode, the largest a printer may choose.
    """
    import qrcode  # type: ignore[import-untyped]  # here: it loads Pillow

    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    symbol.add_data(data.encode("utf-8"), optimize=0)
    side = 4 * symbol.best_fit() + 17 + 2 * QUIET_ZONE
    dots = COLUMNS[width_mm] * _DOTS_PER_COLUMN
    return QrCode(data, module=max(1, min(_QR_MODULE, dots // side)), caption=caption)
