"""The ledger file itself: the hash chain as stored, the connection settings, the
append-only journal, the projections a sale writes, and the sale-in-progress draft.

Everything is checked against the raw SQLite file with the sqlite3 module, and every
hash is recomputed here from DESIGN.md §3, not with the code under test.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection
from support import raw

from pos.catalog_admin import current_catalog
from pos.checkout import Added, Checkout, Till
from pos.config import Config
from pos.domain.sale import SaleRecord
from pos.errors import LedgerError
from pos.ledger.database import Ledger
from pos.ledger.verify import verify
from pos.simulate import weight_label

GENESIS = "0" * 64
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
WATER = "6921168509256"  # 农夫山泉饮用天然水 550ml, 2.00
COLA = "6954767003306"  # 可口可乐 330ml, 3.00
PURIFIED = "6901285001123"  # 怡宝纯净水 555ml, 2.00
BAG = "1067"  # 购物袋（大）, typed as a SKU (no barcode)
APPLES_PLU = "10001"  # 红富士苹果, sold by weight


# -- helpers ---------------------------------------------------------------------------


def journal(path: Path) -> list[dict[str, Any]]:
    return raw(path, "SELECT * FROM journal ORDER BY seq")


def recomputed_hash(row: dict[str, Any]) -> str:
    """DESIGN.md §3, independently: sha256 of the canonical UTF-8 JSON of the fields."""
    fields = {
        "seq": row["seq"],
        "event_id": row["event_id"],
        "device_id": row["device_id"],
        "type": row["type"],
        "ts": row["ts"],
        "payload": json.loads(row["payload"]),
        "prev_hash": row["prev_hash"],
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def counts(path: Path) -> dict[str, int]:
    tables = ("journal", "sales", "sale_lines", "sale_taxes", "payments", "drafts")
    return {table: raw(path, f"SELECT count(*) AS n FROM {table}")[0]["n"] for table in tables}


def sell(checkout: Checkout, *entries: str, tendered: int | None = None) -> SaleRecord:
    """Ring up typed entries (`3*code`, SKUs, scale labels) and take cash."""
    for entry in entries:
        outcome = checkout.enter(entry)
        assert isinstance(outcome, Added), outcome
    return checkout.pay_cash(tendered)


def apples_label(checkout: Checkout, grams: int) -> str:
    rule = next(rule for rule in checkout.rules.embedded if rule.value == "weight")
    return weight_label(rule, APPLES_PLU, grams)


def new_checkout(ledger: Ledger, config: Config, cashier: str = "101") -> Checkout:
    return Checkout(
        ledger,
        current_catalog(ledger),
        Till("T01", "T01-", cashier),
        config.settings.scanner.rules(),
    )


def other_sale_payload(record: SaleRecord) -> dict[str, Any]:
    """A copy of a sale's payload with fresh ids, so it could be journaled again."""
    payload = record.to_payload()
    payload["sale_id"] = str(uuid.uuid4())
    payload["receipt_seq"] = 9999
    payload["receipt_no"] = "T01-009999"
    payload["payments"] = [
        {**payment, "payment_id": str(uuid.uuid4())} for payment in payload["payments"]
    ]
    return payload


@pytest.fixture
def sales(checkout: Checkout) -> list[SaleRecord]:
    """Three sales: exact cash, a weighed item with change, a typed quantity."""
    return [
        sell(checkout, WATER, f"3*{COLA}"),
        sell(checkout, apples_label(checkout, 750), BAG, tendered=10000),
        sell(checkout, f"2*{WATER}", PURIFIED, tendered=5000),
    ]


# -- 1. the chain as stored ----------------------------------------------------------


