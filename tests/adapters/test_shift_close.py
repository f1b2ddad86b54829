"""Closing a shift on a count of the drawer by denomination, and cash in and out of the
drawer outside sales, on a real ledger: the expected cash follows every fen, a recount
keeps the first count in the journal, and the X report shows the over or short."""

from __future__ import annotations

import json

import pytest
from support import raw

from cloud.wallet.codes import make_code
from pos.cash_moves import move_cash
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config
from pos.domain.cash_count import CNY_DENOMINATIONS, CountError
from pos.end_of_day import Place, x_report
from pos.errors import PosError
from pos.ledger.database import Ledger
from pos.ledger.verify import verify
from pos.payments.micropay import MicropayClient
from pos.payments.wallet_tender import pay_by_wallet
from pos.returns import complete_return, start_return
from pos.shifts import Shift, close_shift, count_drawer, open_shift, other_tenders

FLOAT = 20000  # 200.00 in the drawer at the start
COLA = "1003"  # 3.00


@pytest.fixture
def shift(demo_ledger: Ledger) -> Shift:
    return open_shift(demo_ledger, "101", FLOAT)


@pytest.fixture
def till(demo_ledger: Ledger, demo_config: Config, shift: Shift) -> Checkout:
    return Checkout(
        demo_ledger,
        current_catalog(demo_ledger),
        Till("T01", "T01-", "101", shift.shift_id),
        demo_config.settings.scanner.rules(),
        print_receipts=False,
    )


def test_the_default_denominations_are_renminbi(demo_config: Config) -> None:
    assert demo_config.settings.drawer.denominations_fen() == CNY_DENOMINATIONS


def test_a_short_drawer_is_recorded_recounted_and_closed_with_its_difference(
    demo_ledger: Ledger, demo_config: Config, shift: Shift, till: Checkout
) -> None:
    till.scan(COLA, 2)
    till.pay_cash(1000)  # 6.00 in, 4.00 change out
    for kind, amount, reason in (
        ("pay_in", 5000, "change from the bank"),
        ("bleed", 10000, "to the safe"),
        ("pay_out", 1500, "window cleaner"),
    ):
        move_cash(
            demo_ledger,
            kind=kind,
            amount=amount,
            reason=reason,
            staff_no="101",
            manager="900",
            shift_id=shift.shift_id,
        )
    expected = FLOAT + 600 + 5000 - 10000 - 1500  # 141.00

    # 100 + 20 + 10 + 10 = 140.00: one yuan short.
    first = count_drawer(
        demo_ledger, shift.shift_id, {10000: 1, 2000: 1, 1000: 2}, CNY_DENOMINATIONS
    )
    assert (first.expected, first.counted, first.difference) == (expected, 14000, -100)
    # The coin was under the tray: a recount, and the first count stays in the journal.
    second = count_drawer(
        demo_ledger, shift.shift_id, {10000: 1, 2000: 1, 1000: 2, 100: 1}, CNY_DENOMINATIONS
    )
    with pytest.raises(PosError, match="counted again"):
        close_shift(demo_ledger, first)
    close_shift(demo_ledger, second)

    counts = raw(demo_ledger.path, "SELECT payload FROM journal WHERE type = 'cash.counted'")
    assert [json.loads(row["payload"])["counted"] for row in counts] == [14000, 14100]
    assert json.loads(counts[0]["payload"])["counts"]["10000"] == 1
    (closed,) = raw(demo_ledger.path, "SELECT payload FROM journal WHERE type = 'shift.closed'")
    assert json.loads(closed["payload"])["difference"] == 0
    with pytest.raises(PosError, match="already closed"):
        count_drawer(demo_ledger, shift.shift_id, {}, CNY_DENOMINATIONS)

    report = x_report(demo_ledger, Place.of(demo_config.settings))
    cash = report.cash
    assert (cash.opening_float, cash.cash_sales, cash.pay_ins, cash.pay_outs, cash.bleeds) == (
        FLOAT,
        600,
        5000,
        1500,
        10000,
    )
    assert (cash.expected, cash.counted, cash.difference) == (expected, 14100, 0)
    kinds = [entry.kind for entry in report.staff_entries]
    assert kinds == ["pay_in", "bleed", "pay_out"]
    assert verify(demo_ledger).ok


