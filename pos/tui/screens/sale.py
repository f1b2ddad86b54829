"""The sale screen: where a cashier spends the day.

Cart changes are pure and immediate (the checkout's cart, on the event loop); anything
that touches the ledger or a device runs in a thread worker and reports back with
`call_from_thread`. The sale in progress is saved after every change so a crash or a
restart brings it back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Digits, Footer, Input, Label, Static

from pos.domain.cart import Discount
from pos.domain.cash_count import CNY_DENOMINATIONS
from pos.domain.errors import PosError
from pos.domain.money import format_amount, parse_amount
from pos.domain.sale import SaleRecord
from pos.scan_outcomes import (
    Added,
    CouponPresented,
    MemberPresented,
    ReceiptRequested,
    Refused,
    ScanOutcome,
    WalletPresented,
)
from pos.tui.i18n import Strings
from pos.tui.keys import bindings
from pos.tui.messages import CodeScanned, LanguageSwitched, SignedOut
from pos.tui.screens.device_screen import DeviceScreen
from pos.tui.screens.dialogs import CashTender, HelpScreen, PriceLookup, ReceiptView, ResumeSale
from pos.tui.screens.end_of_day import EndOfDayContext, EndOfDayView
from pos.tui.screens.member_view import MemberView
from pos.tui.screens.prompts import AskText, Confirm, ManagerApproval
from pos.tui.screens.returns import CopyAsked, ReturnPicked, ReturnSale
from pos.tui.screens.wallet import WalletPayment
from pos.tui.widgets import (
    CartTable,
    EntryLine,
    MemberPanel,
    MessageLine,
    StatusBar,
    TillStatus,
    TotalsPanel,
)
from receipts.words import local_time

if TYPE_CHECKING:
    from textual.timer import Timer

    # The ledger-backed modules load in the background after the first frame (see
    # PosApp); at run time they are imported where the workers use them.
    from devices.customer_display import CustomerDisplay
    from devices.drawer import CashDrawer
    from devices.scans import DeviceStatus
    from pos.checkout import Checkout
    from pos.domain.members import Member
    from pos.domain.returns import ReturnRecord
    from pos.domain.staff import StaffMember
    from pos.end_of_day import Place
    from pos.loyalty import HeldCoupon
    from pos.payments.wallet_tender import WalletResult
    from pos.returns import Refunder
    from pos.shifts import Shift
    from pos.spooler import PrinterReport
    from pos.wallet_setup import Wallet
    from receipts.sale_receipt import StoreHeader
    from sync.pusher import SyncStatus

STATUS_REFRESH_S = 5.0


@dataclass(frozen=True, slots=True)
class SaleSession:
    """Everything the sale screen works with, handed down by the app."""

    checkout: Checkout
    cashier: StaffMember
    shift: Shift
    drawer: CashDrawer
    store: StoreHeader
    keys: Mapping[str, str]
    max_failures: int
    lockout: timedelta
    zone: tzinfo
    """The store's time zone: times on screen and receipts are local."""
    store_id: str
    receipt_queued: Callable[[], None]
    """Tells the spooler a receipt was queued (safe from a worker thread)."""
    wallet: Callable[[], Wallet | None]
    """Wallet payments once started (the code and store-QR clients, the gateway's
    reachability; safe from any thread); None when there are none."""
    customer_display: CustomerDisplay | None = None
    """The screen facing the customer, shown the store QR; None: there is none."""
    place: Place | None = None
    """The store and its business days, for the manager's end-of-day screen."""
    denominations: tuple[int, ...] = CNY_DENOMINATIONS
    """The drawer's notes and coins in fen ([drawer] denominations)."""


