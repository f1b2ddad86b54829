"""Opening the cash drawer and recording that it was opened.

The event is written only after the pulse was sent, so the journal never claims an
opening that did not happen; a failed kick raises DeviceError and records nothing.
"""

from __future__ import annotations

from devices.drawer import CashDrawer
from pos.ledger.database import Ledger


def open_drawer(
    drawer: CashDrawer, ledger: Ledger, *, reason: str, staff_no: str, sale_id: str | None = None
) -> None:
    drawer.open()
    with ledger.transaction() as writer:
        writer.append("drawer.opened", {"reason": reason, "staff_no": staff_no, "sale_id": sale_id})
