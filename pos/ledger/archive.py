"""Export, backup and restore of the ledger file.

Backups use SQLite's online backup API, so they are consistent while the till keeps
selling; a restore verifies the copy before anything is replaced.
"""

from __future__ import annotations

import copy
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pos.domain.members import mask_phone
from pos.errors import LedgerError
from pos.ledger.chain import canonical_json
from pos.ledger.database import Ledger
from pos.ledger.verify import Report, iter_events, verify

PERSONAL = {
    "member.enrolled": (("phone",),),
    "member.imported": (("phone",),),
    "member.merged": (("member", "phone"), ("into", "phone")),
}
"""Where events hold a member's full phone number: the paths to it in the payload."""


def export_jsonl(
    ledger: Ledger, out: TextIO, since: int = 0, *, personal_data: bool = False
) -> int:
    """Write events after `since`, one canonical JSON object per line; return the count.

    An export leaves the till, so members' phone numbers are masked unless
    `personal_data`: such a line names the masked fields in `redacted`, and keeps its
    hash, so the chain still links through it though its own hash cannot be recomputed.
    """
    count = 0
    with ledger.read() as conn:
        for event, _broken in iter_events(conn, since):
            line = event.as_json()
            if not personal_data:
                line = _redacted(line)
            out.write(canonical_json(line) + "\n")
            count += 1
    return count


def _redacted(line: dict[str, Any]) -> dict[str, Any]:
    masked = []
    payload = copy.deepcopy(line["payload"])
    for path in PERSONAL.get(line["type"], ()):
        *parents, field = path
        holder = payload
        for key in parents:
            holder = holder.get(key) or {}
        if holder.get(field):
            holder[field] = mask_phone(holder[field])
            masked.append(".".join(("payload", *path)))
    return {**line, "payload": payload, "redacted": masked} if masked else line


def backup(ledger: Ledger, destination: Path) -> Path:
    """Copy the live ledger to `destination` (a file, or a folder to put a dated file in)."""
    if destination.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"ledger-{ledger.device_id}-{stamp}.db"
    if destination.exists():
        raise LedgerError("Backup not written", f"{destination} already exists.")
    partial = destination.with_name(destination.name + ".partial")
    try:
        source = sqlite3.connect(ledger.path)
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target, pages=1024)
            finally:
                target.close()
        finally:
            source.close()
        os.replace(partial, destination)
    except (sqlite3.Error, OSError) as error:
        partial.unlink(missing_ok=True)
        raise LedgerError("Backup failed", f"{destination}: {error}") from None
    return destination


def check_backup(path: Path) -> tuple[str, Report]:
    """Verify a backup file without touching the live ledger; return its device id."""
    if not path.is_file():
        raise LedgerError("Backup not found", f"{path} is not a file.")
    device_id = _device_of(path)
    copy = Ledger(path, device_id)
    try:
        return device_id, verify(copy)
    finally:
        copy.close()


def restore(backup_file: Path, ledger_path: Path, *, device_id: str) -> Path | None:
    """Replace the ledger with a verified backup; the old file is kept beside it.

    Returns where the replaced ledger was moved (None if there was none). Refuses a
    backup that does not verify or that belongs to another device. The till must not
    be running: the live file is locked exclusively while it is swapped.
    """
    owner, report = check_backup(backup_file)
    if owner != device_id:
        raise LedgerError(
            "Backup of another till", f"{backup_file} belongs to {owner}, not {device_id}."
        )
    if not report.ok:
        raise LedgerError(
            "Backup does not verify",
            f"{backup_file}: {report.problems[0]}. Nothing was replaced.",
        )
    if not ledger_path.exists():
        ledger_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(backup_file, ledger_path)
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = ledger_path.with_name(f"{ledger_path.name}.replaced-{stamp}")
    number = 1
    while any(Path(f"{kept}{suffix}").exists() for suffix in ("", "-wal", "-shm")):
        # Never overwrite an earlier replaced ledger (two restores in one second).
        number += 1
        kept = ledger_path.with_name(f"{ledger_path.name}.replaced-{stamp}-{number}")
    with _exclusive(ledger_path):
        for suffix in ("", "-wal", "-shm"):
            old = Path(str(ledger_path) + suffix)
            if old.exists():
                os.replace(old, Path(str(kept) + suffix))
        shutil.copyfile(backup_file, ledger_path)
    return kept


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the ledger, proving no till is using it.

    The WAL is checkpointed first so the file moved aside is complete on its own.
    """
    conn = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        try:
            # In WAL mode BEGIN EXCLUSIVE does not shut out other connections; the
            # exclusive locking mode does: it needs the file to itself, so it fails
            # while any till has the ledger open, even idle between sales.
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise LedgerError(
                "Ledger in use", "Stop the till before restoring; nothing was replaced."
            ) from None
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def _device_of(path: Path) -> str:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise LedgerError("Not a ledger", f"{path}: {error}.") from None
    if row is None:
        raise LedgerError("Not a ledger", f"{path} has no device id.")
    return str(row[0])
