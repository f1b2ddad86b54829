"""The wallet payment modal: the customer's code is being charged; its live state.

The payment runs in a worker (it can take up to the gateway's deadline when the
customer has to type a password); the modal shows each step and a countdown. Esc
cancels safely: the order is not abandoned but reversed, so a customer who pays in
that moment gets the money back. The modal closes itself with the result.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Digits, Label, Static
from textual.worker import Worker, WorkerState

from pos.domain.errors import PosError
from pos.domain.money import format_amount
from pos.tui.i18n import Strings

if TYPE_CHECKING:
    from pos.checkout import Checkout
    from pos.payments.micropay import MicropayClient, Progress
    from pos.payments.wallet_tender import WalletResult


class WalletPayment(ModalScreen["WalletResult | PosError"]):
    BINDINGS = [Binding("escape", "cancel", show=False)]  # noqa: RUF012

    def __init__(
        self,
        checkout: Checkout,
        client: MicropayClient,
        code: str,
        *,
        store: str,
        strings: Strings,
    ) -> None:
        super().__init__()
        self._checkout = checkout
        self._client = client
        self._code = code
        self._store = store
        self._strings = strings
        self._cancel = threading.Event()
        self._due = checkout.totals().total
        self._left = int(client.settings.deadline_s)

    def compose(self) -> ComposeResult:
        strings = self._strings
        with Vertical(classes="dialog tender"):
            yield Label(Text(strings("wallet.title")), classes="dialog-title")
            yield Digits(f"¥{format_amount(self._due)}", id="due")
            yield Static(Text(strings("wallet.sending")), id="wallet-state")
            yield Static(id="wallet-countdown", classes="problem")

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)
        self._pay()

    def _tick(self) -> None:
        if self._left > 0:
            self._left -= 1
        hint = self._strings("wallet.cancel_hint", seconds=self._left)
        self.query_one("#wallet-countdown", Static).update(Text(hint))

    @work(thread=True, exclusive=True, group="wallet")
    def _pay(self) -> WalletResult | PosError:
        from pos.payments.wallet_tender import pay_by_wallet

        try:
            return pay_by_wallet(
                self._checkout,
                self._client,
                self._code,
                body=self._store,
                on_progress=lambda progress: self.app.call_from_thread(self._progress, progress),
                cancel=self._cancel,
            )
        except PosError as error:
            return error

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Dismissed once the worker has finished, not from inside it: closing the
        # screen cancels its workers.
        if event.worker.group == "wallet" and event.state is WorkerState.SUCCESS:
            self.dismiss(event.worker.result)

    def _progress(self, progress: Progress) -> None:
        text = self._strings(f"wallet.{progress.value}")
        self.query_one("#wallet-state", Static).update(Text(text))

    def action_cancel(self) -> None:
        self._cancel.set()
        self.query_one("#wallet-state", Static).update(Text(self._strings("wallet.reversing")))
