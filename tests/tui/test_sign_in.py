"""Sign-in, lockout and the shift, driven with Pilot on the demo store's ledger file."""

from __future__ import annotations

import re

from textual.widgets import Input, Static
from tui_helpers import (
    TillUnderTest,
    open_shift,
    sale_screen,
    settle,
    sign_in,
    text_of,
    type_line,
)

from pos.tui.app import PosApp
from pos.tui.screens.sale import SaleScreen
from pos.tui.screens.sign_in import ShiftScreen, SignInScreen


def problem(app: PosApp) -> str:
    return text_of(app.screen.query_one("#problem", Static))


async def test_right_pin_then_float_opens_the_shift_and_the_sale_screen(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app.screen, SignInScreen)
        assert app.focused is app.screen.query_one("#staff_no", Input)
        await sign_in(pilot, "101", "1234")
        assert isinstance(app.screen, ShiftScreen)
        assert app.screen.query_one("#float", Input).value == "200.00"

        await open_shift(pilot, "150.50")

        screen = sale_screen(pilot)
        assert app.focused is screen.query_one("#entry", Input)
        status = text_of(screen.query_one("#status", Static))
        assert "收银员 101 王芳 Wang Fang" in status
        assert re.search(r"班次 \d\d:\d\d", status), status
        assert "演示便利店 Demo Mart" in status
    (opened,) = till.events("shift.opened")
    assert opened["staff_no"] == "101"
    assert opened["opening_float"] == 15050
    assert screen.session.shift.shift_id == opened["shift_id"]
    assert screen.checkout.till.shift_id == opened["shift_id"]


async def test_a_bad_float_is_refused_and_opens_no_shift(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test() as pilot:
        await sign_in(pilot)
        await open_shift(pilot, "-5")
        assert isinstance(app.screen, ShiftScreen)
        assert problem(app) != ""
        assert "输入钱箱里的备用金" not in problem(app)  # the hint was replaced by the reason
    assert till.events("shift.opened") == []


async def test_a_wrong_pin_is_refused_with_the_count(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test() as pilot:
        await sign_in(pilot, "101", "0000")
        assert isinstance(app.screen, SignInScreen)
        assert "1 of 5" in problem(app)
        assert app.screen.query_one("#problem").has_class("-error")
        pin = app.screen.query_one("#pin", Input)
        assert pin.value == ""
        assert app.focused is pin

        await type_line(pilot, "9999")
        assert "2 of 5" in problem(app)

        await type_line(pilot, "1234")  # the number is still there: only the PIN again
        assert isinstance(app.screen, ShiftScreen)
    assert till.events("staff.locked") == []


async def test_five_wrong_pins_lock_the_account_and_journal_it(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test() as pilot:
        await sign_in(pilot, "101", "0000")
        for _ in range(4):
            await type_line(pilot, "0000")
        assert "Account locked" in problem(app)
        assert "locked" in problem(app)

        await type_line(pilot, "1234")  # even the right PIN, while locked
        assert isinstance(app.screen, SignInScreen)
        assert "Account locked" in problem(app)
    (locked,) = till.events("staff.locked")
    assert locked["staff_no"] == "101"
    assert locked["until"]


async def test_an_unknown_staff_number_is_refused(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test() as pilot:
        await sign_in(pilot, "999", "1234")
        assert isinstance(app.screen, SignInScreen)
        assert "Sign-in refused" in problem(app)
        assert "Unknown staff number or wrong PIN" in problem(app)
    assert till.events("shift.opened") == []
    assert till.events("staff.locked") == []


async def test_signing_in_again_after_a_restart_resumes_the_open_shift(
    till: TillUnderTest,
) -> None:
    first = till.app()
    async with first.run_test() as pilot:
        await sign_in(pilot)
        await open_shift(pilot)
        shift_id = sale_screen(pilot).session.shift.shift_id
        await pilot.press("ctrl+q")
    assert first.return_code == 0

    again = till.app()
    async with again.run_test() as pilot:
        await sign_in(pilot)
        assert isinstance(again.screen, SaleScreen)  # no shift screen this time
        assert again.screen.session.shift.shift_id == shift_id
    assert len(till.events("shift.opened")) == 1


async def test_sign_out_keeps_the_shift_and_another_cashier_opens_their_own(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test() as pilot:
        await sign_in(pilot)
        await open_shift(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)

        await sign_in(pilot, "102", "2345")
        assert isinstance(app.screen, ShiftScreen)  # 102 has no shift yet
        await open_shift(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)

        await sign_in(pilot, "101", "1234")
        assert isinstance(app.screen, SaleScreen)  # 101's shift goes on
        assert "101 王芳" in text_of(app.screen.query_one("#status", Static))
    assert [event["staff_no"] for event in till.events("shift.opened")] == ["101", "102"]
