"""The returns screen: a sale opened from its receipt, the lines and quantities coming back.

It only picks: the sale screen asks a manager's PIN, then makes the return in a worker
(pos.returns), so the refund rules live in one place. What is left to return comes from
the ledger, so a line already returned cannot be picked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from pos.domain.errors import PosError
from pos.domain.money import format_amount
from pos.domain.returns import plan_lines
from pos.tui.i18n import Strings

if TYPE_CHECKING:
    from pos.returns import ReturnableSale


@dataclass(frozen=True, slots=True)
class ReturnPicked:
    """The cashier's choice: units of each line (by line number) coming back."""

    receipt_no: str
    picks: dict[int, int]
    amount: int


@dataclass(frozen=True, slots=True)
class CopyAsked:
    """A copy of the receipt instead (F9): the scan of a receipt also serves reprints."""

    receipt_no: str


class ReturnSale(ModalScreen["ReturnPicked | CopyAsked | None"]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", show=False),
        Binding("plus,equals_sign,right", "step(1)", show=False),
        Binding("minus,left", "step(-1)", show=False),
        Binding("a", "all", show=False),
        Binding("enter", "confirm", show=False, priority=True),
        Binding("f9", "copy", show=False),
    ]

    def __init__(self, returnable: ReturnableSale, strings: Strings) -> None:
        super().__init__()
        self._sale = returnable.sale
        self._history = returnable.history
        self._left = returnable.left()
        self._picks = dict.fromkeys(self._left, 0)
        self._strings = strings

    def compose(self) -> ComposeResult:
        strings = self._strings
        with Vertical(classes="dialog wide"):
            yield Label(
                Text(strings("return.title", receipt=self._sale.receipt_no)),
                classes="dialog-title",
            )
            yield DataTable(id="return-lines", cursor_type="row", zebra_stripes=True)
            yield Static(id="return-total")
            yield Static(Text(strings("return.hint")), id="problem", classes="problem")

    def on_mount(self) -> None:
        table = self.query_one("#return-lines", DataTable)
        strings = self._strings
        for label in ("return.item", "return.sold", "return.paid", "return.left", "return.back"):
            table.add_column(Text(strings(label)), key=label)
        for line in self._sale.lines:
            sold = f"{line.weight_g}g" if line.weight_g is not None else str(line.quantity)
            table.add_row(
                Text(line.name(strings.lang)),
                Text(sold, justify="right"),
                Text(format_amount(line.net), justify="right"),
                Text(str(self._left[line.line_no]), justify="right"),
                Text("0", justify="right"),
                key=str(line.line_no),
            )
        table.focus()
        self._show_total()

    def _line_no(self) -> int:
        table = self.query_one("#return-lines", DataTable)
        return self._sale.lines[table.cursor_row].line_no

    def action_step(self, step: int) -> None:
        line_no = self._line_no()
        self._set(line_no, self._picks[line_no] + step)

    def action_all(self) -> None:
        for line_no, left in self._left.items():
            self._set(line_no, left)

    def _set(self, line_no: int, quantity: int) -> None:
        if not 0 <= quantity <= self._left[line_no]:
            self.app.bell()
            return
        self._picks[line_no] = quantity
        table = self.query_one("#return-lines", DataTable)
        table.update_cell(str(line_no), "return.back", Text(str(quantity), justify="right"))
        self._show_total()

    def _amount(self) -> int:
        picked = {no: quantity for no, quantity in self._picks.items() if quantity}
        if not picked:
            return 0
        return sum(line.amount for line in plan_lines(self._sale, picked, self._history))

    def _show_total(self) -> None:
        text = self._strings("return.refund", amount=format_amount(self._amount()))
        self.query_one("#return-total", Static).update(Text(text, style="bold"))

    def action_confirm(self) -> None:
        picked = {no: quantity for no, quantity in self._picks.items() if quantity}
        if not picked:
            self._problem(self._strings("return.nothing"))
            return
        try:
            amount = self._amount()
        except PosError as error:
            self._problem(error.message)
            return
        self.dismiss(ReturnPicked(self._sale.receipt_no, picked, amount))

    def action_copy(self) -> None:
        self.dismiss(CopyAsked(self._sale.receipt_no))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _problem(self, text: str) -> None:
        self.app.bell()
        problem = self.query_one("#problem", Static)
        problem.update(Text(text))
        problem.add_class("-error")
