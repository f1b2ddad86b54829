"""The journal as sync outbox, and the cloud's chain-continuity check on what it sends."""

from __future__ import annotations

import json

from sqlalchemy import insert

from cloud.chain_check import check_continuation
from pos.checkout import Checkout
from pos.ledger.chain import GENESIS_HASH
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
    assert by_count.size == sum(len(text.encode()) for text in by_count.texts)
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
    assert check_continuation("T01", 0, GENESIS_HASH, events).accepted_through == batch.last_seq
    assert check_continuation("T02", 0, GENESIS_HASH, events).problem is not None

    forged = [dict(event) for event in events]
    forged[-1]["payload"] = {**forged[-1]["payload"], "total": 1}
    result = check_continuation("T01", 0, GENESIS_HASH, forged)
    assert result.accepted_through == batch.last_seq - 1
    assert result.problem is not None
    assert "hash" in result.problem

    # A batch after a gap extends nothing: the cloud holds it until the gap fills.
    gap = check_continuation("T01", 0, GENESIS_HASH, events[5:])
    assert gap.accepted_through == 0
