"""First start of the demo store: `pos` with no pos.toml on an empty data folder.

The first open writes ledger.created as seq 1, then the demo staff and catalog, each as
journal events; later opens add nothing; a start interrupted between seeding steps is
completed on the next one without duplicating anybody or anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from pos.bootstrap import DEMO_STAFF, open_ledger
from pos.catalog_admin import apply_catalog, current_catalog
from pos.catalog_csv import load_demo_catalog
from pos.config import Config, load_config
from pos.domain.barcodes import has_valid_check_digit
from pos.domain.staff import Role
from pos.ledger.chain import GENESIS_HASH
from pos.ledger.database import Ledger, read_meta
from pos.ledger.verify import verify
from pos.staff import add_staff, list_staff, sign_in


def _demo(data: Path) -> Config:
    return load_config(None, data, environ={})


def _journal(ledger: Ledger) -> list[tuple[int, str, dict[str, object], str]]:
    with ledger.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT seq, type, payload, prev_hash FROM journal ORDER BY seq"
        ).all()
    return [(seq, type_, json.loads(payload), prev) for seq, type_, payload, prev in rows]


def _check_seeded_once(ledger: Ledger) -> None:
    """Exactly one of each demo account and product, and nothing else."""
    events = _journal(ledger)
    assert [seq for seq, *_ in events] == list(range(1, len(events) + 1))
    assert events[0][1] == "ledger.created"
    assert Counter(type_ for _, type_, _, _ in events) == {
        "ledger.created": 1,
        "staff.added": len(DEMO_STAFF),
        "catalog.item_added": len(load_demo_catalog()),
    }
    added_staff = [payload["staff_no"] for _, type_, payload, _ in events if type_ == "staff.added"]
    assert sorted(added_staff) == sorted(number for number, *_ in DEMO_STAFF)
    added_items = [
        payload["item"]["sku"]  # type: ignore[index]
        for _, type_, payload, _ in events
        if type_ == "catalog.item_added"
    ]
    assert sorted(added_items) == sorted(item.sku for item in load_demo_catalog())
    assert {member.staff_no for member in list_staff(ledger)} == {"101", "102", "700", "900"}
    assert sorted(current_catalog(ledger), key=lambda i: i.sku) == sorted(
        load_demo_catalog(), key=lambda i: i.sku
    )
    with ledger.read() as conn:
        assert read_meta(conn, "demo_seeded") == "1"
    report = verify(ledger)
    assert report.ok, report.problems


def test_first_start_creates_the_demo_store(tmp_path: Path) -> None:
    config = _demo(tmp_path / "data")
    assert config.is_demo
    ledger = open_ledger(config)
    try:
        first = _journal(ledger)[0]
        assert first == (1, "ledger.created", {"device_id": "T01", "store_id": "demo-store"},
                         GENESIS_HASH)  # fmt: skip
        _check_seeded_once(ledger)

        staff = {member.staff_no: member.role for member in list_staff(ledger)}
        assert staff == {
            "101": Role.CASHIER,
            "102": Role.CASHIER,
            "900": Role.MANAGER,
            "700": Role.TECHNICIAN,
        }
        # The documented demo PINs work.
        for staff_no, _name, role, pin in DEMO_STAFF:
            member = sign_in(ledger, staff_no, pin, max_failures=5, lockout=timedelta(minutes=1))
            assert member.role == role

        catalog = list(current_catalog(ledger))
        assert len(catalog) >= 60
        barcodes = [item.barcode for item in catalog if item.barcode]
        assert len(barcodes) >= 50
        assert len(set(barcodes)) == len(barcodes)
        for code in barcodes:
            assert len(code) in (8, 12, 13), code
            assert has_valid_check_digit(code), code
        assert len({item.tax_rate_bp for item in catalog}) >= 3
        weighed = [item for item in catalog if item.weighed]
        assert len(weighed) >= 3
        assert all(item.plu for item in weighed)
        assert len({item.plu for item in weighed}) == len(weighed)
        assert all(item.price > 0 for item in catalog)
    finally:
        ledger.close()


def test_a_second_start_adds_nothing_and_keeps_later_changes(tmp_path: Path) -> None:
    config = _demo(tmp_path / "data")
    ledger = open_ledger(config)
    try:
        item = next(i for i in current_catalog(ledger) if not i.weighed)
        repriced = replace(item, price=item.price + 50)
        apply_catalog(ledger, [repriced])
        head = ledger.head()
    finally:
        ledger.close()

    for _ in range(2):
        ledger = open_ledger(config)
        try:
            assert ledger.head() == head
            assert current_catalog(ledger).by_sku(item.sku) == repriced
            assert len(list_staff(ledger)) == len(DEMO_STAFF)
        finally:
            ledger.close()


def _interrupted_start(data: Path, staff_done: int, catalog_done: bool) -> None:
    """What a first start leaves when it dies after some seeding steps: the ledger and
    ledger.created, `staff_done` demo accounts, maybe the catalog, never the done flag."""
    ledger = Ledger.open(data / "ledger.db", "T01")
    try:
        with ledger.transaction() as writer:
            writer.append("ledger.created", {"device_id": "T01", "store_id": "demo-store"})
        for staff_no, name, role, pin in DEMO_STAFF[:staff_done]:
            add_staff(ledger, staff_no, name, role, pin)
        if catalog_done:
            apply_catalog(ledger, load_demo_catalog())
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("staff_done", "catalog_done"),
    [(0, False), (2, False), (len(DEMO_STAFF), False), (len(DEMO_STAFF), True)],
    ids=["before staff", "after 2 staff", "after staff", "after catalog"],
)
def test_an_interrupted_first_start_is_completed_without_duplicates(
    tmp_path: Path, staff_done: int, catalog_done: bool
) -> None:
    data = tmp_path / "data"
    _interrupted_start(data, staff_done, catalog_done)
    ledger = open_ledger(_demo(data))
    try:
        _check_seeded_once(ledger)
        head = ledger.head()
    finally:
        ledger.close()
    ledger = open_ledger(_demo(data))
    try:
        assert ledger.head() == head
    finally:
        ledger.close()


CRASH_IN_SEEDING = textwrap.dedent(
    """
    import os
    import sys
    from pathlib import Path

    import pos.bootstrap
    from pos.config import load_config

    def die(*_args, **_kwargs):
        os._exit(9)  # the process dies here: no cleanup, no exception handlers

    pos.bootstrap.apply_catalog = die
    pos.bootstrap.open_ledger(load_config(None, Path(sys.argv[1]), environ={}))
    """
)


def test_a_process_killed_while_seeding_is_completed_on_the_next_start(tmp_path: Path) -> None:
    script = tmp_path / "die_while_seeding.py"
    script.write_text(CRASH_IN_SEEDING, encoding="utf-8")
    data = tmp_path / "data"
    env = {key: value for key, value in os.environ.items() if key != "POS_CONFIG"}
    died = subprocess.run(
        [sys.executable, str(script), str(data)], env=env, capture_output=True, check=False
    )
    assert died.returncode == 9, died.stderr

    ledger = Ledger.open(data / "ledger.db", "T01")
    try:
        assert len(list_staff(ledger)) == len(DEMO_STAFF)
        assert list(current_catalog(ledger)) == []
    finally:
        ledger.close()

    ledger = open_ledger(_demo(data))
    try:
        _check_seeded_once(ledger)
    finally:
        ledger.close()
