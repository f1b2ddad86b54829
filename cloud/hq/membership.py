"""Members across stores: a member enrolled at one till is known at every till.

Projected from each stored `member.enrolled` in the ingest's transaction: the member
goes into the chain's `members` and out to every till through the feed, which
imports them. The same wallet payer enrolled offline at two stores (one openid, two
member numbers) is not imported twice: the second enrollment is kept aside for the
merge (`member.merged`, still to come), and not sent out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError

from cloud.hq import feed
from cloud.hq.schema import MEMBERS

PROJECTED = frozenset({"member.enrolled"})


def project(conn: Connection, event: Mapping[str, Any], store_id: str, now: str) -> None:
    payload = event["payload"]
    member = {
        "member_no": str(payload["member_no"]),
        "openid": payload.get("openid") or None,
        "phone": payload.get("phone") or None,
        "store_id": str(payload.get("store_id") or store_id),
        "device_id": event["device_id"],
        "via": str(payload.get("via", "")),
        "referred_by": payload.get("referred_by"),
        "enrolled_ts": event["ts"],
    }
    try:
        with conn.begin_nested():
            conn.execute(insert(MEMBERS).values(**member))
    except IntegrityError:
        # Known already (sent out then), or the same payer under another number (for
        # the merge, not for the feed).
        return
    feed.append(conn, "member.enrolled", member, now)
