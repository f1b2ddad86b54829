"""X, Z and day reports on real ledger files: what `pos simulate` sold is what the report
says, to the fen; business days follow the boundary and seq order, not the clock; a day
closes once; and the JSON, CSV and printed forms carry the same numbers."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from support import raw

from cloud.wallet.codes import make_code
from devices.drawer import SimulatedDrawer
from pos.bootstrap import open_ledger
from pos.cash_drawer import open_drawer
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config, load_config
from pos.domain.business_day import DayError
from pos.domain.reports import CSV_HEADER, Report, report_json, report_rows
from pos.domain.sale import SaleRecord
from pos.end_of_day import Place, close_day, day_report, x_report, z_report
from pos.ledger.database import Ledger
from pos.ledger.rows import driver
from pos.ledger.verify import verify
from pos.loyalty_setup import open_loyalty
from pos.overrides import authorize
from pos.payments.micropay import MicropayClient
from pos.payments.wallet_tender import pay_by_wallet
from pos.returns import complete_return, start_return
from pos.simulate import simulate
from receipts.day_report import report_text

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2027, 1, 5)
WATER = "1001"  # 2.00 at 13%


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in the demo store's zone in January 2027: after the demo ledger's
    first events, which carry the real time the test runs at."""
    return datetime(2027, 1, day, hour, minute, tzinfo=ZONE)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def place(demo_config: Config) -> Place:
    return Place.of(demo_config.settings)


@pytest.fixture
def till_clock(demo_ledger: Ledger) -> Clock:
    clock = Clock(at(5, 9))
    demo_ledger.clock = clock
    return clock


@pytest.fixture
def till(demo_ledger: Ledger, demo_config: Config, till_clock: Clock) -> Checkout:
    return Checkout(
        demo_ledger,
        current_catalog(demo_ledger),
        Till("T01", "T01-", "101"),
        demo_config.settings.scanner.rules(),
        clock=till_clock,
        print_receipts=False,
    )


def sell(till: Checkout, clock: Clock, moment: datetime, quantity: int = 1) -> SaleRecord:
    clock.moment = moment
    till.scan(WATER, quantity)
    return till.pay_cash()


def test_a_simulated_day_is_reported_to_the_fen_and_its_z_says_the_same(
    demo_ledger: Ledger, demo_config: Config, place: Place, till_clock: Clock
) -> None:
    sold = simulate(demo_ledger, demo_config.settings, sales=150, seed=5, until=at(5, 23, 30))
    report = day_report(demo_ledger, place, DAY)
    totals = report.totals
    assert (totals.receipts, totals.items) == (sold.sales, sold.items)
    assert totals.sales_total == totals.net_sales == sold.revenue
    assert {line.tender: line.net for line in report.tenders} == sold.by_tender
    assert report.cash.expected == sold.cash_tendered - sold.change_given
    assert sum(line.sales for line in report.hours) == sold.revenue
    assert sum(line.sales for line in report.categories) == sold.revenue
    assert sum(tax.net for tax in report.taxes) == sold.revenue
    events = raw(demo_ledger.path, "SELECT payload FROM journal WHERE type = 'sale.completed'")
    taxes = sum(t["tax"] for e in events for t in json.loads(e["payload"])["taxes"])
    assert totals.tax == taxes

    till_clock.moment = at(5, 23, 45)
    z = close_day(demo_ledger, place, "900")
    assert (z.header.z_no, z.header.business_day) == (1, "2027-01-05")
    assert z.totals == report.totals  # the first Z covers the whole ledger: that day
    assert report_json(z_report(demo_ledger, place, DAY))["totals"] == report_json(z)["totals"]
    (closed,) = raw(demo_ledger.path, "SELECT * FROM day_closes")
    assert closed["last_seq"] == z.last_seq
    (head,) = raw(demo_ledger.path, "SELECT hash FROM journal WHERE seq = ?", (z.last_seq,))
    assert z.header.head_hash == head["hash"] == closed["head_hash"]
    assert verify(demo_ledger).ok


