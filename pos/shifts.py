"""Cashier shifts: opening one with the float counted into the drawer, and closing it on
a count of the drawer by denomination.

A shift is a journal event (shift.opened) projected into `shifts`, so the cash a
drawer should hold can be reconciled from the ledger alone. A cashier has at most one
open shift; after a restart `current_shift` finds it again, so the till resumes it
instead of asking for a new float.

Closing is two steps. `count_drawer` journals the count (cash.counted) against the cash
the ledger expects, whatever the difference; a recount is another count, and every
count stays in the journal, so a difference cannot vanish by counting again until it
fits. `close_shift` then closes on the latest count (shift.closed), repeating its over
or short, which the X and Z reports show.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from pos.domain.cash_count import DrawerTakings, count_cash
from pos.domain.money import format_money
from pos.errors import PosError
from pos.ledger.chain import parse_ts
from pos.ledger.database import Ledger
from pos.ledger.report_reads import drawer_takings
from pos.ledger.tables import CASH_COUNTS, SHIFTS, STAFF


@dataclass(frozen=True, slots=True)
class Shift:
    shift_id: str
    staff_no: str
    opening_float: int
    """Fen counted into the drawer when the shift opened."""
    opened_ts: str
    """The shift.opened event's ts (UTC, ISO 8601 with milliseconds and Z)."""


def open_shift(ledger: Ledger, staff_no: str, opening_float: int) -> Shift:
    """Journal shift.opened; refuse a negative float, an unknown number or a second shift.

    The check for an open shift and the new event share one write transaction, so a
    form submitted twice (two workers racing) cannot open two shifts for one cashier.
    """
    if opening_float < 0:
        raise PosError(
            "Negative float",
            f"The opening float cannot be negative ({format_money(opening_float)}).",
        )
    with ledger.transaction() as writer:
        known = writer.conn.execute(
            select(STAFF.c.staff_no).where(STAFF.c.staff_no == staff_no)
        ).first()
        if known is None:
            raise PosError("Unknown staff number", f"There is no staff number {staff_no}.")
        already = _open_shift(writer.conn, staff_no)
        if already is not None:
            raise PosError(
                "Shift already open",
                f"{staff_no} has had a shift open since "
                f"{parse_ts(already.opened_ts):%Y-%m-%d %H:%M} UTC; it continues.",
            )
        shift_id = str(uuid.uuid4())
        event = writer.append(
            "shift.opened",
            {"shift_id": shift_id, "staff_no": staff_no, "opening_float": opening_float},
        )
    return Shift(shift_id, staff_no, opening_float, event.ts)


def current_shift(ledger: Ledger, staff_no: str) -> Shift | None:
    """The cashier's open shift, if any: what a restarted till continues."""
    with ledger.read() as conn:
        return _open_shift(conn, staff_no)


def _open_shift(conn: Connection, staff_no: str) -> Shift | None:
    row = conn.execute(
        select(SHIFTS.c.shift_id, SHIFTS.c.staff_no, SHIFTS.c.opening_float, SHIFTS.c.opened_ts)
        .where(SHIFTS.c.staff_no == staff_no, SHIFTS.c.closed_seq.is_(None))
        .order_by(SHIFTS.c.opened_seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return Shift(row.shift_id, row.staff_no, row.opening_float, row.opened_ts)


@dataclass(frozen=True, slots=True)
class DrawerCount:
    """A journaled count of a shift's drawer (cash.counted)."""

    seq: int
    shift_id: str
    counted: int
    expected: int
    takings: DrawerTakings
    other_tenders: dict[str, int] = field(default_factory=dict)
    """Counted on each other tender the shift took (the wallet's settlement, card slips):
    fen by tender."""

    @property
    def difference(self) -> int:
        """Cash over when positive, short when negative."""
        return self.counted - self.expected

    @property
    def differences(self) -> dict[str, int]:
        """Over or short on every tender counted, cash included."""
        return {
            "cash": self.difference,
            **{
                tender: counted - self.takings.by_tender.get(tender, 0)
                for tender, counted in self.other_tenders.items()
            },
        }


def count_drawer(
    ledger: Ledger,
    shift_id: str,
    pieces: Mapping[int, int],
    denominations: Sequence[int],
    other_tenders: Mapping[str, int] | None = None,
) -> DrawerCount:
    """Journal cash.counted for an open shift: the pieces, their sum and the cash
    expected, and what was counted on its other tenders against what they took."""
    count = count_cash(pieces, denominations)
    others = dict(other_tenders or {})
    if any(amount < 0 for amount in others.values()) or "cash" in others:
        raise PosError("Count not possible", "Other tenders are counted in fen, not as cash.")
    with ledger.transaction() as writer:
        takings, staff_no = _open_takings(writer.conn, shift_id)
        event = writer.append(
            "cash.counted",
            {
                "shift_id": shift_id,
                "staff_no": staff_no,
                "counts": count.as_payload(),
                "counted": count.total,
                "expected": takings.expected_cash,
                "expected_by_tender": takings.by_tender,
                "counted_by_tender": {"cash": count.total, **others},
            },
        )
    return DrawerCount(event.seq, shift_id, count.total, takings.expected_cash, takings, others)


def close_shift(ledger: Ledger, count: DrawerCount) -> None:
    """Journal shift.closed on `count`, which must be the shift's latest count and still
    match the drawer (nothing sold or moved since); otherwise count again."""
    with ledger.transaction() as writer:
        takings, staff_no = _open_takings(writer.conn, count.shift_id)
        latest = writer.conn.execute(
            select(func.max(CASH_COUNTS.c.seq)).where(CASH_COUNTS.c.shift_id == count.shift_id)
        ).scalar()
        if latest != count.seq:
            raise PosError(
                "Not the latest count", "The drawer was counted again since; close on that count."
            )
        if takings.expected_cash != count.expected or takings.by_tender != count.takings.by_tender:
            raise PosError(
                "Drawer changed",
                "The shift took or gave back money after it was counted; count it again.",
            )
        writer.append(
            "shift.closed",
            {
                "shift_id": count.shift_id,
                "staff_no": staff_no,
                "count_seq": count.seq,
                "counted": count.counted,
                "expected": count.expected,
                "difference": count.difference,
                "differences_by_tender": count.differences,
            },
        )


def other_tenders(ledger: Ledger, shift_id: str) -> tuple[str, ...]:
    """The tenders besides cash an open shift took money on: what its count asks for."""
    with ledger.read() as conn:
        takings, _staff_no = _open_takings(conn, shift_id)
    return tuple(sorted(t for t, amount in takings.by_tender.items() if t != "cash" and amount))


def _open_takings(conn: Connection, shift_id: str) -> tuple[DrawerTakings, str]:
    row = conn.execute(
        select(SHIFTS.c.staff_no, SHIFTS.c.closed_seq).where(SHIFTS.c.shift_id == shift_id)
    ).first()
    if row is None:
        raise PosError("Unknown shift", f"There is no shift {shift_id}.")
    if row.closed_seq is not None:
        raise PosError("Shift closed", f"{row.staff_no}'s shift is already closed.")
    takings = drawer_takings(conn, shift_id)
    assert takings is not None  # the row was just found in the same transaction
    return takings, row.staff_no
