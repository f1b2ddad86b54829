"""The till's Textual application.

It receives its services from the composition root (pos.cli) and moves between the
screens: sign-in, shift, sale. Errors meant for people (PosError) become notices here
and in the screens' one `_error` each; nothing else formats error dialogs.

Start-up is part of the cashier's experience: the sign-in screen is drawn first and
the ledger (SQLAlchemy, migrations, the catalog) opens in a worker behind it, so this
module and the screens import the ledger-backed modules only where workers use them,
and the screens after sign-in are imported by that worker too (SCREEN_MODULES).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer

from pos.domain.errors import PosError
from pos.domain.staff import Role
from pos.tui.i18n import Strings
from pos.tui.keys import keymap
from pos.tui.messages import (
    CodeScanned,
    FeedJournaled,
    GatewayReachability,
    LanguageSwitched,
    PrinterReported,
    ScannerChanged,
    ScannerRead,
    ShiftOpened,
    SignedIn,
    SignedOut,
    WedgeFlushDue,
)
from pos.tui.screens.device_screen import DeviceScreen
from pos.tui.screens.sign_in import ShiftScreen, SignInScreen
from pos.tui.wedge import Release, Scanned, WedgeDetector, WedgeResult

if TYPE_CHECKING:
    from devices.drawer import CashDrawer
    from devices.scans import DeviceStatus
    from pos.config import Config
    from pos.domain.catalog import Catalog
    from pos.domain.staff import StaffMember
    from pos.hardware import Devices
    from pos.ledger.database import Ledger
    from pos.loyalty import Loyalty, LoyaltyRules
    from pos.shifts import Shift
    from pos.signing import KeyRing
    from pos.spooler import PrinterReport, Spooler
    from pos.tui.screens.sale import SaleScreen
    from pos.wallet_setup import Wallet
    from receipts.sale_receipt import StoreHeader
    from sync.background import BackgroundSync


SELLING_RULES = frozenset(
    {
        "catalog.item_added",
        "catalog.item_updated",
        "catalog.price_changed",
        "key.trusted",
        "key.revoked",
        "campaign.published",
    }
)
"""Journaled from the cloud's feed, these change how the till sells."""

SCREEN_MODULES = ("receipts.text", "pos.tui.screens.sale", "pos.tui.screens.technician")
"""Imported in the background once the ledger is open: the receipt preview and the
screens after sign-in, which the first frame does not need."""