def test_members_coupons_and_wallet_payments_from_the_simulation_are_all_counted(
    demo_ledger: Ledger, demo_config: Config, place: Place, gateway: MicropayClient
) -> None:
    loyalty = open_loyalty(demo_config, demo_ledger)
    sold = simulate(
        demo_ledger,
        demo_config.settings,
        sales=120,
        seed=9,
        tender="mixed",
        wallet=gateway,
        loyalty=loyalty,
        until=at(5, 23, 30),
    )
    report = day_report(demo_ledger, place, DAY)
    assert report.totals.sales_total == sold.revenue
    assert {line.tender: line.sales for line in report.tenders} == sold.by_tender
    assert sold.by_tender.keys() >= {"cash", "wechat"}
    assert report.members.enrolled == sold.enrolled > 0
    assert report.members.member_receipts == sold.member_sales > 0
    assert report.coupons.issued == sold.coupons_issued
    assert report.coupons.redeemed == sold.coupons_redeemed
    # The face value issued, from the journal's own coupon.issued events and the
    # campaigns they name (the demo's welcome and next-visit coupons are amounts off).
    campaigns = demo_config.settings.members.campaign_map()
    issued = [
        json.loads(row["payload"])
        for row in raw(demo_ledger.path, "SELECT payload FROM journal WHERE type = 'coupon.issued'")
    ]
    face = sum(campaigns[c["campaign_id"]].face_value for c in issued)
    assert report.coupons.issued_value == sum(c["value"] for c in issued) == face > 0
    member_total = raw(
        demo_ledger.path, "SELECT sum(total) AS t FROM sales WHERE member_no IS NOT NULL"
    )[0]["t"]
    assert report.members.member_sales == member_total
    assert report.members.member_share_bp == member_total * 10000 // sold.revenue


def test_sales_after_midnight_before_the_boundary_belong_to_the_day_before(
    demo_ledger: Ledger, place: Place, till: Checkout, till_clock: Clock
) -> None:
    evening = sell(till, till_clock, at(5, 23, 30))
    late = sell(till, till_clock, at(6, 3, 59))
    morning = sell(till, till_clock, at(6, 4, 0))
    fifth = day_report(demo_ledger, place, DAY)
    sixth = day_report(demo_ledger, place, date(2027, 1, 6))
    assert fifth.totals.receipts == 2
    assert fifth.totals.sales_total == evening.total + late.total
    assert sixth.totals.receipts == 1
    assert sixth.totals.sales_total == morning.total


def test_a_clock_jumping_backwards_does_not_move_a_sale_into_an_earlier_day(
    demo_ledger: Ledger, place: Place, till: Checkout, till_clock: Clock
) -> None:
    sell(till, till_clock, at(5, 20))
    sell(till, till_clock, at(6, 10))
    # The clock is set back a day and a half (a dead RTC battery, a bad NTP answer).
    jumped = sell(till, till_clock, at(4, 22), quantity=3)
    assert day_report(demo_ledger, place, date(2027, 1, 4)).totals.receipts == 0
    assert day_report(demo_ledger, place, DAY).totals.receipts == 1
    sixth = day_report(demo_ledger, place, date(2027, 1, 6))
    assert sixth.totals.receipts == 2
    assert sixth.totals.sales_total == 200 + jumped.total


def test_a_day_closes_once_and_a_z_never_holds_what_an_earlier_z_held(
    demo_ledger: Ledger, place: Place, till: Checkout, till_clock: Clock
) -> None:
    first = sell(till, till_clock, at(5, 10))
    till_clock.moment = at(5, 22)
    z1 = close_day(demo_ledger, place, "900")
    # After the Z, the rest of the 5th's hours belong to the 6th.
    after = sell(till, till_clock, at(5, 23))
    head = demo_ledger.head()
    with pytest.raises(DayError, match="Z 1"):
        close_day(demo_ledger, place, "900", DAY)
    assert demo_ledger.head() == head  # the refusal wrote nothing
    assert day_report(demo_ledger, place, DAY).totals.sales_total == first.total
    x = x_report(demo_ledger, place)
    assert (x.header.business_day, x.totals.sales_total) == ("2027-01-06", after.total)
    assert x.header.first_day == "2027-01-06"  # not the 5th, though the sale's clock says so
    assert demo_ledger.head() == head  # nor did the X
    with pytest.raises(DayError, match="not begun"):
        close_day(demo_ledger, place, "900", date(2027, 1, 7))

    till_clock.moment = at(6, 22)
    z2 = close_day(demo_ledger, place, "900")
    assert (z1.header.z_no, z2.header.z_no) == (1, 2)
    assert z2.first_seq > z1.last_seq
    assert (z1.totals.sales_total, z2.totals.sales_total) == (first.total, after.total)
    assert z2.totals.grand_total == first.total + after.total
    rows = raw(demo_ledger.path, "SELECT z_no, first_seq, last_seq FROM day_closes ORDER BY 1")
    assert rows[0]["last_seq"] < rows[1]["first_seq"]
    assert verify(demo_ledger).ok


