"""Cashier shifts: opening one with the float counted into the drawer.

A shift is a journal event (shift.opened) projected into `shifts`, so the cash a
drawer should hold can be reconciled from the ledger alone. A cashier has at most one
open shift; after a restart `current_shift` finds it again, so the till resumes it
instead of asking for a new float. Closing a shift is not built yet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, select

from pos.domain.money import format_money
from pos.errors import PosError
from pos.ledger.chain import parse_ts
from pos.ledger.database import Ledger
from pos.ledger.tables import SHIFTS, STAFF


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
