"""Reading pushes fast and exactly.

A push of 500 events is about a megabyte of JSON; parsing it and writing each payload
back out in canonical form (to check its hash and to store it) was most of the HQ's
time with the standard library. orjson does both several times faster and, for what
JSON holds, writes the same text as `pos.ledger.chain.canonical_json` (sorted keys,
no spaces, no ASCII escaping). Where it could differ the standard library decides:
a body with a number of 19 digits or more (orjson reads integers past 64 bits as
floats) is parsed by `json`, and a payload whose fast text does not give the event's hash is
checked again with `canonical_json`, so speed never turns into a false fork.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from pos.ledger.chain import canonical_json

_LONG_NUMBER = re.compile(rb"[:,\[]\s*-?[0-9]{19}")
"""A number of 19 digits or more where JSON puts a value (inside a string this can
only send a body down the slow, exact path; hashes in hex often hold 19 digits in a
row, which is why the position matters)."""


def parse_body(body: bytes) -> Any:
    """The JSON value of a request body (ValueError if it is not JSON)."""
    if _LONG_NUMBER.search(body):
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
