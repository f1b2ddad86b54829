"""The puller: the cloud's feed applied at the till, from the cursor it kept.

Each page is applied in one ledger transaction together with the new cursor, so a
crash or a lost answer repeats nothing and skips nothing. What the cloud decided about
this till's own sales is journaled as the till's event (a coupon redemption the cloud
rejected because another till used the coupon first), so the journal alone explains
every receipt and every report; so is a member another till enrolled
(`member.imported`), so that they are known here. Kinds this till does not know (a
newer cloud) are passed over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select

from pos.ledger.database import Ledger, Writer, read_meta, write_meta
from pos.ledger.tables import MEMBERS
from sync.client import CloudClient

FEED_CURSOR = "feed_cursor"
JOURNALED = frozenset({"coupon.redemption_rejected"})
"""Feed kinds that become the till's own events, as they are."""


class Puller:
    def __init__(self, ledger: Ledger, client: CloudClient) -> None:
        self.ledger, self.client = ledger, client

    def pull(self) -> int:
        """Apply every waiting change; how many were applied."""
        applied = 0
        while True:
            with self.ledger.read() as conn:
                cursor = read_meta(conn, FEED_CURSOR) or ""
            changes, cursor, more = self.client.feed(cursor)
            with self.ledger.transaction() as writer:
                for change in changes:
                    applied += _apply(writer, change)
                write_meta(writer.conn, FEED_CURSOR, cursor)
            if not more:
                return applied


def _apply(writer: Writer, change: Mapping[str, Any]) -> int:
    kind, body = change.get("kind"), dict(change.get("body") or {})
    if kind in JOURNALED:
        writer.append(str(kind), body)
        return 1
    if kind == "member.enrolled" and _new_member(writer, body):
        writer.append("member.imported", body)
        return 1
    return 0


def _new_member(writer: Writer, member: Mapping[str, Any]) -> bool:
    """A member this till does not have: not its own enrollment coming back, and not a
    payer it enrolled itself under another number (that is for the merge)."""
    same = MEMBERS.c.member_no == member["member_no"]
    if member.get("openid"):
        same = or_(same, MEMBERS.c.openid == member["openid"])
    return writer.conn.execute(select(MEMBERS.c.member_no).where(same)).first() is None
