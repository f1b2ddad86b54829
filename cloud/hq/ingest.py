"""Ingest: a device's journal events, stored exactly once, in chain order.

For one batch, in one transaction holding the device's row:

- an event at a seq already stored is a duplicate if it is the same event (its hash
  and its recomputed hash agree with the stored one), otherwise a fork;
- the event at head + 1 must continue the chain (device, seq, prev_hash, and a hash
  that matches its content), otherwise it is a fork;
- an event past head + 1 is held until the gap before it fills;
- after the batch, held events that now continue the chain are stored too.

A fork is recorded with the event that caused it and the device is quarantined: its
pushes are refused until someone has looked (a restored backup, a cloned device, an
edited journal). What was stored before the fork stays stored. The answer is always
`acked_through`, the highest contiguous seq stored.

A batch read by orjson (`exact=False`, see cloud.hq.wire) is stored only if nothing in
it is refused or held unverified; otherwise `Inexact` undoes the attempt and the caller
reads the body again with the standard library and decides on that reading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from cloud.chain_check import CANONICAL_FIELDS, continuation_problem
from cloud.hq import arbitration, membership, records
from cloud.hq.database import bulk_insert
from cloud.hq.errors import HQError
from cloud.hq.schema import DEVICES, EVENTS, FORKS, HELD
from cloud.hq.wire import fast_canonical
from pos.ledger.chain import canonical_json, event_hash

PROJECTED = arbitration.ARBITRATED | membership.PROJECTED | records.PROJECTED
MAX_EVENTS = 5000
"""Events in one push at most (a till sends at most its [sync] batch_events, 2000 by
default and never more than this)."""


class Inexact(Exception):
    """A batch read by orjson met a refusal or an event held unverified: read it again
    exactly (orjson reads integers past 64 bits as floats, which then fail the hash
    check), roll back and ingest that reading instead."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    acked_through: int
    stored: int = 0
    duplicates: int = 0
    held: int = 0
    fork: str | None = None
    """Why the device was quarantined by this batch, if it was."""


def ingest(
    conn: Connection, device: RowMapping, events: Sequence[Any], now: str, *, exact: bool = True
) -> IngestResult:
    """Store `events` for the (locked) device row; see the module docstring. With
    `exact=False` (events read by orjson) a refusal raises `Inexact` instead."""
    device_id = device["device_id"]
    if device["quarantined_at"] is not None:
        raise HQError(
            409, "quarantined", f"Device {device_id} is quarantined after a fork; see the forks."
        )
    if len(events) > MAX_EVENTS:
        raise HQError(413, "too_many_events", f"At most {MAX_EVENTS} events in one push.")
    try:
        batch = sorted((_shape(event) for event in events), key=lambda event: event["seq"])
    except HQError:
        if not exact:
            raise Inexact from None
        raise
    state = _State(conn, device, now, exact)
    for event in batch:
        if state.fork is not None:
            break
        seq = event["seq"]
        if seq <= state.head_seq:
            state.compare(event)
        elif seq == state.head_seq + 1:
            state.append(event)
        else:
            state.hold(event)
    if state.fork is None:
        state.drain_held()
    state.flush()
    # Held events the batch itself covered (a resend racing the original) are done.
    conn.execute(delete(HELD).where(HELD.c.device_id == device_id, HELD.c.seq <= state.head_seq))
    conn.execute(
        update(DEVICES)
        .where(DEVICES.c.device_id == device_id)
        .values(
            head_seq=state.head_seq,
            head_hash=state.head_hash,
            quarantined_at=now if state.fork is not None else None,
        )
    )
    return IngestResult(state.head_seq, state.stored, state.duplicates, state.held, state.fork)


