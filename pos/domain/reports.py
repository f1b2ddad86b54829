"""X, Z and day reports: the maths over what the ledger says happened in a span of seq.

Pure: `pos.ledger.report_reads` reads the span's aggregates (`DayFacts`) and
`build_report` turns them into the `Report` every form shows: the printed slip
(receipts.day_report), the TUI screen, and the JSON and CSV exports (`report_json`,
`report_rows`). One object feeds all of them, so the same numbers appear in each.

Every amount is integer fen. Definitions (docs/reports.md repeats them for readers):
gross_sales is the sales' lines before discounts; sales_total = gross_sales - discounts
(what customers paid); net_sales = sales_total - returns. A return counts in the span
its return.started falls in (the refund is committed to then).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, tzinfo
from typing import Any

from pos.domain.cash_count import expected_cash

X, Z, DAY = "x", "z", "day"
KINDS = (X, Z, DAY)
CASH = "cash"


@dataclass(frozen=True, slots=True)
class TenderFact:
    """What one cashier took on one tender in the span's sales."""

    cashier: str
    tender: str
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class RefundFact:
    """What went back to customers on one tender (a refused wallet refund is cash)."""

    cashier: str
    tender: str
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class TaxFact:
    rate_bp: int
    net: int
    """Tax-inclusive amount at this rate."""
    tax: int


@dataclass(frozen=True, slots=True)
class CategoryFact:
    category: str
    quantity: int
    net: int


@dataclass(frozen=True, slots=True)
class HourFact:
    utc_hour: str
    """'2026-12-05T09': the UTC hour the sales' ts fall in (the journal's own text)."""
    receipts: int
    total: int


@dataclass(frozen=True, slots=True)
class ReturnEntry:
    """One return, with who approved it."""

    receipt_no: str
    sale_receipt_no: str
    ts: str
    cashier: str
    manager: str
    amount: int


@dataclass(frozen=True, slots=True)
class StaffEntry:
    """Something a person did that a manager answers for: a no-sale drawer opening, a
    sale thrown away, a pay-in, pay-out or bleed."""

    ts: str
    kind: str
    """no_sale, clear_sale, pay_in, pay_out or bleed."""
    staff_no: str
    """Who did it (the manager, for a no-sale opening)."""
    manager: str
    amount: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ShiftEntry:
    """A shift opened or closed in the span, with its cash count once closed."""

    shift_id: str
    staff_no: str
    opening_float: int
    expected_cash: int | None = None
    counted_cash: int | None = None
    difference: int | None = None
    """Counted minus expected: over when positive, short when negative."""
    tenders: tuple[TenderCount, ...] = ()
    """Every tender the closing count covered, cash first: expected, counted, over/short."""


