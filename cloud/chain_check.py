"""Ingest's first rule: a device's events must continue its hash chain.

Given the last event the cloud stored for a device (seq and hash) and a batch in seq
order, return how far the batch extends the stored chain and, if it stops early, why.
A batch that starts past the stored head is held (a gap), not an error; an event whose
recomputed hash or link is wrong is a break the cloud quarantines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pos.ledger.chain import canonical_json, canonical_text, sha256_hex

CANONICAL_FIELDS = ("seq", "event_id", "device_id", "type", "ts", "payload", "prev_hash")


@dataclass(frozen=True, slots=True)
class ChainCheck:
    accepted_through: int
    """The highest seq that continues the stored chain (the stored head if none)."""
    problem: str | None = None
    """Why the batch stopped before its end, or None."""


def check_continuation(
    device_id: str, head_seq: int, head_hash: str, events: Iterable[Mapping[str, Any]]
) -> ChainCheck:
    seq, prev = head_seq, head_hash
    for event in events:
        missing = [name for name in (*CANONICAL_FIELDS, "hash") if name not in event]
        if missing:
            return ChainCheck(seq, f"seq {event.get('seq')}: field {missing[0]!r} missing")
        problem = continuation_problem(
            device_id, seq, prev, event, canonical_json(event["payload"])
        )
        if problem is not None:
            return ChainCheck(seq, problem)
        seq, prev = seq + 1, event["hash"]
    return ChainCheck(seq)


def continuation_problem(
    device_id: str, head_seq: int, head_hash: str, event: Mapping[str, Any], payload: str
) -> str | None:
    """Why `event` does not continue the chain at head_seq (None if it does), given its
    payload's canonical text (computed once by the caller, who stores it)."""
    seq = event["seq"]
    if event["device_id"] != device_id:
        return f"seq {seq}: sent for another device"
    if seq != head_seq + 1:
        return f"seq {seq}: expected seq {head_seq + 1}"
    if event["prev_hash"] != head_hash:
        return f"seq {seq}: prev_hash does not continue the chain"
    if not all(isinstance(event[name], str) for name in ("event_id", "type", "ts", "prev_hash")):
        return f"seq {seq}: a field is not text"
    if sha256_hex(canonical_text(event, payload)) != event["hash"]:
        return f"seq {seq}: hash does not match the event"
    return None
