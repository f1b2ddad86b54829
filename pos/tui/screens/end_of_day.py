"""The manager's end-of-day screen: the X report with its hourly chart and tenders,
closing the day (Z), printing, counting the drawer to close the shift, and cash in and
out of the drawer (pay-in, pay-out, bleed).

The sale screen asks a manager's PIN before opening it (override end_of_day). Closing the
day and each cash movement ask for the PIN again, as they are journaled with the
manager's number (override day_close, pay_in, pay_out, bleed). Every read and write runs
in a worker; the screen only shows what the ledger answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from pos.domain.errors import MoneyError
from pos.domain.money import format_amount, parse_amount
from pos.errors import PosError
from pos.tui.hour_chart import hour_chart
from pos.tui.i18n import Strings
from pos.tui.screens.prompts import AskText, Confirm, ManagerApproval

if TYPE_CHECKING:
    # pos.end_of_day reads the ledger (SQLAlchemy): imported where the workers use it,
    # so the till's first frame does not wait for it.
    from pos.domain.reports import Report
    from pos.end_of_day import Place
    from pos.ledger.database import Ledger
    from pos.shifts import DrawerCount, Shift


@dataclass(frozen=True, slots=True)
class EndOfDayContext:
    ledger: Ledger
    place: Place
    manager: str
    """Who opened the screen with their PIN."""
    cashier: str
    shift: Shift
    """The signed-in cashier's shift: the drawer counted here."""
    denominations: tuple[int, ...]
    max_failures: int
    lockout: timedelta
    receipt_queued: Callable[[], None]