@dataclass(frozen=True, slots=True)
class TenderCount:
    tender: str
    expected: int
    counted: int | None
    """None: not counted (a tender the count did not ask for)."""

    @property
    def difference(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


@dataclass(frozen=True, slots=True)
class DayFacts:
    """Everything the ledger holds about one span of seq, as read (aggregates and lists)."""

    first_seq: int
    """The span is first_seq .. last_seq, both included (first_seq > last_seq: empty)."""
    last_seq: int
    receipts: int = 0
    items: int = 0
    gross: int = 0
    discounts: int = 0
    sales_total: int = 0
    member_receipts: int = 0
    member_total: int = 0
    cashier_receipts: dict[str, int] = field(default_factory=dict)
    """Sales each cashier rang up (a split-tender sale is one receipt)."""
    tenders: tuple[TenderFact, ...] = ()
    refunds: tuple[RefundFact, ...] = ()
    taxes: tuple[TaxFact, ...] = ()
    return_taxes: tuple[TaxFact, ...] = ()
    categories: tuple[CategoryFact, ...] = ()
    hours: tuple[HourFact, ...] = ()
    returns: tuple[ReturnEntry, ...] = ()
    staff_entries: tuple[StaffEntry, ...] = ()
    shifts: tuple[ShiftEntry, ...] = ()
    coupons_redeemed: int = 0
    coupons_redeemed_amount: int = 0
    coupons_restored: int = 0
    coupons_rejected: int = 0
    coupons_rejected_amount: int = 0
    coupons_issued: dict[str, int] = field(default_factory=dict)
    """Coupons issued, by purpose."""
    coupons_issued_value: int = 0
    """Their face value, fen (amount-off coupons' amounts; others count 0)."""
    members_enrolled: dict[str, int] = field(default_factory=dict)
    """Members this till enrolled, by how (wallet, phone, referral)."""
    copies_printed: int = 0
    overrides: dict[str, int] = field(default_factory=dict)
    """Manager approvals, by action."""
    first_ts: str = ""
    last_ts: str = ""


@dataclass(frozen=True, slots=True)
class Header:
    """Who, what and when: not computed from the span."""

    kind: str
    store_id: str
    store_name: str
    device_id: str
    business_day: str
    """YYYY-MM-DD: the day reported (for a Z, the day it closes)."""
    generated_at: str
    """When the report was made (the ts of day.closed for a Z)."""
    first_day: str = ""
    """For a Z that also closes earlier days nobody closed: the first of them."""
    z_no: int | None = None
    head_hash: str = ""
    """The chain head the Z covers (the hash of the span's last event)."""
    grand_total_before: int = 0
    """All sales (sales_total) since the till's first day, before this span."""
    perpetual_total_before: int = 0
    """All net sales (sales less returns) since the till's first day, before this span."""


@dataclass(frozen=True, slots=True)
class TenderLine:
    tender: str
    count: int
    sales: int
    refunds: int
    net: int


@dataclass(frozen=True, slots=True)
class CashierLine:
    cashier: str
    receipts: int
    sales: int
    refunds: int
    tenders: tuple[TenderLine, ...]


@dataclass(frozen=True, slots=True)
class TaxLine:
    rate_bp: int
    net: int
    tax: int


@dataclass(frozen=True, slots=True)
class HourLine:
    hour: str
    """Local start of the hour, HH:MM."""
    receipts: int
    sales: int


@dataclass(frozen=True, slots=True)
class CategoryLine:
    category: str
    quantity: int
    sales: int


@dataclass(frozen=True, slots=True)
class CashSummary:
    opening_float: int
    cash_sales: int
    cash_refunds: int
    pay_ins: int
    pay_outs: int
    bleeds: int
    expected: int
    counted: int | None
    """Sum of the closing counts of the shifts closed in the span; None when none was."""
    difference: int | None
    """Sum of those shifts' recorded over (+) and short (-)."""


@dataclass(frozen=True, slots=True)
class CouponSummary:
    redeemed: int
    redeemed_amount: int
    restored: int
    rejected: int
    """Redemptions the cloud rejected: another till used the coupon first."""
    rejected_amount: int
    issued: int
    issued_value: int
    """Face value of the coupons issued (an amount-off coupon's amount; a percentage,
    fixed-price or gift coupon counts 0: its worth depends on the sale)."""
    issued_by_purpose: dict[str, int]


@dataclass(frozen=True, slots=True)
class MemberSummary:
    enrolled: int
    enrolled_by_via: dict[str, int]
    member_receipts: int
    member_sales: int
    member_share_bp: int
    """member_sales as basis points of sales_total (10000 = all of it), rounded down."""


@dataclass(frozen=True, slots=True)
class Totals:
    receipts: int
    items: int
    gross_sales: int
    discounts: int
    sales_total: int
    returns_count: int
    returns: int
    net_sales: int
    tax: int
    grand_total: int
    perpetual_total: int


@dataclass(frozen=True, slots=True)
class Report:
    header: Header
    first_seq: int
    last_seq: int
    first_ts: str
    last_ts: str
    totals: Totals
    taxes: tuple[TaxLine, ...]
    tenders: tuple[TenderLine, ...]
    cashiers: tuple[CashierLine, ...]
    cash: CashSummary
    shifts: tuple[ShiftEntry, ...]
    refunds: tuple[ReturnEntry, ...]
    staff_entries: tuple[StaffEntry, ...]
    overrides: dict[str, int]
    coupons: CouponSummary
    members: MemberSummary
    categories: tuple[CategoryLine, ...]
    hours: tuple[HourLine, ...]
    copies_printed: int


def build_report(facts: DayFacts, header: Header, zone: tzinfo) -> Report:
    """The report over `facts`; `zone` labels the hours in the store's local time."""
    returns_total = sum(entry.amount for entry in facts.returns)
    tax_total = sum(tax.tax for tax in facts.taxes) - sum(tax.tax for tax in facts.return_taxes)
    totals = Totals(
        receipts=facts.receipts,
        items=facts.items,
        gross_sales=facts.gross,
        discounts=facts.discounts,
        sales_total=facts.sales_total,
        returns_count=len(facts.returns),
        returns=returns_total,
        net_sales=facts.sales_total - returns_total,
        tax=tax_total,
        grand_total=header.grand_total_before + facts.sales_total,
        perpetual_total=header.perpetual_total_before + facts.sales_total - returns_total,
    )
    return Report(
        header=header,
        first_seq=facts.first_seq,
        last_seq=facts.last_seq,
        first_ts=facts.first_ts,
        last_ts=facts.last_ts,
        totals=totals,
        taxes=_taxes(facts.taxes, facts.return_taxes),
        tenders=_tender_lines(facts.tenders, facts.refunds),
        cashiers=_cashiers(facts),
        cash=_cash(facts),
        shifts=facts.shifts,
        refunds=facts.returns,
        staff_entries=facts.staff_entries,
        overrides=dict(sorted(facts.overrides.items())),
        coupons=CouponSummary(
            redeemed=facts.coupons_redeemed,
            redeemed_amount=facts.coupons_redeemed_amount,
            restored=facts.coupons_restored,
            rejected=facts.coupons_rejected,
            rejected_amount=facts.coupons_rejected_amount,
            issued=sum(facts.coupons_issued.values()),
            issued_value=facts.coupons_issued_value,
            issued_by_purpose=dict(sorted(facts.coupons_issued.items())),
        ),
        members=MemberSummary(
            enrolled=sum(facts.members_enrolled.values()),
            enrolled_by_via=dict(sorted(facts.members_enrolled.items())),
            member_receipts=facts.member_receipts,
            member_sales=facts.member_total,
            member_share_bp=(
                facts.member_total * 10000 // facts.sales_total if facts.sales_total > 0 else 0
            ),
        ),
        categories=tuple(
            CategoryLine(fact.category, fact.quantity, fact.net)
            for fact in sorted(facts.categories, key=lambda fact: (-fact.net, fact.category))
        ),
        hours=_hours(facts.hours, zone),
        copies_printed=facts.copies_printed,
    )


def _taxes(sold: Iterable[TaxFact], returned: Iterable[TaxFact]) -> tuple[TaxLine, ...]:
    by_rate: dict[int, tuple[int, int]] = {}
    for fact, sign in [*((fact, 1) for fact in sold), *((fact, -1) for fact in returned)]:
        net, tax = by_rate.get(fact.rate_bp, (0, 0))
        by_rate[fact.rate_bp] = (net + sign * fact.net, tax + sign * fact.tax)
    return tuple(TaxLine(rate, net, tax) for rate, (net, tax) in sorted(by_rate.items()))


def _tender_lines(
    tenders: Iterable[TenderFact], refunds: Iterable[RefundFact]
) -> tuple[TenderLine, ...]:
    counts: dict[str, int] = {}
    sales: dict[str, int] = {}
    refunded: dict[str, int] = {}
    for fact in tenders:
        counts[fact.tender] = counts.get(fact.tender, 0) + fact.count
        sales[fact.tender] = sales.get(fact.tender, 0) + fact.amount
    for refund in refunds:
        refunded[refund.tender] = refunded.get(refund.tender, 0) + refund.amount
    names = sorted(set(sales) | set(refunded), key=lambda name: (name != CASH, name))
    return tuple(
        TenderLine(
            name,
            counts.get(name, 0),
            sales.get(name, 0),
            refunded.get(name, 0),
            sales.get(name, 0) - refunded.get(name, 0),
        )
        for name in names
    )


def _cashiers(facts: DayFacts) -> tuple[CashierLine, ...]:
    names = set(facts.cashier_receipts) | {fact.cashier for fact in facts.refunds}
    lines = []
    for cashier in sorted(names):
        tenders = _tender_lines(
            (fact for fact in facts.tenders if fact.cashier == cashier),
            (fact for fact in facts.refunds if fact.cashier == cashier),
        )
        lines.append(
            CashierLine(
                cashier=cashier,
                receipts=facts.cashier_receipts.get(cashier, 0),
                sales=sum(line.sales for line in tenders),
                refunds=sum(line.refunds for line in tenders),
                tenders=tenders,
            )
        )
    return tuple(lines)


def _cash(facts: DayFacts) -> CashSummary:
    cash_sales = sum(fact.amount for fact in facts.tenders if fact.tender == CASH)
    cash_refunds = sum(fact.amount for fact in facts.refunds if fact.tender == CASH)
    moved = dict.fromkeys(("pay_in", "pay_out", "bleed"), 0)
    for entry in facts.staff_entries:
        if entry.kind in moved:
            moved[entry.kind] += entry.amount
    opening = sum(shift.opening_float for shift in facts.shifts)
    counted = [shift for shift in facts.shifts if shift.counted_cash is not None]
    return CashSummary(
        opening_float=opening,
        cash_sales=cash_sales,
        cash_refunds=cash_refunds,
        pay_ins=moved["pay_in"],
        pay_outs=moved["pay_out"],
        bleeds=moved["bleed"],
        expected=expected_cash(
            opening,
            cash_sales,
            cash_refunds,
            pay_ins=moved["pay_in"],
            pay_outs=moved["pay_out"],
            bleeds=moved["bleed"],
        ),
        counted=sum(shift.counted_cash or 0 for shift in counted) if counted else None,
        difference=sum(shift.difference or 0 for shift in counted) if counted else None,
    )


def _hours(hours: Iterable[HourFact], zone: tzinfo) -> tuple[HourLine, ...]:
    lines: dict[str, tuple[int, int]] = {}
    for fact in sorted(hours, key=lambda fact: fact.utc_hour):
        start = datetime.fromisoformat(f"{fact.utc_hour}:00:00+00:00").astimezone(zone)
        label = start.strftime("%H:%M")
        receipts, total = lines.get(label, (0, 0))
        lines[label] = (receipts + fact.receipts, total + fact.total)
    return tuple(HourLine(label, receipts, total) for label, (receipts, total) in lines.items())


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (docs/reports.md documents every key)."""
    data = _plain(report)
    assert isinstance(data, dict)
    return data


def _plain(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


CSV_HEADER = ("section", "item", "field", "value")


def report_rows(report: Report) -> list[tuple[str, str, str, object]]:
    """The report as flat rows (section, item, field, value) for a spreadsheet.

    A list's items are named by their first field (the tender, the rate, the hour); a
    list inside an item (a cashier's tenders) is the section `cashiers.tenders` with
    items named `cashier/tender`; a mapping (coupons issued by purpose) gives one row a
    key. A null is an empty cell.
    """
    rows: list[tuple[str, str, str, object]] = []
    for section, value in report_json(report).items():
        if isinstance(value, dict):
            _mapping(rows, section, "", value)
        elif isinstance(value, list):
            _items(rows, section, "", value)
        else:
            rows.append(("report", "", section, _cell(value)))
    return rows


def _mapping(
    rows: list[tuple[str, str, str, object]], section: str, item: str, value: dict[str, Any]
) -> None:
    for key, inner in value.items():
        if isinstance(inner, dict):
            for name, count in inner.items():
                rows.append((f"{section}.{key}", name, "count", _cell(count)))
        else:
            rows.append((section, item, key, _cell(inner)))


def _items(
    rows: list[tuple[str, str, str, object]], section: str, parent: str, value: list[Any]
) -> None:
    for entry in value:
        name = str(next(iter(entry.values()), ""))
        label = f"{parent}/{name}" if parent else name
        for key, inner in entry.items():
            if isinstance(inner, list):
                _items(rows, f"{section}.{key}", label, inner)
            else:
                rows.append((section, label, key, _cell(inner)))


def _cell(value: object) -> object:
    return "" if value is None else value
