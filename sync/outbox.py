"""The journal as the sync outbox: what is not yet acknowledged, in batches.

The cloud answers each push with `acked_through`, the highest contiguous seq it has
stored; it is kept in the ledger's meta table so a restart resumes from there.

A batch is sent as the JSON body `{"events": [...]}` built straight from the journal's
rows: each payload is already canonical JSON in the row, so it is neither parsed nor
encoded again on the way out (the export form, docs/ledger.md, with the same bytes).
The body is made with the batch, so a reader thread (sync.pusher) makes it while the
previous batch is on its way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, select

from pos.ledger.chain import canonical_text
from pos.ledger.database import read_meta
from pos.ledger.tables import JOURNAL

ACKED_THROUGH = "acked_through"
_OPEN, _CLOSE = b'{"events":[', b"]}"
_READ = 1000
"""Rows read from the journal at a time while filling a batch."""


@dataclass(frozen=True, slots=True)
class Batch:
    seqs: tuple[int, ...]
    texts: tuple[bytes, ...]
    """Each event's JSON in UTF-8 (its canonical form plus its hash)."""
    wire: bytes
    """The request body, `{"events": [...]}`: what the cloud's size limit sees."""

    @property
    def first_seq(self) -> int:
        return self.seqs[0]

    @property
    def last_seq(self) -> int:
        return self.seqs[-1]

    @property
    def size(self) -> int:
        return len(self.wire)

    def body(self) -> bytes:
        return self.wire

    def events(self) -> list[dict[str, Any]]:
        """The events as JSON objects (for tests and tools; pushing uses `body`)."""
        return [json.loads(text) for text in self.texts]


def acked_through(conn: Connection) -> int:
    return int(read_meta(conn, ACKED_THROUGH) or 0)


def backlog(conn: Connection) -> int:
    """Events the cloud has not acknowledged yet."""
    (head,) = conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM journal").one()
    return int(head) - acked_through(conn)


def next_batch(
    conn: Connection,
    *,
    max_events: int = 500,
    max_bytes: int = 1 << 20,
    after: int | None = None,
) -> Batch | None:
    """The next events after `after` (default: acked_through), bounded by count and
    bytes (at least one)."""
    seqs: list[int] = []
    texts: list[bytes] = []
    # The body's bytes, not only the events': a batch of max_bytes = 8 MiB must not
    # become a request the cloud refuses for its brackets and commas (one comma fewer
    # than events).
    size, last = len(_OPEN) + len(_CLOSE) - 1, acked_through(conn) if after is None else after
    while len(seqs) < max_events:
        rows = conn.execute(
            select(JOURNAL)
            .where(JOURNAL.c.seq > last)
            .order_by(JOURNAL.c.seq)
            .limit(min(_READ, max_events - len(seqs)))
        ).all()
        if not rows:
            break
        for row in rows:
            fields = cast(Mapping[str, Any], row._mapping)
            text = canonical_text(fields, fields["payload"])[:-1] + f',"hash":"{row.hash}"}}'
            encoded = text.encode("utf-8")
            length = len(encoded) + 1  # and the comma before it
            if seqs and size + length > max_bytes:
                return _batch(seqs, texts)
            seqs.append(row.seq)
            texts.append(encoded)
            size += length
        last = rows[-1].seq
    return _batch(seqs, texts) if seqs else None


def _batch(seqs: list[int], texts: list[bytes]) -> Batch:
    return Batch(tuple(seqs), tuple(texts), _OPEN + b",".join(texts) + _CLOSE)
