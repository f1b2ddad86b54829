"""The feed: changes the cloud makes for tills, read with an opaque cursor.

Entries are appended in the ingest's own transaction. Their ids must become visible
in id order or a reader could pass an id still being written and never see it: on
PostgreSQL appends take a transaction-level advisory lock, so they commit one after
another; on SQLite every write is already one at a time. A cursor is the last id read,
encoded, so a till neither skips nor repeats a change.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, text

from cloud.hq.errors import HQError
from cloud.hq.schema import FEED

_APPEND_LOCK = 730102
PAGE = 500


@dataclass(frozen=True, slots=True)
class FeedPage:
    changes: list[dict[str, Any]]
    cursor: str
    more: bool


def append(
    conn: Connection,
    kind: str,
    body: Mapping[str, Any],
    now: str,
    *,
    device_id: str | None = None,
    store_id: str | None = None,
) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_APPEND_LOCK})"))
    conn.execute(
        insert(FEED),  # as parameters: see records.project
        {
            "device_id": device_id,
            "store_id": store_id,
            "kind": kind,
            "body": json.dumps(body, ensure_ascii=False, sort_keys=True),
            "created_at": now,
        },
    )


def read(conn: Connection, device_id: str, store_id: str, cursor: str, limit: int) -> FeedPage:
    """The changes for this till after `cursor` (empty: from the start), oldest first."""
    after = decode_cursor(cursor)
    mine = or_(
        FEED.c.device_id == device_id,
        and_(FEED.c.device_id.is_(None), FEED.c.store_id == store_id),
        and_(FEED.c.device_id.is_(None), FEED.c.store_id.is_(None)),
    )
    rows = conn.execute(
        select(FEED).where(FEED.c.feed_id > after, mine).order_by(FEED.c.feed_id).limit(limit + 1)
    ).all()
    page = rows[:limit]
    last = page[-1].feed_id if page else after
    return FeedPage(
        [{"kind": row.kind, "body": json.loads(row.body)} for row in page],
        encode_cursor(last),
        len(rows) > limit,
    )


def encode_cursor(feed_id: int) -> str:
    return base64.urlsafe_b64encode(f"f1:{feed_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, number = raw.partition(":")
        if version != "f1" or not number.isdigit():
            raise ValueError(raw)
        return int(number)
    except (ValueError, UnicodeDecodeError):
        raise HQError(422, "bad_cursor", "This feed cursor is not one the cloud gave.") from None
