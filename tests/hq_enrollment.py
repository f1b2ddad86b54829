"""Enrolling a till with a running HQ, as `pos cloud enroll-code` and `pos sync enroll` do."""

from __future__ import annotations

from sqlalchemy import Engine

from cloud.hq.devices import new_enrollment_code
from pos.ledger.database import utc_now
from sync.client import enroll
from sync.credentials import Credentials


def enrolled(
    hq: tuple[str, Engine], device_id: str = "T01", store_id: str = "demo-store"
) -> Credentials:
    url, engine = hq
    with engine.begin() as conn:
        code = new_enrollment_code(conn, store_id, utc_now())
    return enroll(url, code, device_id)
