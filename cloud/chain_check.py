"""Ingest's first rule: a device's events must continue its hash chain.

Given the last event the cloud stored for a device (seq and hash), an event continues
the chain when it is that device's, has the next seq, links to that hash, and carries
the hash of its own content. The ingest (cloud.hq.ingest) holds an event past a gap
and quarantines one that breaks the chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pos.ledger.chain import canonical_text, sha256_hex

CANONICAL_FIELDS = ("seq", "event_id", "device_id", "type", "ts", "payload", "prev_hash")


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
