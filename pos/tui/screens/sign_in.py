"""Sign-in with staff number and PIN, then opening the shift with its float."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from pos.domain.errors import PosError
from pos.domain.money import format_amount, parse_amount
from pos.tui.i18n import Strings
from pos.tui.messages import ShiftOpened, SignedIn

if TYPE_CHECKING:
    from pos.domain.staff import StaffMember
    from pos.ledger.database import Ledger

LedgerSource = Callable[[], "Ledger"]
"""Gives the ledger once it is open (it opens in the background while sign-in shows);
call it only from a worker thread."""


class SignInScreen(Screen[None]):
    """Staff number, PIN, Enter. A wrong PIN says how many tries remain."""

    def __init__(
        self,
        ledger: LedgerSource,
        strings: Strings,
        *,
        store: str,
        max_failures: int,
        lockout: timedelta,
    ) -> None:
        super().__init__()
        self._ledger = ledger
        self._strings = strings
        self._store = store
        self._max_failures, self._lockout = max_failures, lockout

    def compose(self) -> ComposeResult:
        strings = self._strings
        with Center(), Vertical(classes="dialog sign-in"):
            yield Label(Text(self._store), classes="dialog-title")
            yield Label(Text(strings("sign_in.title")))
            yield Input(placeholder=strings("sign_in.staff_no"), id="staff_no", max_length=16)
            yield Input(placeholder=strings("sign_in.pin"), password=True, id="pin", max_length=8)
            yield Static(Text(strings("sign_in.hint")), id="problem", classes="problem")
        yield Footer()

    @on(Input.Submitted, "#staff_no")
    def _to_pin(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _submit(self) -> None:
        staff_no = self.query_one("#staff_no", Input).value.strip()
        pin = self.query_one("#pin", Input)
        self.query_one("#problem", Static).update(Text(self._strings("sign_in.checking")))
        # scrypt takes tens of milliseconds by design: never on the event loop.
        self._check(staff_no, pin.value)
        pin.clear()

    @work(thread=True, exclusive=True)
    def _check(self, staff_no: str, pin: str) -> None:
        from pos.staff import sign_in

        try:
            member = sign_in(
                self._ledger(),
                staff_no,
                pin,
                max_failures=self._max_failures,
                lockout=self._lockout,
            )
        except PosError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self.post_message, SignedIn(member))

    def _refused(self, error: PosError) -> None:
        self.app.bell()
        problem = self.query_one("#problem", Static)
        problem.update(Text(f"{error.title}: {error.message}"))
        problem.add_class("-error")
        self.query_one("#pin", Input).focus()


class ShiftScreen(Screen[None]):
    """The opening float counted into the drawer; the shift is on every sale after it."""

    def __init__(self, ledger: LedgerSource, strings: Strings, member: StaffMember) -> None:
        super().__init__()
        self._ledger = ledger
        self._strings = strings
        self._member = member

    def compose(self) -> ComposeResult:
        strings = self._strings
        with Center(), Vertical(classes="dialog"):
            yield Label(
                Text(f"{strings('shift.title')} · {self._member.name}"), classes="dialog-title"
            )
            yield Label(Text(strings("shift.float")))
            yield Input(value="200.00", id="float", max_length=12)
            yield Static(Text(strings("shift.hint")), id="problem", classes="problem")
        yield Footer()

    @on(Input.Submitted, "#float")
    def _submit(self, event: Input.Submitted) -> None:
        try:
            amount = parse_amount(event.value)
        except PosError as error:
            self._refused(error)
            return
        self._open(amount)

    @work(thread=True, exclusive=True)
    def _open(self, amount: int) -> None:
        from pos.shifts import open_shift

        try:
            shift = open_shift(self._ledger(), self._member.staff_no, amount)
        except PosError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self.post_message, ShiftOpened(shift))
        self.app.call_from_thread(
            self.notify, self._strings("shift.opened", amount=format_amount(amount))
        )

    def _refused(self, error: PosError) -> None:
        self.app.bell()
        self.query_one("#problem", Static).update(Text(f"{error.title}: {error.message}"))
