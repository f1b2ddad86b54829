"""The technician's screen: a technician signs in to devices, not to a sale; scans are
shown and never sold; the test print and the drawer work through the devices; the
configuration is shown read-only with where each value came from."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Log, Static
from tui_helpers import TillUnderTest, scanner_burst, settle, sign_in, text_of, until

from pos.tui.app import PosApp
from pos.tui.messages import CodeScanned
from pos.tui.screens.technician import TechnicianScreen
from receipts.render_text import render_text


async def technician(pilot: Pilot[Any]) -> TechnicianScreen:
    await sign_in(pilot, "700", "7000")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TechnicianScreen)
    return screen


async def test_a_technician_gets_the_device_screen_with_no_shift(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await technician(pilot)
        states = screen.query_one("#device-states", Static)
        await until(pilot, lambda: "就绪" in text_of(states), "the printer's state")
        assert "simulator" in text_of(states)
        assert "keyboard wedge" in text_of(states)
    assert till.events("shift.opened") == []


async def test_scans_are_shown_escaped_and_never_sold(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await technician(pilot)
        await scanner_burst(pilot, "6921168509256")
        screen.post_message(CodeScanned("[bold]\x1b[31mX", "serial"))
        await settle(pilot)
        log = "\n".join(screen.query_one(Log).lines)
        assert "wedge" in log
        assert "6921168509256" in log
        assert "[bold]\\x1b[31mX" in log
    assert till.events("sale.completed") == []
    assert till.drafts() == []


async def test_f5_prints_a_test_page_and_f10_opens_the_drawer(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await technician(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert text_of(screen.query_one("#tech-message", Static)) == "钱箱已打开（已记录）"
    (page,) = till.printer.jobs
    assert "打印测试 TEST" in "\n".join(render_text(page.document))
    assert till.drawer.openings == 1
    assert till.events("drawer.opened") == [{"reason": "test", "staff_no": "700", "sale_id": None}]


async def test_the_configuration_is_shown_with_its_origin(app: PosApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await technician(pilot)
        table: DataTable[Any] = screen.query_one("#config", DataTable)
        rows = {
            table.get_row_at(index)[0].plain: (
                table.get_row_at(index)[1].plain,
                table.get_row_at(index)[2].plain,
            )
            for index in range(table.row_count)
        }
        assert rows["store.id"] == ("demo-store", "default")
        assert rows["printer.width_mm"] == ("80", "default")
        await pilot.press("ctrl+l")
        assert screen.query_one("#config-title").render().plain.startswith("Configuration")


async def test_a_failed_test_print_is_a_message_not_a_crash(
    app: PosApp, till: TillUnderTest
) -> None:
    till.printer.unplugged = True
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await technician(pilot)
        await pilot.press("f5")
        await settle(pilot)
        message = screen.query_one("#tech-message", Static)
        assert "unplugged" in text_of(message)
        assert message.has_class("-error")
