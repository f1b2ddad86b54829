"""Receipts a second rendered to ESC/POS bytes through the document model, beside a
hand-written baseline.

The input is one realistic sale of 20 lines from the demo catalog (Chinese names with
English brands and sizes, two weighed lines, a line discount, a cart discount, two tax
rates, cash with change), printed in Chinese on 80 mm paper. Ours is
`render_escpos(sale_receipt(...))`: building the document, laying it out by cell
width, encoding it. The baseline writes the same receipt the way a hand-written till
would: f-strings padded by GBK byte length, `.encode("gb18030")`, and the command
bytes of `receipts.escpos`, with no document, layout or style tracking. The two must
produce identical bytes (checked before timing). Rounds interleave the two, so a noisy
moment hits both alike; each rate is the median over rounds. Target: ours is at most
3x slower than the baseline.

    python bench/receipt_render.py [--rounds N] [--batch N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from pos.catalog_csv import load_demo_catalog
from pos.domain.cart import Cart, Discount
from pos.domain.money import format_amount
from pos.domain.sale import SaleRecord, cash_tender, record_sale
from receipts import escpos
from receipts.escpos import Align
from receipts.render_escpos import render_escpos
from receipts.sale_receipt import RECEIPT_CODE_PREFIX, StoreHeader, sale_receipt
from receipts.words import format_rate, local_time

STORE = StoreHeader("演示便利店 Demo Mart", "上海市静安区南京西路 1 号", "91310000MA1DEMO00X")
ZONE = ZoneInfo("Asia/Shanghai")
WIDTH = 48
SKUS = (
    "1001", "1003", "1005", "1007", "1008", "1010", "1012", "1015", "1016", "1017",
    "1019", "1022", "1023", "1024", "1026", "1027", "1028", "1029", "P00001", "P00002",
)  # fmt: skip


def demo_sale() -> SaleRecord:
    items = {item.sku: item for item in load_demo_catalog()}
    cart = Cart()
    for index, sku in enumerate(SKUS):
        item = items[sku]
        if item.weighed:
            cart.add(item, weight_g=850 + 137 * index)
        else:
            cart.add(item, 1 + index % 3)
    cart.set_line_discount(cart.lines[4].line_id, Discount(amount=100, reason="promo"))
    cart.set_cart_discount(Discount(percent_bp=500, reason="member"))
    totals = cart.totals()
    record = record_sale(
        cart,
        sale_id="bench",
        receipt_seq=123,
        receipt_no="T01-000123",
        cashier="101",
        shift_id=None,
        payments=(cash_tender("p1", totals.total, (totals.total // 10000 + 1) * 10000),),
        totals=totals,
    )
    return replace(record, ts="2026-11-23T09:15:00.000Z", device_id="T01")


def ours(sale: SaleRecord) -> bytes:
    return render_escpos(sale_receipt(sale, STORE, lang="zh-CN", zone=ZONE))


def baseline(sale: SaleRecord) -> bytes:
    """The same receipt by hand: f-strings, GBK byte length for width, command bytes."""
    rule = b"-" * WIDTH + b"\n"
    big = escpos.bold(True) + escpos.size(2, 2) + escpos.chinese_size(True)
    normal = escpos.bold(False) + escpos.size() + escpos.chinese_size(False)
    left, centre = escpos.align(Align.LEFT), escpos.align(Align.CENTER)
    out = [
        escpos.init() + escpos.code_table(0) + escpos.chinese(False) + centre + big,
        line(STORE.name),
        normal,
        line(STORE.address),
        line(STORE.tax_id),
        left + rule,
        columns(f"小票号 {sale.receipt_no}", sale.device_id),
        columns(f"收银员 {sale.cashier}", local_time(sale.ts, ZONE)),
        rule,
    ]
    for sold in sale.lines:
        out.append(line(sold.name_zh))
        if sold.weight_g is None:
            quantity = f"  {sold.quantity} x {format_amount(sold.unit_price)}"
        else:
            kilos = f"{sold.weight_g // 1000}.{sold.weight_g % 1000:03d}"
            quantity = f"  {kilos}kg x {format_amount(sold.unit_price)}/kg"
        out.append(columns(quantity, format_amount(sold.gross)))
        if sold.discount:
            out.append(columns("  优惠", f"-{format_amount(sold.discount)}"))
    out += [
        rule,
        columns("件数", str(sale.item_count)),
        columns("小计", format_amount(sale.subtotal)),
        columns("优惠", f"-{format_amount(sale.discount_total)}"),
        big + columns("合计", format_amount(sale.total), WIDTH // 2) + normal,
    ]
    out += [
        columns(f"  含税 {format_rate(tax.rate_bp)}", format_amount(tax.tax)) for tax in sale.taxes
    ]
    out += [columns("现金", format_amount(payment.tendered)) for payment in sale.payments]
    out += [
        columns("找零", format_amount(sale.change)),
        rule,
        centre + escpos.qr((RECEIPT_CODE_PREFIX + sale.receipt_no).encode()),
        line("退换货请出示此码"),
        left + rule,
        centre + line("谢谢惠顾，欢迎再次光临"),
        escpos.cut(),
    ]
    return b"".join(out)


def line(text: str) -> bytes:
    if text.isascii():
        return text.encode() + b"\n"
    return escpos.chinese(True) + text.encode("gb18030") + escpos.chinese(False) + b"\n"


def columns(label: str, amount: str, width: int = WIDTH) -> bytes:
    return line(f"{label}{' ' * (width - len(label.encode('gbk')) - len(amount))}{amount}")


def rate(render: Callable[[SaleRecord], bytes], sale: SaleRecord, batch: int) -> float:
    start = time.perf_counter()
    for _ in range(batch):
        render(sale)
    return batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    sale = demo_sale()
    if ours(sale) != baseline(sale):
        raise SystemExit("the baseline does not print the same bytes: fix it before timing")
    rates: dict[str, list[float]] = {"document model": [], "hand-written baseline": []}
    sides = [("document model", ours), ("hand-written baseline", baseline)]
    for round_no in range(args.rounds):
        for name, render in sides if round_no % 2 else sides[::-1]:
            rates[name].append(rate(render, sale, args.batch))
    print(
        f"a {len(sale.lines)}-line zh-CN sale on 80 mm paper, {len(ours(sale))} bytes; "
        f"{args.rounds} interleaved rounds of {args.batch} receipts"
    )
    print(f"{'':24}{'receipts/s':>12}")
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"{name:24}{value:12.0f}")
    ratio = medians["hand-written baseline"] / medians["document model"]
    print(f"{'ratio (baseline / ours)':24}{ratio:12.2f}   (target: <= 3.0)")


if __name__ == "__main__":
    main()
