"""The X, Z and day report as a printed document (58 or 80 mm), and as the text export.

Built from the same `Report` as the JSON and CSV exports, so the paper shows the very
numbers they hold; amounts print in yuan with two decimals (the JSON's fen / 100).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo

from pos.domain.money import format_amount
from pos.domain.reports import Report, TenderLine
from receipts.document import Block, Columns, Cut, Document, Line, Rule, Style
from receipts.escpos import Align
from receipts.render_text import render_text
from receipts.report_words import report_words
from receipts.words import format_rate, local_time

_TITLE = Style(bold=True, double=True, align=Align.CENTER)
_CENTRED = Style(align=Align.CENTER)
_SECTION = Style(bold=True)
_TOTAL = Style(bold=True)
BAR = "#"
"""The hourly chart's bar character: plain ASCII prints on every printer's code page."""


def report_document(
    report: Report, *, width_mm: int = 80, lang: str = "zh-CN", zone: tzinfo = UTC
) -> Document:
    said = report_words(lang)
    header = report.header
    title = said[header.kind]
    if header.z_no is not None:
        title = f"{title} #{header.z_no}"
    blocks: list[Block] = [
        Line(header.store_name, _CENTRED),
        Line(title, _TITLE),
        Rule(),
        Columns(said["store"], header.store_id),
        Columns(said["device"], header.device_id),
        Columns(said["business_day"], header.business_day),
    ]
    if header.first_day and header.first_day != header.business_day:
        blocks.append(Columns(said["from_day"], header.first_day))
    blocks += [
        Columns(said["printed"], local_time(header.generated_at, zone)),
        Columns(said["span"], f"{report.first_seq}-{report.last_seq}"),
        Rule(),
        *_totals(report, said),
        Rule(),
        Line(said["tenders"], _SECTION),
        *_tenders(report.tenders, said, indent=""),
        Rule(),
        Line(said["cashiers"], _SECTION),
    ]
    for cashier in report.cashiers:
        blocks.append(
            Columns(f"{cashier.cashier} ({cashier.receipts})", format_amount(cashier.sales))
        )
        blocks += _tenders(cashier.tenders, said, indent="  ")
    blocks += [Rule(), *_cash(report, said), Rule(), *_people(report, said, zone)]
    blocks += [Rule(), *_loyalty(report, said), Rule(), *_breakdowns(report, said, width_mm)]
    totals = report.totals
    blocks += [
        Rule(),
        Columns(said["copies"], str(report.copies_printed)),
        Columns(said["grand_total"], format_amount(totals.grand_total), _TOTAL),
        Columns(said["perpetual_total"], format_amount(totals.perpetual_total), _TOTAL),
    ]
    if header.head_hash:
        blocks += [Line(said["head"]), Line(header.head_hash)]
    blocks.append(Cut())
    return Document(width_mm, tuple(blocks))


def report_text(
    report: Report, *, width_mm: int = 80, lang: str = "zh-CN", zone: tzinfo = UTC
) -> list[str]:
    """The report as plain text lines: `pos report --format text` and the TUI's view."""
    return render_text(report_document(report, width_mm=width_mm, lang=lang, zone=zone))


def _totals(report: Report, said: Mapping[str, str]) -> list[Block]:
    totals = report.totals
    blocks: list[Block] = [
        Columns(said["receipts"], str(totals.receipts)),
        Columns(said["items"], str(totals.items)),
        Columns(said["gross_sales"], format_amount(totals.gross_sales)),
        Columns(said["discounts"], format_amount(-totals.discounts)),
        Columns(said["sales_total"], format_amount(totals.sales_total)),
        Columns(f"{said['returns']} ({totals.returns_count})", format_amount(-totals.returns)),
        Columns(said["net_sales"], format_amount(totals.net_sales), _TOTAL),
        Columns(said["tax"], format_amount(totals.tax)),
    ]
    for tax in report.taxes:
        blocks.append(
            Columns(
                f"  {said['vat']} {format_rate(tax.rate_bp)} {format_amount(tax.net)}",
                format_amount(tax.tax),
            )
        )
    return blocks


def _tenders(lines: tuple[TenderLine, ...], said: Mapping[str, str], indent: str) -> list[Block]:
    blocks: list[Block] = []
    for line in lines:
        name = said.get(line.tender, line.tender)
        blocks.append(Columns(f"{indent}{name} ({line.count})", format_amount(line.sales)))
        if line.refunds:
            blocks.append(Columns(f"{indent}  {said['refunds']}", format_amount(-line.refunds)))
    return blocks


