"""Business days: which trading day a moment belongs to, and where a day starts.

A store that closes at 02:00 still counts a sale at 01:30 in the evening's takings, so a
business day runs from the store's `day_boundary` (local time, e.g. 04:00) to the next
one, not from midnight. The journal's ts is UTC; the store's time zone turns it local.

The clock is not trusted for order: the ledger assigns days in seq order, and a clock
that jumps backwards cannot pull a later sale into an earlier day (see
`pos.ledger.report_reads.day_span`). These functions only say where a day's boundary
falls in UTC, as the ISO text the journal stores, so the ledger can compare ts strings
(fixed-width ISO UTC text sorts as time does) without parsing every event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from pos.domain.errors import DomainError


class DayError(DomainError):
    """A business day that cannot be reported or closed (already closed, not begun)."""


def parse_boundary(text: str) -> time:
    """'04:00' -> time(4, 0); the settings validate the format, this only converts."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def business_day(moment: datetime, zone: tzinfo, boundary: time) -> date:
    """The business day `moment` (aware) falls in: local date, minus one before the boundary."""
    local = moment.astimezone(zone)
    if local.time() < boundary:
        return local.date() - timedelta(days=1)
    return local.date()


def day_start(day: date, zone: tzinfo, boundary: time) -> datetime:
    """The UTC instant the business day `day` begins."""
    return datetime.combine(day, boundary, tzinfo=zone).astimezone(UTC)


def day_start_ts(day: date, zone: tzinfo, boundary: time) -> str:
    """`day_start` as the journal writes ts (ISO 8601 UTC, milliseconds, Z)."""
    return day_start(day, zone, boundary).strftime("%Y-%m-%dT%H:%M:%S.000Z")
