"""A sale's receipt as plain text lines: the TUI preview, logs and the tests' reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo

from pos.domain.money import format_amount
from pos.domain.sale import SaleRecord
from pos.ledger.chain import parse_ts
from receipts.layout import COLUMNS, center, spread, wrap

RECEIPT_CODE_PREFIX = "R1:"


@dataclass(frozen=True, slots=True)
class StoreHeader:
    name: str
    address: str
    tax_id: str


_WORDS = {
    "zh-CN": {
        "receipt": "小票号",
        "cashier": "收银员",
        "time": "时间",
        "subtotal": "小计",
        "discount": "优惠",
        "total": "合计",
        "tax": "含税",
        "cash": "现金",
        "change": "找零",
        "items": "件数",
        "copy": "重印 COPY",
        "thanks": "谢谢惠顾，欢迎再次光临",
    },
    "en": {
        "receipt": "Receipt",
        "cashier": "Cashier",
        "time": "Time",
        "subtotal": "Subtotal",
        "discount": "Discount",
        "total": "TOTAL",
        "tax": "incl. VAT",
        "cash": "Cash",
        "change": "Change",
        "items": "Items",
        "copy": "COPY",
        "thanks": "Thank you, come again",
    },
}


def receipt_lines(
    sale: SaleRecord,
    store: StoreHeader,
    *,
    width_mm: int = 80,
    lang: str = "zh-CN",
    zone: tzinfo = UTC,
    copy: bool = False,
) -> list[str]:
    width = COLUMNS[width_mm]
    words = _WORDS["zh-CN" if lang == "zh-CN" else "en"]
    rule = "-" * width
    lines = [center(store.name, width)]
    lines += [center(part, width) for part in wrap(store.address, width)]
    lines.append(center(store.tax_id, width))
    if copy:
        lines.append(center(f"*** {words['copy']} ***", width))
    lines += [
        rule,
        spread(f"{words['receipt']} {sale.receipt_no}", sale.device_id, width),
        spread(f"{words['cashier']} {sale.cashier}", local_time(sale.ts, zone), width),
        rule,
    ]
    for line in sale.lines:
        lines += wrap(line.name(lang), width)
        if line.weight_g is not None:
            kilos = f"{line.weight_g // 1000}.{line.weight_g % 1000:03d}"
            quantity = f"  {kilos}kg x {format_amount(line.unit_price)}/kg"
        else:
            quantity = f"  {line.quantity} x {format_amount(line.unit_price)}"
        lines.append(spread(quantity, format_amount(line.gross), width))
        if line.discount:
            saved = f"-{format_amount(line.discount)}"
            lines.append(spread(f"  {words['discount']}", saved, width))
    lines += [
        rule,
        spread(words["items"], str(sale.item_count), width),
        spread(words["subtotal"], format_amount(sale.subtotal), width),
    ]
    if sale.discount_total:
        lines.append(spread(words["discount"], f"-{format_amount(sale.discount_total)}", width))
    lines.append(spread(words["total"], format_amount(sale.total), width))
    for tax in sale.taxes:
        label = f"{words['tax']} {format_rate(tax.rate_bp)}"
        lines.append(spread(f"  {label}", format_amount(tax.tax), width))
    for payment in sale.payments:
        tender = words.get(payment.tender, payment.tender)
        lines.append(spread(tender, format_amount(payment.tendered), width))
    if sale.change:
        lines.append(spread(words["change"], format_amount(sale.change), width))
    lines += [rule, center(words["thanks"], width)]
    return lines


def local_time(ts: str, zone: tzinfo, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A journal timestamp (UTC) as the store's wall-clock time; empty stays empty."""
    return parse_ts(ts).astimezone(zone).strftime(pattern) if ts else ""


def format_rate(rate_bp: int) -> str:
    """1300 -> "13%", 650 -> "6.5%", 0 -> "0%" (basis points, no float)."""
    whole, fraction = divmod(rate_bp, 100)
    return f"{whole}.{fraction:02d}".rstrip("0").rstrip(".") + "%"
