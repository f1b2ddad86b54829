"""The manager's end-of-day screen driven by keys: the X with its chart and tenders, a
pay-in with a reason and PIN, the Z (journaled once, printed), and the shift closed on
a count of the drawer after a recount, which signs the cashier out."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static
from tui_helpers import (
    MANAGER,
    TillUnderTest,
    approve,
    settle,
    start_selling,
    text_of,
    type_line,
    until,
    wait_for,
)

from cloud.wallet.codes import make_code
from pos.domain.cash_count import CNY_DENOMINATIONS
from pos.domain.reports import HourLine
from pos.tui.app import PosApp
from pos.tui.hour_chart import hour_chart
from pos.tui.screens.end_of_day import CashCountDialog, EndOfDayView
from pos.tui.screens.prompts import AskText, Confirm, ManagerApproval
from pos.tui.screens.sale import SaleScreen
from pos.tui.screens.sign_in import SignInScreen

WIDE = (120, 36)
WATER = "6921168509256"  # 2.00


def view(app: PosApp) -> EndOfDayView:
    screen = app.screen
    assert isinstance(screen, EndOfDayView), screen
    return screen


def summary(app: PosApp) -> str:
    return text_of(view(app).query_one("#eod-summary", Static))


def pieces_for(amount: int) -> dict[int, int]:
    """The notes and coins that make `amount`, largest first."""
    pieces = {}
    for value in CNY_DENOMINATIONS:
        pieces[value], amount = divmod(amount, value)
    return pieces


async def count(pilot: Pilot[Any], pieces: dict[int, int]) -> None:
    dialog = pilot.app.screen
    assert isinstance(dialog, CashCountDialog), dialog
    for value in CNY_DENOMINATIONS:
        dialog.query_one(f"#pieces-{value}", Input).value = str(pieces.get(value, 0) or "")
    for _value in CNY_DENOMINATIONS:
        await pilot.press("enter")
    await settle(pilot)


async def test_x_pay_in_z_and_closing_the_shift_on_a_recount(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        opening_float = screen.session.shift.opening_float
        screen.scan(WATER)
        await settle(pilot)
        await pilot.press("f12", "enter")
        await settle(pilot)

        await pilot.press("ctrl+f")
        assert isinstance(app.screen, ManagerApproval)
        await approve(pilot, *MANAGER)
        await wait_for(pilot, lambda: "小票 1 · 销售 2.00" in summary(app), "the X")
        assert "X 报表" in str(view(app).query_one("#eod-title", Label).content)
        table = view(app).query_one("#eod-tenders", DataTable)
        assert [cell.plain for cell in table.get_row_at(0)] == ["现金", "1", "2.00", "0.00", "2.00"]
        assert text_of(view(app).query_one("#eod-chart", Static)).strip()

        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await type_line(pilot, "50")
        await type_line(pilot, "零钱")
        assert isinstance(app.screen, ManagerApproval)
        await approve(pilot, *MANAGER)
        await wait_for(pilot, lambda: "存取 50.00" in summary(app), "the pay-in in the X")

        await pilot.press("z")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        await approve(pilot, *MANAGER)
        await wait_for(
            pilot,
            lambda: "Z 日结 #1" in str(view(app).query_one("#eod-title", Label).content),
            "the Z",
        )
        await wait_for(pilot, lambda: len(till.printer.jobs) >= 2, "the Z printed")

        expected = opening_float + 200 + 5000
        await pilot.press("c")
        await settle(pilot)
        await count(pilot, pieces_for(expected - 100))  # a yuan short
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the difference")
        await pilot.press("n")  # count again
        await settle(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, CashCountDialog), "a recount")
        await count(pilot, pieces_for(expected))
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen), "signed out")

    (closed,) = till.events("day.closed")
    assert (closed["z_no"], closed["totals"]["sales_total"], closed["closed_by"]) == (1, 200, "900")
    assert [c["counted"] - c["expected"] for c in till.events("cash.counted")] == [-100, 0]
    (shift,) = till.events("shift.closed")
    assert shift["difference"] == 0
    (moved,) = till.events("cash.moved")
    assert (moved["kind"], moved["amount"], moved["reason"], moved["manager"]) == (
        "pay_in",
        5000,
        "零钱",
        "900",
    )
    actions = [granted["action"] for granted in till.events("override.granted")]
    assert actions == ["end_of_day", "pay_in", "day_close"]


def test_the_hour_chart_scales_bars_to_the_busiest_hour() -> None:
    rows = hour_chart([HourLine("09:00", 1, 100), HourLine("10:00", 3, 400)], height=2)
    assert rows == ["   ██", "▄▄ ██", "09 10"]  # 1.00 is a quarter of 4.00: half a row
    assert hour_chart([]) == []


async def test_f8_journals_the_line_it_takes_off_with_the_cashier(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        await wait_for(pilot, lambda: till.events("line.voided"), "the void journaled")
    (voided,) = till.events("line.voided")
    assert (voided["sku"], voided["staff_no"], voided["amount"]) == ("1001", "101", 200)


async def test_the_count_asks_for_each_other_tender_and_records_its_short(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_selling(pilot)
        opening_float = screen.session.shift.opening_float
        screen.scan(WATER)
        await settle(pilot)
        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        screen.scan(make_code("975310"))
        await until(pilot, lambda: isinstance(app.screen, SaleScreen), "the payment to end")
        await settle(pilot)

        await pilot.press("ctrl+f")
        await approve(pilot, *MANAGER)
        await wait_for(pilot, lambda: "小票 1" in summary(app), "the X")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CashCountDialog), "the count")
        dialog = app.screen
        field = dialog.query_one("#tender-wechat", Input)
        assert "微信" in str(field.placeholder)
        field.value = "1.50"  # the merchant app says 0.50 less than the till took
        await count(pilot, pieces_for(opening_float))
        await pilot.press("enter")  # the last field: the count is journaled
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the over/short question")
        question = text_of(app.screen.query_one(Static))
        assert "微信长短款 -0.50" in question
        await pilot.press("y")
        await settle(pilot)
    (closed,) = till.events("shift.closed")
    assert closed["differences_by_tender"] == {"cash": 0, "wechat": -50}
    (counted,) = till.events("cash.counted")
    assert counted["counted_by_tender"] == {"cash": opening_float, "wechat": 150}