def _shape(event: Any) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise HQError(422, "bad_event", "Each event is a JSON object.")
    missing = [name for name in (*CANONICAL_FIELDS, "hash") if name not in event]
    if missing:
        raise HQError(422, "bad_event", f"An event lacks {', '.join(missing)}.")
    seq = event["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise HQError(422, "bad_event", f"seq {seq!r} is not a positive whole number.")
    if not isinstance(event["payload"], Mapping):
        raise HQError(422, "bad_event", f"seq {seq}: the payload is not a JSON object.")
    # A parsed body's events are dicts already; copying 500 of them was measurable.
    return event if type(event) is dict else dict(event)


class _State:
    """The device's chain as the batch extends it, and the rows waiting to be written."""

    def __init__(self, conn: Connection, device: RowMapping, now: str, exact: bool) -> None:
        self.conn, self.now, self.exact = conn, now, exact
        self.device_id, self.store_id = device["device_id"], device["store_id"]
        self.head_seq, self.head_hash = device["head_seq"], device["head_hash"]
        self.pending: list[tuple[Any, ...]] = []
        """Rows to insert, as `_COLUMNS`."""
        self.projected: list[Mapping[str, Any]] = []
        """Events among the pending ones that the cloud projects, once stored."""
        self.stored = self.duplicates = self.held = 0
        self.fork: str | None = None

    def compare(self, event: Mapping[str, Any]) -> None:
        self.flush()  # the stored seq may be one this batch just appended
        row = self.conn.execute(
            select(EVENTS.c.hash).where(
                EVENTS.c.device_id == self.device_id, EVENTS.c.seq == event["seq"]
            )
        ).first()
        stored_hash = row.hash if row is not None else None
        if stored_hash == event["hash"] == _recomputed(event):
            self.duplicates += 1
            return
        self.quarantine(event, stored_hash, "a different event at a seq already stored")

    def append(self, event: Mapping[str, Any]) -> None:
        payload = fast_canonical(event["payload"])
        problem = continuation_problem(
            self.device_id, self.head_seq, self.head_hash, event, payload
        )
        if problem is not None and (exact := canonical_json(event["payload"])) != payload:
            payload = exact  # the standard library's text is the reference: ask it
            problem = continuation_problem(
                self.device_id, self.head_seq, self.head_hash, event, payload
            )
        if problem is not None:
            self.quarantine(event, None, problem)
            return
        if event["type"] in PROJECTED:
            self.projected.append(event)
        self.pending.append(
            (
                self.device_id,
                event["seq"],
                event["event_id"],
                event["type"],
                event["ts"],
                payload,
                event["prev_hash"],
                event["hash"],
                self.now,
            )
        )
        self.head_seq, self.head_hash = event["seq"], event["hash"]
        self.stored += 1

    def hold(self, event: Mapping[str, Any]) -> None:
        # A held event is verified only when its gap fills, from the text kept here:
        # it must not be a fast reading that lost a long number's digits.
        if not self.exact and _recomputed(event) != event["hash"]:
            raise Inexact
        held = self.conn.execute(
            select(HELD.c.seq).where(HELD.c.device_id == self.device_id, HELD.c.seq == event["seq"])
        ).first()
        if held is None:
            self.conn.execute(
                insert(HELD).values(
                    device_id=self.device_id,
                    seq=event["seq"],
                    body=json.dumps(event, ensure_ascii=False),
                    received_at=self.now,
                )
            )
            self.held += 1

    def drain_held(self) -> None:
        while self.fork is None:
            row = self.conn.execute(
                select(HELD.c.body).where(
                    HELD.c.device_id == self.device_id, HELD.c.seq == self.head_seq + 1
                )
            ).first()
            if row is None:
                return
            self.conn.execute(
                delete(HELD).where(
                    HELD.c.device_id == self.device_id, HELD.c.seq == self.head_seq + 1
                )
            )
            self.append(json.loads(row.body))

    def flush(self) -> None:
        if not self.pending:
            return
        rows, self.pending = self.pending, []
        try:
            with self.conn.begin_nested():
                bulk_insert(self.conn, EVENTS, _COLUMNS, rows)
        except (IntegrityError, self.conn.dialect.loaded_dbapi.IntegrityError):
            self._flush_one_by_one(rows)
        # The projections, for the events that were stored, in seq order; what the
        # tills did (records) is read by no other projection, so goes in at once.
        stored = [event for event in self.projected if event["seq"] <= self.head_seq]
        for event in stored:
            if event["type"] in membership.PROJECTED:
                membership.project(self.conn, event, self.store_id, self.now)
            elif event["type"] in arbitration.ARBITRATED:
                arbitration.project(self.conn, event, self.now)
        records.project(
            self.conn,
            [event for event in stored if event["type"] in records.PROJECTED],
            self.store_id,
        )
        self.projected = []

    def _flush_one_by_one(self, values: list[tuple[Any, ...]]) -> None:
        """A batch whose insert failed: an event id already stored for another event
        (a cloned device replaying another's events). Store up to it; it is a fork."""
        rows = [dict(zip(_COLUMNS, value, strict=True)) for value in values]
        for index, row in enumerate(rows):
            try:
                with self.conn.begin_nested():
                    self.conn.execute(insert(EVENTS), [row])
            except IntegrityError:
                self.stored -= len(rows) - index
                self.head_seq, self.head_hash = row["seq"] - 1, row["prev_hash"]
                event = {**row, "payload": json.loads(row["payload"])}
                self.quarantine(event, None, "its event_id is already stored for another event")
                return

    def quarantine(self, event: Mapping[str, Any], stored_hash: str | None, reason: str) -> None:
        if not self.exact:
            raise Inexact
        self.fork = reason if reason.startswith("seq ") else f"seq {event['seq']}: {reason}"
        self.conn.execute(
            insert(FORKS).values(
                device_id=self.device_id,
                seq=event["seq"],
                stored_hash=stored_hash,
                sent_hash=str(event.get("hash")),
                reason=reason,
                body=json.dumps(event, ensure_ascii=False),
                detected_at=self.now,
            )
        )


_COLUMNS = (
    "device_id",
    "seq",
    "event_id",
    "type",
    "ts",
    "payload",
    "prev_hash",
    "hash",
    "received_at",
)
"""The events table's columns, in the order of the rows `_State.append` makes."""
# The inserts name these columns: one added to the table must be added here too.
assert set(_COLUMNS) == {column.name for column in EVENTS.columns}


def _recomputed(event: Mapping[str, Any]) -> str:
    return event_hash({name: event[name] for name in CANONICAL_FIELDS})
