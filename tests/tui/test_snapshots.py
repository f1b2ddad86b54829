"""Snapshots of the till's main screens at 80x24 and 120x36, in zh-CN and en.

The screenshots must not change from run to run, so: the ledger's clock is fixed
(the shift's time in the status bar and the receipt's time come from it), no uuid is
shown (checked below), toasts are cleared, the status bar's backlog is polled once the
screen is settled, and cursors do not blink.

Regenerate after a deliberate change of the screens with
`python -m pytest tests/tui/test_snapshots.py --snapshot-update`, and look at the
report or the SVGs in __snapshots__/ before committing them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label
from tui_helpers import (
    APPLES_1234G,
    MANAGER,
    NOODLES,
    WATER,
    TillUnderTest,
    approve,
    sale_screen,
    settle,
    sign_in,
    start_selling,
    type_line,
    wait_for,
)

from pos.tui.screens.end_of_day import EndOfDayView
from pos.tui.screens.member_view import MemberView
from pos.tui.screens.sale import SaleScreen

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Steps = Callable[[Pilot[Any]], Awaitable[None]]


async def at_sign_in(pilot: Pilot[Any]) -> None:
    await settle(pilot)


async def at_shift(pilot: Pilot[Any]) -> None:
    await sign_in(pilot)


async def selling(pilot: Pilot[Any]) -> SaleScreen:
    """Signed in with the shift open, its toast gone (toasts belong to the screen that
    was on top when they came, so they are cleared before any dialog opens)."""
    screen = await start_selling(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()
    return screen


async def with_three_lines(pilot: Pilot[Any]) -> None:
    screen = await selling(pilot)
    screen.scan(WATER)
    await type_line(pilot, f"3*{NOODLES}")
    screen.scan(APPLES_1234G)
    await settle(pilot)


async def at_tender(pilot: Pilot[Any]) -> None:
    await with_three_lines(pilot)
    await pilot.press("f12")


async def after_payment(pilot: Pilot[Any]) -> None:
    await with_three_lines(pilot)
    await pilot.press("f12")
    await type_line(pilot, "50")


async def at_help(pilot: Pilot[Any]) -> None:
    await selling(pilot)
    await pilot.press("f1")


async def with_a_new_member(pilot: Pilot[Any]) -> None:
    await with_three_lines(pilot)
    await pilot.press("ctrl+y")
    await type_line(pilot, "13812345678")
    await settle(pilot)
    await pilot.press("y")  # enroll: the welcome coupon applies by itself
    await settle(pilot)


async def at_member_view(pilot: Pilot[Any]) -> None:
    await with_a_new_member(pilot)
    await pilot.press("ctrl+n")
    await approve(pilot, *MANAGER)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MemberView), "the member view")


async def at_end_of_day(pilot: Pilot[Any]) -> None:
    await after_payment(pilot)
    await pilot.press("ctrl+f")
    await approve(pilot, *MANAGER)

    def shown() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, EndOfDayView) and bool(
            str(screen.query_one("#eod-title", Label).content)
        )

    await wait_for(pilot, shown, "the X report")


SCREENS: dict[str, Steps] = {
    "sign_in": at_sign_in,
    "shift": at_shift,
    "sale": with_three_lines,
    "tender": at_tender,
    "paid": after_payment,
    "help": at_help,
    "member": with_a_new_member,
    "member_view": at_member_view,
    "end_of_day": at_end_of_day,
}


async def steady(pilot: Pilot[Any]) -> None:
    """Take out what changes with time: toasts, the status poll, blinking cursors."""
    await settle(pilot)
    app = pilot.app
    app.clear_notifications()
    for screen in app.screen_stack:
        if isinstance(screen, SaleScreen):
            screen._poll_status()  # the backlog as of now, not as of the last 5 s tick
        for entry in screen.query(Input):
            entry.cursor_blink = False
    await settle(pilot)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("name", SCREENS)
def test_screen(
    name: str,
    size: tuple[int, int],
    language: str,
    snap_compare: Any,
    frozen_till: TillUnderTest,
) -> None:
    app = frozen_till.app(language=language)
    shown: list[str] = []

    async def run_before(pilot: Pilot[Any]) -> None:
        await SCREENS[name](pilot)
        await steady(pilot)
        if name in ("sale", "paid"):
            assert sale_screen(pilot).session.shift.opened_ts == "2026-03-14T01:30:00.000Z"
        shown.append(pilot.app.export_screenshot())

    assert snap_compare(app, terminal_size=size, run_before=run_before)
    (screenshot,) = shown
    assert not UUID.search(screenshot), "an id is on the screen"
