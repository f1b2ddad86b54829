"""When pushing to the cloud has halted (a revoked till, a fork), the cashier's screen
says so: an error notice for the manager and the backlog in red; the till sells on."""

from __future__ import annotations

from tui_helpers import TillUnderTest, start_selling, wait_for

from pos.ledger.database import write_meta
from pos.tui.app import PosApp
from pos.tui.screens.sale import SaleScreen
from pos.tui.widgets import StatusBar
from sync.pusher import ALERT

WIDE = (120, 36)
TITLE = "同步已暂停"


def backlog_style(screen: SaleScreen) -> str:
    """The style of the status bar's "未同步 N" part ("" when plain)."""
    rendered = screen.query_one(StatusBar).render()
    assert "未同步" in rendered.plain
    start = rendered.plain.index("未同步")
    styles = [str(span.style) for span in rendered.spans if span.start <= start < span.end]
    return styles[-1] if styles else ""


async def test_a_halted_sync_is_an_error_notice_and_a_red_backlog(
    app: PosApp, till: TillUnderTest
) -> None:
    with till.ledgers[-1].transaction() as writer:
        write_meta(writer.conn, ALERT, "Quarantined: seq 95: hash does not match the event.")
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        await wait_for(
            pilot,
            lambda: any(n.title.startswith(TITLE) for n in app._notifications),
            "the sync alert",
        )
        (notice,) = [n for n in app._notifications if n.title.startswith(TITLE)]
        assert "hash does not match" in str(notice.message)
        assert notice.severity == "error"
        assert backlog_style(screen) == "bold red"


async def test_without_an_alert_there_is_no_notice_and_the_backlog_is_plain(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        await pilot.pause()
        assert not any(n.title.startswith(TITLE) for n in app._notifications)
        assert backlog_style(screen) == ""
