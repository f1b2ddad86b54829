"""Is the wallet gateway reachable? A small monitor the till asks before it charges a code.

There is no sync yet, so for payments "online" means the gateway can be reached. The
monitor opens a TCP connection to the gateway's host and port every few seconds and
closes it at once: that proves the route and the listener without sending the gateway
a request (nothing to sign, nothing logged as a call). A probe that does not connect
within its timeout counts as offline.

Probes alone would notice a pulled cable only at the next one, so the HTTP client
reports its own calls too (`ReportingTransport`): a call that fails at transport level
makes the monitor offline at once, and any answer makes it online. A cashier is told
"offline, take cash" the moment the network goes, rather than watching a payment
modal wait for a gateway that cannot answer.

The state is read from any thread; changes go to one callback, in the order they
happened (the callback runs under the monitor's lock, so it must be quick: post a
message, do not block).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}
PROBE_TIMEOUT_S = 2.0
"""Long enough for a gateway across a slow link to accept; short enough that a stop
or a check never waits long on a dead route."""


def gateway_address(url: str) -> tuple[str, int]:
    """The (host, port) an http(s) URL connects to; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an http(s) URL with a host: {url!r}")
    # .port raises ValueError itself for a port that is not a number in range.
    return parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]


class Reachability:
    """Whether a TCP service answers: probed every `every_s` seconds in a daemon thread
    once started, and told at once by the calls that reach it or fail to.

    Until the first probe the state is offline: a till that does not know must not
    start a payment that would only wait out its timeouts.
    """

    def __init__(
        self, host: str, port: int, *, every_s: float, timeout_s: float = PROBE_TIMEOUT_S
    ) -> None:
        self.host = host
        self.port = port
        self.every_s = every_s
        self.timeout_s = timeout_s
        self._online = False
        # Reentrant: a callback that reads `online` runs while the lock is held.
        self._lock = threading.RLock()
        self._on_change: Callable[[bool], None] = lambda _online: None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_url(
        cls, url: str, *, every_s: float, timeout_s: float = PROBE_TIMEOUT_S
    ) -> Reachability:
        host, port = gateway_address(url)
        return cls(host, port, every_s=every_s, timeout_s=timeout_s)

    @property
    def online(self) -> bool:
        with self._lock:
            return self._online

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, on_change: Callable[[bool], None] = lambda _online: None) -> None:
        """Probe once now, then every `every_s` seconds until `stop`.

        Blocks for the first probe (at most `timeout_s`), so the state is known when it
        returns: call it from a worker. `on_change` gets the new state on every change
        after that first probe (it is not called for the first one: read `online`).
        """
        if self._thread is not None:
            raise RuntimeError("the reachability monitor is already started")
        self.check()
        with self._lock:
            self._on_change = on_change
        self._thread = threading.Thread(
            target=self._run, name=f"reachability-{self.host}:{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop probing and wait for the thread (at most one probe's timeout)."""
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def check(self) -> bool:
        """Probe now (blocking, at most `timeout_s`); the state it leaves."""
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout_s):
                reached = True
        except OSError:
            reached = False
        self._set(reached)
        return reached

    def call_failed(self) -> None:
        """A call to the service failed at transport level: offline now, until a probe
        or a call gets through."""
        self._set(False)

    def call_answered(self) -> None:
        """A call to the service got an answer: it is reachable, whatever it said."""
        self._set(True)

    def _run(self) -> None:
        # wait() rather than sleep(): stop() ends the pause at once.
        while not self._stopping.wait(self.every_s):
            self.check()

    def _set(self, online: bool) -> None:
        with self._lock:
            if online == self._online:
                return
            self._online = online
            self._on_change(online)


class ReportingTransport(httpx.BaseTransport):
    """An httpx transport that tells a `Reachability` how each request went.

    Only transport failures (no connection, timeouts, a connection dropped before the
    answer's head) count against reachability: an HTTP error status or a malformed
    body came from a gateway that is there.
    """

    def __init__(
        self, reachability: Reachability, inner: httpx.BaseTransport | None = None
    ) -> None:
        self._reachability = reachability
        self._inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError:
            self._reachability.call_failed()
            raise
        self._reachability.call_answered()
        return response

    def close(self) -> None:
        self._inner.close()
