"""The journal as the sync outbox: what is not yet acknowledged, in batches.

The cloud answers each push with `acked_through`, the highest contiguous seq it has
stored; it is kept in the ledger's meta table so a restart resumes from there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from pos.ledger.chain import Event, canonical_json
from pos.ledger.database import read_meta
from pos.ledger.verify import iter_events

ACKED_THROUGH = "acked_through"


@dataclass(frozen=True, slots=True)
class Batch:
    events: tuple[Event, ...]
    size: int
    """Bytes of the batch's events as canonical JSON."""

    @property
    def first_seq(self) -> int:
        return self.events[0].seq

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq


def acked_through(conn: Connection) -> int:
    return int(read_meta(conn, ACKED_THROUGH) or 0)


def backlog(conn: Connection) -> int:
    """Events the cloud has not acknowledged yet."""
    (head,) = conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM journal").one()
    return int(head) - acked_through(conn)


def next_batch(
    conn: Connection, *, max_events: int = 500, max_bytes: int = 1 << 20
) -> Batch | None:
    """The next events after acked_through, bounded by count and bytes (at least one)."""
    events: list[Event] = []
    size = 0
    for event, _broken in iter_events(conn, acked_through(conn)):
        length = len(canonical_json(event.as_json()).encode("utf-8"))
        if events and (len(events) >= max_events or size + length > max_bytes):
            break
        events.append(event)
        size += length
    return Batch(tuple(events), size) if events else None
