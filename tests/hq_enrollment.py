"""Tills of a chain: another till of the demo store, and enrolling a till with a running
HQ as `pos cloud enroll-code` and `pos sync enroll` do."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from cloud.hq.devices import new_enrollment_code
from pos.config import Config
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


def other_till(config: Config, tmp_path: Path, device_id: str = "T02") -> Config:
    """The demo store's configuration for another till of the same store."""
    settings = config.settings
    till = settings.till.model_copy(
        update={"device_id": device_id, "receipt_prefix": f"{device_id}-"}
    )
    return replace(
        config, data_dir=tmp_path / device_id, settings=settings.model_copy(update={"till": till})
    )
