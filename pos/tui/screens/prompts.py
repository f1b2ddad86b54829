"""Small modal dialogs: ask for a value, ask yes or no, ask a manager to approve."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from pos.domain.staff import StaffMember
from pos.errors import PosError
from pos.tui.i18n import Strings

if TYPE_CHECKING:
    from pos.ledger.database import Ledger


class AskText(ModalScreen[str | None]):
    """One line of input; Enter answers, Esc cancels (None)."""

    BINDINGS = [Binding("escape", "cancel", show=False)]  # noqa: RUF012

    def __init__(self, title: str, prompt: str, *, value: str = "") -> None:
        super().__init__()
        self._title, self._prompt, self._value = title, prompt, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self._title), classes="dialog-title")
            yield Label(Text(self._prompt))
            yield Input(value=self._value, id="answer")

    @on(Input.Submitted)
    def _answered(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """Yes or no by a single key."""

    BINDINGS = [  # noqa: RUF012
        Binding("y", "answer(True)", show=False),
        Binding("n", "answer(False)", show=False),
        Binding("escape", "answer(False)", show=False),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self._question), classes="dialog-title")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ManagerApproval(ModalScreen[StaffMember | None]):
    """A manager's number and PIN at the till; the approval is journaled."""

    BINDINGS = [Binding("escape", "cancel", show=False)]  # noqa: RUF012

    def __init__(
        self,
        ledger: Callable[[], Ledger],
        strings: Strings,
        *,
        action: str,
        action_label: str,
        cashier: str,
        detail: dict[str, Any],
        max_failures: int,
        lockout: timedelta,
    ) -> None:
        super().__init__()
        self._ledger = ledger
        self._strings = strings
        self._action, self._label = action, action_label
        self._cashier, self._detail = cashier, detail
        self._max_failures, self._lockout = max_failures, lockout

    def compose(self) -> ComposeResult:
        strings = self._strings
        with Vertical(classes="dialog"):
            yield Label(Text(strings("manager.title")), classes="dialog-title")
            yield Label(Text(strings("manager.prompt", action=self._label)))
            yield Input(placeholder=strings("sign_in.staff_no"), id="manager", max_length=16)
            yield Input(placeholder=strings("sign_in.pin"), password=True, id="pin", max_length=8)
            yield Static(id="problem", classes="problem")

    @on(Input.Submitted, "#manager")
    def _to_pin(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _check(self) -> None:
        manager = self.query_one("#manager", Input).value.strip()
        pin = self.query_one("#pin", Input)
        self._authorize(manager, pin.value)
        pin.clear()

    @work(thread=True, exclusive=True)
    def _authorize(self, manager: str, pin: str) -> None:
        from pos.overrides import authorize

        try:
            member = authorize(
                self._ledger(),
                manager,
                pin,
                action=self._action,
                cashier=self._cashier,
                detail=self._detail,
                max_failures=self._max_failures,
                lockout=self._lockout,
            )
        except PosError as error:
            self.app.call_from_thread(self._refused, error)
            return
        self.app.call_from_thread(self.dismiss, member)

    def _refused(self, error: PosError) -> None:
        self.app.bell()
        self.query_one("#problem", Static).update(Text(f"{error.title}: {error.message}"))

    def action_cancel(self) -> None:
        self.dismiss(None)
