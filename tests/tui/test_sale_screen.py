"""The demo sale screen, driven with Pilot against a real ledger file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from textual.widgets import DataTable, Static

from devices.drawer import SimulatedDrawer
from pos.bootstrap import open_ledger
from pos.config import Config, load_config
from pos.ledger.tables import DRAWER_OPENINGS, SALES
from pos.tui.app import PosApp

WATER = "6921168509256"
NOODLES = "6920152103197"


def make_app(tmp_path: Path) -> tuple[PosApp, SimulatedDrawer, Config]:
    config = load_config(None, tmp_path / "data")
    drawer = SimulatedDrawer()
    return PosApp(config, open_ledger(config), drawer), drawer, config


async def type_entry(pilot: object, text: str) -> None:
    for char in text:
        await pilot.press(char)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]


async def test_scan_then_exact_cash_commits_opens_drawer_and_shows_receipt(
    tmp_path: Path,
) -> None:
    app, drawer, _config = make_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await type_entry(pilot, WATER)
        await type_entry(pilot, f"3*{NOODLES}")
        cart = app.screen.query_one("#cart", DataTable)
        assert cart.row_count == 2
        await pilot.press("f12")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert cart.row_count == 0
        receipt = str(app.screen.query_one("#receipt", Static).render())
        assert "T01-000001" in receipt
        assert "15.50" in receipt  # 2.00 + 3 x 4.50
    with app.ledger.read() as conn:
        assert conn.execute(select(func.sum(SALES.c.total))).scalar() == 1550
        assert conn.execute(select(func.count()).select_from(DRAWER_OPENINGS)).scalar() == 1
    assert drawer.openings == 1
    app.ledger.close()


async def test_garbage_and_markup_scans_change_nothing(tmp_path: Path) -> None:
    app, _drawer, _config = make_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        for text in ("12345678", "[bold]x[/bold]", "190000000000000000"):
            await type_entry(pilot, text)
        await pilot.pause()
        assert app.screen.query_one("#cart", DataTable).row_count == 0
        messages = [notification.message for notification in app._notifications]
        assert any("check digit" in message for message in messages)
        assert any("WeChat" in message for message in messages)
    app.ledger.close()


async def test_unplugged_drawer_is_a_notice_and_the_sale_still_commits(tmp_path: Path) -> None:
    app, drawer, _config = make_app(tmp_path)
    drawer.unplugged = True
    async with app.run_test(size=(120, 36)) as pilot:
        await type_entry(pilot, WATER)
        await pilot.press("f12")
        await app.workers.wait_for_complete()
        await pilot.pause()
        titles = [notification.title for notification in app._notifications]
        assert "Cash drawer not reachable" in titles
    with app.ledger.read() as conn:
        assert conn.execute(select(func.count()).select_from(SALES)).scalar() == 1
    app.ledger.close()


async def test_sale_in_progress_survives_a_restart(tmp_path: Path) -> None:
    app, _drawer, config = make_app(tmp_path)
    async with app.run_test() as pilot:
        await type_entry(pilot, WATER)
        await app.workers.wait_for_complete()
    app.ledger.close()

    again = PosApp(config, open_ledger(config), SimulatedDrawer())
    async with again.run_test():
        assert again.screen.query_one("#cart", DataTable).row_count == 1
    again.ledger.close()
