"""The manager's member view: one member's full record and history, read from the ledger.

This is the one place the full phone number is shown; everywhere else it is masked.
The history is what the journal holds for the member (their sales, every points change
with its reason, the coupons issued to them and the ones they used), newest first, so a
manager can answer "why do I have this many points?" at the counter.

Everything here reads the ledger: call it from a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Select, or_, select

from pos.domain.members import Member, MemberError, parse_phone
from pos.ledger.database import Ledger
from pos.ledger.tables import COUPONS, JOURNAL, MEMBERS, POINTS_CHANGES, REDEMPTIONS, SALES

HISTORY_LIMIT = 200
"""The newest entries shown; a member's whole story is in `pos ledger export`."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    seq: int
    ts: str
    kind: str
    """sale, points, coupon_issued (theirs, or a gift for them to pass on) or coupon_used."""
    reference: str
    """The receipt number, the coupon's campaign, or a points change's reason."""
    amount: int = 0
    """The sale's total or the coupon's value used, in minor units."""
    points: int = 0
    note: str = ""
    """A manager's reason for an adjustment, and who made it."""


@dataclass(frozen=True, slots=True)
class MemberFile:
    member: Member
    store_id: str
    via: str
    """wallet, phone or referral: how they joined."""
    deleted: bool
    history: tuple[HistoryEntry, ...]


def find_member_file(ledger: Ledger, who: str) -> MemberFile:
    """The record of the member with this member number or mobile number."""
    text = who.strip()
    with ledger.read() as conn:
        row = conn.execute(select(MEMBERS).where(MEMBERS.c.member_no == text.upper())).first()
        if row is None and (phone := _phone_or_none(text)) is not None:
            # A number can come back after a deletion: the live membership first.
            row = conn.execute(
                select(MEMBERS)
                .where(MEMBERS.c.phone == phone)
                .order_by(MEMBERS.c.deleted_seq.is_not(None), MEMBERS.c.enrolled_seq.desc())
            ).first()
        if row is None:
            raise MemberError(
                "No such member", f"No member has the member or mobile number {text!r}."
            )
        member = Member(
            member_no=row.member_no,
            points=row.points,
            lifetime_points=row.lifetime_points,
            phone=row.phone,
            openid=row.openid,
            enrolled_ts=row.enrolled_ts,
            referred_by=row.referred_by,
        )
        return MemberFile(
            member,
            row.store_id,
            row.via,
            row.deleted_seq is not None,
            _history(conn, member.member_no),
        )


def _phone_or_none(text: str) -> str | None:
    try:
        return parse_phone(text)
    except MemberError:
        return None


def _history(conn: Connection, member_no: str) -> tuple[HistoryEntry, ...]:
    def newest(query: Select[Any]) -> Sequence[Row[Any]]:
        return conn.execute(query.order_by(JOURNAL.c.seq.desc()).limit(HISTORY_LIMIT)).all()

    entries = [
        HistoryEntry(row.seq, row.ts, "sale", row.receipt_no, amount=row.total)
        for row in newest(
            select(SALES.c.seq, JOURNAL.c.ts, SALES.c.receipt_no, SALES.c.total)
            .join(JOURNAL, JOURNAL.c.seq == SALES.c.seq)
            .where(SALES.c.member_no == member_no)
        )
    ]
    entries += [
        HistoryEntry(
            row.seq,
            row.ts,
            "points",
            row.reason,
            points=row.delta,
            note=" · ".join(part for part in (row.note, row.staff_no or "") if part),
        )
        for row in newest(
            select(POINTS_CHANGES, JOURNAL.c.ts)
            .join(JOURNAL, JOURNAL.c.seq == POINTS_CHANGES.c.seq)
            .where(POINTS_CHANGES.c.member_no == member_no)
        )
    ]
    entries += [
        HistoryEntry(row.issued_seq, row.ts, "coupon_issued", row.campaign_id)
        for row in newest(
            select(COUPONS.c.issued_seq, COUPONS.c.campaign_id, JOURNAL.c.ts)
            .join(JOURNAL, JOURNAL.c.seq == COUPONS.c.issued_seq)
            .where(or_(COUPONS.c.member_no == member_no, COUPONS.c.giver == member_no))
        )
    ]
    entries += [
        HistoryEntry(row.seq, row.ts, "coupon_used", row.campaign_id, amount=row.amount)
        for row in newest(
            select(REDEMPTIONS.c.seq, REDEMPTIONS.c.campaign_id, REDEMPTIONS.c.amount, JOURNAL.c.ts)
            .join(JOURNAL, JOURNAL.c.seq == REDEMPTIONS.c.seq)
            .where(REDEMPTIONS.c.member_no == member_no)
        )
    ]
    entries.sort(key=lambda entry: entry.seq, reverse=True)
    return tuple(entries[:HISTORY_LIMIT])
