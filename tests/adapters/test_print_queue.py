"""The print queue on a real ledger file: a committed sale always has its receipt
queued, jobs leave in order, a restart keeps them, and a job caught mid-send comes
back as a copy rather than a second original."""

from __future__ import annotations

import pytest
from support import raw

from pos.bootstrap import open_ledger
from pos.checkout import Checkout
from pos.config import Config
from pos.errors import PosError
from pos.ledger.database import Ledger
from pos.ledger.verify import verify
from pos.print_queue import PrintQueue
from pos.receipt_copies import last_receipt, record_reprint

WATER = "6921168509256"


def sell(checkout: Checkout) -> str:
    checkout.scan(WATER)
    return checkout.pay_cash().receipt_no


def jobs(ledger: Ledger) -> list[tuple[str, int, str]]:
    rows = raw(ledger.path, "SELECT receipt_no, is_copy, state FROM print_jobs ORDER BY job_id")
    return [(row["receipt_no"], row["is_copy"], row["state"]) for row in rows]


def test_a_committed_sale_has_its_receipt_queued(checkout: Checkout) -> None:
    receipt_no = sell(checkout)
    assert jobs(checkout.ledger) == [(receipt_no, 0, "queued")]


def test_a_sale_that_fails_to_commit_queues_nothing(checkout: Checkout) -> None:
    checkout.scan(WATER)
    with pytest.raises(PosError):
        checkout.pay_cash(1)  # less than due: refused before anything is written
    assert jobs(checkout.ledger) == []


def test_jobs_leave_in_order_and_a_refused_job_stays_at_the_head(checkout: Checkout) -> None:
    first, second = sell(checkout), sell(checkout)
    queue = PrintQueue(checkout.ledger)
    job = queue.next_job()
    assert job is not None
    assert job.receipt_no == first
    queue.sending(job)
    queue.refused(job, "paper out")
    again = queue.next_job()
    assert again is not None
    assert again.receipt_no == first
    assert again.attempts == 1
    queue.sending(again)
    queue.printed(again)
    following = queue.next_job()
    assert following is not None
    assert following.receipt_no == second
    assert queue.waiting() == 1


def test_a_restart_keeps_the_queue_and_a_job_caught_sending_returns_as_a_copy(
    checkout: Checkout, demo_config: Config
) -> None:
    first, second = sell(checkout), sell(checkout)
    queue = PrintQueue(checkout.ledger)
    job = queue.next_job()
    assert job is not None
    queue.sending(job)  # ... and the till dies before the printer confirms
    checkout.ledger.close()

    reopened = open_ledger(demo_config)
    try:
        after = PrintQueue(reopened)
        assert after.recover() == 1
        assert jobs(reopened) == [(first, 1, "queued"), (second, 0, "queued")]
        assert after.waiting() == 2
        assert verify(reopened).ok
    finally:
        reopened.close()


def test_a_reprint_queues_a_copy_with_its_journal_event(checkout: Checkout) -> None:
    receipt_no = sell(checkout)
    sale = last_receipt(checkout.ledger)
    assert sale is not None
    record_reprint(checkout.ledger, sale, "900")
    assert jobs(checkout.ledger) == [(receipt_no, 0, "queued"), (receipt_no, 1, "queued")]
    events = raw(checkout.ledger.path, "SELECT type FROM journal ORDER BY seq DESC LIMIT 1")
    assert events == [{"type": "receipt.reprinted"}]


def test_a_job_whose_receipt_cannot_be_made_is_failed_and_no_longer_waits(
    checkout: Checkout,
) -> None:
    sell(checkout)
    queue = PrintQueue(checkout.ledger)
    queue.add("T01-999999")
    first = queue.next_job()
    assert first is not None
    queue.sending(first)
    queue.printed(first)
    missing = queue.next_job()
    assert missing is not None
    queue.failed(missing, "no such receipt")
    assert queue.next_job() is None
    assert queue.waiting() == 0
