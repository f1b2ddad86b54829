"""The pusher on its own thread while the till runs: started when the till is enrolled,
stopped (within a moment) when it closes. Selling never waits for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from pos.config.settings import SyncSettings
from pos.ledger.database import Ledger
from sync.client import CloudClient
from sync.credentials import load_credentials
from sync.pusher import Pusher


class BackgroundSync:
    def __init__(self, pusher: Pusher) -> None:
        self.pusher = pusher
        self._thread = threading.Thread(target=pusher.run, name="sync-pusher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        """New events: push them now rather than after the idle wait."""
        self.pusher.nudge()

    def stop(self) -> None:
        self.pusher.stop()
        # A push in flight ends within the client's timeout; never hang the exit on it.
        self._thread.join(timeout=self.pusher.settings.timeout_s + 1)
        self.pusher.client.close()


def start_background_sync(
    data_dir: Path,
    ledger: Ledger,
    settings: SyncSettings,
    on_feed: Callable[[frozenset[str]], None] = lambda _types: None,
) -> BackgroundSync | None:
    """The running pusher, or None when the till is not enrolled (raises SyncError for
    unreadable or unsafe credentials). `on_feed` as for Pusher."""
    credentials = load_credentials(data_dir)
    if credentials is None:
        return None
    client = CloudClient(credentials, timeout_s=settings.timeout_s)
    background = BackgroundSync(Pusher(ledger, client, settings, on_feed=on_feed))
    background.start()
    return background
