"""What the X, Z and day reports read from the ledger: spans of seq and their aggregates.

A report covers a span of seq, not of clock time. `day_span` finds a business day's
span by the rule in docs/reports.md: events belong to days in seq order, an event's day
is the latest day any event up to it reached (so a clock that jumps backwards cannot
move a later sale into an earlier day), and nothing after the last event a Z covers
belongs to a day that Z closed or an earlier one. Both edges are found with one indexed
walk each from the last Z before the day, comparing ts text (fixed-width ISO UTC sorts
as time does).

The aggregates run as plain SQL through the driver: a report is a dozen small grouped
queries, and SQLAlchemy's statement machinery would cost more than SQLite's work on a
day's rows (bench/reports.py compares the whole with one hand-written aggregate).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection

from pos.domain.business_day import day_start_ts
from pos.domain.cash_count import DrawerTakings
from pos.domain.reports import (
    CategoryFact,
    DayFacts,
    HourFact,
    RefundFact,
    ReturnEntry,
    ShiftEntry,
    StaffEntry,
    TaxFact,
    TenderCount,
    TenderFact,
)
from pos.ledger.rows import driver


@dataclass(frozen=True, slots=True)
class ClosedDay:
    """A Z as the day_closes projection holds it."""

    z_no: int
    business_day: str
    first_day: str
    first_seq: int
    last_seq: int
    """The last event the Z covers; every event after it belongs to a later day, even
    one written before the day.closed (a day closed late, after the next day's first
    sales: those are the next day's)."""
    seq: int
    """The day.closed event."""
    ts: str
    head_hash: str
    sales_total: int
    net_sales: int
    grand_total: int
    perpetual_total: int


_CLOSE_COLUMNS = (
    "z_no, business_day, first_day, first_seq, last_seq, seq, ts, head_hash, "
    "sales_total, net_sales, grand_total, perpetual_total"
)


def _close(row: Any) -> ClosedDay | None:
    return ClosedDay(*row) if row else None


def last_close(conn: Connection) -> ClosedDay | None:
    """The latest Z, or None before the first."""
    return _close(
        driver(conn)
        .execute(f"SELECT {_CLOSE_COLUMNS} FROM day_closes ORDER BY z_no DESC LIMIT 1")
        .fetchone()
    )


def close_of(conn: Connection, day: date) -> ClosedDay | None:
    """The Z that closed `day`, if one did."""
    return _close(
        driver(conn)
        .execute(
            f"SELECT {_CLOSE_COLUMNS} FROM day_closes WHERE business_day = ?", (day.isoformat(),)
        )
        .fetchone()
    )


def close_before(conn: Connection, seq: int) -> ClosedDay | None:
    """The latest Z that ends before `seq`."""
    return _close(
        driver(conn)
        .execute(
            f"SELECT {_CLOSE_COLUMNS} FROM day_closes WHERE last_seq < ?"
            " ORDER BY last_seq DESC LIMIT 1",
            (seq,),
        )
        .fetchone()
    )


def head_seq(conn: Connection) -> int:
    row = driver(conn).execute("SELECT max(seq) FROM journal").fetchone()
    return int(row[0] or 0)


def event_hash(conn: Connection, seq: int) -> str:
    row = driver(conn).execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    return str(row[0]) if row else "0" * 64


def day_span(
    conn: Connection, day: date, zone: tzinfo, boundary: time, *, until: int | None = None
) -> tuple[int, int]:
    """The first and last seq of business day `day` (first > last when it has none).

    `until` caps the span (a Z being written passes the head it saw).
    """
    sql = driver(conn)
    text = day.isoformat()
    before = _close(
        sql.execute(
            f"SELECT {_CLOSE_COLUMNS} FROM day_closes WHERE business_day < ? "
            "ORDER BY business_day DESC LIMIT 1",
            (text,),
        ).fetchone()
    )
    cap = _close(
        sql.execute(
            f"SELECT {_CLOSE_COLUMNS} FROM day_closes WHERE business_day >= ? "
            "ORDER BY business_day LIMIT 1",
            (text,),
        ).fetchone()
    )
    floor = before.last_seq if before else 0
    last = cap.last_seq if cap else (until if until is not None else head_seq(conn))
    if before is not None and date.fromisoformat(before.business_day) + timedelta(1) == day:
        first = floor + 1  # the day right after a Z starts where the Z ended
    else:
        first = _first_at(sql, floor, last, day_start_ts(day, zone, boundary)) or last + 1
    following = _first_at(sql, first - 1, last, day_start_ts(day + timedelta(1), zone, boundary))
    return first, (following - 1 if following is not None else last)


def _first_at(sql: sqlite3.Connection, after: int, last: int, ts: str) -> int | None:
    """The first seq in (after, last] whose ts is at or past `ts`."""
    row = sql.execute(
        "SELECT seq FROM journal WHERE seq > ? AND seq <= ? AND ts >= ? ORDER BY seq LIMIT 1",
        (after, last, ts),
    ).fetchone()
    return int(row[0]) if row else None


def totals_before(conn: Connection, seq: int) -> tuple[int, int]:
    """All sales, and all sales less returns, since the till's first day, before `seq`:
    the last Z's figures plus what came after it."""
    close = close_before(conn, seq)
    start = close.last_seq + 1 if close else 0
    grand, perpetual = (close.grand_total, close.perpetual_total) if close else (0, 0)
    sql = driver(conn)
    (sold,) = sql.execute(
        "SELECT coalesce(sum(total), 0) FROM sales WHERE seq >= ? AND seq < ?", (start, seq)
    ).fetchone()
    (returned,) = sql.execute(
        "SELECT coalesce(sum(amount), 0) FROM returns WHERE started_seq >= ? AND started_seq < ?",
        (start, seq),
    ).fetchone()
    return grand + sold, perpetual + sold - returned


_SALES = (
    "SELECT count(*), coalesce(sum(item_count), 0), coalesce(sum(subtotal), 0),"
    " coalesce(sum(discount_total), 0), coalesce(sum(total), 0), count(member_no),"
    " coalesce(sum(CASE WHEN member_no IS NOT NULL THEN total END), 0)"
    " FROM sales WHERE seq BETWEEN ? AND ?"
)
_IN_SALES = "JOIN sales s ON s.sale_id = x.sale_id WHERE s.seq BETWEEN ? AND ?"
_CASHIERS = "SELECT cashier, count(*) FROM sales WHERE seq BETWEEN ? AND ? GROUP BY cashier"
_TENDERS = (
    "SELECT s.cashier, x.tender, count(*), sum(x.amount) FROM payments x "
    f"{_IN_SALES} GROUP BY s.cashier, x.tender"
)
_TAXES = f"SELECT x.rate_bp, sum(x.net), sum(x.tax) FROM sale_taxes x {_IN_SALES} GROUP BY 1"
_CATEGORIES = (
    f"SELECT x.category, sum(x.quantity), sum(x.net) FROM sale_lines x {_IN_SALES} GROUP BY 1"
)
_HOURS = (
    "SELECT substr(ts, 1, 13), count(*), sum(total) FROM sales WHERE seq BETWEEN ? AND ? GROUP BY 1"
)
_RETURNS = (
    "SELECT r.receipt_no, s.receipt_no, r.started_ts, r.cashier, r.manager, r.amount"
    " FROM returns r JOIN sales s ON s.sale_id = r.sale_id"
    " WHERE r.started_seq BETWEEN ? AND ? ORDER BY r.started_seq"
)
# A wallet refund the gateway refused was handed back in cash: it left the drawer.
_REFUNDS = (
    "SELECT r.cashier, CASE WHEN f.outcome = 'in_cash' THEN 'cash' ELSE f.tender END,"
    " count(*), sum(f.amount) FROM refunds f JOIN returns r ON r.return_id = f.return_id"
    " WHERE r.started_seq BETWEEN ? AND ? GROUP BY 1, 2"
)
_RETURN_TAXES = (
    "SELECT l.tax_rate_bp, sum(x.amount), sum(x.tax) FROM return_lines x"
    " JOIN returns r ON r.return_id = x.return_id"
    " JOIN sale_lines l ON l.sale_id = r.sale_id AND l.line_no = x.line_no"
    " WHERE r.started_seq BETWEEN ? AND ? GROUP BY 1"
)
# The cashier of a no-sale opening is on the manager's override just before it.
_STAFF_ENTRIES = (
    "SELECT d.seq, j.ts, 'no_sale', coalesce(o.cashier, d.staff_no), d.staff_no, 0, ''"
    " FROM drawer_openings d JOIN journal j ON j.seq = d.seq"
    " LEFT JOIN overrides o ON o.seq = (SELECT max(seq) FROM overrides"
    "   WHERE seq < d.seq AND action = 'no_sale')"
    " WHERE d.seq BETWEEN ? AND ? AND d.reason = 'no_sale'"
    " UNION ALL SELECT o.seq, j.ts, o.action, o.cashier, o.manager, 0, ''"
    " FROM overrides o JOIN journal j ON j.seq = o.seq"
    " WHERE o.seq BETWEEN ? AND ? AND o.action = 'clear_sale'"
    " UNION ALL SELECT m.seq, j.ts, m.kind, m.staff_no, m.manager, m.amount, m.reason"
    " FROM cash_movements m JOIN journal j ON j.seq = m.seq WHERE m.seq BETWEEN ? AND ?"
    " UNION ALL SELECT seq, ts, 'void_line', json_extract(payload, '$.staff_no'), '',"
    " json_extract(payload, '$.amount'), json_extract(payload, '$.sku') || ' x'"
    " || json_extract(payload, '$.quantity') || ' ' || json_extract(payload, '$.reason')"
    " FROM journal WHERE seq BETWEEN ? AND ? AND type = 'line.voided'"
    " ORDER BY 1"
)
_OVERRIDES = "SELECT action, count(*) FROM overrides WHERE seq BETWEEN ? AND ? GROUP BY action"
_SHIFTS = (
    "SELECT s.shift_id, s.staff_no, s.opening_float, c.expected, c.counted, c.difference,"
    " json_extract(j.payload, '$.expected_by_tender'),"
    " json_extract(j.payload, '$.counted_by_tender')"
    " FROM shifts s LEFT JOIN cash_counts c ON c.seq = s.count_seq AND s.closed_seq <= ?"
    " LEFT JOIN journal j ON j.seq = c.seq"
    " WHERE s.opened_seq BETWEEN ? AND ? ORDER BY s.opened_seq"
)
_REDEMPTIONS = (
    "SELECT count(*), coalesce(sum(amount), 0) FROM coupon_redemptions WHERE seq BETWEEN ? AND ?"
)
_ISSUED = (
    "SELECT purpose, count(*), coalesce(sum(value), 0) FROM coupons"
    " WHERE issued_seq BETWEEN ? AND ? GROUP BY 1"
)
_ENROLLED = (
    "SELECT m.via, count(*) FROM members m JOIN journal j ON j.seq = m.enrolled_seq"
    " WHERE m.enrolled_seq BETWEEN ? AND ? AND j.type = 'member.enrolled' GROUP BY 1"
)
# Events with no projection of their own, counted from the journal over the span.
_COUNTED_EVENTS = (
    "SELECT type, count(*), coalesce(sum(CASE WHEN type = 'coupon.redemption_rejected'"
    " THEN json_extract(payload, '$.amount') END), 0) FROM journal"
    " WHERE seq BETWEEN ? AND ?"
    " AND type IN ('receipt.reprinted', 'coupon.restored', 'coupon.redemption_rejected')"
    " GROUP BY type"
)
_EDGES = "SELECT (SELECT ts FROM journal WHERE seq = ?), (SELECT ts FROM journal WHERE seq = ?)"


def _shift(row: Sequence[Any]) -> ShiftEntry:
    """A shift (a _SHIFTS row), with its closing count on every tender (a count
    journaled before other tenders were counted has cash alone)."""
    shift_id, staff_no, opening_float, expected, counted, difference, expecting, got = row
    tenders: tuple[TenderCount, ...] = ()
    if expected is not None:
        # Cash expected is the drawer's (float and cash moved included), not the takings.
        expected_by = {**json.loads(expecting or "{}"), "cash": expected}
        counted_by = json.loads(got or "{}") or {"cash": counted}
        tenders = tuple(
            TenderCount(tender, expected_by.get(tender, 0), counted_by.get(tender))
            for tender in ["cash", *sorted(set(expected_by) - {"cash"})]
        )
    return ShiftEntry(shift_id, staff_no, opening_float, expected, counted, difference, tenders)


def read_facts(conn: Connection, first: int, last: int) -> DayFacts:
    """Everything the reports need about seq first .. last, in one read snapshot."""
    sql = driver(conn)
    span = (first, last)

    def rows(statement: str, params: tuple[int, ...] = span) -> list[Any]:
        return sql.execute(statement, params).fetchall()

    receipts, items, gross, discounts, total, member_receipts, member_total = sql.execute(
        _SALES, span
    ).fetchone()
    counted = {
        str(type_): (int(count), int(amount)) for type_, count, amount in rows(_COUNTED_EVENTS)
    }
    redeemed, redeemed_amount = sql.execute(_REDEMPTIONS, span).fetchone()
    issued = rows(_ISSUED)
    first_ts, last_ts = sql.execute(_EDGES, span).fetchone()
    return DayFacts(
        first_seq=first,
        last_seq=last,
        receipts=receipts,
        items=items,
        gross=gross,
        discounts=discounts,
        sales_total=total,
        member_receipts=member_receipts,
        member_total=member_total,
        cashier_receipts={str(name): int(count) for name, count in rows(_CASHIERS)},
        tenders=tuple(TenderFact(*row) for row in rows(_TENDERS)),
        refunds=tuple(RefundFact(*row) for row in rows(_REFUNDS)),
        taxes=tuple(TaxFact(*row) for row in rows(_TAXES)),
        return_taxes=tuple(TaxFact(*row) for row in rows(_RETURN_TAXES)),
        categories=tuple(CategoryFact(*row) for row in rows(_CATEGORIES)),
        hours=tuple(HourFact(*row) for row in rows(_HOURS)),
        returns=tuple(ReturnEntry(*row) for row in rows(_RETURNS)),
        staff_entries=tuple(StaffEntry(*row[1:]) for row in rows(_STAFF_ENTRIES, span * 4)),
        shifts=tuple(_shift(row) for row in rows(_SHIFTS, (last, *span))),
        coupons_redeemed=redeemed,
        coupons_redeemed_amount=redeemed_amount,
        coupons_restored=counted.get("coupon.restored", (0, 0))[0],
        coupons_rejected=counted.get("coupon.redemption_rejected", (0, 0))[0],
        coupons_rejected_amount=counted.get("coupon.redemption_rejected", (0, 0))[1],
        coupons_issued={str(purpose): int(count) for purpose, count, _value in issued},
        coupons_issued_value=sum(int(value) for _purpose, _count, value in issued),
        members_enrolled={str(via): int(count) for via, count in rows(_ENROLLED)},
        copies_printed=counted.get("receipt.reprinted", (0, 0))[0],
        overrides={str(action): int(count) for action, count in rows(_OVERRIDES)},
        first_ts=first_ts or "",
        last_ts=last_ts or "",
    )


_SHIFT = "SELECT staff_no, opened_seq, opening_float, closed_seq FROM shifts WHERE shift_id = ?"
_SHIFT_TENDERS = (
    "SELECT x.tender, sum(x.amount) FROM sales s JOIN payments x ON x.sale_id = s.sale_id"
    " WHERE s.seq > ? AND s.seq <= ? AND s.shift_id = ? GROUP BY 1"
)
# Returns carry the cashier, not the shift: the cashier's returns while it was open.
_SHIFT_REFUNDS = (
    "SELECT CASE WHEN f.outcome = 'in_cash' THEN 'cash' ELSE f.tender END, sum(f.amount)"
    " FROM refunds f JOIN returns r ON r.return_id = f.return_id"
    " WHERE r.started_seq > ? AND r.started_seq <= ? AND r.cashier = ? GROUP BY 1"
)
_SHIFT_MOVES = "SELECT kind, sum(amount) FROM cash_movements WHERE shift_id = ? GROUP BY kind"


def drawer_takings(conn: Connection, shift_id: str) -> DrawerTakings | None:
    """What the shift's drawer took and gave, by the ledger; None for an unknown shift."""
    sql = driver(conn)
    shift = sql.execute(_SHIFT, (shift_id,)).fetchone()
    if shift is None:
        return None
    staff_no, opened, opening_float, closed = shift
    until = closed if closed is not None else head_seq(conn)
    sold = dict(sql.execute(_SHIFT_TENDERS, (opened, until, shift_id)).fetchall())
    refunded = dict(sql.execute(_SHIFT_REFUNDS, (opened, until, staff_no)).fetchall())
    moved = dict(sql.execute(_SHIFT_MOVES, (shift_id,)).fetchall())
    tenders = sorted(set(sold) | set(refunded) | {"cash"})
    return DrawerTakings(
        opening_float=opening_float,
        cash_sales=sold.get("cash", 0),
        cash_refunds=refunded.get("cash", 0),
        pay_ins=moved.get("pay_in", 0),
        pay_outs=moved.get("pay_out", 0),
        bleeds=moved.get("bleed", 0),
        by_tender={name: sold.get(name, 0) - refunded.get(name, 0) for name in tenders},
    )
