"""The journal as sync outbox, and the cloud's chain-continuity check on what it sends."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert

from cloud.chain_check import continuation_problem
from pos.checkout import Checkout
from pos.ledger.chain import GENESIS_HASH, canonical_json
from pos.ledger.database import Ledger
from pos.ledger.tables import META
from pos.ledger.verify import iter_events
from sync.outbox import ACKED_THROUGH, backlog, next_batch

WATER = "6921168509256"


def sell(checkout: Checkout, count: int) -> None:
    for _ in range(count):
        checkout.scan(WATER)
        checkout.pay_cash(None)


def test_backlog_counts_what_the_cloud_has_not_acknowledged(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    head, _ = demo_ledger.head()
    with demo_ledger.read() as conn:
        assert backlog(conn) == head
    sell(checkout, 3)
    with demo_ledger.transaction() as writer:
        writer.conn.execute(insert(META), {"key": ACKED_THROUGH, "value": str(head)})
    with demo_ledger.read() as conn:
        assert backlog(conn) == 3


def test_batches_follow_seq_bounded_by_count_and_bytes(demo_ledger: Ledger) -> None:
    with demo_ledger.read() as conn:
        by_count = next_batch(conn, max_events=10)
        by_bytes = next_batch(conn, max_bytes=1)
    assert by_count is not None
    assert by_bytes is not None
    assert list(by_count.seqs) == list(range(1, 11))
    # A batch always carries at least one event, however small the byte budget.
    assert list(by_bytes.seqs) == [1]
    assert by_count.size == len(by_count.body())
    # The wire form is the export form: every field, the payload as an object.
    with demo_ledger.read() as conn:
        exported = [event.as_json() for event, _ in iter_events(conn, 0)][:10]
    assert by_count.events() == exported
    assert json.loads(by_count.body()) == {"events": exported}


def test_an_untouched_export_continues_the_chain_and_a_forged_one_stops(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    sell(checkout, 2)
    with demo_ledger.read() as conn:
        batch = next_batch(conn, max_events=1000)
    assert batch is not None
    events = batch.events()
    assert extends("T01", events) == (batch.last_seq, None)
    assert extends("T02", events) == (0, "seq 1: sent for another device")

    forged = [dict(event) for event in events]
    forged[-1]["payload"] = {**forged[-1]["payload"], "total": 1}
    assert extends("T01", forged) == (
        batch.last_seq - 1,
        f"seq {batch.last_seq}: hash does not match the event",
    )
    # A batch after a gap extends nothing: the cloud holds it until the gap fills.
    assert extends("T01", events[5:]) == (0, "seq 6: expected seq 1")


def extends(device_id: str, events: list[dict[str, Any]]) -> tuple[int, str | None]:
    """How far `events` continue an empty chain on the cloud, and why they stop."""
    seq, prev = 0, GENESIS_HASH
    for event in events:
        problem = continuation_problem(
            device_id, seq, prev, event, canonical_json(event["payload"])
        )
        if problem is not None:
            return seq, problem
        seq, prev = event["seq"], event["hash"]
    return seq, None
