"""End of day: the X report (changes nothing), the day report, and closing a day with a Z.

A Z covers everything after the previous Z up to the end of the business day it closes:
so no transaction is in two Zs, none escapes one, and a day nobody closed is swept into
the next Z (its report says from which day). The Z is journaled as day.closed with its
totals and the hash of the last event it covers, in the same write transaction that read
them, so nothing can slip in between the figures and the close.

Everything here blocks on the ledger: call it from a worker, never the event loop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from pos.config import Settings
from pos.domain.business_day import DayError, business_day, parse_boundary
from pos.domain.reports import DAY, Header, Report, X, Z, build_report
from pos.ledger.chain import format_ts, parse_ts
from pos.ledger.database import Ledger
from pos.ledger.report_reads import (
    ClosedDay,
    close_before,
    close_of,
    day_span,
    event_hash,
    head_seq,
    last_close,
    read_facts,
    totals_before,
)


@dataclass(frozen=True, slots=True)
class Place:
    """The store and till a report is for, and how its days are cut."""

    store_id: str
    store_name: str
    device_id: str
    zone: tzinfo
    boundary: time

    @classmethod
    def of(cls, settings: Settings) -> Place:
        return cls(
            settings.store.id,
            settings.store.name,
            settings.till.device_id,
            ZoneInfo(settings.store.timezone),
            parse_boundary(settings.store.day_boundary),
        )

    def day_of(self, moment: datetime) -> date:
        return business_day(moment, self.zone, self.boundary)


def open_day(place: Place, close: ClosedDay | None, now: datetime) -> date:
    """The business day now open: today's, or the day after the last Z if that is later
    (a day closed before its boundary hands the rest of its hours to the next day)."""
    today = place.day_of(now)
    if close is None:
        return today
    return max(today, date.fromisoformat(close.business_day) + timedelta(1))


def x_report(ledger: Ledger, place: Place) -> Report:
    """Everything since the last Z, as of now. Writes nothing."""
    now = ledger.clock()
    with ledger.read() as conn:
        close = last_close(conn)
        first = close.last_seq + 1 if close else 1
        return _report(
            conn,
            place,
            kind=X,
            day=open_day(place, close, now),
            first=first,
            last=head_seq(conn),
            at=now,
        )


def day_report(ledger: Ledger, place: Place, day: date) -> Report:
    """Business day `day` alone (closed or not): its events by the seq-order rule."""
    with ledger.read() as conn:
        first, last = day_span(conn, day, place.zone, place.boundary)
        close = close_of(conn, day)
        return _report(
            conn,
            place,
            kind=DAY,
            day=day,
            first=first,
            last=last,
            at=ledger.clock(),
            z_no=close.z_no if close else None,
        )


def z_report(ledger: Ledger, place: Place, day: date) -> Report:
    """The Z that closed `day`, made again from the span it covered (for a reprint)."""
    with ledger.read() as conn:
        close = close_of(conn, day)
        if close is None:
            raise DayError(
                "Day not closed", f"{day} has no Z yet; close it with `pos report z --close`."
            )
        return _report(
            conn,
            place,
            kind=Z,
            day=day,
            first=close.first_seq,
            last=close.last_seq,
            at=parse_ts(close.ts),
            z_no=close.z_no,
            head_hash=close.head_hash,
        )


def close_day(ledger: Ledger, place: Place, staff_no: str, day: date | None = None) -> Report:
    """Journal day.closed for `day` (default: today's business day) and return its Z.

    Refuses a day already closed, a day before the last one closed, and a day that has
    not begun; the checks and the close share one write transaction, so two managers
    closing at once get one Z and one refusal.
    """
    with ledger.transaction() as writer:
        conn = writer.conn
        now = ledger.clock()
        close = last_close(conn)
        # By the clock: after today's Z the open day is tomorrow, which has not begun.
        today = place.day_of(now)
        day = day or today
        done = close_of(conn, day)
        if done is not None:
            raise DayError(
                "Day already closed",
                f"{day} was closed by Z {done.z_no} at {_local(place, done.ts)}; "
                "a day is closed once. Print that Z again with `pos report z`.",
            )
        if close is not None and day < date.fromisoformat(close.business_day):
            raise DayError(
                "Later day closed",
                f"{day} is before {close.business_day}, which Z {close.z_no} already closed; "
                "its sales are in that Z.",
            )
        if day > today:
            raise DayError("Day not begun", f"Business day {day} has not begun (today is {today}).")
        head = head_seq(conn)
        first = close.last_seq + 1 if close else 1
        _first, last = day_span(conn, day, place.zone, place.boundary, until=head)
        if last < first:
            # Only a clock set back can get here: what was done since the last Z
            # belongs to a later business day, so this one has nothing of its own.
            raise DayError(
                "Nothing to close",
                f"Nothing done since the last Z belongs to {day}: it is in a later day, "
                "which is closed when that day is.",
            )
        z_no = close.z_no + 1 if close else 1
        report = _report(
            conn,
            place,
            kind=Z,
            day=day,
            first=first,
            last=last,
            at=now,
            z_no=z_no,
            head_hash=event_hash(conn, last),
        )
        writer.append("day.closed", closed_payload(report, staff_no), at=now)
    return report


def span_report(
    ledger: Ledger,
    place: Place,
    *,
    kind: str,
    day: date,
    first: int,
    last: int,
    at: datetime,
    z_no: int | None,
    with_head: bool,
) -> Report:
    """A report over a span already chosen (a print job's, pos.report_printing)."""
    with ledger.read() as conn:
        return _report(
            conn,
            place,
            kind=kind,
            day=day,
            first=first,
            last=last,
            at=at,
            z_no=z_no,
            head_hash=event_hash(conn, last) if with_head else "",
        )


def closed_payload(report: Report, staff_no: str) -> dict[str, Any]:
    """day.closed: the Z's identity, the span and chain head it covers, and its totals."""
    header = report.header
    return {
        "z_no": header.z_no,
        "business_day": header.business_day,
        "first_day": header.first_day,
        "first_seq": report.first_seq,
        "last_seq": report.last_seq,
        "head_hash": header.head_hash,
        "closed_by": staff_no,
        "totals": asdict(report.totals),
        "tenders": {line.tender: line.net for line in report.tenders},
        "cash": {
            "expected": report.cash.expected,
            "counted": report.cash.counted,
            "difference": report.cash.difference,
        },
    }


def _report(
    conn: Connection,
    place: Place,
    *,
    kind: str,
    day: date,
    first: int,
    last: int,
    at: datetime,
    z_no: int | None = None,
    head_hash: str = "",
) -> Report:
    facts = read_facts(conn, first, last)
    grand, perpetual = totals_before(conn, first)
    first_day = place.day_of(parse_ts(facts.first_ts)) if facts.first_ts else day
    previous = close_before(conn, first)
    if previous is not None:  # a clock set back cannot date the span before that Z
        first_day = max(first_day, date.fromisoformat(previous.business_day) + timedelta(1))
    header = Header(
        kind=kind,
        store_id=place.store_id,
        store_name=place.store_name,
        device_id=place.device_id,
        business_day=day.isoformat(),
        generated_at=format_ts(at),
        first_day=min(first_day, day).isoformat(),
        z_no=z_no,
        head_hash=head_hash,
        grand_total_before=grand,
        perpetual_total_before=perpetual,
    )
    return build_report(facts, header, place.zone)


def _local(place: Place, ts: str) -> str:
    return f"{parse_ts(ts).astimezone(place.zone):%Y-%m-%d %H:%M}"