class SaleScreen(DeviceScreen):
    """Scan, adjust, pay; every action has a key (see keys.py and the help screen)."""

    def __init__(self, session: SaleSession, strings: Strings) -> None:
        super().__init__()
        self.session = session
        self.checkout = session.checkout
        self.strings = strings
        self._sync: SyncStatus | None = None
        self._catch_up_from: int | None = None
        """The backlog when a catch-up began: the progress bar's whole."""
        self._fast_poll: Timer | None = None
        self._printer: PrinterReport | None = None
        self._scanner: DeviceStatus | None = None
        self._last: SaleRecord | None = None
        # While a sale commits its cart must not change: entries wait here meanwhile.
        self._paying = False
        self._waiting: list[tuple[str, bool]] = []
        self._bind_keys()

    # -- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            with ContentSwitcher(initial="cart", id="main"):
                yield CartTable(id="cart")
                with VerticalScroll(id="last-receipt"):
                    yield Static(id="receipt-text", classes="paper")
            with Vertical(id="side"):
                yield TotalsPanel(id="totals")
                with Vertical(id="change-box"):
                    yield Label(id="change-label")
                    yield Digits(id="change")
                yield MemberPanel(id="member")
        yield EntryLine(placeholder=self.strings("entry.placeholder"), id="entry", max_length=4096)
        yield MessageLine(id="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#change-box").display = False
        self._show_sale()
        self._show_status()
        self.query_one("#entry", Input).focus()
        self.set_interval(STATUS_REFRESH_S, self._poll_status)
        self._poll_status()

    def _bind_keys(self) -> None:
        # The keys are the store's (pos.toml) and the labels follow the language, so
        # the bindings are built per screen rather than declared on the class.
        self._bindings = BindingsMap(
            [
                *bindings(self.session.keys, self.strings),
                # The entry line keeps the focus; these move through the cart anyway.
                Binding("up", "cart_cursor(-1)", show=False),
                Binding("down", "cart_cursor(1)", show=False),
                # The entry line would take Delete for itself; removing a line matters more.
                Binding("delete", "remove", show=False, priority=True),
            ]
        )

    # -- scans and typed entries ---------------------------------------------------

    @on(Input.Submitted, "#entry")
    def _entered(self, event: Input.Submitted) -> None:
        event.input.clear()
        if event.value.strip():
            self._take(event.value, typed=True)

    def scan(self, text: str) -> None:
        """A scan from any scanner (the wedge detector, a serial or camera reader)."""
        self._take(text, typed=False)

    @on(CodeScanned)
    def _code_scanned(self, message: CodeScanned) -> None:
        if self.app.screen is not self:
            # A dialog is open (the tender, a manager's PIN): the sale must not change
            # under it. Say so rather than drop the scan silently.
            self.app.bell()
            self.app.screen.notify(self.strings("notice.dialog_open"), severity="warning")
            return
        self.scan(message.text)

    def _take(self, text: str, *, typed: bool) -> None:
        if self._paying:
            self._waiting.append((text, typed))
            return
        self._apply(self.checkout.enter(text) if typed else self.checkout.scan(text))

    def _apply(self, outcome: ScanOutcome) -> None:
        if isinstance(outcome, Refused):
            self._refuse(outcome)
        elif isinstance(outcome, ReceiptRequested):
            self._open_receipt(outcome.receipt_no)
        elif isinstance(outcome, WalletPresented):
            self._pay_by_wallet(outcome)
        elif isinstance(outcome, MemberPresented):
            self._customer_job(lambda: self._found(self.checkout.present_member(outcome.code)))
        elif isinstance(outcome, CouponPresented):
            self._customer_job(
                lambda: self._coupon_added(self.checkout.present_coupon(outcome.code))
            )
        else:
            self._added(outcome)

    # -- members and coupons -------------------------------------------------------

    @work(thread=True, group="customer")
    def _customer_job(self, job: Callable[[], str]) -> None:
        """Check a member or coupon (signatures, the ledger) off the event loop; the
        panel and the totals follow, and the sale in progress keeps them."""
        try:
            said = job()
        except PosError as error:
            self.app.call_from_thread(self._refused_customer, error)
            return
        self.app.call_from_thread(self._customer_changed, said)

    def _found(self, member: Member) -> str:
        return self.strings("member.found", member=member.member_no)

    def _coupon_added(self, held: HeldCoupon) -> str:
        return self.strings(
            "coupon.added", campaign=held.candidate.campaign.name(self.strings.lang)
        )

    def _refused_customer(self, error: PosError) -> None:
        self.app.bell()
        self._say(f"{error.title} · {error.message}", error=True)

    def _customer_changed(self, said: str) -> None:
        self._show_sale()
        self._say(said)
        self._save_draft()

    def action_member(self) -> None:
        """Find the customer by their mobile number, or enroll them with it."""
        if self.checkout.loyalty is None:
            self._say(self.strings("refused.no_members"), error=True)
            return

        def answered(phone: str | None) -> None:
            if phone:
                self._find_phone(phone)

        self.app.push_screen(
            AskText(self.strings("member.find_title"), self.strings("member.find_prompt")),
            answered,
        )

    @work(thread=True, group="customer")
    def _find_phone(self, phone: str) -> None:
        loyalty = self.checkout.loyalty
        assert loyalty is not None
        try:
            member = loyalty.find_by_phone(phone)
            if member is not None:
                self.checkout.set_member(member.member_no)
                self.app.call_from_thread(self._customer_changed, self._found(member))
                return
        except PosError as error:
            self.app.call_from_thread(self._refused_customer, error)
            return
        self.app.call_from_thread(self._offer_enrollment, phone)

    def _offer_enrollment(self, phone: str) -> None:
        from pos.domain.members import mask_phone, parse_phone

        def answered(yes: bool | None) -> None:
            if yes:
                self._customer_job(lambda: self._enroll(phone))

        masked = mask_phone(parse_phone(phone))
        self.app.push_screen(
            Confirm(self.strings("member.enroll_prompt", phone=masked)),
            answered,
        )

    def _enroll(self, phone: str) -> str:
        loyalty = self.checkout.loyalty
        assert loyalty is not None
        member, _issued = loyalty.enroll_by_phone(phone)
        self.checkout.set_member(member.member_no)
        return self.strings("member.enrolled", member=member.member_no)

    def action_member_view(self) -> None:
        """The manager's member view (PIN first): the sale's member, or one asked for."""
        if self.checkout.loyalty is None:
            self._say(self.strings("refused.no_members"), error=True)
            return

        def approved(manager: StaffMember | None) -> None:
            if manager is None:
                return
            if self.checkout.member is not None:
                self._open_member_file(self.checkout.member.member_no, manager.staff_no)
                return

            def answered(who: str | None) -> None:
                if who:
                    self._open_member_file(who, manager.staff_no)

            self.app.push_screen(
                AskText(self.strings("mv.find_title"), self.strings("mv.find_prompt")), answered
            )

        self.app.push_screen(self._approval("member_view", "action.member_view", {}), approved)

    @work(thread=True, group="customer")
    def _open_member_file(self, who: str, manager: str) -> None:
        from pos.member_file import find_member_file

        loyalty = self.checkout.loyalty
        assert loyalty is not None
        try:
            file = find_member_file(loyalty.ledger, who)
        except PosError as error:
            self.app.call_from_thread(self._refused_customer, error)
            return
        view = MemberView(file, loyalty, self.strings, self.session.zone, manager)
        self.app.call_from_thread(self.app.push_screen, view, self._member_view_closed)

    def action_end_of_day(self) -> None:
        """The manager's X/Z, cash count and cash in/out screen (PIN first)."""
        session = self.session

        def approved(manager: StaffMember | None) -> None:
            if manager is None or session.place is None:
                return
            context = EndOfDayContext(
                ledger=self.checkout.ledger,
                place=session.place,
                manager=manager.staff_no,
                cashier=session.cashier.staff_no,
                shift=session.shift,
                denominations=session.denominations,
                max_failures=session.max_failures,
                lockout=session.lockout,
                receipt_queued=session.receipt_queued,
            )
            self.app.push_screen(EndOfDayView(context, self.strings), self._end_of_day_closed)

        self.app.push_screen(self._approval("end_of_day", "action.end_of_day", {}), approved)

    def _end_of_day_closed(self, shift_closed: bool | None) -> None:
        if shift_closed:  # the drawer was counted and the shift closed: a new one next
            self.app.notify(self.strings("eod.shift_closed"), markup=False)
            self.post_message(SignedOut())

    def _member_view_closed(self, _result: object) -> None:
        # The manager may have adjusted or deleted the sale's member: read them again.
        if self.checkout.member is not None and not self.checkout.tenders:
            self._customer_job(self._refreshed_member)

    def _refreshed_member(self) -> str:
        member = self.checkout.refresh_member()
        return self.strings("member.none") if member is None else self._found(member)

    def action_points(self) -> None:
        """Pay the next amount (or part of it) with the member's points."""
        member = self.checkout.member
        if member is None or self.checkout.cart.is_empty:
            self._say(self.strings("member.none_for_points"), error=True)
            return
        due = self.checkout.next_amount()
        prompt = self.strings("points.prompt", points=member.points, due=format_amount(due))

        def answered(answer: str | None) -> None:
            if not answer:
                return
            try:
                amount = parse_amount(answer)
            except PosError as error:
                self._refused_customer(error)
                return
            self._paying = True
            self._pay_points(amount)

        self.app.push_screen(AskText(self.strings("points.title"), prompt), answered)

    @work(thread=True, group="ledger")
    def _pay_points(self, amount: int) -> None:
        try:
            record = self.checkout.tender_points(amount)
        except PosError as error:
            self.app.call_from_thread(self._refused_customer, error)
            self.app.call_from_thread(self._payment_over)
            return
        if record is None:
            self.app.call_from_thread(self._part_taken, "points", amount)
        else:
            self.session.receipt_queued()
            self.app.call_from_thread(self._paid, record)
        self.app.call_from_thread(self._payment_over)

    def _added(self, outcome: Added) -> None:
        self._back_to_cart()
        self._show_sale()
        self.query_one(CartTable).follow_last()
        name = outcome.item.name(self.strings.lang)
        self._say(f"+ {name}  {format_amount(outcome.line.gross)}")
        self._save_draft()

    def _refuse(self, refused: Refused) -> None:
        key = f"refused.{refused.reason}"
        title = (
            self.strings(key, code="") if self.strings.has(key) else self.strings("refused.title")
        )
        self.app.bell()
        self._say(f"{title} · {refused.message}", error=True)

    # -- cart actions --------------------------------------------------------------

    def action_cart_cursor(self, step: int) -> None:
        cart = self.query_one(CartTable)
        cart.move_cursor(cart.cursor_row + step)

    def action_quantity(self) -> None:
        line_id = self._selected()
        if line_id is None:
            return
        line = self.checkout.cart.line(line_id)
        prompt = self.strings("quantity.prompt", item=line.item.name(self.strings.lang))

        def answered(answer: str | None) -> None:
            if not answer:
                return
            if not (answer.isascii() and answer.isdigit()):
                self._say(self.strings("notice.bad_quantity"), error=True)
                return
            self._change(lambda: self.checkout.cart.set_quantity(line_id, int(answer)))

        self.app.push_screen(
            AskText(self.strings("quantity.title"), prompt, value=str(line.quantity)), answered
        )

    def action_remove(self) -> None:
        line_id = self._selected()
        if line_id is None:
            return
        name = self.checkout.cart.line(line_id).item.name(self.strings.lang)
        self._change(lambda: self.checkout.void_line(line_id))
        self._say(self.strings("notice.removed", item=name))

    def action_discount(self) -> None:
        line_id = self._selected()
        if line_id is None:
            return

        def answered(answer: str | None) -> None:
            if not answer:
                return
            try:
                discount = (
                    Discount(percent_bp=parse_amount(answer.removesuffix("%")))
                    if answer.endswith("%")
                    else Discount(amount=parse_amount(answer))
                )
            except PosError as error:
                self._say(error.message, error=True)
                return
            self._with_manager(
                "line_discount",
                "action.discount",
                {"line_id": line_id, "answer": answer},
                check=lambda: self.checkout.cart.check_line_discount(line_id, discount),
                change=lambda: self.checkout.cart.set_line_discount(line_id, discount),
            )

        self.app.push_screen(
            AskText(self.strings("discount.title"), self.strings("discount.prompt")), answered
        )

    def action_price(self) -> None:
        line_id = self._selected()
        if line_id is None:
            return
        line = self.checkout.cart.line(line_id)
        prompt = self.strings("price.prompt", item=line.item.name(self.strings.lang))

        def answered(answer: str | None) -> None:
            if not answer:
                return
            try:
                price = parse_amount(answer)
            except PosError as error:
                self._say(error.message, error=True)
                return
            self._with_manager(
                "price_override",
                "action.price",
                {"sku": line.item.sku, "old": line.unit_price, "new": price},
                check=lambda: self.checkout.cart.check_price_override(line_id, price),
                change=lambda: self.checkout.cart.override_price(line_id, price),
            )

        self.app.push_screen(
            AskText(self.strings("price.title"), prompt, value=format_amount(line.unit_price)),
            answered,
        )

    def action_clear(self) -> None:
        if self.checkout.cart.is_empty:
            return
        parts = bool(self.checkout.tenders)

        def answered(yes: bool | None) -> None:
            if yes and parts:
                self._give_back_parts()
            elif yes:
                self._ledger_job(self.checkout.clear, self.strings("notice.cleared"))

        question = "confirm.clear_parts" if parts else "confirm.clear"
        self.app.push_screen(Confirm(self.strings(question)), answered)

    @work(thread=True, group="ledger")
    def _give_back_parts(self) -> None:
        from pos.payments.wallet_tender import give_back_parts

        try:
            wallet = self.session.wallet()
            cash = give_back_parts(self.checkout, wallet.client if wallet else None)
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            return
        self.app.call_from_thread(
            self._job_done, self.strings("notice.parts_given_back", amount=format_amount(cash))
        )

    def action_lookup(self) -> None:
        self.app.push_screen(PriceLookup(self.checkout.catalog, self.strings))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.session.keys, self.strings))

    def action_suspend(self) -> None:
        if self.checkout.cart.is_empty:
            return
        self._ledger_job(self.checkout.suspend, self.strings("notice.suspended"))

    def action_resume(self) -> None:
        self._list_suspended()

    @work(thread=True, group="ledger")
    def _list_suspended(self) -> None:
        sales = self.checkout.suspended()

        def picked(draft_id: str | None) -> None:
            if draft_id:
                self._ledger_job(
                    lambda: self.checkout.resume(draft_id), self.strings("notice.resumed")
                )

        self.app.call_from_thread(
            self.app.push_screen, ResumeSale(sales, self.strings, self.session.zone), picked
        )

    # -- paying --------------------------------------------------------------------

    def action_pay_cash(self) -> None:
        if self.checkout.cart.is_empty:
            self._say(self.strings("notice.nothing_to_pay"), error=True)
            return
        due = self.checkout.next_amount()

        def tendered(amount: int | None) -> None:
            if amount is not None:
                self._paying = True
                self._pay(amount)

        self.app.push_screen(CashTender(due, self.strings), tendered)

    @work(thread=True, group="ledger")
    def _pay(self, tendered: int) -> None:
        from pos.cash_drawer import open_drawer

        try:
            record = self.checkout.tender_cash(tendered)
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            self.app.call_from_thread(self._payment_over)
            return
        if record is None:
            part = self.checkout.tenders[-1]
            self.app.call_from_thread(self._part_taken, "cash", part.amount, part.change)
        else:
            self.session.receipt_queued()
            self.app.call_from_thread(self._paid, record)
        self.app.call_from_thread(self._payment_over)
        try:
            open_drawer(
                self.session.drawer,
                self.checkout.ledger,
                reason="sale",
                staff_no=self.session.cashier.staff_no,
                sale_id=record.sale_id if record else None,
            )
        except PosError as error:
            self.app.call_from_thread(self._error, error)

    def _part_taken(self, tender: str, amount: int, change: int = 0) -> None:
        self._show_sale()
        if change:
            self.query_one("#change-label", Label).update(Text(self.strings("last.change")))
            self.query_one("#change", Digits).update(f"¥{format_amount(change)}")
            self.query_one("#change-box").display = True
        self._say(
            self.strings(
                "notice.part_taken",
                tender=self.strings(f"tender_name.{tender}"),
                amount=format_amount(amount),
                due=format_amount(self.checkout.amount_due()),
            )
        )

    def action_split(self) -> None:
        if self.checkout.cart.is_empty:
            self._say(self.strings("notice.nothing_to_pay"), error=True)
            return
        prompt = self.strings("split.prompt", due=format_amount(self.checkout.amount_due()))

        def answered(answer: str | None) -> None:
            if not answer:
                return
            try:
                self.checkout.split(parse_amount(answer))
            except PosError as error:
                self.app.bell()
                self._say(f"{error.title} · {error.message}", error=True)
                return
            self._show_sale()
            self._say(
                self.strings("notice.split", amount=format_amount(self.checkout.next_amount()))
            )

        self.app.push_screen(AskText(self.strings("split.title"), prompt), answered)

    def _paid(self, record: SaleRecord) -> None:
        from receipts.text import receipt_lines  # loaded behind sign-in (PosApp._open_ledger)

        self._last = record
        self._show_sale()
        lines = receipt_lines(
            record, self.session.store, lang=self.strings.lang, zone=self.session.zone
        )
        self.query_one("#receipt-text", Static).update(Text("\n".join(lines)))
        self.query_one("#main", ContentSwitcher).current = "last-receipt"
        self.query_one("#change-label", Label).update(Text(self.strings("last.change")))
        self.query_one("#change", Digits).update(f"¥{format_amount(record.change)}")
        self.query_one("#change-box").display = True
        self._say(self.strings("last.paid", receipt=record.receipt_no))

    def _payment_over(self) -> None:
        self._paying = False
        waiting, self._waiting = self._waiting, []
        for text, typed in waiting:
            self._take(text, typed=typed)

    def _back_to_cart(self) -> None:
        self.query_one("#main", ContentSwitcher).current = "cart"
        self.query_one("#change-box").display = False

    def _pay_by_wallet(self, presented: WalletPresented) -> None:
        # WeChat Pay is the one wallet this till takes; another provider's code is
        # refused as unavailable, like a wallet that has not started.
        wallet = self._wallet_ready(
            self.session.wallet() if presented.provider == "wechat" else None
        )
        if wallet is None:
            return
        self._paying = True
        modal = WalletPayment(
            self.checkout,
            wallet.client,
            presented.code,
            store=self.session.store.name,
            strings=self.strings,
        )
        self.app.push_screen(modal, self._wallet_done)

    def action_store_qr(self) -> None:
        """The store's payment QR for the customer to scan (WeChat Pay native pay)."""
        from pos.tui.screens.store_qr import StoreQrPayment

        if self.checkout.cart.is_empty:
            self._say(self.strings("notice.nothing_to_pay"), error=True)
            return
        if self._paying:
            return
        wallet = self._wallet_ready(self.session.wallet())
        if wallet is None:
            return
        self._paying = True
        modal = StoreQrPayment(
            self.checkout,
            wallet.native,
            wallet.receiver,
            store=self.session.store.name,
            strings=self.strings,
            deadline_s=wallet.qr_deadline_s,
            display=self.session.customer_display,
        )
        self.app.push_screen(modal, self._wallet_done)

    def _wallet_ready(self, wallet: Wallet | None) -> Wallet | None:
        """`wallet` if a payment can go to its gateway now; else refuse, saying why."""
        if wallet is None:
            self._refuse(
                Refused("wallet_unavailable", "", self.strings("refused.wallet_unavailable"))
            )
            return None
        if not wallet.reachability.online:
            # Refused before anything is journaled or sent: an offline payment would
            # only wait out its timeouts and then be reversed.
            self._refuse(Refused("wallet_offline", "", self.strings("wallet.gateway_unreachable")))
            self._show_status()
            return None
        return wallet

    def _online(self) -> bool:
        """Whether the cloud answered the pusher's last attempt; on a till that does
        not sync, whether wallet payments can reach their gateway."""
        if self._sync is not None and self._sync.reachable is not None:
            return self._sync.reachable
        wallet = self.session.wallet()
        return wallet is not None and wallet.reachability.online

    def _wallet_done(self, result: WalletResult | PosError | None) -> None:
        from pos.payments.micropay import Outcome

        self._payment_over()
        if result is None:
            return
        if isinstance(result, PosError):
            self._error(result)
            return
        if result.sale is not None:
            self.session.receipt_queued()
            self._paid(result.sale)
            self._say(self.strings("wallet.paid", receipt=result.sale.receipt_no))
            return
        payment = result.payment
        if result.part_paid:
            self._part_taken("wechat", payment.total_fee)
            return
        self.app.bell()
        if payment.outcome is Outcome.REVERSED:
            self._say(self.strings("wallet.reversed"), error=True)
        elif payment.outcome is Outcome.UNRESOLVED:
            self._say(self.strings("wallet.unresolved", order=payment.out_trade_no), error=True)
        else:
            self._say(self.strings("wallet.not_paid", reason=payment.reason), error=True)

    # -- receipts and the drawer -------------------------------------------------------

    def action_reprint(self) -> None:
        self._reprint(None)

    def action_returns(self) -> None:
        def answered(receipt_no: str | None) -> None:
            if receipt_no and receipt_no.strip():
                self._open_receipt(receipt_no.strip())

        self.app.push_screen(
            AskText(self.strings("return.ask_title"), self.strings("return.ask")), answered
        )

    @work(thread=True, group="ledger")
    def _open_receipt(self, receipt_no: str) -> None:
        """A scanned or typed receipt: the sale, to return goods from or print a copy."""
        from pos.returns import find_sale

        try:
            returnable = find_sale(self.checkout.ledger, receipt_no)
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            return
        self.app.call_from_thread(
            self.app.push_screen, ReturnSale(returnable, self.strings), self._return_picked
        )

    def _return_picked(self, picked: ReturnPicked | CopyAsked | None) -> None:
        if isinstance(picked, CopyAsked):
            self._reprint(picked.receipt_no)
        elif isinstance(picked, ReturnPicked):
            # An override's detail is flat: the lines as "line:units" pairs.
            lines = " ".join(f"{line_no}:{units}" for line_no, units in picked.picks.items())
            detail = {"receipt_no": picked.receipt_no, "lines": lines, "amount": picked.amount}

            def approved(manager: StaffMember | None) -> None:
                if manager is not None:
                    self._make_return(picked, manager)

            self.app.push_screen(self._approval("refund", "action.returns", detail), approved)

    @work(thread=True, group="ledger")
    def _make_return(self, picked: ReturnPicked, manager: StaffMember) -> None:
        from pos.cash_drawer import open_drawer
        from pos.returns import complete_return, start_return

        ledger = self.checkout.ledger
        wallet = self.session.wallet()
        refunders: dict[str, Refunder] = {"wechat": wallet.client} if wallet else {}
        try:
            record = start_return(
                ledger,
                picked.receipt_no,
                picked.picks,
                cashier=self.session.cashier.staff_no,
                manager=manager.staff_no,
                receipt_prefix=self.checkout.till.receipt_prefix,
            )
            done = complete_return(ledger, record, refunders)
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            return
        self.session.receipt_queued()
        self.app.call_from_thread(self._returned, done)
        if done.cash_back:
            try:
                open_drawer(self.session.drawer, ledger, reason="refund", staff_no=manager.staff_no)
            except PosError as error:
                self.app.call_from_thread(self._error, error)

    def _returned(self, done: ReturnRecord) -> None:
        from receipts.text import receipt_lines

        lines = receipt_lines(
            done, self.session.store, lang=self.strings.lang, zone=self.session.zone
        )
        self.query_one("#receipt-text", Static).update(Text("\n".join(lines)))
        self.query_one("#main", ContentSwitcher).current = "last-receipt"
        self.query_one("#change-label", Label).update(Text(self.strings("return.cash_back")))
        self.query_one("#change", Digits).update(f"¥{format_amount(done.cash_back)}")
        self.query_one("#change-box").display = True
        refused = [result.reason for result in done.results if result.reason]
        said = self.strings(
            "return.done", receipt=done.receipt_no, amount=format_amount(done.amount)
        )
        if refused:
            said += " · " + self.strings("return.in_cash", reason="; ".join(refused))
        self._say(said, error=bool(refused))

    @work(thread=True, group="ledger")
    def _reprint(self, receipt_no: str | None) -> None:
        from pos.ledger.queries import last_sale, sale_by_receipt
        from pos.receipt_copies import record_reprint
        from receipts.text import receipt_lines

        ledger = self.checkout.ledger
        with ledger.read() as conn:
            record = last_sale(conn) if receipt_no is None else sale_by_receipt(conn, receipt_no)
        if record is None:
            self.app.call_from_thread(self._say, self.strings("notice.no_receipt"), error=True)
            return
        try:
            record_reprint(ledger, record, self.session.cashier.staff_no)
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            return
        self.session.receipt_queued()
        lines = receipt_lines(
            record, self.session.store, lang=self.strings.lang, copy=True, zone=self.session.zone
        )
        self.app.call_from_thread(
            self.app.push_screen, ReceiptView(self.strings("receipt.copy_title"), lines)
        )

    def action_no_sale(self) -> None:
        def approved(manager: StaffMember | None) -> None:
            if manager is not None:
                self._no_sale(manager)

        self.app.push_screen(self._approval("no_sale", "action.no_sale", {}), approved)

    @work(thread=True, group="ledger")
    def _no_sale(self, manager: StaffMember) -> None:
        from pos.cash_drawer import open_drawer

        try:
            open_drawer(
                self.session.drawer,
                self.checkout.ledger,
                reason="no_sale",
                staff_no=manager.staff_no,
            )
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            return
        self.app.call_from_thread(self._say, self.strings("notice.drawer_opened", who=manager.name))

    # -- language and sign-out ---------------------------------------------------------

    def action_language(self) -> None:
        self.strings = self.strings.other()
        self._bind_keys()
        self.refresh_bindings()
        self.query_one("#entry", Input).placeholder = self.strings("entry.placeholder")
        self._show_sale()
        self._show_status()
        if self._last is not None and self.query_one("#change-box").display:
            self._paid(self._last)
        self.post_message(LanguageSwitched())

    def action_sign_out(self) -> None:
        self.post_message(SignedOut())

    # -- helpers -----------------------------------------------------------------------

    def _selected(self) -> int | None:
        line_id = self.query_one(CartTable).selected_line
        if line_id is None:
            self._say(self.strings("notice.no_line"), error=True)
        return line_id

    def _change(self, change: Callable[[], object]) -> None:
        if self._paying:
            return
        try:
            self.checkout.check_changeable()
            change()
        except PosError as error:
            self._say(f"{error.title} · {error.message}", error=True)
            self.app.bell()
            return
        self._show_sale()
        self._save_draft()

    def _with_manager(
        self,
        action: str,
        label: str,
        detail: dict[str, Any],
        *,
        check: Callable[[], object],
        change: Callable[[], object],
    ) -> None:
        """Ask a manager only for a change the cart will take (the approval is journaled)."""
        try:
            check()
        except PosError as error:
            self.app.bell()
            self._say(f"{error.title} · {error.message}", error=True)
            return

        def approved(manager: StaffMember | None) -> None:
            if manager is not None:
                self._change(change)

        self.app.push_screen(self._approval(action, label, detail), approved)

    def _approval(self, action: str, label: str, detail: dict[str, Any]) -> ManagerApproval:
        return ManagerApproval(
            lambda: self.checkout.ledger,
            self.strings,
            action=action,
            action_label=self.strings(label),
            cashier=self.session.cashier.staff_no,
            detail=detail,
            max_failures=self.session.max_failures,
            lockout=self.session.lockout,
        )

    def _ledger_job(self, job: Callable[[], object], done: str) -> None:
        self._run_ledger_job(job, done)

    @work(thread=True, group="ledger")
    def _run_ledger_job(self, job: Callable[[], object], done: str) -> None:
        try:
            job()
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            return
        self.app.call_from_thread(self._job_done, done)

    def _job_done(self, done: str) -> None:
        self._back_to_cart()
        self._show_sale()
        self._say(done)

    @work(thread=True, group="drafts")
    def _save_draft(self) -> None:
        try:
            self.checkout.save_draft()
        except PosError as error:
            self.app.call_from_thread(self._error, error)

    def _error(self, error: PosError) -> None:
        self.app.bell()
        self._say(f"{error.title} · {error.message}", error=True)
        self.notify(error.message, title=error.title, severity="error", timeout=8, markup=False)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.query_one(MessageLine).say(text, error=error)

    def _show_sale(self) -> None:
        checkout = self.checkout
        totals = checkout.totals()
        self.query_one(CartTable).show(checkout.cart, totals, self.strings)
        member = checkout.member
        loyalty = checkout.loyalty
        self.query_one(MemberPanel).show(
            self.strings,
            member,
            loyalty.rules.program.tier(member.lifetime_points) if loyalty and member else None,
            checkout.offers,
            loyalty.rules.campaigns if loyalty else None,
        )
        self.query_one(TotalsPanel).show(
            totals,
            self.strings,
            paid=sum(tender.amount for tender in checkout.tenders),
            part=checkout.part,
        )

    def show_devices(self, printer: PrinterReport | None, scanner: DeviceStatus | None) -> None:
        """The printer's and the scanner's latest states (attributes down from the app)."""
        dropped = scanner.dropped if scanner is not None and scanner is not self._scanner else ""
        if dropped and self.is_mounted:
            # A read the scanner dropped is a refused scan to the cashier: beep and say why.
            self.app.bell()
            self._say(self.strings("scanner.dropped", reason=dropped), error=True)
        self._printer, self._scanner = printer, scanner
        if self.is_mounted:
            self._show_status()

    def _show_status(self) -> None:
        session = self.session
        printer, scanner, sync = self._printer, self._scanner, self._sync
        self.query_one(StatusBar).show(
            TillStatus(
                store=session.store.name,
                store_id=session.store_id,
                cashier=f"{session.cashier.staff_no} {session.cashier.name}",
                shift=local_time(session.shift.opened_ts, session.zone, "%H:%M"),
                online=self._online(),
                backlog=sync.backlog if sync else 0,
                sync_halted=sync is not None and sync.alert is not None,
                last_sync=(
                    local_time(sync.last_sync, session.zone, "%H:%M")
                    if sync and sync.last_sync
                    else ""
                ),
                catch_up=(
                    (self._catch_up_from - sync.backlog, self._catch_up_from)
                    if sync and self._catch_up_from
                    else None
                ),
                printer=f"device.{printer.status.state.value}" if printer else "device.starting",
                printer_waiting=printer.waiting if printer else 0,
                scanner=f"device.{scanner.state.value}" if scanner else "device.ready",
            ),
            self.strings,
        )

    @work(thread=True, exclusive=True, group="status")
    def _poll_status(self) -> None:
        from sync.pusher import sync_status

        self.app.call_from_thread(self._status_polled, sync_status(self.checkout.ledger))

    def _status_polled(self, status: SyncStatus) -> None:
        alert = status.alert
        if alert is not None and alert != (self._sync.alert if self._sync else None):
            # Pushing has halted (revoked, a fork): the manager must hear of it; the
            # till sells on, and the backlog in the status bar turns red until solved.
            self.notify(alert, title=self.strings("sync.alert_title"), severity="error", timeout=30)
        self._sync = status
        self._catch_up_from = catch_up_from(self._catch_up_from, status)
        # The progress bar moves every second while catching up, not every five.
        if self._catch_up_from is not None and self._fast_poll is None:
            self._fast_poll = self.set_interval(1.0, self._poll_status)
        elif self._catch_up_from is None and self._fast_poll is not None:
            self._fast_poll.stop()
            self._fast_poll = None
        self._show_status()


CATCH_UP_MIN = 100
"""A backlog this long is a catch-up (after a time offline), shown with a progress bar;
a shorter one is the few events of the last sales, pushed within moments."""


def catch_up_from(began: int | None, status: SyncStatus) -> int | None:
    """The backlog a catch-up is measured against, or None when there is none: it
    begins when the cloud answers and the backlog is at least CATCH_UP_MIN, grows with
    sales made meanwhile and ends when the backlog is gone, pushing halts or the cloud
    is out of reach again (a till that does not sync never catches up)."""
    if status.backlog == 0 or status.alert is not None or not status.reachable:
        return None
    if began is None:
        return status.backlog if status.backlog >= CATCH_UP_MIN else None
    return max(began, status.backlog)
