"""Manager overrides: a manager's number and PIN at the till approve one action.

DESIGN.md §11: "a manager override is a PIN at the till and an event in the journal".
The PIN goes through `pos.staff.sign_in`, so wrong PINs count towards the same lockout
as a sign-in; only then is the role checked, so the till never tells someone without
a right PIN which staff numbers belong to managers. The approval is journaled as
override.granted before the caller acts on it, so reports can list every override.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pos.domain.staff import Role, StaffMember
from pos.errors import PosError
from pos.ledger.database import Ledger
from pos.staff import SignInRefused, sign_in

ACTIONS: frozenset[str] = frozenset(
    {
        "line_discount",
        "price_override",
        "no_sale",
        "clear_sale",
        "refund",
        "member_view",
        "end_of_day",
        "day_close",
        "pay_in",
        "pay_out",
        "bleed",
    }
)
"""What a manager can approve at the till; reports group overrides by these names."""


def authorize(
    ledger: Ledger,
    manager_no: str,
    pin: str,
    *,
    action: str,
    cashier: str,
    detail: dict[str, Any],
    max_failures: int,
    lockout: timedelta,
) -> StaffMember:
    """Check the manager's PIN and journal override.granted; return the manager.

    Raises SignInRefused for a wrong PIN, a locked account or an account that is not a
    manager's, and PosError for an unknown action or a `detail` that is not a flat
    object of text, whole numbers and nulls. Both are checked before the PIN, so a
    mistake of the caller's never costs the manager a PIN attempt.
    """
    if action not in ACTIONS:
        raise PosError("Unknown override", f"{action!r} is not an action a manager approves.")
    _check_detail(detail)
    member = sign_in(ledger, manager_no, pin, max_failures=max_failures, lockout=lockout)
    if member.role is not Role.MANAGER:
        raise SignInRefused(
            "Manager PIN required", f"{member.staff_no} is not a manager; ask a manager."
        )
    with ledger.transaction() as writer:
        writer.append(
            "override.granted",
            {"action": action, "manager": member.staff_no, "cashier": cashier, "detail": detail},
        )
    return member


def _check_detail(detail: dict[str, Any]) -> None:
    """Keep `detail` flat and free of floats, so reports can show it as it is."""
    for key, value in detail.items():
        if (
            not isinstance(key, str)
            or isinstance(value, bool)
            or not isinstance(value, str | int | None)
        ):
            raise PosError(
                "Override not recorded",
                f"The detail {key!r}: {value!r} is not text, a whole number or null.",
            )
