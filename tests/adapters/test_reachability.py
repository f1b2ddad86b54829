"""The gateway reachability monitor against real sockets on 127.0.0.1: a listener that
is closed and opened again on the same port, and the wallet sandbox stopped under a
client that is still calling it."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from cloud.wallet.app import WalletSandbox
from cloud.wallet.server import running
from pos.payments.micropay import GatewaySettings
from pos.payments.reachability import Reachability, ReportingTransport, gateway_address
from pos.wallet_setup import connect_wallet

WAIT_S = 15.0
"""How long a test waits for the monitor's thread before failing (never reached when
it works; it only keeps a broken monitor from hanging the suite)."""


class Listener:
    """A TCP server on 127.0.0.1 that accepts and drops connections, as a gateway's
    listener would for the monitor's probes; it can be closed and opened again."""

    def __init__(self, port: int = 0) -> None:
        self._server = socket.create_server(("127.0.0.1", port))
        # Accepting keeps the probes from filling the backlog; the timeout lets the
        # loop see close() (closing a socket does not wake a blocked accept on Linux).
        self._server.settimeout(0.05)
        self.port: int = self._server.getsockname()[1]
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _address = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.close()

    def close(self) -> None:
        self._closing.set()
        self._thread.join()
        self._server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    opened = Listener()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def monitor(listener: Listener) -> Iterator[Reachability]:
    # Probes only when a test asks (check), so each step is deterministic.
    watching = Reachability("127.0.0.1", listener.port, every_s=3600, timeout_s=2)
    try:
        yield watching
    finally:
        watching.stop()


def test_the_first_probe_is_made_before_start_returns(
    monitor: Reachability, listener: Listener
) -> None:
    before = monitor.online  # not probed yet: unknown is offline
    changes: list[bool] = []
    monitor.start(changes.append)
    assert (before, monitor.online) == (False, True)
    assert monitor.running
    assert changes == []  # the first state is read, not reported


def test_a_listener_closed_and_reopened_on_its_port_is_offline_then_online(
    monitor: Reachability, listener: Listener
) -> None:
    changes: list[bool] = []
    monitor.start(changes.append)
    listener.close()
    assert monitor.check() is False
    assert not monitor.online
    reopened = Listener(listener.port)
    try:
        assert monitor.check() is True
    finally:
        reopened.close()
    assert changes == [False, True]
    assert monitor.check() is False
    assert monitor.check() is False  # no change, no report
    assert changes == [False, True, False]


def test_the_thread_notices_a_closed_and_a_reopened_listener_by_itself(
    listener: Listener,
) -> None:
    changes: queue.Queue[bool] = queue.Queue()
    monitor = Reachability("127.0.0.1", listener.port, every_s=0.05, timeout_s=2)
    monitor.start(changes.put)
    try:
        listener.close()
        assert changes.get(timeout=WAIT_S) is False
        reopened = Listener(listener.port)
        try:
            assert changes.get(timeout=WAIT_S) is True
        finally:
            reopened.close()
        assert changes.get(timeout=WAIT_S) is False
    finally:
        monitor.stop()
    assert not monitor.running


def test_a_failed_call_is_offline_at_once_until_a_probe_or_a_call_gets_through(
    monitor: Reachability,
) -> None:
    changes: list[bool] = []
    monitor.start(changes.append)
    monitor.call_failed()
    assert not monitor.online
    monitor.call_failed()
    assert monitor.check() is True
    monitor.call_failed()
    monitor.call_answered()
    assert changes == [False, True, False, True]


def test_stop_ends_the_thread_and_can_be_repeated(monitor: Reachability) -> None:
    monitor.start()
    monitor.stop()
    assert not monitor.running
    monitor.stop()
    with pytest.raises(RuntimeError):
        monitor.start()


def test_the_transport_reports_a_refused_connection_and_an_answer(listener: Listener) -> None:
    monitor = Reachability("127.0.0.1", listener.port, every_s=3600)
    listener.close()
    with httpx.Client(transport=ReportingTransport(monitor)) as http:
        monitor.call_answered()
        with pytest.raises(httpx.ConnectError):
            http.get(f"http://127.0.0.1:{listener.port}/")
        assert not monitor.online


def test_a_wallet_client_whose_gateway_stops_is_offline_at_its_next_call() -> None:
    sandbox = WalletSandbox()
    merchant = sandbox.config
    with contextlib.ExitStack() as resources:
        with running(sandbox) as url:
            gateway = GatewaySettings(
                url=url,
                appid=merchant.appid,
                mch_id=merchant.mch_id,
                api_key=merchant.api_key,
                request_timeout_s=5,
            )
            wallet = connect_wallet(gateway, resources, probe_every_s=3600)
            seen = [wallet.reachability.online]  # not started: no probe yet
            # An answer, even "no such order", is a gateway that is there.
            assert wallet.client.query("T01-none") is None
            seen.append(wallet.reachability.online)
        # The sandbox has stopped and its port is closed; no probe has run since.
        assert wallet.client.query("T01-none") is None
        seen.append(wallet.reachability.online)
    assert seen == [False, True, False]


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://api.mch.weixin.qq.com", ("api.mch.weixin.qq.com", 443)),
        ("http://127.0.0.1:8080/", ("127.0.0.1", 8080)),
        ("http://gateway.local/pay", ("gateway.local", 80)),
    ],
)
def test_the_address_probed_is_the_urls_host_and_port(url: str, address: tuple[str, int]) -> None:
    assert gateway_address(url) == address


@pytest.mark.parametrize("url", ["sandbox", "ftp://host", "http://", "http://host:99999"])
def test_a_url_without_an_http_host_and_port_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|[Pp]ort"):
        gateway_address(url)