def _cash(report: Report, said: Mapping[str, str]) -> list[Block]:
    cash = report.cash
    blocks: list[Block] = [
        Line(said["cash_drawer"], _SECTION),
        Columns(said["opening_float"], format_amount(cash.opening_float)),
        Columns(said["cash_sales"], format_amount(cash.cash_sales)),
        Columns(said["cash_refunds"], format_amount(-cash.cash_refunds)),
        Columns(said["pay_ins"], format_amount(cash.pay_ins)),
        Columns(said["pay_outs"], format_amount(-cash.pay_outs)),
        Columns(said["bleeds"], format_amount(-cash.bleeds)),
        Columns(said["expected"], format_amount(cash.expected), _TOTAL),
        Columns(said["counted"], _maybe(cash.counted, said)),
        Columns(said["difference"], _maybe(cash.difference, said), _TOTAL),
    ]
    if report.shifts:
        blocks.append(Line(said["shifts"]))
    for shift in report.shifts:
        blocks.append(
            Columns(
                f"  {shift.staff_no} {format_amount(shift.opening_float)}",
                f"{_maybe(shift.counted_cash, said)} ({_maybe(shift.difference, said)})",
            )
        )
        # The other tenders the count covered: counted (over or short) of expected.
        blocks += [
            Columns(
                f"    {said.get(line.tender, line.tender)} {format_amount(line.expected)}",
                f"{_maybe(line.counted, said)} ({_maybe(line.difference, said)})",
            )
            for line in shift.tenders
            if line.tender != "cash"
        ]
    return blocks


def _people(report: Report, said: Mapping[str, str], zone: tzinfo) -> list[Block]:
    blocks: list[Block] = [Line(said["refunds_by"], _SECTION)]
    for entry in report.refunds:
        blocks.append(
            Columns(
                f"{entry.receipt_no} <{entry.sale_receipt_no} {entry.cashier}/{entry.manager}",
                format_amount(-entry.amount),
            )
        )
    blocks.append(Line(said["events"], _SECTION))
    for event in report.staff_entries:
        when = local_time(event.ts, zone, "%H:%M")
        label = f"{when} {said.get(event.kind, event.kind)} {event.staff_no}/{event.manager}"
        if event.reason:
            label += f" {event.reason}"
        blocks.append(Columns(label, format_amount(event.amount) if event.amount else ""))
    if report.overrides:
        blocks.append(Line(said["overrides"]))
    for action, count in report.overrides.items():
        blocks.append(Columns(f"  {said.get(f'action.{action}', action)}", str(count)))
    return blocks


def _loyalty(report: Report, said: Mapping[str, str]) -> list[Block]:
    coupons, members = report.coupons, report.members
    blocks: list[Block] = [
        Line(said["coupons"], _SECTION),
        Columns(f"{said['redeemed']} ({coupons.redeemed})", format_amount(coupons.redeemed_amount)),
        Columns(said["restored"], str(coupons.restored)),
        Columns(f"{said['rejected']} ({coupons.rejected})", format_amount(coupons.rejected_amount)),
        Columns(f"{said['issued']} ({coupons.issued})", format_amount(coupons.issued_value)),
    ]
    blocks += [
        Columns(f"  {said.get(f'purpose.{purpose}', purpose)}", str(n))
        for purpose, n in coupons.issued_by_purpose.items()
    ]
    share = members.member_share_bp
    blocks += [
        Line(said["members"], _SECTION),
        Columns(said["enrolled"], str(members.enrolled)),
        Columns(said["member_receipts"], str(members.member_receipts)),
        Columns(said["member_sales"], format_amount(members.member_sales)),
        Columns(said["member_share"], f"{share // 100}.{share % 100:02d}%"),
    ]
    return blocks


def _breakdowns(report: Report, said: Mapping[str, str], width_mm: int) -> list[Block]:
    blocks: list[Block] = [Line(said["categories"], _SECTION)]
    blocks += [
        Columns(f"{line.category} ({line.quantity})", format_amount(line.sales))
        for line in report.categories
    ]
    blocks.append(Line(said["hours"], _SECTION))
    # Bars scaled to the busiest hour: 10 cells on 58 mm, 20 on 80 mm.
    room = 10 if width_mm == 58 else 20
    top = max((line.sales for line in report.hours), default=0)
    for line in report.hours:
        bar = BAR * (-(-line.sales * room // top) if top > 0 and line.sales > 0 else 0)
        blocks.append(Columns(f"{line.hour} {line.receipts:>4} {bar}", format_amount(line.sales)))
    return blocks


def _maybe(fen: int | None, said: Mapping[str, str]) -> str:
    return said["not_counted"] if fen is None else format_amount(fen)
