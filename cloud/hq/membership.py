"""Members across stores: a member enrolled at one till is known at every till.

Projected from each stored `member.enrolled` in the ingest's transaction: the member
goes into the chain's `members` and out to every till through the feed, which
imports them. The same wallet payer enrolled offline at two stores (one openid, two
member numbers) is one member: the enrollment that reached the cloud first stands, and
the other is merged into it; `member.merged` goes to every till, so the second number
finds the first member everywhere, and the points earned under it join them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select
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
            conn.execute(insert(MEMBERS), member)  # as parameters: see records.project
    except IntegrityError:
        _merge(conn, member, now)
        return
    feed.append(conn, "member.enrolled", member, now)


def _merge(conn: Connection, member: dict[str, Any], now: str) -> None:
    """Known already (sent out then: nothing to do), or the same payer enrolled under
    another number first: merged into that member."""
    if member["openid"] is None:
        return
    if conn.execute(
        select(MEMBERS.c.member_no).where(MEMBERS.c.member_no == member["member_no"])
    ).first():
        return
    first = conn.execute(select(MEMBERS).where(MEMBERS.c.openid == member["openid"])).one()
    into = {key: first._mapping[key] for key in member}
    conn.execute(insert(MEMBERS), {**member, "openid": None, "merged_into": first.member_no})
    feed.append(conn, "member.merged", {"member": member, "into": into}, now)
