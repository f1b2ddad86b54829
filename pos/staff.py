"""Staff accounts: adding them and checking a PIN with lockout.

PINs are kept only as salted scrypt hashes in the `staff` table; the journal records
that an account exists (staff.added) and when one locks, never the PIN or its hash.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from pos.domain.staff import Role, StaffMember, hash_pin, validate_pin, verify_pin
from pos.errors import PosError
from pos.ledger.chain import format_ts, parse_ts
from pos.ledger.database import Ledger
from pos.ledger.tables import STAFF

_STAFF_NO = re.compile(r"[A-Za-z0-9_-]{1,16}")


class SignInRefused(PosError):
    """Wrong number or PIN, or a locked account."""


def add_staff(ledger: Ledger, staff_no: str, name: str, role: Role, pin: str) -> StaffMember:
    validate_pin(pin)
    with ledger.transaction() as writer:
        exists = writer.conn.execute(
            select(STAFF.c.staff_no).where(STAFF.c.staff_no == staff_no)
        ).first()
        if exists:
            raise PosError("Staff number taken", f"Staff number {staff_no} already exists.")
        writer.conn.execute(
            insert(STAFF),
            {"staff_no": staff_no, "name": name, "role": role.value, "pin_hash": hash_pin(pin)},
        )
        writer.append("staff.added", {"staff_no": staff_no, "name": name, "role": role.value})
    return StaffMember(staff_no, name, role)


def list_staff(ledger: Ledger) -> list[StaffMember]:
    with ledger.read() as conn:
        rows = conn.execute(
            select(STAFF.c.staff_no, STAFF.c.name, STAFF.c.role).order_by(STAFF.c.staff_no)
        ).all()
    return [StaffMember(row.staff_no, row.name, Role(row.role)) for row in rows]


def sign_in(
    ledger: Ledger, staff_no: str, pin: str, *, max_failures: int, lockout: timedelta
) -> StaffMember:
    """Return the member for a right PIN; count a wrong one and lock after max_failures."""
    if not _STAFF_NO.fullmatch(staff_no):
        # Typed or scanned text is data: anything that cannot be a staff number (control
        # characters, surrogates from a bad decode) is refused before it reaches SQL.
        raise SignInRefused("Sign-in refused", "Unknown staff number or wrong PIN.")
    now = ledger.clock()
    with ledger.transaction() as writer:
        row = writer.conn.execute(select(STAFF).where(STAFF.c.staff_no == staff_no)).first()
        if row is None:
            raise SignInRefused("Sign-in refused", "Unknown staff number or wrong PIN.")
        if row.locked_until and parse_ts(row.locked_until) > now:
            raise SignInRefused(
                "Account locked",
                f"Too many wrong PINs; {staff_no} is locked until "
                f"{parse_ts(row.locked_until):%H:%M} UTC. Ask a manager.",
            )
        if verify_pin(pin, row.pin_hash):
            writer.conn.execute(
                update(STAFF)
                .where(STAFF.c.staff_no == staff_no)
                .values(failed_pins=0, locked_until=None)
            )
            return StaffMember(row.staff_no, row.name, Role(row.role))
        failures = row.failed_pins + 1
        locked_until = _lock_time(now, lockout) if failures >= max_failures else None
        writer.conn.execute(
            update(STAFF)
            .where(STAFF.c.staff_no == staff_no)
            .values(failed_pins=0 if locked_until else failures, locked_until=locked_until)
        )
        if locked_until:
            writer.append("staff.locked", {"staff_no": staff_no, "until": locked_until})
    if locked_until:
        raise SignInRefused(
            "Account locked", f"{max_failures} wrong PINs: {staff_no} is locked for {lockout}."
        )
    raise SignInRefused(
        "Sign-in refused",
        f"Wrong PIN ({failures} of {max_failures} before the account locks).",
    )


def _lock_time(now: datetime, lockout: timedelta) -> str:
    return format_ts(now + lockout)
