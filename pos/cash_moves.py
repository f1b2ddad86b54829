"""Cash in and out of the drawer outside a sale: pay-ins, pay-outs and bleeds.

Each is a manager's action: the caller gets the approval first (pos.overrides, action
pay_in, pay_out or bleed, journaled as override.granted), then `move_cash` journals
cash.moved with the reason, so the X and Z reports and the shift's expected cash count
it. Nothing else records it: a drawer can only be reconciled if every fen is here.
"""

from __future__ import annotations

from pos.domain.money import format_amount
from pos.errors import PosError
from pos.ledger.database import Ledger
from pos.ledger.report_reads import drawer_takings

KINDS = ("pay_in", "pay_out", "bleed")
"""Cash put in (more change), paid out (a delivery paid at the door), taken to the safe."""


def move_cash(
    ledger: Ledger,
    *,
    kind: str,
    amount: int,
    reason: str,
    staff_no: str,
    manager: str,
    shift_id: str | None,
) -> None:
    """Journal cash.moved; refuse an unknown kind, an amount that is not positive, a
    missing reason, and taking out more cash than the shift's drawer should hold."""
    if kind not in KINDS:
        raise PosError("Unknown cash movement", f"{kind!r} is not one of {', '.join(KINDS)}.")
    if amount <= 0:
        raise PosError("No amount", "The amount must be more than zero.")
    if not reason.strip():
        raise PosError("Reason required", "Say why the cash goes in or out of the drawer.")
    with ledger.transaction() as writer:
        if kind != "pay_in" and shift_id is not None:
            takings = drawer_takings(writer.conn, shift_id)
            held = takings.expected_cash if takings is not None else 0
            if amount > held:
                raise PosError(
                    "Not that much cash",
                    f"The drawer should hold {format_amount(held)}; "
                    f"{format_amount(amount)} cannot come out of it.",
                )
        writer.append(
            "cash.moved",
            {
                "kind": kind,
                "amount": amount,
                "reason": reason.strip(),
                "staff_no": staff_no,
                "manager": manager,
                "shift_id": shift_id,
            },
        )
