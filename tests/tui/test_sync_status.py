"""When pushing to the cloud has halted (a revoked till, a fork), the cashier's screen
says so: an error notice for the manager and the backlog in red; the till sells on."""

from __future__ import annotations

import re

from tui_helpers import TillUnderTest, start_selling, until, wait_for

from pos.catalog_admin import apply_catalog
from pos.domain.catalog import CatalogItem
from pos.ledger.database import write_meta
from pos.tui.app import PosApp
from pos.tui.screens.sale import CATCH_UP_MIN, SaleScreen, catch_up_from
from pos.tui.widgets import StatusBar, progress_bar
from sync.outbox import ACKED_THROUGH
from sync.pusher import ALERT, LAST_SYNC, REACHABLE, SyncStatus

WIDE = (120, 36)


def sample_item(n: int) -> CatalogItem:
    return CatalogItem(
        sku=f"S{n:05d}",
        barcode=None,
        plu=None,
        name_zh=f"样品{n}",
        name_en=f"Sample {n}",
        price=100 + n,
        tax_rate_bp=1300,
        category="样品",
        weighed=False,
    )


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


def status_text(screen: SaleScreen) -> str:
    return screen.query_one(StatusBar).render().plain


async def test_the_status_bar_says_whether_the_cloud_answered_and_when_it_last_took_a_push(
    app: PosApp, till: TillUnderTest
) -> None:
    ledger = till.ledgers[-1]
    with ledger.transaction() as writer:
        write_meta(writer.conn, REACHABLE, "0")
        write_meta(writer.conn, LAST_SYNC, "2026-03-14T01:30:00.000Z")
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        await until(pilot, lambda: "离线" in status_text(screen), "offline")
        assert "同步于 09:30" in status_text(screen)  # 01:30 UTC in Asia/Shanghai

        with ledger.transaction() as writer:
            write_meta(writer.conn, REACHABLE, "1")
        screen._poll_status()
        await until(pilot, lambda: "在线" in status_text(screen), "online")


async def test_a_long_backlog_catching_up_shows_a_progress_bar_until_it_is_gone(
    app: PosApp, till: TillUnderTest
) -> None:
    ledger = till.ledgers[-1]
    # A till back from days offline: a backlog far over CATCH_UP_MIN events.
    apply_catalog(ledger, [sample_item(n) for n in range(CATCH_UP_MIN + 20)])
    with ledger.transaction() as writer:
        write_meta(writer.conn, REACHABLE, "1")
    # Wide enough for the full wording: at 80 columns the bar shrinks to its percentage.
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await start_selling(pilot)
        last_seq = ledger.head()[0]
        await until(pilot, lambda: "0%" in status_text(screen), "the catch-up starting")
        assert "▕          ▏" in status_text(screen)

        def acked(through: int) -> None:
            with ledger.transaction() as writer:
                write_meta(writer.conn, ACKED_THROUGH, str(through))
            screen._poll_status()

        acked(last_seq // 2)
        await until(pilot, lambda: "█████" in status_text(screen), "the catch-up moving")
        assert re.search(r"▏ (4\d|5\d)%", status_text(screen)), status_text(screen)

        acked(last_seq)
        await until(pilot, lambda: "未同步 0" in status_text(screen), "caught up")
        assert "%" not in status_text(screen)
        assert "▕" not in status_text(screen)


def test_a_catch_up_begins_at_a_long_backlog_grows_with_new_sales_and_ends_when_done() -> None:
    def status(backlog: int, alert: str | None = None, reachable: bool = True) -> SyncStatus:
        return SyncStatus(1000, 1000 - backlog, None, alert, reachable)

    assert catch_up_from(None, status(CATCH_UP_MIN - 1)) is None  # the last few sales
    assert catch_up_from(None, status(500)) == 500
    assert catch_up_from(500, status(300)) == 500  # 200 of 500 pushed
    assert catch_up_from(500, status(700)) == 700  # sales made meanwhile
    assert catch_up_from(500, status(0)) is None
    assert catch_up_from(500, status(300, alert="Revoked")) is None
    assert catch_up_from(500, status(300, reachable=False)) is None
    assert catch_up_from(None, SyncStatus(1000, 0, None, None, None)) is None  # not enrolled


def test_the_progress_bar_fills_in_eighths_of_a_cell() -> None:
    assert progress_bar(0, 8, 2) == "▕  ▏"
    assert progress_bar(1, 16, 2) == "▕▏ ▏"
    assert progress_bar(4, 8, 2) == "▕█ ▏"
    assert progress_bar(8, 8, 2) == "▕██▏"
    assert progress_bar(9, 8, 2) == "▕██▏"  # never past full
