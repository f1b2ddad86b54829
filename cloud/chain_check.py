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

from pos.ledger.chain import event_hash

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
        if event.get("device_id") != device_id:
            return ChainCheck(seq, f"seq {event.get('seq')}: sent for another device")
        if event.get("seq") != seq + 1:
            return ChainCheck(seq, f"seq {event.get('seq')}: expected seq {seq + 1}")
        if event.get("prev_hash") != prev:
            return ChainCheck(seq, f"seq {seq + 1}: prev_hash does not continue the chain")
        try:
            recomputed = event_hash({name: event[name] for name in CANONICAL_FIELDS})
        except KeyError as missing:
            return ChainCheck(seq, f"seq {seq + 1}: field {missing} missing")
        if recomputed != event.get("hash"):
            return ChainCheck(seq, f"seq {seq + 1}: hash does not match the event")
        seq, prev = seq + 1, recomputed
    return ChainCheck(seq)
