"""`pos ledger verify`: the chain, then the projections rebuilt from it.

The chain check recomputes every hash from the stored fields, so an edited payload, a
deleted or reordered row, or a replaced event is found and named by its seq. The
projection check replays the whole journal through the same projectors the till uses
into an empty in-memory database and compares every projection table row by row.

A file of an older schema revision (a backup to restore, a ledger on a read-only disk
that no newer till has migrated) lacks the tables later revisions added; it verifies as
long as its journal holds no event that would have written them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, Table, create_engine, func, inspect, select
from sqlmodel import SQLModel

from pos.ledger.chain import GENESIS_HASH, Event, event_hash
from pos.ledger.database import Ledger
from pos.ledger.projections import EVENT_TYPES, project
from pos.ledger.tables import JOURNAL, PROJECTIONS

_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int | None
    """The first journal seq at fault, or None for a projection-only problem."""
    message: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "projections"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Report:
    events: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def iter_events(conn: Connection, since: int = 0) -> Iterator[tuple[Event, str | None]]:
    """Events in seq order with, for each, why its payload is unreadable (or None)."""
    last = since
    while True:
        rows = conn.execute(
            select(JOURNAL).where(JOURNAL.c.seq > last).order_by(JOURNAL.c.seq).limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            broken: str | None = None
            try:
                payload = json.loads(row.payload)
                if not isinstance(payload, dict):
                    broken = "payload is not a JSON object"
                    payload = {}
            except json.JSONDecodeError as error:
                broken, payload = f"payload is not JSON ({error.msg})", {}
            yield (
                Event(
                    seq=row.seq,
                    event_id=row.event_id,
                    device_id=row.device_id,
                    type=row.type,
                    ts=row.ts,
                    payload=payload,
                    prev_hash=row.prev_hash,
                    hash=row.hash,
                ),
                broken,
            )
        last = rows[-1].seq


def verify(ledger: Ledger) -> Report:
    """Check the chain, then (if it holds) the projections; stop at the first chain fault."""
    report = Report()
    rebuilt = create_engine("sqlite://")
    SQLModel.metadata.create_all(rebuilt, tables=list(PROJECTIONS))
    with ledger.read() as conn, rebuilt.begin() as scratch:
        expected_prev = GENESIS_HASH
        for expected_seq, (event, broken) in enumerate(iter_events(conn), start=1):
            problem = _chain_problem(event, broken, expected_seq, expected_prev, ledger.device_id)
            if problem:
                report.problems.append(Problem(event.seq, problem))
                return report
            try:
                project(scratch, event)
            except Exception as error:  # any failure to replay is a finding, not a crash
                report.problems.append(Problem(event.seq, f"cannot be replayed: {error}"))
                return report
            expected_prev = event.hash
            report.events = event.seq
        report.head_hash = expected_prev
        schema = inspect(conn)
        present = set(schema.get_table_names())
        for table in PROJECTIONS:
            if table.name in present:
                stored = {column["name"] for column in schema.get_columns(table.name)}
                mismatch = _newer_columns(table, stored, scratch) or _compare(
                    table, stored, conn, scratch
                )
            else:
                mismatch = _absent(table, scratch)
            if mismatch:
                report.problems.append(Problem(None, mismatch))
    rebuilt.dispose()
    return report


def _chain_problem(
    event: Event, broken: str | None, seq: int, prev: str, device_id: str
) -> str | None:
    if event.seq != seq:
        return f"expected seq {seq} next, found {event.seq}: events are missing"
    if broken:
        return broken
    if event.prev_hash != prev:
        return "prev_hash is not the previous event's hash (an event was removed or replaced)"
    if event_hash(event.canonical_fields()) != event.hash:
        return "hash does not match the event's contents (the event was edited)"
    if event.device_id != device_id:
        return f"written by device {event.device_id}, this ledger is {device_id}'s"
    if event.type not in EVENT_TYPES:
        return f"unknown event type {event.type!r}"
    return None


def _newer_columns(table: Table, stored: set[str], rebuilt: Connection) -> str | None:
    """A column the file's schema predates is fine while the journal leaves it empty."""
    for column in table.columns:
        if column.name not in stored:
            filled = rebuilt.execute(
                select(func.count()).select_from(table).where(column.is_not(None))
            ).scalar_one()
            if filled:
                return (
                    f"{table.name}.{column.name}: the column is missing, and the journal "
                    f"has {filled} values for it"
                )
    return None


def _compare(table: Table, names: set[str], stored: Connection, rebuilt: Connection) -> str | None:
    columns = [column for column in table.columns if column.name in names]
    key = list(table.primary_key.columns)
    query = select(*columns).order_by(*key)
    # Merge on the primary key, so a missing or extra row is named as such instead of
    # every later row being compared with the wrong partner.
    positions = [columns.index(column) for column in key]
    mine_rows, replayed_rows = stored.execute(query), rebuilt.execute(query)
    mine, replayed = next(mine_rows, None), next(replayed_rows, None)
    while mine is not None or replayed is not None:
        if replayed is not None and (
            mine is None or _key(replayed, positions) < _key(mine, positions)
        ):
            return f"{table.name}: row {tuple(replayed)} from the journal is missing"
        if mine is not None and (
            replayed is None or _key(mine, positions) < _key(replayed, positions)
        ):
            return f"{table.name}: row {tuple(mine)} has no event in the journal"
        if tuple(mine or ()) != tuple(replayed or ()):
            return (
                f"{table.name}: stored row {tuple(mine or ())} differs from the journal's "
                f"{tuple(replayed or ())}"
            )
        mine, replayed = next(mine_rows, None), next(replayed_rows, None)
    return None


def _absent(table: Table, rebuilt: Connection) -> str | None:
    """A table the file's schema predates is fine while the journal has no rows for it."""
    rows = rebuilt.execute(select(func.count()).select_from(table)).scalar_one()
    if rows:
        return f"{table.name}: the table is missing, and the journal has {rows} rows for it"
    return None


def _key(row: Row[Any], positions: list[int]) -> tuple[Any, ...]:
    return tuple(row[index] for index in positions)