def test_a_z_sweeps_in_a_day_nobody_closed_and_says_from_when(
    demo_ledger: Ledger, place: Place, till: Checkout, till_clock: Clock
) -> None:
    forgotten = sell(till, till_clock, at(5, 10))
    today = sell(till, till_clock, at(6, 10))
    till_clock.moment = at(6, 22)
    z = close_day(demo_ledger, place, "900")
    assert z.header.business_day == "2027-01-06"
    assert z.totals.sales_total == forgotten.total + today.total
    assert z.header.first_day <= "2027-01-05"
    with pytest.raises(DayError, match=r"already closed|Later day"):
        close_day(demo_ledger, place, "900", DAY)


def test_refunds_voids_and_no_sale_openings_are_listed_with_their_manager(
    demo_ledger: Ledger, demo_config: Config, place: Place, till: Checkout, till_clock: Clock
) -> None:
    sale = sell(till, till_clock, at(5, 10), quantity=3)
    till_clock.moment = at(5, 11)
    record = start_return(
        demo_ledger, sale.receipt_no, {1: 1}, cashier="101", manager="900", receipt_prefix="T01-R"
    )
    complete_return(demo_ledger, record, {})
    security = demo_config.settings.security
    for action in ("clear_sale", "no_sale"):
        authorize(
            demo_ledger,
            "900",
            "9000",
            action=action,
            cashier="101",
            detail={},
            max_failures=security.max_pin_failures,
            lockout=timedelta(minutes=security.lockout_minutes),
        )
    open_drawer(SimulatedDrawer(), demo_ledger, reason="no_sale", staff_no="900")

    report = day_report(demo_ledger, place, DAY)
    assert report.totals.returns == record.amount > 0
    assert report.totals.net_sales == sale.total - record.amount
    (refund,) = report.refunds
    assert (refund.manager, refund.sale_receipt_no, refund.amount) == (
        "900",
        sale.receipt_no,
        record.amount,
    )
    assert report.cash.cash_refunds == record.amount
    assert report.cash.expected == sale.total - record.amount
    assert [(e.kind, e.staff_no, e.manager) for e in report.staff_entries] == [
        ("clear_sale", "101", "900"),
        ("no_sale", "101", "900"),
    ]
    assert report.overrides == {"clear_sale": 1, "no_sale": 1}
    assert sum(tax.tax for tax in report.taxes) == report.totals.tax < sale.tax_total


def test_json_csv_and_the_printed_text_carry_the_same_numbers(
    demo_ledger: Ledger, demo_config: Config, place: Place
) -> None:
    simulate(demo_ledger, demo_config.settings, sales=40, seed=2, until=at(5, 23, 30))
    report = day_report(demo_ledger, place, DAY)
    data = json.loads(json.dumps(report_json(report)))
    reader = csv.reader(io.StringIO(_csv(report)))
    assert next(reader) == list(CSV_HEADER)
    cells = {(section, item, name): value for section, item, name, value in reader}
    text = "\n".join(report_text(report, width_mm=80, lang="en", zone=ZONE))
    for name in ("receipts", "gross_sales", "sales_total", "net_sales", "tax", "grand_total"):
        value = data["totals"][name]
        assert cells[("totals", "", name)] == str(value)
        shown = str(value) if name == "receipts" else f"{value // 100}.{value % 100:02d}"
        assert shown in text, name
    for line in data["tenders"]:
        assert cells[("tenders", line["tender"], "sales")] == str(line["sales"])
    for line in data["hours"]:
        assert cells[("hours", line["hour"], "sales")] == str(line["sales"])
        assert f"{line['sales'] // 100}.{line['sales'] % 100:02d}" in text
    for cashier in data["cashiers"]:
        for tender in cashier["tenders"]:
            key = ("cashiers.tenders", f"{cashier['cashier']}/{tender['tender']}", "sales")
            assert cells[key] == str(tender["sales"])
    narrow = report_text(report, width_mm=58, lang="zh-CN", zone=ZONE)
    assert max(len(line) for line in narrow) <= 32


def _csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(report_rows(report))
    return out.getvalue()


def test_a_day_closed_late_leaves_the_next_days_first_sales_to_the_next_z(
    demo_ledger: Ledger, place: Place, till: Checkout, till_clock: Clock
) -> None:
    yesterday = sell(till, till_clock, at(5, 21))
    early = sell(till, till_clock, at(6, 8))  # sold before anyone closed the 5th
    till_clock.moment = at(6, 9)
    z1 = close_day(demo_ledger, place, "900", DAY)
    later = sell(till, till_clock, at(6, 10))
    assert x_report(demo_ledger, place).totals.sales_total == early.total + later.total
    till_clock.moment = at(6, 22)
    z2 = close_day(demo_ledger, place, "900")
    assert z1.totals.sales_total == yesterday.total
    assert z2.totals.sales_total == early.total + later.total
    assert z2.first_seq == z1.last_seq + 1  # no event between two Zs is in neither
    assert z2.totals.grand_total == yesterday.total + early.total + later.total