class PosApp(App[None]):
    """The till. Services come in through the constructor; screens get them as attributes."""

    CSS_PATH = "pos.tcss"
    TITLE = "pos"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]  # noqa: RUF012

    def __init__(
        self,
        config: Config,
        ledger: Ledger | Callable[[], Ledger],
        devices: Devices,
        *,
        wallet_opener: Callable[[Config], Wallet | None] | None = None,
    ) -> None:
        """`ledger` is an open ledger, or a function that opens it (in the background).

        The app starts the devices' threads (scanner, print spooler) and stops them
        when it exits; the caller closes the ledger afterwards. `wallet_opener` opens
        the wallet payments (in the background, after the ledger); by default
        pos.wallet_setup.open_wallet on `config`. The app closes what it returns.
        """
        super().__init__()
        self.config = config
        self._ledger_source = ledger
        self._ledger: Ledger | None = None
        self._ledger_problem: PosError | None = None
        self._ledger_ready = threading.Event()
        self.devices = devices
        self._spooler: Spooler | None = None
        self._header: StoreHeader | None = None
        self._wallet: Wallet | None = None
        self._wallet_opener = wallet_opener
        self._loyalty: Loyalty | None = None
        self._header_lock = threading.Lock()
        self.printer_report: PrinterReport | None = None
        self.scanner_status: DeviceStatus | None = None
        settings = config.settings
        self.keys = keymap(settings.ui.keys)
        self.strings = Strings(settings.ui.language)
        self._member: StaffMember | None = None
        self._wedge = WedgeDetector(settings.ui.wedge_max_gap_ms, settings.ui.wedge_min_length)
        self._wedge_timer: Timer | None = None
        self._sync: BackgroundSync | None = None

    def on_mount(self) -> None:
        self.theme = self.config.settings.ui.theme
        self.push_screen(self._sign_in_screen())
        # After the first frame: importing and opening the ledger in a thread still
        # holds the GIL for long stretches, which would delay drawing sign-in.
        self.call_after_refresh(self._open_ledger)
        scanner = self.devices.scanner
        if scanner is not None:
            # The scanner's thread posts; post_message is safe from any thread.
            scanner.start(
                lambda scan: self._post(ScannerRead(scan)),
                lambda status: self._post(ScannerChanged(status)),
            )

    def on_unmount(self) -> None:
        if self._sync is not None:
            self._sync.stop()
        if self._spooler is not None:
            self._spooler.stop()
        if self._wallet is not None:
            self._wallet.close()
        self.devices.close()

    @work(thread=True, exclusive=True, group="ledger-open")
    def _open_ledger(self) -> None:
        source = self._ledger_source
        try:
            self._ledger = source() if callable(source) else source
        except PosError as error:
            self._ledger_problem = error
            self.call_from_thread(self._error, error)
        else:
            self._start_spooler(self._ledger)
            self._start_sync(self._ledger)
            # The receipt preview's modules and the screens after sign-in, loaded
            # here rather than on the event loop or before the first frame.
            for module in SCREEN_MODULES:
                importlib.import_module(module)
        finally:
            self._ledger_ready.set()
        if self._ledger is not None:
            self._start_wallet(self._ledger)

    def _start_sync(self, ledger: Ledger) -> None:
        """Push the journal to the cloud in the background, if the till is enrolled."""
        from sync.background import start_background_sync

        try:
            self._sync = start_background_sync(
                self.config.data_dir,
                ledger,
                self.config.settings.sync,
                on_feed=lambda types: self._post(FeedJournaled(types)),
            )
        except PosError as error:
            self.call_from_thread(self._error, error)

    @on(FeedJournaled)
    def _feed_journaled(self, message: FeedJournaled) -> None:
        if message.types & SELLING_RULES:
            self._reload_selling_rules()
        if "coupon.redemption_rejected" in message.types:
            # The sale stands; the manager needs to know a coupon was worth nothing.
            self.notify(
                self.strings("sync.coupon_rejected"),
                title=self.strings("sync.coupon_rejected_title"),
                severity="warning",
                timeout=30,
            )

    @work(thread=True, exclusive=True, group="selling-rules")
    def _reload_selling_rules(self) -> None:
        """The cloud changed prices, items or keys: sell by them from the next scan."""
        from pos.catalog_admin import current_catalog
        from pos.loyalty_setup import key_ring, selling_campaigns

        catalog = current_catalog(self.ledger)
        loyalty = self._loyalty
        rules = (
            None
            if loyalty is None
            else (
                key_ring(self.ledger),
                replace(loyalty.rules, campaigns=selling_campaigns(self.config, self.ledger)),
            )
        )
        self.call_from_thread(self._sell_by, catalog, rules)

    def _sell_by(self, catalog: Catalog, rules: tuple[KeyRing, LoyaltyRules] | None) -> None:
        # On the event loop, between two scans: a line already on a sale keeps the
        # price it was scanned at.
        if self._loyalty is not None and rules is not None:
            self._loyalty.verifier, self._loyalty.rules = rules
        for screen in self._sale_screens():
            screen.checkout.catalog = catalog
        self.notify(self.strings("sync.catalog_updated"), timeout=5)

    def _start_wallet(self, ledger: Ledger) -> None:
        """Open the wallet gateway and settle payments a crash left open (worker)."""
        from pos.payments.orders import settle_open_orders
        from pos.returns import settle_open_returns
        from pos.wallet_setup import open_wallet

        opener = self._wallet_opener or open_wallet
        try:
            wallet = opener(self.config)
            if wallet is None:
                # Returns refunded in cash only can still have been cut off by a crash.
                settle_open_returns(ledger, {})
                return
            # Started before the wallet is offered to the sale: a scan then meets a
            # known state, never the offline of "not probed yet".
            reachability = wallet.reachability
            reachability.start(lambda online: self._post(GatewayReachability(online)))
            self._wallet = wallet
            # The first state is no change, but the status bar has yet to show it.
            self._post(GatewayReachability(reachability.online))
            settled = len(settle_open_orders(ledger, wallet.client, wallet.native))
            # A return cut off before its refunds were answered: asked again, paid once.
            settled += len(settle_open_returns(ledger, {"wechat": wallet.client}))
        except PosError as error:
            self.call_from_thread(self._error, error)
            return
        if settled:
            self.call_from_thread(
                self.notify,
                self.strings("wallet.settled", count=settled),
                severity="warning",
                markup=False,
            )

    def wallet(self) -> Wallet | None:
        """Wallet payments once started (safe from any thread); None without them."""
        return self._wallet

    @on(GatewayReachability)
    def _gateway_reachability(self) -> None:
        # The screens read the state when they draw their status (wallet().reachability).
        self._devices_changed()

    def _start_spooler(self, ledger: Ledger) -> None:
        from pos.hardware import receipt_renderer
        from pos.print_queue import PrintQueue
        from pos.spooler import Spooler

        spooler = Spooler(
            PrintQueue(ledger),
            self.devices.printer,
            receipt_renderer(self.config, ledger, self._store_header()),
            lambda report: self._post(PrinterReported(report)),
            retry_s=self.config.settings.printer.retry_s,
        )
        spooler.start()
        self._spooler = spooler

    def _post(self, message: Message) -> None:
        # For device threads: post_message is the thread-safe way in.
        self.post_message(message)

    def receipt_queued(self) -> None:
        """A receipt (or a copy) was queued: print it now, and push the sale to the
        cloud now. Safe from any thread."""
        if self._spooler is not None:
            self._spooler.wake()
        if self._sync is not None:
            self._sync.nudge()

    @property
    def drawer(self) -> CashDrawer:
        return self.devices.drawer

    # -- the configured scanner and the printer: states for the status bar -------------

    @on(ScannerRead)
    def _scanner_read(self, message: ScannerRead) -> None:
        self._deliver(CodeScanned(message.scan.text, message.scan.source))

    @on(ScannerChanged)
    def _scanner_changed(self, message: ScannerChanged) -> None:
        self.scanner_status = message.status
        self._devices_changed()

    @on(PrinterReported)
    def _printer_reported(self, message: PrinterReported) -> None:
        before = self.printer_report
        self.printer_report = message.report
        self._devices_changed()
        status = message.report.status
        if message.report.stuck and not (before is not None and before.stuck):
            # Once per stoppage, not every retry: receipts wait, the sale goes on.
            self.bell()
            self.notify(
                self.strings(
                    "notice.printer_blocked",
                    state=self.strings(f"device.{status.state.value}"),
                    count=message.report.waiting,
                ),
                title=self.strings("notice.printer_title"),
                severity="warning",
                timeout=10,
                markup=False,
            )

    def _devices_changed(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, DeviceScreen):
                screen.show_devices(self.printer_report, self.scanner_status)

    def _sale_screens(self) -> list[SaleScreen]:
        # Loaded behind the first frame (SCREEN_MODULES); none is open before it is.
        from pos.tui.screens.sale import SaleScreen

        return [screen for screen in self.screen_stack if isinstance(screen, SaleScreen)]

    def _deliver(self, scanned: CodeScanned) -> None:
        # A scan belongs to the sale even when a dialog is on top of it; the sale
        # screen decides what a scan means at that moment. At sign-in it means nothing.
        for screen in reversed(self.screen_stack):
            if isinstance(screen, DeviceScreen):
                screen.post_message(scanned)
                break

    @property
    def ledger(self) -> Ledger:
        """The open ledger; waits for it to open, so never call it on the event loop."""
        self._ledger_ready.wait()
        if self._ledger is None:
            raise self._ledger_problem or PosError("Ledger unavailable", "It did not open.")
        return self._ledger

    @property
    def opened_ledger(self) -> Ledger | None:
        """The ledger if it has opened (for closing it at exit), without waiting."""
        return self._ledger

    # -- the keyboard wedge: scans are told from typing before any widget sees a key ------

    async def on_event(self, event: events.Event) -> None:
        # on_event is where the driver's keys land first, before priority bindings
        # and the focused widget; a key that bubbles to on_key has already been typed.
        if isinstance(event, events.Key) and not event.is_forwarded:
            # event.time is stamped when the driver read the key, so a busy event loop
            # cannot stretch a scanner's gaps into typing.
            await self._wedge_result(self._wedge.feed(event.character, event.key, event.time))
        else:
            await super().on_event(event)

    async def on_wedge_flush_due(self, message: WedgeFlushDue) -> None:
        await self._wedge_result(self._wedge.flush_due(message.time))

    async def _wedge_result(self, result: WedgeResult | None) -> None:
        if isinstance(result, Scanned):
            self._deliver(CodeScanned(result.text))
        elif isinstance(result, Release):
            for character, key in result.keys:
                await super().on_event(events.Key(key, character))
        if self._wedge_timer is not None:
            self._wedge_timer.stop()
            self._wedge_timer = None
        if self._wedge.holding:
            delay = self._wedge.max_gap_ms / 1000 + 0.002
            self._wedge_timer = self.set_timer(delay, lambda: self.post_message(WedgeFlushDue()))

    def _sign_in_screen(self) -> SignInScreen:
        security = self.config.settings.security
        return SignInScreen(
            lambda: self.ledger,
            self.strings,
            store=self.config.settings.store.name,
            max_failures=security.max_pin_failures,
            lockout=timedelta(minutes=security.lockout_minutes),
        )

    @on(SignedIn)
    def _signed_in(self, message: SignedIn) -> None:
        self._member = message.member
        if message.member.role is Role.TECHNICIAN:
            from pos.tui.screens.technician import TechnicianScreen

            # Technicians look after devices and sell nothing: no shift, no sale.
            screen = TechnicianScreen(
                self.config, self.devices, lambda: self.ledger, message.member, self.strings
            )
            screen.show_devices(self.printer_report, self.scanner_status)
            self.switch_screen(screen)
            return
        self._find_shift(message.member)

    @work(thread=True, exclusive=True)
    def _find_shift(self, member: StaffMember) -> None:
        from pos.shifts import current_shift

        shift = current_shift(self.ledger, member.staff_no)
        if shift is None:
            self.call_from_thread(
                self.switch_screen, ShiftScreen(lambda: self.ledger, self.strings, member)
            )
        else:
            self._start_selling(member, shift)

    @on(ShiftOpened)
    def _shift_opened(self, message: ShiftOpened) -> None:
        assert self._member is not None
        self._open_sale(self._member, message.shift)

    @work(thread=True, exclusive=True)
    def _open_sale(self, member: StaffMember, shift: Shift) -> None:
        self._start_selling(member, shift)

    def _start_selling(self, member: StaffMember, shift: Shift) -> None:
        """Build the cashier's checkout (worker thread: it reads the ledger)."""
        from pos.catalog_admin import current_catalog
        from pos.checkout import Checkout, Till
        from pos.end_of_day import Place
        from pos.loyalty_setup import open_loyalty
        from pos.tui.screens.sale import SaleScreen, SaleSession

        settings = self.config.settings
        try:
            if self._loyalty is None:
                self._loyalty = open_loyalty(self.config, self.ledger)
            checkout = Checkout(
                self.ledger,
                current_catalog(self.ledger),
                Till(
                    settings.till.device_id,
                    settings.till.receipt_prefix,
                    member.staff_no,
                    shift.shift_id,
                ),
                settings.scanner.rules(),
                loyalty=self._loyalty,
            )
            checkout.restore_draft()
        except PosError as error:
            self.call_from_thread(self._error, error)
            return
        session = SaleSession(
            checkout=checkout,
            cashier=member,
            shift=shift,
            drawer=self.drawer,
            store=self._store_header(),
            keys=self.keys,
            max_failures=settings.security.max_pin_failures,
            lockout=timedelta(minutes=settings.security.lockout_minutes),
            zone=ZoneInfo(settings.store.timezone),
            store_id=settings.store.id,
            receipt_queued=self.receipt_queued,
            wallet=self.wallet,
            customer_display=self.devices.customer_display,
            place=Place.of(settings),
            denominations=settings.drawer.denominations_fen(),
        )
        screen = SaleScreen(session, self.strings)
        screen.show_devices(self.printer_report, self.scanner_status)
        self.call_from_thread(self.switch_screen, screen)

    def _store_header(self) -> StoreHeader:
        """The receipt header with its logo; built once (worker threads only: it may
        read the logo file)."""
        from pos.hardware import store_header

        with self._header_lock:
            if self._header is None:
                self._header = store_header(self.config)
            return self._header

    @on(LanguageSwitched)
    def _language_switched(self) -> None:
        self.strings = self.strings.other()

    @on(SignedOut)
    def _signed_out(self) -> None:
        self._member = None
        self.switch_screen(self._sign_in_screen())

    def _error(self, error: PosError) -> None:
        self.bell()
        self.notify(error.message, title=error.title, severity="error", timeout=10, markup=False)
