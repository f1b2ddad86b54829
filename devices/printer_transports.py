"""The ways the till reaches its receipt printer, all behind devices.printer.Printer.

Each transport opens its device for one job or one status check and closes it after,
so no connection can go stale: an unplugged, power-cycled or re-addressed printer is
found again by the next job, with no reconnect logic to get wrong. For TCP this also
matters because a printer's raw port 9100 usually serves one client at a time (a held
connection would lock out a second till or a technician's test page) and printers
drop idle connections without telling anyone, which a kept-alive socket would only
discover by losing a job. Connecting takes a millisecond on a LAN; printing takes
seconds.

Every write and read has a timeout that measures progress, not the whole job: a long
logo on a slow printer is fine while the printer keeps taking bytes, and one that
stops taking them fails the job within timeout_s instead of holding a thread forever.
"""

from __future__ import annotations

import os
import select
import socket
import stat
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import serial

from devices.errors import DeviceError
from devices.printer import read_status
from devices.scans import DeviceState, DeviceStatus
from receipts import escpos
from receipts.escpos import Status

_CHUNK = 4096


class _Link(Protocol):
    """The printer, open for one job or one status check."""

    def send(self, chunk: memoryview) -> int:
        """Bytes of chunk taken (maybe none yet); OSError, TimeoutError if it stalls."""
        ...

    def ask(self, which: Status) -> int | None:
        """Sends DLE EOT which; the answer byte, or None if none came in time."""
        ...

    def close(self) -> None: ...


_LinkT = TypeVar("_LinkT", bound=_Link)


class _LinkPrinter(ABC, Generic[_LinkT]):
    """print_job and status over a link opened for each, one call at a time.

    The lock keeps a status check from interleaving its DLE EOT with a job's bytes
    on the same port (or from opening a second connection the printer would refuse);
    a status check waits for a job being sent.
    """

    def __init__(self, where: str, timeout_s: float) -> None:
        if timeout_s <= 0:
            raise ValueError(f"printer timeout must be positive, got {timeout_s}")
        self._where = where
        self._timeout_s = timeout_s
        self._lock = threading.Lock()

    @abstractmethod
    def _open(self) -> _LinkT:
        """Raises OSError when the printer cannot be reached."""

    def print_job(self, data: bytes) -> None:
        with self._lock:
            try:
                link = self._open()
            except OSError as error:
                raise DeviceError(
                    "Printer not reachable",
                    f"Could not reach the printer at {self._where}: {self._reason(error)}. "
                    "Check that it is switched on and connected.",
                ) from error
            try:
                view = memoryview(data)
                while view:
                    view = view[link.send(view[:_CHUNK]) :]
            except OSError as error:
                raise DeviceError(
                    "Printing interrupted",
                    f"The printer at {self._where} stopped taking the job: "
                    f"{self._reason(error)}. Part of it may have printed.",
                ) from error
            finally:
                link.close()

    def status(self) -> DeviceStatus:
        with self._lock:
            try:
                link = self._open()
            except OSError as error:
                return DeviceStatus(DeviceState.OFFLINE, f"{self._where}: {self._reason(error)}")
            try:
                return self._status(link)
            except OSError as error:
                return DeviceStatus(DeviceState.ERROR, f"{self._where}: {self._reason(error)}")
            finally:
                link.close()

    def _status(self, link: _LinkT) -> DeviceStatus:
        return read_status(link.ask, self._where)

    def close(self) -> None:
        """Nothing is held between calls."""

    def _reason(self, error: OSError) -> str:
        if isinstance(error, TimeoutError):
            return f"no response for {self._timeout_s:g} s"
        return error.strerror or str(error)


class NetworkPrinter(_LinkPrinter["_SocketLink"]):
    """An ESC/POS printer on TCP (raw port 9100); a connection per job and per check."""

    def __init__(self, host: str, port: int = 9100, timeout_s: float = 3.0) -> None:
        super().__init__(f"{host}:{port}", timeout_s)
        self._address = (host, port)

    def _open(self) -> _SocketLink:
        return _SocketLink(socket.create_connection(self._address, timeout=self._timeout_s))


class _SocketLink:
    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection

    def send(self, chunk: memoryview) -> int:
        return self._connection.send(chunk)

    def ask(self, which: Status) -> int | None:
        self._connection.sendall(escpos.status_request(which))
        try:
            answer = self._connection.recv(1)
        except TimeoutError:
            return None
        return answer[0] if answer else None

    def close(self) -> None:
        self._connection.close()


