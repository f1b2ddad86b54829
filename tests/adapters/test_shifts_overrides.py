"""Shifts, manager overrides, receipt copies and the no-sale drawer on a real ledger file,
`pos ledger verify` over all of them, and the upgrade of a 0001 ledger to the newest revision.

Events and projections are read back from the SQLite file with the sqlite3 module; every
refusal is checked to leave the journal exactly as long as it was.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table
from sqlmodel import SQLModel
from support import raw

from devices.drawer import SimulatedDrawer
from pos.bootstrap import open_ledger, seed_demo
from pos.cash_drawer import open_drawer
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.cli import main
from pos.config import Config
from pos.domain.sale import SaleRecord
from pos.domain.staff import Role, StaffMember
from pos.errors import PosError
from pos.ledger.archive import check_backup
from pos.ledger.database import Ledger, sqlite_engine
from pos.ledger.migrate import HEAD_REVISION, MIGRATIONS
from pos.ledger.tables import SALES
from pos.ledger.verify import verify
from pos.overrides import authorize
from pos.receipt_copies import last_receipt, record_reprint
from pos.scan_outcomes import Added
from pos.shifts import Shift, current_shift, open_shift
from pos.staff import SignInRefused

WATER = "6921168509256"  # 农夫山泉饮用天然水 550ml, 2.00
COLA = "6954767003306"  # 可口可乐 330ml, 3.00
MANAGER, MANAGER_PIN = "900", "9000"
CASHIER, CASHIER_PIN = "101", "1234"
TECHNICIAN, TECHNICIAN_PIN = "700", "7000"
LOCKOUT = timedelta(minutes=15)


# -- helpers ---------------------------------------------------------------------------


def journal_length(ledger: Ledger) -> int:
    return int(raw(ledger.path, "SELECT count(*) AS n FROM journal")[0]["n"])


def last_event(ledger: Ledger) -> dict[str, Any]:
    [row] = raw(ledger.path, "SELECT * FROM journal ORDER BY seq DESC LIMIT 1")
    return {**row, "payload": json.loads(row["payload"])}


def sell(checkout: Checkout, *entries: str) -> SaleRecord:
    for entry in entries:
        assert isinstance(checkout.enter(entry), Added)
    return checkout.pay_cash()


def grant(ledger: Ledger, pin: str = MANAGER_PIN, **overrides: Any) -> StaffMember:
    """authorize() with the demo manager and a line discount unless told otherwise."""
    arguments: dict[str, Any] = {
        "manager_no": MANAGER,
        "action": "line_discount",
        "cashier": CASHIER,
        "detail": {"line_id": 1, "answer": "10%"},
        "max_failures": 3,
        "lockout": LOCKOUT,
        **overrides,
    }
    manager_no = arguments.pop("manager_no")
    return authorize(ledger, manager_no, pin, **arguments)


def staff_row(ledger: Ledger, staff_no: str) -> dict[str, Any]:
    [row] = raw(ledger.path, "SELECT * FROM staff WHERE staff_no = ?", (staff_no,))
    return row


# -- shifts ----------------------------------------------------------------------------


def test_opening_a_shift_journals_it_and_projects_it(demo_ledger: Ledger) -> None:
    shift = open_shift(demo_ledger, CASHIER, 20000)

    event = last_event(demo_ledger)
    assert event["type"] == "shift.opened"
    assert event["payload"] == {
        "shift_id": shift.shift_id,
        "staff_no": CASHIER,
        "opening_float": 20000,
    }
    assert uuid.UUID(shift.shift_id).version == 4
    assert shift == Shift(shift.shift_id, CASHIER, 20000, event["ts"])
    assert raw(demo_ledger.path, "SELECT * FROM shifts") == [
        {
            "shift_id": shift.shift_id,
            "staff_no": CASHIER,
            "opened_seq": event["seq"],
            "opened_ts": event["ts"],
            "opening_float": 20000,
            "closed_seq": None,
            "count_seq": None,
        }
    ]


def test_a_zero_float_is_allowed(demo_ledger: Ledger) -> None:
    assert open_shift(demo_ledger, CASHIER, 0).opening_float == 0


def test_the_open_shift_is_found_again_after_a_restart(demo_config: Config) -> None:
    ledger = open_ledger(demo_config)
    try:
        assert current_shift(ledger, CASHIER) is None
        shift = open_shift(ledger, CASHIER, 15000)
    finally:
        ledger.close()
    reopened = open_ledger(demo_config)
    try:
        assert current_shift(reopened, CASHIER) == shift
        assert current_shift(reopened, "102") is None
    finally:
        reopened.close()


def test_each_cashier_has_their_own_shift(demo_ledger: Ledger) -> None:
    first = open_shift(demo_ledger, CASHIER, 10000)
    second = open_shift(demo_ledger, "102", 5000)
    assert first.shift_id != second.shift_id
    assert current_shift(demo_ledger, CASHIER) == first
    assert current_shift(demo_ledger, "102") == second


@pytest.mark.parametrize(
    ("staff_no", "opening_float", "title"),
    [
        (CASHIER, -1, "Negative float"),
        (CASHIER, 10000, "Shift already open"),
        ("555", 10000, "Unknown staff number"),
    ],
)
def test_a_refused_shift_writes_nothing(
    demo_ledger: Ledger, staff_no: str, opening_float: int, title: str
) -> None:
    existing = open_shift(demo_ledger, CASHIER, 20000)
    before = journal_length(demo_ledger)

    with pytest.raises(PosError) as refused:
        open_shift(demo_ledger, staff_no, opening_float)

    assert refused.value.title == title
    assert journal_length(demo_ledger) == before
    assert [row["shift_id"] for row in raw(demo_ledger.path, "SELECT * FROM shifts")] == [
        existing.shift_id
    ]
    assert current_shift(demo_ledger, CASHIER) == existing


def test_two_threads_opening_one_cashiers_shift_open_one(demo_ledger: Ledger) -> None:
    start = threading.Barrier(2)
    opened: list[Shift] = []
    refused: list[PosError] = []

    def attempt() -> None:
        start.wait()
        try:
            opened.append(open_shift(demo_ledger, CASHIER, 10000))
        except PosError as error:
            refused.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(opened) == 1
    assert [error.title for error in refused] == ["Shift already open"]
    assert len(raw(demo_ledger.path, "SELECT * FROM shifts")) == 1


def test_sales_of_a_shift_carry_its_id(demo_ledger: Ledger, demo_config: Config) -> None:
    shift = open_shift(demo_ledger, CASHIER, 20000)
    checkout = Checkout(
        demo_ledger,
        current_catalog(demo_ledger),
        Till("T01", "T01-", CASHIER, shift_id=shift.shift_id),
        demo_config.settings.scanner.rules(),
    )

    record = sell(checkout, WATER)

    event = last_event(demo_ledger)
    assert event["type"] == "sale.completed"
    assert event["payload"]["shift_id"] == shift.shift_id
    assert record.shift_id == shift.shift_id
    assert raw(demo_ledger.path, "SELECT shift_id FROM sales") == [{"shift_id": shift.shift_id}]


# -- manager overrides -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "detail"),
    [
        ("line_discount", {"line_id": 2, "answer": "10%"}),
        ("price_override", {"sku": "1001", "old": 200, "new": 150}),
        ("no_sale", {}),
        ("clear_sale", {"item_count": 3, "total": 900, "note": None}),
    ],
)
def test_a_managers_pin_grants_the_override_and_journals_it(
    demo_ledger: Ledger, action: str, detail: dict[str, Any]
) -> None:
    manager = grant(demo_ledger, action=action, detail=detail)

    assert manager == StaffMember(MANAGER, "张经理 Manager Zhang", Role.MANAGER)
    event = last_event(demo_ledger)
    assert event["type"] == "override.granted"
    assert event["payload"] == {
        "action": action,
        "manager": MANAGER,
        "cashier": CASHIER,
        "detail": detail,
    }
    assert raw(demo_ledger.path, "SELECT * FROM overrides") == [
        {
            "seq": event["seq"],
            "action": action,
            "manager": MANAGER,
            "cashier": CASHIER,
            "detail": json.dumps(detail, sort_keys=True, separators=(",", ":")),
        }
    ]


def test_a_wrong_manager_pin_is_counted_and_writes_nothing(demo_ledger: Ledger) -> None:
    before = journal_length(demo_ledger)

    with pytest.raises(SignInRefused) as refused:
        grant(demo_ledger, pin="0000")

    assert refused.value.title == "Sign-in refused"
    assert journal_length(demo_ledger) == before
    assert staff_row(demo_ledger, MANAGER)["failed_pins"] == 1
    assert raw(demo_ledger.path, "SELECT * FROM overrides") == []


def test_wrong_manager_pins_lock_the_account_as_at_sign_in(demo_ledger: Ledger) -> None:
    before = journal_length(demo_ledger)
    for _ in range(2):
        with pytest.raises(SignInRefused):
            grant(demo_ledger, pin="0000")
    with pytest.raises(SignInRefused) as locking:
        grant(demo_ledger, pin="0000")
    assert locking.value.title == "Account locked"

    # The lock is the only event; not even the right PIN grants an override now.
    assert journal_length(demo_ledger) == before + 1
    assert last_event(demo_ledger)["type"] == "staff.locked"
    with pytest.raises(SignInRefused) as locked:
        grant(demo_ledger)
    assert locked.value.title == "Account locked"
    assert journal_length(demo_ledger) == before + 1
    assert raw(demo_ledger.path, "SELECT * FROM overrides") == []


@pytest.mark.parametrize(
    ("staff_no", "pin"), [(CASHIER, CASHIER_PIN), (TECHNICIAN, TECHNICIAN_PIN)]
)
def test_a_right_pin_of_someone_not_a_manager_is_refused(
    demo_ledger: Ledger, staff_no: str, pin: str
) -> None:
    before = journal_length(demo_ledger)

    with pytest.raises(SignInRefused) as refused:
        grant(demo_ledger, manager_no=staff_no, pin=pin)

    assert refused.value.title == "Manager PIN required"
    assert journal_length(demo_ledger) == before
    assert raw(demo_ledger.path, "SELECT * FROM overrides") == []


def test_an_unknown_manager_number_is_refused(demo_ledger: Ledger) -> None:
    before = journal_length(demo_ledger)
    with pytest.raises(SignInRefused):
        grant(demo_ledger, manager_no="555")
    assert journal_length(demo_ledger) == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"action": "refund_everything"},
        {"detail": {"amount": 1.5}},
        {"detail": {"discount": {"amount": 100}}},
        {"detail": {"lines": [1, 2]}},
        {"detail": {"approved": True}},
        {"detail": {3: "three"}},
    ],
    ids=["unknown action", "float", "nested object", "list", "boolean", "key not text"],
)
def test_a_bad_request_is_refused_before_the_pin_is_checked(
    demo_ledger: Ledger, overrides: dict[str, Any]
) -> None:
    before = journal_length(demo_ledger)

    with pytest.raises(PosError) as refused:
        grant(demo_ledger, pin="0000", **overrides)

    assert not isinstance(refused.value, SignInRefused)
    assert journal_length(demo_ledger) == before
    # The caller's mistake does not cost the manager a PIN attempt.
    assert staff_row(demo_ledger, MANAGER)["failed_pins"] == 0


# -- receipt copies and the no-sale drawer --------------------------------------------------


def test_the_last_receipt_is_the_latest_sale_as_journaled(
    demo_ledger: Ledger, checkout: Checkout
) -> None:
    assert last_receipt(demo_ledger) is None
    sell(checkout, WATER)
    second = sell(checkout, f"2*{COLA}")
    assert last_receipt(demo_ledger) == second


def test_each_reprint_is_journaled(demo_ledger: Ledger, checkout: Checkout) -> None:
    record = sell(checkout, WATER)
    before = journal_length(demo_ledger)

    record_reprint(demo_ledger, record, CASHIER)
    record_reprint(demo_ledger, record, "102")

    rows = raw(
        demo_ledger.path, "SELECT type, payload FROM journal WHERE seq > ? ORDER BY seq", (before,)
    )
    assert [(row["type"], json.loads(row["payload"])) for row in rows] == [
        (
            "receipt.reprinted",
            {"sale_id": record.sale_id, "receipt_no": record.receipt_no, "staff_no": staff_no},
        )
        for staff_no in (CASHIER, "102")
    ]


@pytest.mark.parametrize(
    "change",
    [{"sale_id": "00000000-0000-4000-8000-000000000000"}, {"receipt_no": "T01-999999"}],
    ids=["other sale id", "other receipt number"],
)
def test_a_reprint_of_a_sale_not_in_this_ledger_is_refused(
    demo_ledger: Ledger, checkout: Checkout, change: dict[str, str]
) -> None:
    record = replace(sell(checkout, WATER), **change)
    before = journal_length(demo_ledger)

    with pytest.raises(PosError) as refused:
        record_reprint(demo_ledger, record, CASHIER)

    assert refused.value.title == "Unknown receipt"
    assert journal_length(demo_ledger) == before


def test_a_no_sale_is_an_override_then_a_drawer_opening(demo_ledger: Ledger) -> None:
    drawer = SimulatedDrawer()
    manager = grant(demo_ledger, action="no_sale", detail={})
    open_drawer(drawer, demo_ledger, reason="no_sale", staff_no=manager.staff_no)

    assert drawer.openings == 1
    rows = raw(demo_ledger.path, "SELECT type, payload FROM journal ORDER BY seq DESC LIMIT 2")
    assert [row["type"] for row in reversed(rows)] == ["override.granted", "drawer.opened"]
    assert json.loads(rows[0]["payload"]) == {
        "reason": "no_sale",
        "staff_no": MANAGER,
        "sale_id": None,
    }


# -- pos ledger verify -----------------------------------------------------------------------


def a_day_with_every_new_event(ledger: Ledger, config: Config) -> None:
    shift = open_shift(ledger, CASHIER, 20000)
    open_shift(ledger, "102", 10000)
    checkout = Checkout(
        ledger,
        current_catalog(ledger),
        Till("T01", "T01-", CASHIER, shift_id=shift.shift_id),
        config.settings.scanner.rules(),
    )
    assert isinstance(checkout.enter(f"3*{WATER}"), Added)
    line = checkout.cart.lines[0]
    detail = {"sku": line.item.sku, "old": line.unit_price, "new": 150}
    grant(ledger, action="price_override", detail=detail)
    checkout.cart.override_price(line.line_id, 150)
    record = checkout.pay_cash()
    record_reprint(ledger, record, CASHIER)
    grant(ledger, action="no_sale", detail={})
    open_drawer(SimulatedDrawer(), ledger, reason="no_sale", staff_no=MANAGER)
    assert isinstance(checkout.enter(COLA), Added)
    checkout.suspend()


def test_verify_passes_on_a_ledger_with_the_new_events(
    demo_ledger: Ledger, demo_config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    a_day_with_every_new_event(demo_ledger, demo_config)

    report = verify(demo_ledger)

    assert report.ok, report.problems
    assert report.events == journal_length(demo_ledger)
    assert len(raw(demo_ledger.path, "SELECT * FROM shifts")) == 2
    assert len(raw(demo_ledger.path, "SELECT * FROM overrides")) == 2
    assert main(["--data", str(demo_config.data_dir), "ledger", "verify"]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {report.events} events")


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("UPDATE shifts SET opening_float = opening_float + 1", "shifts"),
        ("DELETE FROM shifts WHERE staff_no = '102'", "shifts"),
        ("UPDATE overrides SET manager = '101'", "overrides"),
        ("UPDATE overrides SET detail = '{}' WHERE action = 'price_override'", "overrides"),
    ],
)
def test_verify_finds_edited_shift_and_override_rows(
    demo_ledger: Ledger, demo_config: Config, statement: str, table: str
) -> None:
    a_day_with_every_new_event(demo_ledger, demo_config)
    conn = sqlite3.connect(demo_ledger.path)
    try:
        assert conn.execute(statement).rowcount > 0
        conn.commit()
    finally:
        conn.close()

    [problem] = verify(demo_ledger).problems

    assert problem.seq is None
    assert problem.message.startswith(f"{table}: ")


# -- migration 0001 -> 0002 ----------------------------------------------------------------


def ledger_at_0001(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ledger file as a till on revision 0001 left it: demo data, a sale, a draft.

    Today's checkout sells through it, minus what 0001's did not do (queue a receipt).
    """
    monkeypatch.setattr("pos.checkout.enqueue", lambda *_args, **_kwargs: None)
    # 0001's sales had no member (0006 added it): the projection writes the row as it did.
    sales_0001 = Table(
        "sales", MetaData(), *(c._copy() for c in SALES.columns if c.name != "member_no")
    )
    monkeypatch.setattr("pos.ledger.projections.SALES", sales_0001)
    engine = sqlite_engine(path, immediate=True)
    try:
        with engine.begin() as conn:
            config = AlembicConfig()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            # What Ledger.open writes on first start, at any revision.
            conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('device_id', 'T01')")
    finally:
        engine.dispose()
    # The constructor does not migrate: this writes through the 0001 schema.
    ledger = Ledger(path, "T01")
    try:
        with ledger.transaction() as writer:
            writer.append("ledger.created", {"device_id": "T01", "store_id": "S001"})
        seed_demo(ledger)
        checkout = Checkout(ledger, current_catalog(ledger), Till("T01", "T01-", CASHIER))
        sell(checkout, f"2*{WATER}", COLA)
        assert isinstance(checkout.enter(WATER), Added)
        # 0001's drafts had no `tenders` column (0005 added it): the row as it wrote it.
        with ledger.transaction() as writer:
            writer.conn.exec_driver_sql(
                "INSERT INTO drafts (draft_id, kind, staff_no, created, updated, cart)"
                " VALUES (?, 'current', ?, '2026-01-01T00:00:00.000Z', "
                "'2026-01-01T00:00:00.000Z', ?)",
                (checkout.draft_id, CASHIER, json.dumps(checkout.cart.to_dict())),
            )
    finally:
        ledger.close()
        monkeypatch.undo()


