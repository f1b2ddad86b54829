"""Suspending, listing, resuming and clearing sales on a real ledger file.

Drafts are read back from the SQLite file with the sqlite3 module. A restart is a new
Ledger and a new Checkout on the same file; the race is a real second thread saving
drafts while the cashier suspends.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import raw

from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.catalog_csv import load_demo_catalog
from pos.checkout import Checkout, SuspendedSale, Till
from pos.config import Config
from pos.errors import PosError
from pos.ledger.database import Ledger
from pos.ledger.verify import verify
from pos.scan_outcomes import Added

WATER = "6921168509256"  # 农夫山泉饮用天然水 550ml, 2.00
COLA = "6954767003306"  # 可口可乐 330ml, 3.00
BAG = "1067"  # 购物袋（大）, typed as a SKU


# -- helpers ---------------------------------------------------------------------------


def drafts(ledger: Ledger) -> list[dict[str, Any]]:
    return raw(ledger.path, "SELECT * FROM drafts ORDER BY created, draft_id")


def journal_length(ledger: Ledger) -> int:
    return int(raw(ledger.path, "SELECT count(*) AS n FROM journal")[0]["n"])


def ring(checkout: Checkout, *entries: str) -> None:
    for entry in entries:
        assert isinstance(checkout.enter(entry), Added), entry


class Ticking:
    """A clock one second later at every call, so suspensions have distinct times."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def price(sku: str) -> int:
    """The demo catalog's price of `sku`, read from the catalog file itself."""
    [item] = [item for item in load_demo_catalog() if item.sku == sku]
    return item.price


def new_checkout(
    ledger: Ledger, config: Config, cashier: str = "101", clock: Ticking | None = None
) -> Checkout:
    return Checkout(
        ledger,
        current_catalog(ledger),
        Till("T01", "T01-", cashier),
        config.settings.scanner.rules(),
        clock=clock,
    )


# -- suspend ---------------------------------------------------------------------------


