"""Devices and their credentials: one-time enrollment codes a manager makes for a
store, the bearer token a till gets for one, and revocation.

Codes and tokens are stored only as SHA-256 hashes: a copy of the database lets no one
push as a till. A code works once and for a limited time; a revoked till is refused
(it keeps selling offline and its journal waits) until it enrolls again with a new
code, which keeps its stored chain.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping, insert, select, update

from cloud.hq.errors import HQError
from cloud.hq.schema import DEVICES, ENROLLMENT_CODES
from pos.ledger.chain import format_ts

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
"""No 0/O, 1/I/L, U: codes are read aloud and typed."""
CODE_TTL = timedelta(hours=24)
DEVICE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_enrollment_code(conn: Connection, store_id: str, now: datetime) -> str:
    """A one-time code for a till of `store_id` (shown once; stored hashed)."""
    if not store_id.strip():
        raise HQError(422, "bad_store", "An enrollment code needs a store id.")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    conn.execute(
        insert(ENROLLMENT_CODES).values(
            code_hash=digest(normal_code(code)),
            store_id=store_id.strip(),
            created_at=format_ts(now),
            expires_at=format_ts(now + CODE_TTL),
        )
    )
    return code


def normal_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def enroll(conn: Connection, code: str, device_id: str, now: datetime) -> tuple[str, str]:
    """Exchange a code for the device's token: (store_id, token)."""
    if not DEVICE_ID.fullmatch(device_id):
        raise HQError(422, "bad_device_id", f"{device_id!r} is not a device id.")
    row = conn.execute(
        select(ENROLLMENT_CODES)
        .where(ENROLLMENT_CODES.c.code_hash == digest(normal_code(code)))
        .with_for_update()
    ).first()
    if row is None:
        raise HQError(403, "unknown_code", "This enrollment code is not known; check it.")
    if row.used_by is not None:
        raise HQError(403, "used_code", "This enrollment code was already used.")
    if row.expires_at < format_ts(now):
        raise HQError(403, "expired_code", "This enrollment code has expired; ask for a new one.")
    token = secrets.token_urlsafe(32)
    existing = conn.execute(
        select(DEVICES).where(DEVICES.c.device_id == device_id).with_for_update()
    ).first()
    if existing is None:
        conn.execute(
            insert(DEVICES).values(
                device_id=device_id,
                store_id=row.store_id,
                token_hash=digest(token),
                enrolled_at=format_ts(now),
            )
        )
    elif existing.store_id != row.store_id:
        raise HQError(
            409,
            "other_store",
            f"Device {device_id} belongs to store {existing.store_id}, not {row.store_id}.",
        )
    else:
        # Enrolling again (after a revocation, a lost token): a new token, same chain.
        conn.execute(
            update(DEVICES)
            .where(DEVICES.c.device_id == device_id)
            .values(token_hash=digest(token), revoked_at=None, revoked_reason=None)
        )
    conn.execute(
        update(ENROLLMENT_CODES)
        .where(ENROLLMENT_CODES.c.code_hash == row.code_hash)
        .values(used_by=device_id, used_at=format_ts(now))
    )
    return row.store_id, token


def revoke(conn: Connection, device_id: str, reason: str, now: datetime) -> None:
    done = conn.execute(
        update(DEVICES)
        .where(DEVICES.c.device_id == device_id)
        .values(revoked_at=format_ts(now), revoked_reason=reason.strip() or "revoked")
    )
    if done.rowcount == 0:
        raise HQError(404, "unknown_device", f"No device {device_id} is enrolled.")


def authenticate(conn: Connection, token: str, device_id: str, *, lock: bool) -> RowMapping:
    """The device row for a bearer token, refused if unknown, revoked or another's."""
    row = authenticate_token(conn, token, lock=lock)
    if row["device_id"] != device_id:
        raise HQError(403, "wrong_device", f"This token belongs to {row['device_id']}.")
    return row


def authenticate_token(conn: Connection, token: str, *, lock: bool = False) -> RowMapping:
    """The device row for a bearer token, refused if unknown or revoked."""
    query = select(DEVICES).where(DEVICES.c.token_hash == digest(token))
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise HQError(401, "unknown_token", "This till is not enrolled; enroll it with a code.")
    if row.revoked_at is not None:
        raise HQError(
            401,
            "revoked",
            f"This till's enrollment was revoked ({row.revoked_reason}); "
            "it keeps selling offline; enroll it again with a new code.",
        )
    return row._mapping
