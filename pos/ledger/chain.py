"""The journal's hash chain: the canonical form of an event and its hash.

This is the contract auditors and other tools re-implement (docs/ledger.md), so it is
kept tiny and free of any database code:

    canonical = UTF-8 JSON of {seq, event_id, device_id, type, ts, payload, prev_hash}
                with sorted keys, separators "," and ":", no ASCII escaping
    hash      = lowercase hex SHA-256 of canonical
    prev_hash = the previous event's hash; 64 zeros for seq 1
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Event:
    """One journal entry as it is hashed, stored and exported."""

    seq: int
    event_id: str
    device_id: str
    type: str
    ts: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def canonical_fields(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "device_id": self.device_id,
            "type": self.type,
            "ts": self.ts,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def as_json(self) -> dict[str, Any]:
        """The export form: the canonical fields plus the hash."""
        return {**self.canonical_fields(), "hash": self.hash}


def canonical_json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(fields: Mapping[str, Any]) -> str:
    """The hash of an event given as its canonical fields (the reference definition)."""
    return sha256_hex(canonical_json(fields))


def payload_json(payload: Mapping[str, Any]) -> str:
    """The payload's canonical JSON; refuses floats and anything JSON cannot hold.

    Floats are refused outright: money is integer fen, and a float's JSON text is not
    stable across languages, which would break other tools' hash checks.
    """
    text = canonical_json(payload)  # TypeError for sets, objects, bytes ...
    json.loads(text, parse_float=_refuse_float)
    return text


def _refuse_float(text: str) -> None:
    raise TypeError(f"payload holds the float {text}; amounts are integer minor units")


def canonical_text(fields: Mapping[str, Any], payload_text: str) -> str:
    """The canonical form of an event whose payload is already canonical JSON.

    Written out field by field (keys in sorted order) so the payload is serialised
    once per event; tests check it equals canonical_json() of the whole event.
    """
    quote = encode_basestring
    return (
        f'{{"device_id":{quote(fields["device_id"])},"event_id":{quote(fields["event_id"])},'
        f'"payload":{payload_text},"prev_hash":{quote(fields["prev_hash"])},'
        f'"seq":{int(fields["seq"])},"ts":{quote(fields["ts"])},"type":{quote(fields["type"])}}}'
    )


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def format_ts(moment: datetime) -> str:
    """UTC, ISO 8601, milliseconds, trailing Z: 2026-11-23T09:15:00.123Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
