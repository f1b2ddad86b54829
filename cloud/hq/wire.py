"""Reading pushes fast and exactly.

A push of 2000 events is about 3 MiB of JSON; parsing it and writing each payload
back out in canonical form (to check its hash and to store it) was most of the HQ's
time with the standard library. orjson does both several times faster and, for what
JSON holds, writes the same text as `pos.ledger.chain.canonical_json` (sorted keys,
no spaces, no ASCII escaping).

It reads one thing differently: an integer past 64 bits comes back as a float. Rather
than scan every body for long numbers (a regular expression over a megabyte cost as
much as the parse itself), the ingest trusts a fast read only when it accepts every
event: an event read wrongly cannot give the hash its device computed, so any refusal
made on a fast read is made again on the standard library's (`exact=True`, see
`cloud.hq.ingest.Inexact`), and speed never turns into a false fork.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from pos.ledger.chain import canonical_json


def parse_body(body: bytes, *, exact: bool = False) -> Any:
    """The JSON value of a request body (ValueError if it is not JSON): orjson's
    reading, or the standard library's when `exact`."""
    if exact:
        return json.loads(body)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValueError(str(error)) from None


def fast_canonical(payload: Any) -> str:
    """The payload's canonical JSON text, quickly; `canonical_json` where orjson
    cannot write the value."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return canonical_json(payload)
