"""The pusher: the journal to the cloud, in seq order, from `acked_through`.

One push sends the next batch after what the cloud acknowledged (bounded by count and
bytes) and stores the cloud's answer. A failure that may pass (`Unreachable`) is
retried with exponential backoff and full jitter, capped, never sooner than the
cloud's Retry-After; a timeout sends the same batch again, which the cloud absorbs.
A refusal (`Refused`: revoked, a fork, a malformed event) halts pushing with an alert
kept in the ledger, rather than skipping past an event; selling goes on regardless.

`run` is the background loop (a thread that stops when asked, within a moment);
`drain` is `pos sync now`.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from pos.config.settings import SyncSettings
from pos.ledger.chain import format_ts
from pos.ledger.database import Ledger, read_meta, utc_now, write_meta
from sync.client import CloudClient, Refused, Unreachable
from sync.outbox import ACKED_THROUGH, Batch, acked_through, next_batch
from sync.puller import Puller

LAST_SYNC = "sync_last"
"""When the cloud last acknowledged a push (UTC, journal format)."""
ALERT = "sync_alert"
"""Why pushing halted, for the manager; cleared by the next successful push."""
REACHABLE = "sync_reachable"
"""Whether the cloud answered the last attempt ("1") or could not be reached ("0");
absent until the first attempt. Written only when it changes."""


@dataclass(frozen=True, slots=True)
class SyncStatus:
    last_seq: int
    acked_through: int
    last_sync: str | None
    alert: str | None
    reachable: bool | None = None
    """Whether the cloud answered the last attempt; None before the first one."""

    @property
    def backlog(self) -> int:
        return max(0, self.last_seq - self.acked_through)

    def as_json(self) -> dict[str, object]:
        return {
            "last_seq": self.last_seq,
            "acked_through": self.acked_through,
            "backlog": self.backlog,
            "last_sync": self.last_sync,
            "alert": self.alert,
            "reachable": self.reachable,
        }


def sync_status(ledger: Ledger) -> SyncStatus:
    with ledger.read() as conn:
        last_seq = int(conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM journal").one()[0])
        return SyncStatus(
            last_seq,
            acked_through(conn),
            read_meta(conn, LAST_SYNC),
            read_meta(conn, ALERT) or None,
            {"1": True, "0": False}.get(read_meta(conn, REACHABLE) or ""),
        )


class Pusher:
    def __init__(
        self,
        ledger: Ledger,
        client: CloudClient,
        settings: SyncSettings,
        *,
        rng: random.Random | None = None,
        on_feed: Callable[[frozenset[str]], None] = lambda _types: None,
    ) -> None:
        """`on_feed` hears, on the pusher's thread, the types of the events the feed
        journaled (a price changed, a key trusted...), so the till can sell by them."""
        self.ledger, self.client, self.settings = ledger, client, settings
        self._on_feed = on_feed
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.puller = Puller(ledger, client)
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="sync-reader")
        self._prefetched: Future[Batch | None] | None = None
        self._reachable: bool | None = None

    def push_once(self) -> bool:
        """Push the next batch; False when there was nothing to push.

        While a batch is on its way, the one after it is read from the journal on a
        helper thread (the wait for the cloud releases the GIL), so the till's work and
        the cloud's overlap; it is used only if the cloud took the whole batch.
        """
        batch = self._prefetched.result() if self._prefetched is not None else None
        self._prefetched = None
        if batch is None or batch.first_seq != self._acked_through() + 1:
            batch = self._read_batch(None)
        if batch is None:
            return False
        self._prefetched = self._reader.submit(self._read_batch, batch.last_seq)
        try:
            acked = self.client.push_body(batch.body())
        except Unreachable:
            self._note_reachable(False)
            raise
        except Refused as refused:
            self._record(acked=refused.acked_through, alert=refused.message)
            raise
        self._record(acked=acked)
        return True

    def _pull(self) -> frozenset[str]:
        """Caught up: apply the cloud's feed (a refusal halts with an alert too); the
        types of the events it journaled, which are the next to push."""
        try:
            journaled = self.puller.pull()
        except Unreachable:
            self._note_reachable(False)
            raise
        except Refused as refused:
            self._record(alert=refused.message)
            raise
        self._note_reachable(True)
        if journaled:
            self._on_feed(journaled)
        return journaled

    def _read_batch(self, after: int | None) -> Batch | None:
        with self.ledger.read() as conn:
            return next_batch(
                conn,
                max_events=self.settings.batch_events,
                max_bytes=self.settings.batch_bytes,
                after=after,
            )

    def _acked_through(self) -> int:
        with self.ledger.read() as conn:
            return acked_through(conn)

    def drain(
        self,
        on_progress: Callable[[SyncStatus], None] = lambda _status: None,
        *,
        attempts: int = 5,
    ) -> SyncStatus:
        """Push until caught up, retrying what may pass with backoff; raises Refused, or
        Unreachable after `attempts` failures in a row."""
        failures = 0
        while True:
            try:
                if not self.push_once() and not self._pull():
                    return sync_status(self.ledger)
                failures = 0
                on_progress(sync_status(self.ledger))
            except Unreachable as error:
                failures += 1
                if failures >= attempts or self._stop.wait(
                    self.backoff(failures - 1, error.retry_after)
                ):
                    raise

    def backoff(self, failures: int, retry_after: float | None) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^failures)], never under the
        cloud's Retry-After."""
        doubled = self.settings.backoff_base_s * 2 ** min(failures, 32)
        ceiling = min(self.settings.backoff_cap_s, doubled)
        return max(retry_after or 0.0, self._rng.uniform(0, ceiling))

    def run(self) -> None:
        """The background loop: until `stop()`, push what there is, then wait."""
        failures = 0
        while not self._stop.is_set():
            try:
                # What the feed journaled is pushed at once, not after the idle wait.
                busy = self.push_once() or bool(self._pull())
                failures = 0
            except Unreachable as error:
                self._stop.wait(self.backoff(failures, error.retry_after))
                failures += 1
                continue
            except Refused:
                return  # halted with an alert; a new enrollment starts a new pusher
            if not busy:
                self._wake.wait(self.settings.idle_s)
                self._wake.clear()

    def nudge(self) -> None:
        """New events: push now rather than after the idle wait."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._reader.shutdown(wait=False, cancel_futures=True)

    def _record(self, *, acked: int | None = None, alert: str | None = None) -> None:
        """The cloud answered: what it acknowledged, and why it refused, if it did."""
        with self.ledger.transaction() as writer:
            if acked is not None:
                write_meta(writer.conn, ACKED_THROUGH, str(acked))
                write_meta(writer.conn, LAST_SYNC, format_ts(utc_now()))
            write_meta(writer.conn, ALERT, alert or "")
            write_meta(writer.conn, REACHABLE, "1")
        self._reachable = True

    def _note_reachable(self, reachable: bool) -> None:
        # Only a change is written: an unplugged network would otherwise write the
        # ledger on every retry.
        if reachable != self._reachable:
            with self.ledger.transaction() as writer:
                write_meta(writer.conn, REACHABLE, "1" if reachable else "0")
            self._reachable = reachable
