"""The manager's member view: full phone, tier, points, history; points adjustments
with a reason and deleting a membership, each journaled with the manager's number.

The sale screen asks a manager's PIN before opening it; the record is read and every
change is written in workers (pos.member_file, pos.loyalty), and the view reloads from
the ledger after a change so it shows what was recorded, not what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from pos.domain.money import format_amount
from pos.errors import PosError
from pos.tui.i18n import Strings
from pos.tui.screens.prompts import AskText, Confirm
from receipts.words import local_time

if TYPE_CHECKING:
    # pos.member_file reads the ledger (SQLAlchemy): imported where the worker uses
    # it, so the till's first frame does not wait for it (see PosApp).
    from pos.loyalty import Loyalty
    from pos.member_file import HistoryEntry, MemberFile


class MemberView(ModalScreen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "close", show=False),
        Binding("a", "adjust", show=False),
        Binding("d", "delete", show=False),
    ]

    def __init__(
        self, file: MemberFile, loyalty: Loyalty, strings: Strings, zone: tzinfo, manager: str
    ) -> None:
        super().__init__()
        self._file = file
        self._loyalty = loyalty
        self._strings = strings
        self._zone = zone
        self._manager = manager

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(id="member-title", classes="dialog-title")
            yield Static(id="member-facts")
            yield DataTable(id="member-history", cursor_type="row", zebra_stripes=True)
            yield Static(id="problem", classes="problem")

    def on_mount(self) -> None:
        table = self.query_one("#member-history", DataTable)
        for label in ("mv.when", "mv.what", "mv.reference", "mv.amount", "mv.points", "mv.note"):
            table.add_column(Text(self._strings(label)), key=label)
        self._show()

    def _show(self) -> None:
        strings, file = self._strings, self._file
        member = file.member
        tier = self._loyalty.rules.program.tier(member.lifetime_points)
        title = strings("mv.title", member=member.member_no)
        if file.deleted:
            title += f" · {strings('mv.deleted')}"
        self.query_one("#member-title", Label).update(Text(title))
        facts = strings(
            "mv.facts",
            phone=member.phone or "—",
            tier=tier.name(strings.lang),
            points=member.points,
            lifetime=member.lifetime_points,
            enrolled=local_time(member.enrolled_ts, self._zone),
            via=strings(f"mv.via_{file.via}"),
            store=file.store_id,
        )
        if member.referred_by:
            facts += "\n" + strings("mv.referred_by", member=member.referred_by)
        facts += "\n" + strings("mv.hint")
        self.query_one("#member-facts", Static).update(Text(facts))
        table = self.query_one("#member-history", DataTable)
        table.clear()
        for entry in file.history:
            table.add_row(
                local_time(entry.ts, self._zone),
                strings(f"mv.kind_{entry.kind}"),
                self._reference(entry),
                Text(format_amount(entry.amount) if entry.amount else "", justify="right"),
                Text(f"{entry.points:+d}" if entry.points else "", justify="right"),
                entry.note,
                key=f"{entry.kind}:{entry.seq}",
            )

    def _reference(self, entry: HistoryEntry) -> str:
        if entry.kind == "points":
            return self._strings(f"mv.reason_{entry.reference}")
        campaign = self._loyalty.rules.campaigns.get(entry.reference)
        if entry.kind.startswith("coupon") and campaign is not None:
            return campaign.name(self._strings.lang)
        return entry.reference

    def action_close(self) -> None:
        self.dismiss(None)

    def action_adjust(self) -> None:
        if self._file.deleted:
            self._problem(self._strings("mv.deleted"))
            return
        strings = self._strings

        def got_delta(answer: str | None) -> None:
            if not answer:
                return
            try:
                delta = int(answer.replace(" ", ""))
            except ValueError:
                self._problem(strings("mv.bad_delta", text=answer))
                return

            def got_reason(reason: str | None) -> None:
                if reason:
                    member_no = self._file.member.member_no
                    self._change(
                        lambda: self._loyalty.adjust_points(member_no, delta, reason, self._manager)
                    )

            self.app.push_screen(
                AskText(strings("mv.adjust_title"), strings("mv.reason_prompt")), got_reason
            )

        self.app.push_screen(
            AskText(strings("mv.adjust_title"), strings("mv.delta_prompt")), got_delta
        )

    def action_delete(self) -> None:
        if self._file.deleted:
            return
        strings = self._strings
        member_no = self._file.member.member_no

        def got_reason(reason: str | None) -> None:
            if not reason:
                return

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._change(
                        lambda: self._loyalty.delete_member(member_no, self._manager, reason)
                    )

            self.app.push_screen(Confirm(strings("mv.delete_confirm", member=member_no)), confirmed)

        self.app.push_screen(
            AskText(strings("mv.delete_title"), strings("mv.reason_prompt")), got_reason
        )

    @work(thread=True, exclusive=True)
    def _change(self, change: Callable[[], object]) -> None:
        from pos.member_file import find_member_file

        try:
            change()
            file = find_member_file(self._loyalty.ledger, self._file.member.member_no)
        except PosError as error:
            self.app.call_from_thread(self._problem, f"{error.title}: {error.message}")
            return
        self.app.call_from_thread(self._reloaded, file)

    def _reloaded(self, file: MemberFile) -> None:
        self._file = file
        self._problem("")
        self._show()

    def _problem(self, text: str) -> None:
        if text:
            self.app.bell()
        self.query_one("#problem", Static).update(Text(text))