class SerialPrinter(_LinkPrinter["_SerialLink"]):
    """An ESC/POS printer on a serial port, named by a pyserial URL (`/dev/ttyS0`, ...)."""

    def __init__(self, url: str, baudrate: int = 9600, timeout_s: float = 3.0) -> None:
        super().__init__(url, timeout_s)
        # Built unopened now, so a bad URL scheme or baud rate fails at start-up.
        self._port = serial.serial_for_url(
            url, baudrate=baudrate, timeout=timeout_s, write_timeout=timeout_s, do_not_open=True
        )
        # pyserial's write timeout covers a whole write: keep each write to what the
        # line carries in half the timeout (10 bits a byte), so it measures progress.
        self._chunk = max(1, int(baudrate / 10 * timeout_s / 2))

    def _open(self) -> _SerialLink:
        self._port.open()
        return _SerialLink(self._port, self._chunk)


class _SerialLink:
    def __init__(self, port: serial.SerialBase, chunk: int) -> None:
        self._port = port
        self._chunk = chunk

    def send(self, chunk: memoryview) -> int:
        piece = chunk[: self._chunk]
        self._port.write(piece)  # all of it, or SerialTimeoutException
        return len(piece)

    def ask(self, which: Status) -> int | None:
        self._port.read_all()  # drop a late answer to an earlier question
        self._port.write(escpos.status_request(which))
        answer = self._port.read(1)
        return answer[0] if answer else None

    def close(self) -> None:
        self._port.close()


class UsbLpPrinter(_LinkPrinter["_DeviceLink"]):
    """A USB printer through the kernel's printer device file (`/dev/usb/lp0`).

    The file is opened non-blocking and every write waits for it with poll(), so an
    unplugged or stalled printer fails the job instead of blocking forever. Status:
    a character device is asked DLE EOT (bidirectional printers answer); one that
    answers nothing, or a FIFO standing in for the printer, is READY when it takes
    data, since that is all it can tell.
    """

    def __init__(self, path: Path | str, timeout_s: float = 3.0) -> None:
        super().__init__(str(path), timeout_s)
        self._path = Path(path)

    def _open(self) -> _DeviceLink:
        answers = stat.S_ISCHR(os.stat(self._path).st_mode)
        flags = (os.O_RDWR if answers else os.O_WRONLY) | os.O_NONBLOCK | os.O_NOCTTY
        return _DeviceLink(os.open(self._path, flags), self._timeout_s, answers=answers)

    def _status(self, link: _DeviceLink) -> DeviceStatus:
        if not link.writable():
            return DeviceStatus(
                DeviceState.ERROR, f"{self._where} has taken no data for {self._timeout_s:g} s"
            )
        takes_data = DeviceStatus(
            DeviceState.READY, f"{self._where} takes data; it does not report paper or cover"
        )
        if not link.answers:
            return takes_data
        return read_status(link.ask, self._where, if_silent=takes_data)


class _DeviceLink:
    def __init__(self, fd: int, timeout_s: float, *, answers: bool) -> None:
        self._fd = fd
        self._timeout_ms = int(timeout_s * 1000)
        self.answers = answers
        """Whether the device can answer at all (a character device, not a FIFO)."""

    def writable(self) -> bool:
        return self._wait(select.POLLOUT)

    def send(self, chunk: memoryview) -> int:
        if not self.writable():
            raise TimeoutError
        try:
            return os.write(self._fd, chunk)
        except BlockingIOError:
            return 0

    def ask(self, which: Status) -> int | None:
        self._discard_input()  # drop a late answer to an earlier question
        request = memoryview(escpos.status_request(which))
        while request:
            request = request[self.send(request) :]
        if not self._wait(select.POLLIN):
            return None
        answer = os.read(self._fd, 1)
        return answer[0] if answer else None

    def _discard_input(self) -> None:
        try:
            while os.read(self._fd, _CHUNK):
                pass
        except BlockingIOError:
            pass

    def _wait(self, event: int) -> bool:
        poller = select.poll()
        poller.register(self._fd, event)
        return bool(poller.poll(self._timeout_ms))

    def close(self) -> None:
        os.close(self._fd)


class FilePrinter:
    """Appends every job to a file: for tests, logs and a printer-less demo."""

    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)

    def print_job(self, data: bytes) -> None:
        try:
            with self._path.open("ab") as sink:
                sink.write(data)
        except OSError as error:
            raise DeviceError(
                "Printer file not writable",
                f"Could not append the job to {self._path}: {error.strerror or error}.",
            ) from error

    def status(self) -> DeviceStatus:
        folder = self._path.parent
        if os.access(folder, os.W_OK) and (
            not self._path.exists() or os.access(self._path, os.W_OK)
        ):
            return DeviceStatus(DeviceState.READY, f"appending jobs to {self._path}")
        return DeviceStatus(DeviceState.OFFLINE, f"cannot write to {self._path}")

    def close(self) -> None:
        """Each job opens and closes the file."""