def test_every_stored_hash_recomputes_from_its_row(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    rows = journal(demo_ledger.path)
    assert sum(row["type"] == "sale.completed" for row in rows) == len(sales)
    for row in rows:
        assert row["hash"] == recomputed_hash(row), f"seq {row['seq']}"
        assert re.fullmatch(r"[0-9a-f]{64}", row["hash"])


def test_each_prev_hash_is_the_previous_hash_from_64_zeros(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    rows = journal(demo_ledger.path)
    assert rows[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["hash"], f"seq {after['seq']}"
    assert demo_ledger.head() == (rows[-1]["seq"], rows[-1]["hash"])


def test_seq_runs_from_1_without_gaps_and_event_ids_are_unique(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    rows = journal(demo_ledger.path)
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    assert len({row["event_id"] for row in rows}) == len(rows)
    assert all(uuid.UUID(row["event_id"]).version == 4 for row in rows)
    assert {row["device_id"] for row in rows} == {"T01"}


def test_timestamps_are_utc_milliseconds_with_z(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    rows = journal(demo_ledger.path)
    bad = [row["ts"] for row in rows if not TS.match(row["ts"])]
    assert bad == []
    assert [sale.ts for sale in sales] == [
        row["ts"] for row in rows if row["type"] == "sale.completed"
    ]


def test_payloads_are_stored_canonical_with_chinese_unescaped(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    rows = journal(demo_ledger.path)
    for row in rows:
        canonical = json.dumps(
            json.loads(row["payload"]), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        assert row["payload"] == canonical, f"seq {row['seq']}"
        assert "\\u" not in row["payload"]
    staff = next(row for row in rows if row["type"] == "staff.added")
    assert "王芳 Wang Fang" in staff["payload"]
    last_sale = rows[-1]
    assert last_sale["type"] == "sale.completed"
    assert '"name_zh":"农夫山泉饮用天然水 550ml"' in last_sale["payload"]
    # The stored hash covers the UTF-8 bytes of the unescaped text.
    assert last_sale["hash"] == recomputed_hash(last_sale)


@pytest.mark.parametrize(
    "text",
    [
        "红包🧧 ¥5",
        'quote " backslash \\ slash /',
        "line\u2028separator\u2029and\ttab\nnewline",
        "control \x01\x1f and nul \x00",
        "e\u0301 vs \u00e9",
        "",
    ],
    ids=["emoji", "escapes", "separators", "controls", "combining", "empty"],
)
def test_unusual_text_hashes_exactly_as_the_documented_canonical_form(
    demo_ledger: Ledger, text: str
) -> None:
    with demo_ledger.transaction() as writer:
        event = writer.append(
            "drawer.opened", {"reason": text, "staff_no": "101", text or "k": [text, {"x": 1}]}
        )
    [row] = raw(demo_ledger.path, "SELECT * FROM journal WHERE seq = ?", (event.seq,))
    assert json.loads(row["payload"])["reason"] == text
    assert row["hash"] == recomputed_hash(row) == event.hash
    assert verify(demo_ledger).ok


def test_text_that_is_not_valid_unicode_is_refused_and_nothing_is_written(
    demo_ledger: Ledger,
) -> None:
    before = journal(demo_ledger.path)

    def lone_surrogate() -> None:
        with demo_ledger.transaction() as writer:
            writer.append("drawer.opened", {"reason": "\ud800", "staff_no": "101"})

    with pytest.raises(ValueError, match="surrogate"):
        lone_surrogate()
    assert journal(demo_ledger.path) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"amount": 1.5},
        {"lines": [{"sku": "1001", "price": 2.0}]},
        {"sale": {"taxes": [{"rate": 0.13}]}},
    ],
    ids=["top-level", "in-a-list", "nested"],
)
def test_a_float_in_a_payload_is_refused_and_nothing_is_written(
    demo_ledger: Ledger, sales: list[SaleRecord], payload: dict[str, Any]
) -> None:
    before, head = journal(demo_ledger.path), demo_ledger.head()
    with demo_ledger.transaction() as writer, pytest.raises(TypeError, match="float"):
        writer.append("drawer.opened", {"reason": "no_sale", "staff_no": "101", **payload})
    assert journal(demo_ledger.path) == before
    assert demo_ledger.head() == head
    assert raw(demo_ledger.path, "SELECT * FROM drawer_openings") == []


def test_a_float_rolls_back_the_whole_transaction(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    before = counts(demo_ledger.path)

    def two_events() -> None:
        with demo_ledger.transaction() as writer:
            writer.append("drawer.opened", {"reason": "no_sale", "staff_no": "101"})
            writer.append("drawer.opened", {"reason": "no_sale", "staff_no": "101", "x": 0.5})

    with pytest.raises(TypeError):
        two_events()
    assert counts(demo_ledger.path) == before
    assert raw(demo_ledger.path, "SELECT * FROM drawer_openings") == []


# -- 2. connection settings, locking, atomicity ---------------------------------------


def pragmas(conn: Connection) -> dict[str, object]:
    names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}


EXPECTED_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,
    "foreign_keys": 1,
    "busy_timeout": 5000,
}


def test_the_write_connection_has_the_durable_pragmas(demo_ledger: Ledger) -> None:
    with demo_ledger.transaction() as writer:
        assert pragmas(writer.conn) == EXPECTED_PRAGMAS


def test_read_connections_have_the_durable_pragmas(demo_ledger: Ledger) -> None:
    with demo_ledger.read() as conn:
        assert pragmas(conn) == EXPECTED_PRAGMAS


def test_the_file_itself_is_in_wal_mode(demo_ledger: Ledger) -> None:
    assert raw(demo_ledger.path, "PRAGMA journal_mode") == [{"journal_mode": "wal"}]


def test_a_write_transaction_takes_the_write_lock_at_begin(demo_ledger: Ledger) -> None:
    other = sqlite3.connect(demo_ledger.path, timeout=0, isolation_level=None)
    try:
        # Nothing is written inside: only BEGIN IMMEDIATE can be holding the lock.
        with (
            demo_ledger.transaction(),
            pytest.raises(sqlite3.OperationalError, match="locked"),
        ):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at COMMIT
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_writer_waits_for_another_connection_instead_of_failing(
    demo_ledger: Ledger,
) -> None:
    other = sqlite3.connect(demo_ledger.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    outcome: list[object] = []
    started = threading.Event()

    def write() -> None:
        started.set()
        try:
            with demo_ledger.transaction() as writer:
                outcome.append(writer.append("drawer.opened", {"reason": "x", "staff_no": "101"}))
        except Exception as error:  # reported to the test below
            outcome.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    started.wait()
    time.sleep(0.3)  # the writer is now blocked in BEGIN IMMEDIATE, inside busy_timeout
    other.execute("COMMIT")
    other.close()
    thread.join()
    assert len(outcome) == 1
    assert not isinstance(outcome[0], Exception), outcome[0]
    assert journal(demo_ledger.path)[-1]["type"] == "drawer.opened"


def test_a_transaction_that_raises_leaves_nothing(
    demo_ledger: Ledger, checkout: Checkout, sales: list[SaleRecord]
) -> None:
    before, head = counts(demo_ledger.path), demo_ledger.head()
    payload = other_sale_payload(sales[0])
    seen_inside: list[int] = []

    def power_cut() -> None:
        with demo_ledger.transaction() as writer:
            writer.append("sale.completed", payload)
            seen_inside.append(
                writer.conn.exec_driver_sql(
                    "SELECT count(*) FROM sales WHERE sale_id = ?", (payload["sale_id"],)
                ).scalar_one()
            )
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        power_cut()
    assert seen_inside == [1]  # the projection was written in the same transaction...
    assert counts(demo_ledger.path) == before  # ...and is gone with the event
    assert demo_ledger.head() == head
    for table in ("sales", "sale_lines", "sale_taxes", "payments"):
        assert (
            raw(demo_ledger.path, f"SELECT * FROM {table} WHERE sale_id = ?", (payload["sale_id"],))
            == []
        )
    # The next event takes the seq the failed one would have had: no gap.
    record = sell(checkout, WATER)
    assert journal(demo_ledger.path)[-1]["seq"] == head[0] + 1
    assert raw(demo_ledger.path, "SELECT seq FROM sales WHERE sale_id = ?", (record.sale_id,)) == [
        {"seq": head[0] + 1}
    ]


def test_a_projection_that_cannot_be_written_raises_ledger_error_and_leaves_nothing(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    before, head = counts(demo_ledger.path), demo_ledger.head()
    payload = other_sale_payload(sales[0])
    payload["sale_id"] = sales[1].sale_id  # already sold: the sales row cannot be inserted

    def duplicate() -> None:
        with demo_ledger.transaction() as writer:
            writer.append("sale.completed", payload)

    with pytest.raises(LedgerError):
        duplicate()
    assert counts(demo_ledger.path) == before
    assert demo_ledger.head() == head


# -- 3. the journal is append-only ----------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE journal SET payload = '{}' WHERE seq = 2",
        "UPDATE journal SET ts = '2000-01-01T00:00:00.000Z'",
        "DELETE FROM journal WHERE seq = 2",
        "DELETE FROM journal",
    ],
)
def test_the_journal_refuses_updates_and_deletes(
    demo_ledger: Ledger, sales: list[SaleRecord], sql: str
) -> None:
    before = journal(demo_ledger.path)
    conn = sqlite3.connect(demo_ledger.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()
    assert journal(demo_ledger.path) == before


def test_the_ledgers_own_connection_cannot_edit_the_journal_either(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    before = journal(demo_ledger.path)

    def edit() -> None:
        with demo_ledger.transaction() as writer:
            writer.conn.exec_driver_sql("DELETE FROM journal WHERE seq = 1")

    with pytest.raises(LedgerError, match="append-only"):
        edit()
    assert journal(demo_ledger.path) == before


# -- 4. projections -------------------------------------------------------------------


def test_sale_projections_equal_the_journaled_payloads(
    demo_ledger: Ledger, sales: list[SaleRecord]
) -> None:
    path = demo_ledger.path
    events = [row for row in journal(path) if row["type"] == "sale.completed"]
    assert len(events) == len(sales) == len(raw(path, "SELECT * FROM sales"))
    for event, record in zip(events, sales, strict=True):
        payload = json.loads(event["payload"])
        assert payload == record.to_payload()  # what pay_cash returned is what was journaled
        sale_id = payload["sale_id"]
        [sale] = raw(path, "SELECT * FROM sales WHERE sale_id = ?", (sale_id,))
        assert sale == {
            "sale_id": sale_id,
            "seq": event["seq"],
            "receipt_seq": payload["receipt_seq"],
            "receipt_no": payload["receipt_no"],
            "device_id": event["device_id"],
            "ts": event["ts"],
            "cashier": payload["cashier"],
            "shift_id": payload["shift_id"],
            "item_count": payload["item_count"],
            "subtotal": payload["subtotal"],
            "discount_total": payload["discount_total"],
            "total": payload["total"],
            "tax_total": sum(tax["tax"] for tax in payload["taxes"]),
            "change": payload["change"],
            "member_no": None,
        }
        lines = raw(path, "SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no", (sale_id,))
        assert [{**line, "sale_id": sale_id} for line in payload["lines"]] == lines
        taxes = raw(path, "SELECT * FROM sale_taxes WHERE sale_id = ? ORDER BY rate_bp", (sale_id,))
        assert [
            {**tax, "sale_id": sale_id}
            for tax in sorted(payload["taxes"], key=lambda t: t["rate_bp"])
        ] == taxes
        payments = raw(
            path, "SELECT * FROM payments WHERE sale_id = ? ORDER BY payment_id", (sale_id,)
        )
        assert [
            {**payment, "sale_id": sale_id, "seq": event["seq"]}
            for payment in sorted(payload["payments"], key=lambda p: p["payment_id"])
        ] == payments


def test_payments_add_up_to_each_sales_total(demo_ledger: Ledger, sales: list[SaleRecord]) -> None:
    rows = raw(
        demo_ledger.path,
        "SELECT s.sale_id, s.total, s.change, s.item_count,"
        " (SELECT sum(amount) FROM payments p WHERE p.sale_id = s.sale_id) AS paid,"
        " (SELECT sum(tendered) - sum(change) FROM payments p WHERE p.sale_id = s.sale_id)"
        "   AS kept,"
        " (SELECT sum(net) FROM sale_lines l WHERE l.sale_id = s.sale_id) AS net,"
        " (SELECT sum(quantity) FROM sale_lines l WHERE l.sale_id = s.sale_id) AS quantity"
        " FROM sales s ORDER BY s.receipt_seq",
    )
    assert [row["total"] for row in rows] == [sale.total for sale in sales]
    for row in rows:
        assert row["paid"] == row["total"]
        assert row["kept"] == row["total"]
        assert row["net"] == row["total"]
        assert row["quantity"] == row["item_count"]
    assert [row["change"] for row in rows] == [0, 10000 - sales[1].total, 5000 - sales[2].total]
    assert [sale.receipt_no for sale in sales] == ["T01-000001", "T01-000002", "T01-000003"]


# -- 8. the sale in progress ------------------------------------------------------------


def fill_cart(checkout: Checkout) -> None:
    for entry in (f"2*{WATER}", apples_label(checkout, 1234), BAG):
        assert isinstance(checkout.enter(entry), Added)


def test_a_saved_draft_comes_back_for_the_same_cashier(
    demo_ledger: Ledger, demo_config: Config, checkout: Checkout
) -> None:
    fill_cart(checkout)
    checkout.save_draft()
    assert len(raw(demo_ledger.path, "SELECT * FROM drafts")) == 1

    again = new_checkout(demo_ledger, demo_config)
    assert again.cart.is_empty
    assert again.restore_draft() is True
    assert again.cart.to_dict() == checkout.cart.to_dict()
    assert again.draft_id == checkout.draft_id
    assert again.cart.totals() == checkout.cart.totals()
    # Another cashier does not get it.
    assert new_checkout(demo_ledger, demo_config, cashier="102").restore_draft() is False


def test_saving_again_keeps_one_draft_with_the_latest_cart(
    demo_ledger: Ledger, demo_config: Config, checkout: Checkout
) -> None:
    fill_cart(checkout)
    checkout.save_draft()
    assert isinstance(checkout.enter(COLA), Added)
    checkout.save_draft()
    assert len(raw(demo_ledger.path, "SELECT * FROM drafts")) == 1
    again = new_checkout(demo_ledger, demo_config)
    assert again.restore_draft()
    assert again.cart.to_dict() == checkout.cart.to_dict()
    assert len(again.cart.lines) == 4


@pytest.mark.parametrize("who_pays", ["restored", "original"])
def test_after_paying_no_draft_remains(
    demo_ledger: Ledger, demo_config: Config, checkout: Checkout, who_pays: str
) -> None:
    fill_cart(checkout)
    checkout.save_draft()
    again = new_checkout(demo_ledger, demo_config)
    assert again.restore_draft()
    payer = again if who_pays == "restored" else checkout
    record = payer.pay_cash()
    assert raw(demo_ledger.path, "SELECT * FROM drafts") == []
    assert payer.cart.is_empty
    assert new_checkout(demo_ledger, demo_config).restore_draft() is False
    assert raw(demo_ledger.path, "SELECT sale_id FROM sales") == [{"sale_id": record.sale_id}]


def test_saving_an_empty_cart_clears_the_draft(
    demo_ledger: Ledger, demo_config: Config, checkout: Checkout
) -> None:
    fill_cart(checkout)
    checkout.save_draft()
    checkout.cart.clear()
    checkout.save_draft()
    assert raw(demo_ledger.path, "SELECT * FROM drafts") == []
    assert new_checkout(demo_ledger, demo_config).restore_draft() is False