def test_an_over_is_never_absorbed_it_shows_on_the_report(
    demo_ledger: Ledger, demo_config: Config, shift: Shift, till: Checkout
) -> None:
    till.scan(COLA, 1)
    sale = till.pay_cash()
    record = start_return(
        demo_ledger, sale.receipt_no, {1: 1}, cashier="101", manager="900", receipt_prefix="R-"
    )
    complete_return(demo_ledger, record, {})  # 3.00 back in cash: the drawer is as it was
    count = count_drawer(demo_ledger, shift.shift_id, {10000: 2, 50: 1}, CNY_DENOMINATIONS)
    assert (count.expected, count.difference) == (FLOAT, 50)
    close_shift(demo_ledger, count)
    report = x_report(demo_ledger, Place.of(demo_config.settings))
    assert (report.cash.counted, report.cash.difference) == (20050, 50)
    (entry,) = report.shifts
    assert (entry.expected_cash, entry.counted_cash, entry.difference) == (FLOAT, 20050, 50)


def test_a_sale_after_the_count_means_counting_again(
    demo_ledger: Ledger, shift: Shift, till: Checkout
) -> None:
    count = count_drawer(demo_ledger, shift.shift_id, {10000: 2}, CNY_DENOMINATIONS)
    till.scan(COLA, 1)
    till.pay_cash()
    with pytest.raises(PosError, match="count it again"):
        close_shift(demo_ledger, count)
    assert raw(demo_ledger.path, "SELECT closed_seq FROM shifts")[0]["closed_seq"] is None


@pytest.mark.parametrize(
    "case",
    [
        ("tip", 100, "x", "is not one of pay_in"),
        ("pay_out", 0, "x", "more than zero"),
        ("pay_in", 100, "  ", "Say why"),
        ("bleed", FLOAT + 1, "safe", "should hold 200.00"),
    ],
)
def test_bad_cash_movements_are_refused_and_write_nothing(
    demo_ledger: Ledger, shift: Shift, case: tuple[str, int, str, str]
) -> None:
    kind, amount, reason, message = case
    head = demo_ledger.head()
    with pytest.raises(PosError, match=message):
        move_cash(
            demo_ledger,
            kind=kind,
            amount=amount,
            reason=reason,
            staff_no="101",
            manager="900",
            shift_id=shift.shift_id,
        )
    assert demo_ledger.head() == head


@pytest.mark.parametrize("pieces", [{3000: 1}, {100: -1}, {100: 10**6}])
def test_impossible_counts_are_refused_and_write_nothing(
    demo_ledger: Ledger, shift: Shift, pieces: dict[int, int]
) -> None:
    head = demo_ledger.head()
    with pytest.raises(CountError):
        count_drawer(demo_ledger, shift.shift_id, pieces, CNY_DENOMINATIONS)
    assert demo_ledger.head() == head


def test_every_tender_the_shift_took_is_counted_and_its_over_or_short_recorded(
    demo_ledger: Ledger, demo_config: Config, shift: Shift, till: Checkout, gateway: MicropayClient
) -> None:
    till.scan(COLA, 2)
    till.pay_cash()  # 6.00 cash
    till.scan(COLA, 5)
    paid = pay_by_wallet(till, gateway, make_code("864200"), body="Demo Mart").sale
    assert paid is not None
    assert other_tenders(demo_ledger, shift.shift_id) == ("wechat",)
    # The merchant app's settlement for the shift says 1.00 less than the till took.
    count = count_drawer(
        demo_ledger,
        shift.shift_id,
        {10000: 2, 500: 1, 100: 1},
        CNY_DENOMINATIONS,
        {"wechat": paid.total - 100},
    )
    assert count.differences == {"cash": 0, "wechat": -100}
    close_shift(demo_ledger, count)
    (closed,) = [json.loads(r["payload"]) for r in raw(
        demo_ledger.path, "SELECT payload FROM journal WHERE type = 'shift.closed'"
    )]  # fmt: skip
    assert closed["differences_by_tender"] == {"cash": 0, "wechat": -100}
    (entry,) = x_report(demo_ledger, Place.of(demo_config.settings)).shifts
    assert [(t.tender, t.expected, t.counted, t.difference) for t in entry.tenders] == [
        ("cash", FLOAT + 600, FLOAT + 600, 0),
        ("wechat", paid.total, paid.total - 100, -100),
    ]
    with pytest.raises(PosError, match="not as cash"):
        count_drawer(demo_ledger, shift.shift_id, {}, CNY_DENOMINATIONS, {"cash": 1})
    assert verify(demo_ledger).ok
