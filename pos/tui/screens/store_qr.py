"""The store-QR payment modal: the customer scans the QR on the screen with WeChat
and pays the amount due; its live state and a countdown.

The payment runs in a worker (the QR stays up to its deadline, 120 s by default). The
QR is drawn in text (receipts.qr_text: two modules a character with half blocks),
black on white with its quiet zone, so a phone scans it from the screen. The customer
display, when there is one, shows it too from the worker, and is cleared when the
payment ends; a display that fails is a notice, never a failed payment. Esc cancels
safely: the order is closed, so the QR can no longer be paid, and a customer who paid
in that moment is still paid. The modal closes itself with the result: what WalletPayment returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Digits, Label, Static
from textual.worker import Worker, WorkerState

from pos.domain.errors import PosError
from pos.domain.money import format_amount
from pos.tui.i18n import Strings
from receipts.qr_text import qr_text

if TYPE_CHECKING:
    from devices.customer_display import CustomerDisplay
    from pos.checkout import Checkout
    from pos.payments.native import NativePayClient, NativeProgress, NotifyReceiver
    from pos.payments.wallet_tender import WalletResult

log = logging.getLogger(__name__)

# Dark modules are the characters' foreground, light ones their background; exact RGB,
# not the named colours a terminal theme may remap to greys.
QR_STYLE = Style(color="#000000", bgcolor="#ffffff")


class StoreQrPayment(ModalScreen["WalletResult | PosError"]):
    BINDINGS = [Binding("escape", "cancel", show=False)]  # noqa: RUF012
    # Its own box rather than pos.tcss's .dialog, whose fixed width is too narrow for
    # the QR beside the amount (app CSS would win over these defaults). The QR's room
    # is a gateway code_url's symbol (29 modules and the quiet zone: 37 x 19 cells),
    # so the dialog does not jump when it appears; 71 x 22 cells in all, for 80 x 24.
    DEFAULT_CSS = """
    StoreQrPayment .store-qr {
        width: auto;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $panel;
        padding: 0 1;
    }
    StoreQrPayment .store-qr Horizontal {
        width: auto;
        height: auto;
    }
    StoreQrPayment #qr {
        width: auto;
        height: auto;
        min-width: 37;
        min-height: 19;
    }
    StoreQrPayment #qr-side {
        width: 30;
        height: auto;
        padding: 0 0 0 2;
    }
    StoreQrPayment #qr-state {
        margin: 1 0;
    }
    """

    def __init__(
        self,
        checkout: Checkout,
        native: NativePayClient,
        receiver: NotifyReceiver,
        *,
        store: str,
        strings: Strings,
        deadline_s: float | None = None,
        display: CustomerDisplay | None = None,
    ) -> None:
        """`store` is the order's description on the customer's phone; `deadline_s`
        how long the QR stays up (by default native.DEFAULT_DEADLINE_S); `display` the
        customer display that shows the QR too, if there is one."""
        super().__init__()
        if deadline_s is None:
            from pos.payments.native import DEFAULT_DEADLINE_S  # loaded with `native`

            deadline_s = DEFAULT_DEADLINE_S
        self._checkout = checkout
        self._native = native
        self._receiver = receiver
        self._store = store
        self._strings = strings
        self._deadline_s = deadline_s
        self._display = display
        self._display_failed = False  # one notice a payment, not one per update
        self._cancel = threading.Event()
        self._due = checkout.next_amount()
        self._left = int(deadline_s)
        self._shown = False  # the countdown runs from the QR's appearance, as the wait

    def compose(self) -> ComposeResult:
        strings = self._strings
        with Vertical(classes="store-qr"):
            yield Label(Text(strings("qr.title")), classes="dialog-title")
            with Horizontal():
                yield Static(id="qr")  # the QR, once the gateway has given it
                with Vertical(id="qr-side"):
                    yield Digits(f"¥{format_amount(self._due)}", id="due")
                    yield Static(Text(strings("qr.creating")), id="qr-state")
                    yield Static(id="qr-countdown", classes="problem")

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)
        self._pay()

    def _tick(self) -> None:
        if self._shown and self._left > 0:
            self._left -= 1
        self._show_hint()

    def _show_hint(self) -> None:
        hint = self._strings("qr.cancel_hint", seconds=self._left)
        self.query_one("#qr-countdown", Static).update(Text(hint))

    @work(thread=True, exclusive=True, group="store-qr")
    def _pay(self) -> WalletResult | PosError:
        from pos.payments.store_qr_tender import pay_by_store_qr

        shown = False

        def on_code(code_url: str) -> None:
            nonlocal shown
            lines = qr_text(code_url)  # here in the worker, off the event loop
            self.app.call_from_thread(self._show_code, lines)
            if self._display is not None:
                shown = True
                show = self._display.show_payment
                title = self._strings("qr.title")
                self._on_display(lambda: show(self._due, code_url, [self._store, title]))

        try:
            return pay_by_store_qr(
                self._checkout,
                self._native,
                self._receiver,
                body=self._store,
                on_code=on_code,
                on_progress=lambda progress: self.app.call_from_thread(self._progress, progress),
                cancel=self._cancel,
                deadline_s=self._deadline_s,
            )
        except PosError as error:
            return error
        finally:
            # Paid, failed or cancelled: the QR must not stay up for the next customer.
            if shown and self._display is not None:
                self._on_display(self._display.clear)

    def _on_display(self, update: Callable[[], None]) -> None:
        """Runs a customer display update (worker thread); a failure is a notice and
        the payment goes on: the QR is on the till's screen as well."""
        try:
            update()
        except PosError as error:
            problem = error
        except Exception as error:  # a display's bug must not fail a payment either
            log.exception("customer display update failed")
            problem = PosError("Customer display failed", f"{type(error).__name__}: {error}")
        else:
            return
        if not self._display_failed:
            self._display_failed = True
            self.app.call_from_thread(
                self.app.notify,
                problem.message,
                title=problem.title,
                severity="warning",
                timeout=8,
                markup=False,
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Dismissed once the worker has finished, not from inside it: closing the
        # screen cancels its workers.
        if event.worker.group == "store-qr" and event.state is WorkerState.SUCCESS:
            self.dismiss(event.worker.result)

    def _show_code(self, lines: list[str]) -> None:
        self.query_one("#qr", Static).update(Text("\n".join(lines), QR_STYLE, no_wrap=True))
        self._shown = True
        self._left = int(self._deadline_s)
        self._show_hint()

    def _progress(self, progress: NativeProgress) -> None:
        if self._cancel.is_set():
            return  # "closing" stays up: the cashier asked for it
        text = self._strings(f"qr.{_KEYS[progress.value]}")
        self.query_one("#qr-state", Static).update(Text(text))

    def action_cancel(self) -> None:
        self._cancel.set()
        self.query_one("#qr-state", Static).update(Text(self._strings("qr.closing")))


# NativeProgress values -> their texts' keys (qr.waiting rather than the value's
# waiting_for_customer: shorter keys, same meaning).
_KEYS = {"waiting_for_customer": "waiting", "querying": "querying", "closing": "closing"}
