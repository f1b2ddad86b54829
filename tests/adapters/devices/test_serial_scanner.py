"""SerialScanner on a real pseudo-terminal pair: the scanner opens the slave end through
a symlink (as it would /dev/serial/by-id/...), and the test writes to the master end as
the scanner hardware would. Unplugging closes the master (reads on the slave then fail
with EIO) and removes the symlink, as udev does; plugging in makes a new pair."""

from __future__ import annotations

import os
import queue
import re
import socket
import threading
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.scans import DeviceState, DeviceStatus, Scan
from devices.serial_scanner import SerialScanner

WAIT_S = 5.0
EAN = "6921168509256"
WALLET = "134567890123456789"


class FakeScannerPort:
    """The device side of a serial scanner, reached through a symlink."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self._fds: tuple[int, int] | None = None

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        self._fds = master, slave
        staged = self.link.with_name(self.link.name + ".new")
        os.symlink(os.ttyname(slave), staged)
        os.replace(staged, self.link)

    def unplug(self) -> None:
        assert self._fds is not None
        self.link.unlink()
        for fd in self._fds:
            os.close(fd)
        self._fds = None

    def send(self, data: bytes) -> None:
        assert self._fds is not None
        os.write(self._fds[0], data)


class Received:
    """What a scanner reported, collected from its thread."""

    def __init__(self) -> None:
        self.scans: queue.Queue[Scan] = queue.Queue()
        self.statuses: queue.Queue[DeviceStatus] = queue.Queue()

    def next_scan(self) -> Scan:
        return self.scans.get(timeout=WAIT_S)

    def status(self, state: DeviceState, containing: str = "") -> DeviceStatus:
        """The next status in ``state`` whose detail contains ``containing``."""
        deadline = time.monotonic() + WAIT_S
        seen: list[DeviceStatus] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                status = self.statuses.get(timeout=left)
            except queue.Empty:
                break
            if status.state is state and containing in status.detail:
                return status
            seen.append(status)
        pytest.fail(f"no {state} status containing {containing!r}; saw {seen}")


StartScanner = Callable[..., Received]


@pytest.fixture
def port(tmp_path: Path) -> Iterator[FakeScannerPort]:
    fake = FakeScannerPort(tmp_path / "ttyScanner")
    yield fake
    if fake.link.is_symlink():
        fake.unplug()


@pytest.fixture
def start_scanner(port: FakeScannerPort) -> Iterator[StartScanner]:
    """Starts a SerialScanner on the fake port's symlink; stops it at teardown."""
    scanners: list[SerialScanner] = []

    def start(url: str = str(port.link), **settings: Any) -> Received:
        scanner = SerialScanner(url, reconnect_interval_s=0.05, read_timeout_s=0.05, **settings)
        scanners.append(scanner)
        received = Received()
        scanner.start(received.scans.put, received.statuses.put)
        return received

    yield start
    for scanner in scanners:
        scanner.stop()


@pytest.fixture
def plugged_in(port: FakeScannerPort) -> FakeScannerPort:
    port.plug()
    return port


@pytest.mark.parametrize("suffix", ["CR", "LF", "CRLF", "TAB"])
def test_a_scan_ends_at_the_configured_suffix(
    plugged_in: FakeScannerPort, start_scanner: StartScanner, suffix: str
) -> None:
    end = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}[suffix]
    received = start_scanner(suffix=suffix)
    received.status(DeviceState.READY, "open at 9600 8N1")

    plugged_in.send(b"]E0" + EAN.encode() + end + b"SKU-7" + end)

    assert received.next_scan() == Scan(EAN, "]E0", "serial")
    assert received.next_scan() == Scan("SKU-7", "", "serial")


def test_prefix_and_aim_identifier_are_split_off(
    plugged_in: FakeScannerPort, start_scanner: StartScanner
) -> None:
    received = start_scanner(prefix="#", suffix="CRLF", baudrate=115200)
    received.status(DeviceState.READY, "open at 115200 8N1")

    plugged_in.send(f"#]Q1{WALLET}\r\n#]E0{EAN}\r\n".encode())

    assert received.next_scan() == Scan(WALLET, "]Q1", "serial")
    assert received.next_scan() == Scan(EAN, "]E0", "serial")


def test_a_gb18030_payload_is_decoded(
    plugged_in: FakeScannerPort, start_scanner: StartScanner
) -> None:
    received = start_scanner()
    received.status(DeviceState.READY)

    plugged_in.send("]Q1会员:李四\r".encode("gb18030"))

    assert received.next_scan() == Scan("会员:李四", "]Q1", "serial")


def test_a_scan_written_one_byte_at_a_time_is_still_framed(
    plugged_in: FakeScannerPort, start_scanner: StartScanner
) -> None:
    received = start_scanner(suffix="CRLF")
    received.status(DeviceState.READY)

    for byte in f"]E0{EAN}\r\n".encode():
        plugged_in.send(bytes([byte]))

    assert received.next_scan() == Scan(EAN, "]E0", "serial")