def test_bulk_simulation_sells_the_same_and_leaves_the_ledger_durable_again(
    tmp_path: Path,
) -> None:
    sold = []
    for name, bulk in (("a", False), ("b", True)):
        config = load_config(None, tmp_path / name, environ={})
        ledger = open_ledger(config)
        try:
            sold.append(
                simulate(ledger, config.settings, sales=20, seed=3, until=at(5, 23), bulk=bulk)
            )
            with ledger.transaction() as writer:
                (synchronous,) = driver(writer.conn).execute("PRAGMA synchronous").fetchone()
            assert synchronous == 2  # FULL
        finally:
            ledger.close()
    assert sold[0] == sold[1]


def test_lines_taken_off_a_sale_and_a_cleared_sale_are_listed_with_the_cashier(
    demo_ledger: Ledger, place: Place, till: Checkout, till_clock: Clock
) -> None:
    till_clock.moment = at(5, 10)
    till.scan(WATER, 2)
    till.scan("1003")  # cola, 3.00
    till.void_line(till.cart.lines[0].line_id)
    till.save_draft()
    paid = till.pay_cash()
    till.scan(WATER)
    till.clear()

    voided = [
        json.loads(row["payload"])
        for row in raw(demo_ledger.path, "SELECT payload FROM journal WHERE type = 'line.voided'")
    ]
    assert [(v["sku"], v["quantity"], v["amount"], v["reason"]) for v in voided] == [
        (WATER, 2, 400, "removed"),
        (WATER, 1, 200, "cleared"),
    ]
    report = day_report(demo_ledger, place, DAY)
    assert report.totals.sales_total == paid.total == 300
    entries = [(e.kind, e.staff_no, e.amount, e.reason) for e in report.staff_entries]
    assert entries == [
        ("void_line", "101", 400, f"{WATER} x2 removed"),
        ("void_line", "101", 200, f"{WATER} x1 cleared"),
    ]
    assert verify(demo_ledger).ok


def test_a_line_voided_just_before_payment_is_journaled_with_the_sale(
    demo_ledger: Ledger, till: Checkout, till_clock: Clock
) -> None:
    till.scan(WATER)
    till.scan("1003")
    till.void_line(till.cart.lines[0].line_id)  # no draft save in between
    sale = till.pay_cash()
    rows = raw(demo_ledger.path, "SELECT type FROM journal ORDER BY seq DESC LIMIT 2")
    assert [row["type"] for row in rows] == ["sale.completed", "line.voided"]
    assert sale.total == 300


def test_a_split_tender_sale_is_one_receipt_and_a_refund_goes_back_on_its_tender(
    demo_ledger: Ledger, place: Place, till: Checkout, till_clock: Clock, gateway: MicropayClient
) -> None:
    till_clock.moment = at(5, 12)
    till.scan(WATER, 5)  # 10.00
    till.split(300)
    till.tender_cash(None)
    paid = pay_by_wallet(till, gateway, make_code("864200"), body="Demo Mart").sale
    assert paid is not None
    till_clock.moment = at(5, 13)
    record = start_return(
        demo_ledger, paid.receipt_no, {1: 1}, cashier="101", manager="900", receipt_prefix="R-"
    )
    done = complete_return(demo_ledger, record, {"wechat": gateway})

    report = day_report(demo_ledger, place, DAY)
    assert report.totals.receipts == 1
    assert report.cashiers[0].receipts == 1
    refunded = {part.tender: part.amount for part in done.refunds}
    lines = {line.tender: (line.count, line.sales, line.refunds) for line in report.tenders}
    assert lines == {
        "cash": (1, 300, refunded.get("cash", 0)),
        "wechat": (1, 700, refunded.get("wechat", 0)),
    }
    assert sum(refunded.values()) == report.totals.returns == 200
    assert report.cash.expected == 300 - refunded.get("cash", 0)


def test_two_cashiers_each_have_their_receipts_and_tenders(
    demo_ledger: Ledger, demo_config: Config, place: Place
) -> None:
    first = simulate(demo_ledger, demo_config.settings, sales=15, seed=1, until=at(5, 12))
    second = simulate(
        demo_ledger, demo_config.settings, sales=10, seed=2, cashier="102", until=at(5, 23)
    )
    report = day_report(demo_ledger, place, DAY)
    by_cashier = {line.cashier: (line.receipts, line.sales) for line in report.cashiers}
    assert by_cashier == {"101": (15, first.revenue), "102": (10, second.revenue)}
    assert report.totals.sales_total == first.revenue + second.revenue
