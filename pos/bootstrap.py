"""Opening a till's ledger: the first event, and the demo store's data on first start."""

from __future__ import annotations

from sqlalchemy import insert, select

from pos.catalog_admin import apply_catalog
from pos.catalog_csv import load_demo_catalog
from pos.config import Config
from pos.domain.staff import Role
from pos.ledger.database import Clock, Ledger, read_meta, utc_now
from pos.ledger.tables import META, STAFF
from pos.staff import add_staff

DEMO_STAFF: tuple[tuple[str, str, Role, str], ...] = (
    ("101", "王芳 Wang Fang", Role.CASHIER, "1234"),
    ("102", "李强 Li Qiang", Role.CASHIER, "2345"),
    ("900", "张经理 Manager Zhang", Role.MANAGER, "9000"),
    ("700", "陈工 Tech Chen", Role.TECHNICIAN, "7000"),
)
"""The demo store's accounts (number, name, role, PIN), also listed in the README."""

_DEMO_SEEDED = "demo_seeded"


def open_ledger(config: Config, clock: Clock = utc_now) -> Ledger:
    """Open the configured ledger, writing ledger.created (and the demo data) on first start."""
    settings = config.settings
    ledger = Ledger.open(config.ledger_path, settings.till.device_id, clock)
    if ledger.head()[0] == 0:
        with ledger.transaction() as writer:
            writer.append(
                "ledger.created",
                {"device_id": settings.till.device_id, "store_id": settings.store.id},
            )
    if config.is_demo:
        seed_demo(ledger)
    return ledger


def seed_demo(ledger: Ledger) -> None:
    """Add the demo staff and catalog once; each step is idempotent, so a crash midway
    is finished on the next start, and later changes to the demo data are kept."""
    with ledger.read() as conn:
        if read_meta(conn, _DEMO_SEEDED):
            return
        existing = set(conn.execute(select(STAFF.c.staff_no)).scalars())
    for staff_no, name, role, pin in DEMO_STAFF:
        if staff_no not in existing:
            add_staff(ledger, staff_no, name, role, pin)
    apply_catalog(ledger, load_demo_catalog())
    with ledger.transaction() as writer:
        writer.conn.execute(insert(META), {"key": _DEMO_SEEDED, "value": "1"})