def test_suspend_keeps_the_cart_as_a_draft_and_starts_an_empty_sale(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    ring(checkout, f"2*{WATER}", BAG)
    cart = checkout.cart.to_dict()
    first_id = checkout.draft_id
    before = journal_length(demo_ledger)

    suspended_id = checkout.suspend()

    assert suspended_id == first_id
    assert checkout.cart.is_empty
    assert checkout.draft_id != first_id
    [row] = drafts(demo_ledger)
    assert (row["draft_id"], row["kind"], row["staff_no"]) == (first_id, "suspended", "101")
    assert json.loads(row["cart"]) == cart
    assert row["created"] == row["updated"]
    # A suspension is not a business event.
    assert journal_length(demo_ledger) == before


def test_suspending_a_saved_sale_turns_its_draft_into_the_suspended_one(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    ring(checkout, WATER)
    checkout.save_draft()
    ring(checkout, COLA)

    suspended_id = checkout.suspend()

    [row] = drafts(demo_ledger)
    assert (row["draft_id"], row["kind"]) == (suspended_id, "suspended")
    assert len(json.loads(row["cart"])["lines"]) == 2


def test_an_empty_sale_cannot_be_suspended(demo_ledger: Ledger, checkout: Checkout) -> None:
    ring(checkout, WATER)
    checkout.suspend()
    before_drafts, before_journal = drafts(demo_ledger), journal_length(demo_ledger)
    draft_id = checkout.draft_id

    with pytest.raises(PosError) as refused:
        checkout.suspend()

    assert refused.value.title == "Nothing to suspend"
    assert drafts(demo_ledger) == before_drafts
    assert journal_length(demo_ledger) == before_journal
    assert checkout.draft_id == draft_id


# -- listing ---------------------------------------------------------------------------


def test_suspended_sales_are_listed_newest_first_for_every_cashier(
    demo_ledger: Ledger, demo_config: Config
) -> None:
    clock = Ticking()
    wang = new_checkout(demo_ledger, demo_config, "101", clock)
    li = new_checkout(demo_ledger, demo_config, "102", clock)
    assert wang.suspended() == []
    ring(wang, f"2*{WATER}")
    first = wang.suspend()
    ring(li, f"3*{COLA}", BAG)
    second = li.suspend()
    ring(wang, WATER)  # the sale in progress is not listed
    wang.save_draft()

    listed = wang.suspended()

    assert listed == li.suspended()
    assert listed == [
        SuspendedSale(second, "102", "2026-11-23T09:00:02.000Z", 4, 3 * 300 + price(BAG)),
        SuspendedSale(first, "101", "2026-11-23T09:00:01.000Z", 2, 2 * 200),
    ]


# -- resume ----------------------------------------------------------------------------


def test_resume_brings_the_cart_back_as_the_current_sale(
    demo_ledger: Ledger, demo_config: Config, checkout: Checkout
) -> None:
    ring(checkout, f"2*{WATER}", COLA)
    cart = checkout.cart.to_dict()
    suspended_id = checkout.suspend()
    other = new_checkout(demo_ledger, demo_config, "102")

    other.resume(suspended_id)

    assert other.cart.to_dict() == cart
    assert other.draft_id == suspended_id
    [row] = drafts(demo_ledger)
    assert (row["draft_id"], row["kind"], row["staff_no"]) == (suspended_id, "current", "102")
    assert other.suspended() == []
    record = other.pay_cash()
    assert drafts(demo_ledger) == []
    assert [line.quantity for line in record.lines] == [2, 1]
    assert record.cashier == "102"


def test_resume_drops_the_stale_draft_of_the_emptied_sale(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    ring(checkout, WATER)
    suspended_id = checkout.suspend()
    ring(checkout, COLA)
    checkout.save_draft()
    stale_id = checkout.draft_id
    checkout.cart.remove(checkout.cart.lines[0].line_id)  # emptied, not saved yet

    checkout.resume(suspended_id)

    assert [row["draft_id"] for row in drafts(demo_ledger)] == [suspended_id]
    assert stale_id != suspended_id


def test_resume_is_refused_while_a_sale_is_in_progress(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    ring(checkout, WATER)
    suspended_id = checkout.suspend()
    ring(checkout, COLA)
    checkout.save_draft()
    cart, draft_id, before = checkout.cart.to_dict(), checkout.draft_id, drafts(demo_ledger)

    with pytest.raises(PosError, match="Finish or suspend the current sale first"):
        checkout.resume(suspended_id)

    assert checkout.cart.to_dict() == cart
    assert checkout.draft_id == draft_id
    assert drafts(demo_ledger) == before


@pytest.mark.parametrize("which", ["unknown", "already resumed", "the current sale"])
def test_resume_of_a_sale_that_is_not_suspended_is_refused(
    demo_ledger: Ledger, demo_config: Config, checkout: Checkout, which: str
) -> None:
    ring(checkout, WATER)
    suspended_id = checkout.suspend()
    other = new_checkout(demo_ledger, demo_config, "102")
    if which == "already resumed":
        other.resume(suspended_id)
        draft_id = suspended_id
    elif which == "the current sale":
        ring(other, COLA)
        other.save_draft()
        draft_id = other.draft_id
        other = new_checkout(demo_ledger, demo_config, "102")
    else:
        draft_id = "00000000-0000-4000-8000-000000000000"
    before, journal = drafts(demo_ledger), journal_length(demo_ledger)

    with pytest.raises(PosError) as refused:
        checkout.resume(draft_id)

    assert refused.value.title == "No such suspended sale"
    assert checkout.cart.is_empty
    assert drafts(demo_ledger) == before
    assert journal_length(demo_ledger) == journal


def test_suspended_and_resumed_sales_survive_a_restart(demo_config: Config) -> None:
    ledger = open_ledger(demo_config)
    try:
        checkout = new_checkout(ledger, demo_config)
        ring(checkout, f"2*{WATER}", BAG)
        cart = checkout.cart.to_dict()
        suspended_id = checkout.suspend()
    finally:
        ledger.close()

    ledger = open_ledger(demo_config)
    try:
        checkout = new_checkout(ledger, demo_config)
        assert checkout.restore_draft() is False  # suspended is not in progress
        [listed] = checkout.suspended()
        assert listed.draft_id == suspended_id
        checkout.resume(suspended_id)
        assert checkout.cart.to_dict() == cart
    finally:
        ledger.close()

    ledger = open_ledger(demo_config)
    try:
        checkout = new_checkout(ledger, demo_config)
        assert checkout.restore_draft() is True  # the resumed sale is the one in progress
        assert checkout.draft_id == suspended_id
        assert checkout.cart.to_dict() == cart
        checkout.pay_cash()
        assert drafts(ledger) == []
        assert checkout.suspended() == []
        report = verify(ledger)
        assert report.ok, report.problems
    finally:
        ledger.close()


# -- clear -----------------------------------------------------------------------------


def test_clear_empties_the_sale_and_removes_its_draft(
    demo_ledger: Ledger, demo_config: Config, checkout: Checkout
) -> None:
    ring(checkout, WATER, COLA)
    checkout.save_draft()
    last_line = checkout.cart.lines[-1].line_id
    before = journal_length(demo_ledger)

    checkout.clear()

    assert checkout.cart.is_empty
    assert drafts(demo_ledger) == []
    # Nothing was sold; only the two lines thrown away are journaled (line.voided).
    assert journal_length(demo_ledger) == before + 2
    assert new_checkout(demo_ledger, demo_config).restore_draft() is False
    # Line ids go on from where they were, so a stale id from the screen cannot hit.
    ring(checkout, BAG)
    assert checkout.cart.lines[0].line_id > last_line


def test_clearing_a_resumed_sale_discards_it(demo_ledger: Ledger, checkout: Checkout) -> None:
    ring(checkout, WATER)
    keep = checkout.suspend()
    ring(checkout, COLA)
    discard = checkout.suspend()
    checkout.resume(discard)

    checkout.clear()

    assert [sale.draft_id for sale in checkout.suspended()] == [keep]
    assert [row["draft_id"] for row in drafts(demo_ledger)] == [keep]


def test_clearing_an_empty_sale_changes_nothing(demo_ledger: Ledger, checkout: Checkout) -> None:
    ring(checkout, WATER)
    suspended_id = checkout.suspend()
    checkout.clear()
    assert checkout.cart.is_empty
    assert [row["draft_id"] for row in drafts(demo_ledger)] == [suspended_id]


# -- the race with save_draft ------------------------------------------------------------


def test_suspending_while_another_thread_saves_drafts_loses_and_duplicates_nothing(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    """A worker saving the draft races with every suspension: without the draft lock it
    writes a suspended cart back as the current sale, or deletes the suspended draft."""
    stop = threading.Event()
    failures: list[BaseException] = []
    saves = 0

    def keep_saving() -> None:
        nonlocal saves
        while not stop.is_set():
            try:
                checkout.save_draft()
            except BaseException as error:  # reported below, not lost in the thread
                failures.append(error)
                return
            saves += 1

    saver = threading.Thread(target=keep_saving)
    saver.start()
    expected: dict[str, int] = {}
    try:
        for quantity in range(1, 31):
            ring(checkout, f"{quantity}*{WATER}")
            expected[checkout.suspend()] = quantity
    finally:
        stop.set()
        saver.join()

    assert failures == []
    assert saves > 0
    checkout.save_draft()  # the empty sale in progress: no current draft
    rows = drafts(demo_ledger)
    assert all(row["kind"] == "suspended" for row in rows)
    assert {
        row["draft_id"]: [line["quantity"] for line in json.loads(row["cart"])["lines"]]
        for row in rows
    } == {draft_id: [quantity] for draft_id, quantity in expected.items()}
    assert {sale.draft_id for sale in checkout.suspended()} == set(expected)


def test_verify_passes_after_suspending_resuming_and_paying(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    ring(checkout, WATER)
    first = checkout.suspend()
    ring(checkout, COLA)
    checkout.pay_cash()
    checkout.resume(first)
    checkout.pay_cash()
    report = verify(demo_ledger)
    assert report.ok, report.problems
    assert raw(demo_ledger.path, "SELECT count(*) AS n FROM sales") == [{"n": 2}]