def snapshot(path: Path) -> dict[str, list[dict[str, Any]]]:
    tables = ("journal", "items", "sales", "sale_lines", "sale_taxes", "payments", "staff")
    return {table: raw(path, f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables} | {
        "drafts": raw(path, "SELECT * FROM drafts")
    }


def test_a_0001_ledger_upgrades_to_the_head_keeping_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.db"
    ledger_at_0001(path, monkeypatch)
    assert raw(path, "SELECT version_num FROM alembic_version") == [{"version_num": "0001"}]
    tables = {row["name"] for row in raw(path, "SELECT name FROM sqlite_master")}
    assert not {"shifts", "overrides", "print_jobs"} & tables
    before = snapshot(path)

    ledger = Ledger.open(path, "T01")
    try:
        version = raw(path, "SELECT version_num FROM alembic_version")
        assert version == [{"version_num": HEAD_REVISION}]
        after = snapshot(path)
        # 0005 gave drafts the payments a split sale took so far: none for older drafts.
        assert [draft.pop("tenders") for draft in after["drafts"]] == ["[]"]
        # 0006 gave sales and drafts their member: none before members existed.
        assert [(d.pop("member_no"), d.pop("coupons")) for d in after["drafts"]] == [(None, "[]")]
        assert {sale.pop("member_no") for sale in after["sales"]} == {None}
        assert after == before
        assert raw(path, "SELECT * FROM shifts") == []
        assert raw(path, "SELECT * FROM overrides") == []
        assert raw(path, "SELECT * FROM print_jobs") == []
        with ledger.read() as conn:
            assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
        assert verify(ledger).ok

        # The upgraded ledger takes the new events and still verifies.
        open_shift(ledger, CASHIER, 20000)
        grant(ledger)
        report = verify(ledger)
        assert report.ok, report.problems
        assert report.events == len(before["journal"]) + 2
    finally:
        ledger.close()


def test_a_0001_ledger_verifies_without_being_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup taken before 0002, or a ledger on a read-only disk, is still checkable."""
    path = tmp_path / "ledger.db"
    ledger_at_0001(path, monkeypatch)
    events = len(raw(path, "SELECT seq FROM journal"))

    for ledger in (Ledger(path, "T01"), Ledger.open_read_only(path, "T01")):
        try:
            report = verify(ledger)
        finally:
            ledger.close()
        assert report.ok, report.problems
        assert report.events == events
    device_id, report = check_backup(path)
    assert (device_id, report.ok) == ("T01", True)
    assert raw(path, "SELECT version_num FROM alembic_version") == [{"version_num": "0001"}]


def test_verify_finds_a_dropped_projection_table_the_journal_needs(
    demo_ledger: Ledger, demo_config: Config
) -> None:
    a_day_with_every_new_event(demo_ledger, demo_config)
    conn = sqlite3.connect(demo_ledger.path)
    try:
        conn.execute("DROP TABLE overrides")
        conn.commit()
    finally:
        conn.close()

    [problem] = verify(demo_ledger).problems

    assert problem.seq is None
    assert problem.message == "overrides: the table is missing, and the journal has 2 rows for it"
