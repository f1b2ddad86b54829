"""The till's enrollment with the cloud: where the cloud is and the till's token.

Kept in `data_dir/sync.json`, readable by the till's user only (the token lets anyone
push as this till). No file means the till is not enrolled: it sells alone.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from pos.errors import PosError

FILE = "sync.json"


class SyncError(PosError):
    """Sync cannot go on: not enrolled, refused by the cloud, or unreachable."""


@dataclass(frozen=True, slots=True)
class Credentials:
    cloud_url: str
    device_id: str
    store_id: str
    token: str


def load_credentials(data_dir: Path) -> Credentials | None:
    path = data_dir / FILE
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SyncError(
            "Unsafe sync credentials",
            f"{path} can be read by other users; run `chmod 600 {path}` (or enroll again).",
        )
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(**{name: str(fields[name]) for name in Credentials.__slots__})
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SyncError(
            "Broken sync credentials", f"{path}: {error}; enroll the till again."
        ) from None


def save_credentials(data_dir: Path, credentials: Credentials) -> Path:
    """Write atomically, mode 0600 from the start (the token is never world-readable)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(asdict(credentials), file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return path
