"""What a return undoes for the member of the sale, in the return's own transaction.

A refund takes back the points the sale earned and gives back the points it spent, in
proportion to what has been refunded so far (pos.domain.members.points_to_reverse), so
returns adding up to the whole sale undo its points exactly; a balance may go below
zero when the member already spent points a refund takes back, rather than the refund
being refused at the counter. When the whole sale has come back, the coupons it used
are given back and the next-visit coupons it earned, if still unused, are void.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from pos.domain.coupons import Purpose
from pos.domain.members import points_to_reverse
from pos.domain.sale import SaleRecord
from pos.ledger.database import Writer
from pos.ledger.tables import COUPONS, POINTS_CHANGES, REDEMPTIONS, RETURNS


def journal_member_refund(writer: Writer, sale: SaleRecord, return_id: str) -> None:
    """Call after the return's return.completed is appended (its amount counts)."""
    member = sale.member
    if member is None:
        return
    conn = writer.conn
    refunded = conn.execute(
        select(func.coalesce(func.sum(RETURNS.c.amount), 0)).where(
            RETURNS.c.sale_id == sale.sale_id, RETURNS.c.completed_seq.is_not(None)
        )
    ).scalar_one()
    for reason, moved, sign in (
        ("reversed", member.points_earned, -1),
        ("restored", member.points_redeemed, 1),
    ):
        before = _moved_back(conn, sale.sale_id, reason)
        delta = points_to_reverse(moved, sale.total, refunded, before)
        if delta:
            writer.append(
                "points.changed",
                {
                    "member_no": member.member_no,
                    "delta": sign * delta,
                    "reason": reason,
                    "sale_id": sale.sale_id,
                    "return_id": return_id,
                },
            )
    if refunded < sale.total:
        return
    for coupon_id in conn.execute(
        select(REDEMPTIONS.c.coupon_id).where(
            REDEMPTIONS.c.sale_id == sale.sale_id, REDEMPTIONS.c.restored_seq.is_(None)
        )
    ).scalars():
        writer.append("coupon.restored", {"coupon_id": coupon_id, "return_id": return_id})
    used = select(REDEMPTIONS.c.coupon_id).where(REDEMPTIONS.c.restored_seq.is_(None))
    for coupon_id in conn.execute(
        select(COUPONS.c.coupon_id).where(
            COUPONS.c.sale_id == sale.sale_id,
            COUPONS.c.purpose == Purpose.NEXT_VISIT.value,
            COUPONS.c.voided_seq.is_(None),
            COUPONS.c.coupon_id.not_in(used.scalar_subquery()),
        )
    ).scalars():
        writer.append(
            "coupon.voided",
            {"coupon_id": coupon_id, "return_id": return_id, "reason": "sale refunded"},
        )


def _moved_back(conn: Connection, sale_id: str, reason: str) -> int:
    total: int = conn.execute(
        select(func.coalesce(func.sum(func.abs(POINTS_CHANGES.c.delta)), 0)).where(
            POINTS_CHANGES.c.sale_id == sale_id, POINTS_CHANGES.c.reason == reason
        )
    ).scalar_one()
    return total
