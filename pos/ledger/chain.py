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
from typing import Any

GENESIS_HASH = "0" * 64

JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]


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
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def check_payload(value: object, path: str = "payload") -> None:
    """Refuse anything that would not survive a JSON round trip exactly.

    Floats are refused outright: money is integer fen, and a float's JSON text is not
    stable across languages, which would break other tools' hash checks.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        raise TypeError(f"{path} is a float; amounts are integer minor units")
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_payload(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} has a non-string key {key!r}")
            check_payload(item, f"{path}.{key}")
        return
    raise TypeError(f"{path} is a {type(value).__name__}, not a JSON value")


def format_ts(moment: datetime) -> str:
    """UTC, ISO 8601, milliseconds, trailing Z: 2026-11-23T09:15:00.123Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