def test_a_too_long_line_is_dropped_with_a_reason_and_the_next_is_read(
    plugged_in: FakeScannerPort, start_scanner: StartScanner
) -> None:
    received = start_scanner(max_length=13)
    received.status(DeviceState.READY)

    plugged_in.send(b"9" * 14 + b"\r")
    received.status(DeviceState.READY, "dropped a line of 14 characters, longer than")
    plugged_in.send(b"7" * 500)
    received.status(DeviceState.READY, "dropped more than 64 bytes without a CR suffix")
    plugged_in.send(b"777\r" + EAN.encode() + b"\r")

    assert received.next_scan() == Scan(EAN, "", "serial")


def test_a_line_with_control_characters_is_rejected(
    plugged_in: FakeScannerPort, start_scanner: StartScanner
) -> None:
    received = start_scanner()
    received.status(DeviceState.READY)

    plugged_in.send(b"69211\x1b[2J68509256\r" + EAN.encode() + b"\r")

    rejected = received.status(DeviceState.READY, "dropped a line with control character U+001B")
    assert "[2J" not in rejected.detail
    assert received.next_scan() == Scan(EAN, "", "serial")


def test_a_flood_of_lines_is_dropped_until_it_stops(
    plugged_in: FakeScannerPort, start_scanner: StartScanner
) -> None:
    received = start_scanner(max_lines_per_second=3)
    received.status(DeviceState.READY)

    plugged_in.send(b"".join(b"FLOOD%d\r" % n for n in range(30)))
    received.status(DeviceState.READY, "dropped lines arriving at more than 3 a second")
    # Well past the one-second window, so the next line is not part of the flood.
    time.sleep(1.5)
    plugged_in.send(b"AFTER\r")

    scans = [received.next_scan() for _ in range(4)]
    assert [scan.text for scan in scans] == ["FLOOD0", "FLOOD1", "FLOOD2", "AFTER"]


def test_a_missing_port_is_offline_until_it_appears(
    port: FakeScannerPort, start_scanner: StartScanner
) -> None:
    received = start_scanner()

    offline = received.status(DeviceState.OFFLINE)
    port.plug()
    received.status(DeviceState.READY)
    port.send(EAN.encode() + b"\r")

    assert offline.detail.startswith(f"{port.link}: ")
    assert "No such file or directory" in offline.detail
    assert received.next_scan() == Scan(EAN, "", "serial")


def test_unplug_and_replug_reconnects_without_a_restart(
    plugged_in: FakeScannerPort, start_scanner: StartScanner
) -> None:
    received = start_scanner()
    received.status(DeviceState.READY)
    plugged_in.send(b"BEFORE\r")
    assert received.next_scan() == Scan("BEFORE", "", "serial")

    plugged_in.unplug()
    lost = received.status(DeviceState.OFFLINE)
    plugged_in.plug()
    received.status(DeviceState.READY)
    plugged_in.send(b"AFTER\r")

    assert lost.detail.startswith(f"{plugged_in.link}: ")
    assert received.next_scan() == Scan("AFTER", "", "serial")


@pytest.mark.parametrize("plugged", [True, False], ids=["port open", "port missing"])
def test_stop_ends_the_reader_thread(port: FakeScannerPort, plugged: bool) -> None:
    if plugged:
        port.plug()
    before = set(threading.enumerate())
    scanner = SerialScanner(str(port.link), reconnect_interval_s=0.05, read_timeout_s=0.05)
    received = Received()
    scanner.start(received.scans.put, received.statuses.put)
    received.status(DeviceState.READY if plugged else DeviceState.OFFLINE)
    started = set(threading.enumerate()) - before

    scanner.stop()
    scanner.stop()

    assert started
    assert not [thread for thread in started if thread.is_alive()]


def test_a_socket_url_is_read_like_a_port(start_scanner: StartScanner) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT_S)
        host, tcp_port = server.getsockname()
        received = start_scanner(f"socket://{host}:{tcp_port}", suffix="CRLF")
        connection, _ = server.accept()
        with connection:
            received.status(DeviceState.READY)
            connection.sendall(f"]Q1{WALLET}\r\n".encode())

            assert received.next_scan() == Scan(WALLET, "]Q1", "serial")


@pytest.mark.parametrize(
    ("url", "settings", "message"),
    [
        ("nosuch://scanner", {}, "invalid URL, protocol 'nosuch' not known"),
        ("/dev/ttyACM0", {"parity": "X"}, "Not a valid parity: 'X'"),
        ("/dev/ttyACM0", {"suffix": "ETX"}, "suffix must be one of CR, LF, CRLF, TAB"),
        ("/dev/ttyACM0", {"read_timeout_s": 0}, "read_timeout_s must be positive, got 0"),
    ],
)
def test_bad_settings_are_refused_before_anything_starts(
    url: str, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        SerialScanner(url, **settings)
