"""Driving the till's Textual app with Pilot against real ledger files.

The fixtures (tests/tui/conftest.py) build a `TillUnderTest`: the demo store's data
folder in tmp_path and a SimulatedDrawer; `till.app()` is a PosApp on it as `pos run`
builds one, and calling it again is a restart on the same data.

The app does its ledger and device work in thread workers that report back on the
event loop, and one step can start the next (the PIN check posts SignedIn, whose
handler starts the worker that looks for the shift). `settle` waits for workers until
a round starts no new one, then lets the loop drain its messages: no sleeps.

Keys are pressed by Pilot with no delay between them. Once the keyboard-wedge
detector is hooked in, a burst of 6+ printable keys ending in Enter arrives as a scan
rather than typing. For codes both paths end in the same checkout, so the tests hold
either way; staff numbers and PINs typed here are shorter than 6 characters.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.text import Text
from sqlalchemy import select
from textual import events
from textual._time import get_time
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled

from devices.customer_display import CustomerDisplay
from devices.drawer import SimulatedDrawer
from devices.printer_sim import SimulatedPrinter
from pos.bootstrap import open_ledger
from pos.config import Config, load_config
from pos.hardware import Devices
from pos.ledger.database import Clock, Ledger
from pos.ledger.tables import DRAFTS, JOURNAL
from pos.tui.app import PosApp
from pos.tui.screens.sale import SaleScreen
from pos.tui.screens.sign_in import ShiftScreen, SignInScreen
from pos.tui.widgets import CartTable, StatusBar
from pos.wallet_setup import Wallet

WATER = "6921168509256"
"""农夫山泉饮用天然水 550ml / Nongfu Spring Natural Water 550ml, 2.00 (13%)."""
NOODLES = "6920152103197"
"""康师傅鲜虾鱼板面 桶装 / Master Kong Shrimp & Fish Cake Noodles, Cup, 4.50 (13%)."""
APPLES_1234G = "2110001012341"
"""Scale label: prefix 21, PLU 10001 (红富士苹果 Fuji Apples, 12.00/kg), 01234 g, check 1."""

CASHIER = ("101", "1234")
OTHER_CASHIER = ("102", "2345")
MANAGER = ("900", "9000")

FROZEN_AT = datetime(2026, 3, 14, 1, 30, tzinfo=UTC)
"""The snapshot tests' clock (09:30 in the demo store's Asia/Shanghai)."""


def frozen_clock() -> datetime:
    return FROZEN_AT


# -- the till under test ---------------------------------------------------------------


@dataclass
class TillUnderTest:
    """One till's data folder, drawer and printer; `app()` builds a PosApp on it like
    pos.cli (the printer is the in-process simulator, keeping its jobs in memory)."""

    config: Config
    drawer: SimulatedDrawer = field(default_factory=SimulatedDrawer)
    printer: SimulatedPrinter = field(default_factory=SimulatedPrinter)
    clock: Clock | None = None
    ledgers: list[Ledger] = field(default_factory=list)

    def app(
        self,
        *,
        language: str | None = None,
        wallet_opener: Callable[[Config], Wallet | None] | None = None,
        display: CustomerDisplay | None = None,
    ) -> PosApp:
        """A new app on this data folder: the first start, or a restart after a quit or
        a crash. `language` overrides [ui] language as pos.toml would; `wallet_opener`
        replaces the configured wallet (PosApp's keyword of that name); `display` is
        the customer display (none by default)."""
        config = self.config
        if language is not None:
            settings = config.settings
            ui = settings.ui.model_copy(update={"language": language})
            config = dataclasses.replace(config, settings=settings.model_copy(update={"ui": ui}))
        ledger = open_ledger(config) if self.clock is None else open_ledger(config, self.clock)
        self.ledgers.append(ledger)
        devices = Devices(self.printer, self.drawer, None, "simulator", "keyboard wedge")
        if display is not None:
            devices.customer_display = display
        return PosApp(config, ledger, devices, wallet_opener=wallet_opener)

    def events(self, type_: str) -> list[dict[str, Any]]:
        """Payloads of the journal's events of one type, oldest first (a fresh reader)."""
        ledger = Ledger(self.config.ledger_path, self.config.settings.till.device_id)
        try:
            with ledger.read() as conn:
                rows = conn.execute(
                    select(JOURNAL.c.payload).where(JOURNAL.c.type == type_).order_by(JOURNAL.c.seq)
                ).all()
        finally:
            ledger.close()
        return [json.loads(row.payload) for row in rows]

    def drafts(self) -> list[tuple[str, str]]:
        """(kind, staff_no) of the sales in progress and suspended sales kept in the ledger."""
        ledger = Ledger(self.config.ledger_path, self.config.settings.till.device_id)
        try:
            with ledger.read() as conn:
                rows = conn.execute(
                    select(DRAFTS.c.kind, DRAFTS.c.staff_no).order_by(DRAFTS.c.created)
                ).all()
        finally:
            ledger.close()
        return [(row.kind, row.staff_no) for row in rows]

    def close(self) -> None:
        for ledger in self.ledgers:
            ledger.close()


def seed_template(folder: Path) -> Path:
    """Create and seed a demo ledger once; tests copy the file rather than seed again
    (seeding hashes four PINs with scrypt)."""
    config = load_config(None, folder / "data", environ={})
    ledger = open_ledger(config)
    ledger.checkpoint()
    ledger.close()
    return config.ledger_path


def make_till(template: Path, folder: Path, clock: Clock | None = None) -> TillUnderTest:
    """The demo store with its data folder in `folder`, starting from the seeded file."""
    config = load_config(None, folder / "data", environ={})
    config.data_dir.mkdir(parents=True)
    shutil.copyfile(template, config.ledger_path)
    return TillUnderTest(config, clock=clock)


# -- driving it --------------------------------------------------------------------------


DEVICE_WAIT_S = 15.0
"""How long a test waits for a device thread (the spooler, a scanner) before failing."""


async def until(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition` holds: device threads report in their own time.
    The bound only keeps a broken device path from hanging the suite."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEVICE_WAIT_S
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def customer_pays_the_store_qr(app: PosApp, out_trade_no: str, payer: str) -> None:
    """The customer scans the store's QR for the order and pays: the wallet sandbox's
    admin route plays the phone."""
    wallet = app.wallet()
    assert wallet is not None
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{wallet.native.settings.url}/sandbox/native/pay",
            json={"out_trade_no": out_trade_no, "payer": payer},
        )
    assert answer.status_code == 200, answer.text


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs and the event loop has handled what they reported.

    A worker's report can start the next worker (sign-in -> find the shift -> build
    the checkout), so this waits again until a round starts nothing new. An exclusive
    worker replaced by a newer call (the status poll) ends cancelled: that is the app
    working as designed, so it only means waiting another round.
    """
    app = pilot.app
    for _ in range(50):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError(f"workers kept running: {list(app.workers)}")


async def wait_for(pilot: Pilot[Any], condition: Callable[[], object], what: str = "") -> None:
    """Let the app run until `condition()` holds (a bounded number of idle waits).

    For what no worker signals: keys the wedge detector holds back until its flush
    timer (the gap threshold) has passed, as when typing without an Enter.
    """
    for _ in range(100):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"never happened: {what or condition}")


async def scanner_burst(pilot: Pilot[Any], text: str, gap_ms: float = 10) -> None:
    """Keys as a USB keyboard-wedge scanner types them: `gap_ms` apart, then Enter.

    The keys go in as the terminal driver delivers them (events.Key posted to the
    app), stamped with synthetic times; they start a second ahead of the clock so no
    flush timer can fall inside the burst however slowly the loop handles them.
    """
    app = pilot.app
    start = get_time() + 1.0  # the clock Textual stamps events.Key with
    for index, character in enumerate([*text, "\r"]):
        if character == "\r":
            key = events.Key("enter", "\r")
        else:
            key = events.Key(_character_to_key(character), character)
        key.time = start + index * gap_ms / 1000
        app.post_message(key)
    await settle(pilot)


async def type_line(pilot: Pilot[Any], text: str) -> None:
    """Press each character of `text`, then Enter, and wait for whatever it started."""
    await pilot.press(*text, "enter")
    await settle(pilot)


async def sign_in(
    pilot: Pilot[Any], staff_no: str = "101", pin: str = "1234", *, typed: bool = True
) -> None:
    """Enter the staff number and the PIN on the sign-in screen; wait for the answer.

    Typed key by key, or with `typed=False` put into the fields and submitted with one
    Enter each (quicker, for tests whose subject is what comes after signing in).
    """
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen), screen
    if typed:
        await type_line(pilot, staff_no)
        await type_line(pilot, pin)
        return
    for field_id, text in (("#staff_no", staff_no), ("#pin", pin)):
        entry = screen.query_one(field_id, Input)
        assert pilot.app.focused is entry, pilot.app.focused
        entry.value = text
        await pilot.press("enter")
    await settle(pilot)


async def open_shift(pilot: Pilot[Any], opening_float: str | None = None) -> None:
    """Accept the prefilled float, or type another, on the shift screen."""
    screen = pilot.app.screen
    assert isinstance(screen, ShiftScreen), screen
    if opening_float is not None:
        screen.query_one("#float", Input).value = ""
        await pilot.press(*opening_float)
    await pilot.press("enter")
    await settle(pilot)


async def start_selling(
    pilot: Pilot[Any], staff_no: str = "101", pin: str = "1234", *, typed: bool = False
) -> SaleScreen:
    """Sign in and open the shift if asked: the sale screen, ready for scans.

    Signing in is not what the callers test (test_sign_in.py types it key by key), so
    the fields are filled rather than typed unless `typed`.
    """
    await sign_in(pilot, staff_no, pin, typed=typed)
    if isinstance(pilot.app.screen, ShiftScreen):
        await open_shift(pilot)
    return sale_screen(pilot)


async def approve(pilot: Pilot[Any], staff_no: str, pin: str) -> None:
    """Answer the manager-approval dialog with a number and PIN."""
    await type_line(pilot, staff_no)
    await type_line(pilot, pin)


# -- reading the screen --------------------------------------------------------------------


def sale_screen(pilot: Pilot[Any]) -> SaleScreen:
    screen = pilot.app.screen
    assert isinstance(screen, SaleScreen), screen
    return screen


def text_of(widget: Static) -> str:
    """The plain text a Static shows (this app always gives Statics a Text; the
    status bar chooses its wording as it renders)."""
    content = widget.render() if isinstance(widget, StatusBar) else widget.content
    return content.plain if isinstance(content, Text) else str(content)


def message(screen: SaleScreen) -> str:
    return text_of(screen.query_one("#message", Static))


def cart_rows(screen: SaleScreen) -> list[list[str]]:
    """The cart's cells, row by row: whole names, numbers without their alignment."""
    return [list(row) for row in screen.query_one("#cart", CartTable).rows]


def column_labels(cart: CartTable) -> list[str]:
    return list(cart.labels)