class EndOfDayView(ModalScreen[bool]):
    """Dismissed with True when the shift was closed (the cashier is then signed out)."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "close", show=False),
        Binding("x", "x_report", show=False),
        Binding("z", "close_day", show=False),
        Binding("p", "print", show=False),
        Binding("c", "count", show=False),
        Binding("i", "move('pay_in')", show=False),
        Binding("o", "move('pay_out')", show=False),
        Binding("b", "move('bleed')", show=False),
    ]

    DEFAULT_CSS = """
    #eod-tenders { height: auto; max-height: 8; }
    #eod-chart { height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, context: EndOfDayContext, strings: Strings) -> None:
        super().__init__()
        self._eod = context
        self._strings = strings
        self._report: Report | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(id="eod-title", classes="dialog-title")
            yield Static(id="eod-summary")
            yield DataTable(id="eod-tenders", cursor_type="none", zebra_stripes=True)
            yield Static(id="eod-chart")
            yield Static(Text(self._strings("eod.hint")), id="eod-hint")
            yield Static(id="problem", classes="problem")

    def on_mount(self) -> None:
        table = self.query_one("#eod-tenders", DataTable)
        for label in ("eod.tender", "eod.count", "eod.sales", "eod.refunds", "eod.net"):
            table.add_column(Text(self._strings(label)), key=label)
        self.action_x_report()

    # -- showing a report -------------------------------------------------------------

    def action_x_report(self) -> None:
        self._load(self._x)

    def _x(self) -> Report:
        from pos.end_of_day import x_report

        return x_report(self._eod.ledger, self._eod.place)

    @work(thread=True, exclusive=True, group="eod-report")
    def _load(self, make: Callable[[], Report]) -> None:
        try:
            report = make()
        except PosError as error:
            self.app.call_from_thread(self._problem, error)
            return
        self.app.call_from_thread(self._show, report)

    def _show(self, report: Report) -> None:
        self._report = report
        strings, header, totals, cash = self._strings, report.header, report.totals, report.cash
        kind = strings(f"eod.kind_{header.kind}")
        if header.z_no is not None:
            kind += f" #{header.z_no}"
        self.query_one("#eod-title", Label).update(
            Text(strings("eod.title", kind=kind, day=header.business_day))
        )
        share = report.members.member_share_bp
        summary = "\n".join(
            (
                strings(
                    "eod.totals",
                    receipts=totals.receipts,
                    sales=format_amount(totals.sales_total),
                    returns=format_amount(totals.returns),
                    net=format_amount(totals.net_sales),
                    tax=format_amount(totals.tax),
                ),
                strings(
                    "eod.cash",
                    expected=format_amount(cash.expected),
                    counted=_maybe(cash.counted, strings),
                    difference=_maybe(cash.difference, strings),
                    moved=format_amount(cash.pay_ins - cash.pay_outs - cash.bleeds),
                ),
                strings(
                    "eod.more",
                    share=f"{share // 100}.{share % 100:02d}%",
                    coupons=report.coupons.redeemed,
                    copies=report.copies_printed,
                    grand=format_amount(totals.grand_total),
                ),
            )
        )
        self.query_one("#eod-summary", Static).update(Text(summary))
        table = self.query_one("#eod-tenders", DataTable)
        table.clear()
        for line in report.tenders:
            table.add_row(
                Text(tender_name(strings, line.tender)),
                Text(str(line.count), justify="right"),
                Text(format_amount(line.sales), justify="right"),
                Text(format_amount(line.refunds), justify="right"),
                Text(format_amount(line.net), justify="right"),
            )
        chart = hour_chart(report.hours)
        self.query_one("#eod-chart", Static).update(
            Text("\n".join(chart) if chart else strings("eod.no_sales"))
        )

    # -- closing the day --------------------------------------------------------------

    def action_close_day(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.push_screen(self._approval("day_close", "eod.close_day", {}), approved)

        def approved(manager: Any) -> None:
            if manager is not None:
                self._load(lambda: self._close(manager.staff_no))

        self.app.push_screen(Confirm(self._strings("eod.confirm_close")), confirmed)

    def _close(self, manager: str) -> Report:
        from pos.end_of_day import close_day
        from pos.report_printing import queue_report

        context = self._eod
        report = close_day(context.ledger, context.place, manager)
        queue_report(context.ledger, report)  # a Z is always printed
        context.receipt_queued()
        return report

    def action_print(self) -> None:
        if self._report is not None:
            self._print(self._report)

    @work(thread=True, group="eod")
    def _print(self, report: Report) -> None:
        from pos.report_printing import queue_report

        try:
            queue_report(self._eod.ledger, report)
        except PosError as error:
            self.app.call_from_thread(self._problem, error)
            return
        self._eod.receipt_queued()
        self.app.call_from_thread(self._say, self._strings("eod.printing"))

    # -- the drawer -----------------------------------------------------------------

    def action_count(self) -> None:
        self._ask_count()

    @work(thread=True, group="eod")
    def _ask_count(self) -> None:
        from pos.shifts import other_tenders

        try:
            tenders = other_tenders(self._eod.ledger, self._eod.shift.shift_id)
        except PosError as error:
            self.app.call_from_thread(self._problem, error)
            return
        dialog = CashCountDialog(self._eod.denominations, tenders, self._strings)
        self.app.call_from_thread(self.app.push_screen, dialog, self._counted)

    def _counted(self, counted: Counted | None) -> None:
        if counted is not None:
            self._count(counted)

    @work(thread=True, group="eod")
    def _count(self, counted: Counted) -> None:
        from pos.shifts import count_drawer

        context = self._eod
        pieces, others = counted
        try:
            count = count_drawer(
                context.ledger, context.shift.shift_id, pieces, context.denominations, others
            )
        except PosError as error:
            self.app.call_from_thread(self._problem, error)
            return
        self.app.call_from_thread(self._after_count, count)

    def _after_count(self, count: DrawerCount) -> None:
        if not any(count.differences.values()):
            self._close_shift(count)
            return

        def answered(close: bool | None) -> None:
            if close:
                self._close_shift(count)
            else:
                self.action_count()  # a recount; the first count stays in the journal

        question = self._strings(
            "eod.difference",
            counted=format_amount(count.counted),
            expected=format_amount(count.expected),
            difference=format_amount(count.difference),
        )
        # Another tender's over or short is said too: the close records it as well.
        others = [
            self._strings(
                "eod.tender_difference",
                tender=tender_name(self._strings, tender),
                difference=format_amount(difference),
            )
            for tender, difference in count.differences.items()
            if tender != "cash" and difference
        ]
        self.app.push_screen(Confirm(" ".join([*others, question])), answered)

    @work(thread=True, group="eod")
    def _close_shift(self, count: DrawerCount) -> None:
        from pos.shifts import close_shift

        try:
            close_shift(self._eod.ledger, count)
        except PosError as error:
            self.app.call_from_thread(self._problem, error)
            return
        self.app.call_from_thread(self.dismiss, True)

    def action_move(self, kind: str) -> None:
        strings = self._strings

        def amount_given(text: str | None) -> None:
            if not text:
                return
            try:
                amount = parse_amount(text)
            except MoneyError as error:
                self._problem(error)
                return
            self.app.push_screen(
                AskText(strings(f"eod.{kind}"), strings("eod.reason")),
                lambda reason: reason_given(amount, reason),
            )

        def reason_given(amount: int, reason: str | None) -> None:
            if not reason:
                return
            detail = {"amount": amount, "reason": reason}
            self.app.push_screen(
                self._approval(kind, f"eod.{kind}", detail),
                lambda manager: approved(amount, reason, manager),
            )

        def approved(amount: int, reason: str, manager: Any) -> None:
            if manager is not None:
                self._move(kind, amount, reason, manager.staff_no)

        self.app.push_screen(AskText(strings(f"eod.{kind}"), strings("eod.amount")), amount_given)

    @work(thread=True, group="eod")
    def _move(self, kind: str, amount: int, reason: str, manager: str) -> None:
        from pos.cash_moves import move_cash

        context = self._eod
        try:
            move_cash(
                context.ledger,
                kind=kind,
                amount=amount,
                reason=reason,
                staff_no=context.cashier,
                manager=manager,
                shift_id=context.shift.shift_id,
            )
        except PosError as error:
            self.app.call_from_thread(self._problem, error)
            return
        self.app.call_from_thread(self.action_x_report)

    # -- helpers ----------------------------------------------------------------------

    def _approval(self, action: str, label: str, detail: dict[str, Any]) -> ManagerApproval:
        context = self._eod
        return ManagerApproval(
            lambda: context.ledger,
            self._strings,
            action=action,
            action_label=self._strings(label),
            cashier=context.cashier,
            detail=detail,
            max_failures=context.max_failures,
            lockout=context.lockout,
        )

    def _problem(self, error: PosError) -> None:
        self.app.bell()
        self._say(f"{error.title}: {error.message}")

    def _say(self, text: str) -> None:
        self.query_one("#problem", Static).update(Text(text))

    def action_close(self) -> None:
        self.dismiss(False)


Counted = tuple[dict[int, int], dict[str, int]]
"""A count: pieces of each note and coin, and fen counted on each other tender."""


class CashCountDialog(ModalScreen[Counted | None]):
    """How many of each note and coin, then the amount on each other tender the shift
    took (the wallet's settlement, card slips), without showing what is expected; Enter
    goes down the list, and on the last answers."""

    BINDINGS = [Binding("escape", "cancel", show=False)]  # noqa: RUF012

    def __init__(
        self, denominations: tuple[int, ...], tenders: tuple[str, ...], strings: Strings
    ) -> None:
        super().__init__()
        self._denominations = denominations
        self._tenders = tenders
        self._strings = strings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self._strings("eod.count_title")), classes="dialog-title")
            yield from self._fields()
            yield Static(id="count-total")

    def _fields(self) -> ComposeResult:
        # Eight notes and coins and the other tenders are more lines than 24 rows hold:
        # they scroll, the focused one always in view, the title and total staying put.
        with VerticalScroll(id="count-fields", can_focus=False):
            for value in self._denominations:
                yield Input(
                    placeholder=format_amount(value),
                    id=f"pieces-{value}",
                    restrict=r"[0-9]*",
                    max_length=6,
                )
            for tender in self._tenders:
                yield Input(
                    placeholder=self._strings(
                        "eod.count_tender", tender=tender_name(self._strings, tender)
                    ),
                    id=f"tender-{tender}",
                    restrict=r"[0-9]*\.?[0-9]{0,2}",
                    max_length=10,
                )

    @on(Input.Changed)
    def _total(self) -> None:
        total = sum(value * count for value, count in self._pieces().items())
        self.query_one("#count-total", Static).update(
            Text(self._strings("eod.count_total", total=format_amount(total)))
        )

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
            return
        try:
            others = self._others()
        except MoneyError as error:
            self.query_one("#count-total", Static).update(Text(error.message))
            return
        self.dismiss((self._pieces(), others))

    def _pieces(self) -> dict[int, int]:
        return {
            value: int(self.query_one(f"#pieces-{value}", Input).value or 0)
            for value in self._denominations
        }

    def _others(self) -> dict[str, int]:
        return {
            tender: parse_amount(self.query_one(f"#tender-{tender}", Input).value or "0")
            for tender in self._tenders
        }

    def action_cancel(self) -> None:
        self.dismiss(None)


def tender_name(strings: Strings, tender: str) -> str:
    """A tender in words (现金, 微信), or its identifier for one without words."""
    key = f"tender_name.{tender}"
    return strings(key) if strings.has(key) else tender


def _maybe(fen: int | None, strings: Strings) -> str:
    return strings("eod.not_counted") if fen is None else format_amount(fen)
