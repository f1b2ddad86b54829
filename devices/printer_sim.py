"""A receipt printer that is not there, for the demo store, the receipt preview and tests.

`PrinterSimulator` is a printer on TCP (a real printer's raw port is 9100): the till
reaches it through NetworkPrinter like any network printer. `SimulatedPrinter` is
the same printer in process, behind the Printer protocol with no socket, for the
demo store and for tests of the till that need no network. Both parse every job
(receipts.escpos_parse), so a byte the till should not send shows up as a rejected
job, and both answer DLE EOT from a state a test or the demo can set.

Decisions:

- A job is everything one connection sends, and it ends when the client closes the
  connection, not at a cut. NetworkPrinter opens one connection per job, so a job
  here is exactly one job of the till's print queue whatever it holds: a receipt with
  a merchant copy has two cuts and is one job, a drawer kick has no cut and is one
  job. Splitting at cuts would turn one queued job into two here, and leave whatever
  follows the last cut (or a job without a cut) hanging. A connection that only
  asked for status is not a job.
- In the paper_out, cover_open and offline states the simulator does what a real
  printer does: it takes the bytes (the till cannot tell from the socket) and prints
  nothing. The job goes to `rejected`, not `jobs`, and no files are written. So a
  spooler that sends without asking the state first is caught by its tests.
- A job whose bytes do not parse is rejected too, with the parse error as its reason.
- The silent (answers no status) and garbage (answers 0xFF) states print normally:
  only their status answers are broken.
- Each printed job is written to out_dir as job-0001.bin (the bytes), and, when it
  put anything on paper, job-0001.txt and job-0001.png; a drawer kick writes only its
  .bin. The state that counts is the one when the job ends.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from devices.errors import DeviceError
from devices.printer import (
    CAUSE_COVER_OPEN,
    CAUSE_PAPER_END,
    PAPER_END,
    PAPER_NEAR_END,
    PRINTER_OFFLINE,
    STATUS_FIXED_BITS,
    read_status,
)
from devices.scans import DeviceState, DeviceStatus
from receipts.escpos import Status

if TYPE_CHECKING:
    from receipts.document import Document
    from receipts.escpos_parse import Command, EscPosError, Parser

# The parser and the documents it replays into (some thirty dataclasses) load with
# the first job rather than with the demo till, whose first frame would wait for them.

log = logging.getLogger(__name__)


class SimulatedState(StrEnum):
    READY = "ready"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    SILENT = "silent"
    """Prints, but never answers a status request."""
    GARBAGE = "garbage"
    """Prints, but answers 0xFF to every status request."""


_WELL = STATUS_FIXED_BITS
_ANSWERS: dict[SimulatedState, dict[Status, int]] = {
    SimulatedState.READY: {},
    SimulatedState.PAPER_LOW: {Status.PAPER: _WELL | PAPER_NEAR_END},
    SimulatedState.PAPER_OUT: {
        Status.PRINTER: _WELL | PRINTER_OFFLINE,
        Status.OFFLINE_CAUSE: _WELL | CAUSE_PAPER_END,
        Status.PAPER: _WELL | PAPER_END,
    },
    SimulatedState.COVER_OPEN: {
        Status.PRINTER: _WELL | PRINTER_OFFLINE,
        Status.OFFLINE_CAUSE: _WELL | CAUSE_COVER_OPEN,
    },
    SimulatedState.OFFLINE: {Status.PRINTER: _WELL | PRINTER_OFFLINE},
    SimulatedState.GARBAGE: dict.fromkeys(Status, 0xFF),
}
"""DLE EOT n answers that differ from all-well (0x12), by state; SILENT has none."""

_NOT_PRINTING = frozenset(
    {SimulatedState.PAPER_OUT, SimulatedState.COVER_OPEN, SimulatedState.OFFLINE}
)


def _answer(state: SimulatedState, which: Status) -> int | None:
    if state is SimulatedState.SILENT:
        return None
    return _ANSWERS[state].get(which, _WELL)


@dataclass(frozen=True, slots=True)
class SimulatedJob:
    data: bytes
    """Every byte the till sent for the job."""
    document: Document
    """What it put on paper (empty when its bytes did not parse)."""
    number: int = 0
    """1, 2, ... in the order printed (its files are job-0001.*); 0 when rejected."""
    reason: str = ""
    """Why a rejected job was not printed: the printer's state, or the parse error."""


JobHandler = Callable[[SimulatedJob], None]


class _Recorder:
    """The state, the printed and rejected jobs and their files, shared by both simulators."""

    def __init__(self, out_dir: Path | None, width_mm: int, on_job: JobHandler | None) -> None:
        self.state = SimulatedState.READY
        """Settable at any time: it decides the next status answer and the next job."""
        self._out_dir = out_dir
        self._width_mm = width_mm
        self._on_job = on_job
        self._changed = threading.Condition()
        self._jobs: list[SimulatedJob] = []
        self._rejected: list[SimulatedJob] = []

    @property
    def jobs(self) -> list[SimulatedJob]:
        """The jobs printed so far, oldest first."""
        with self._changed:
            return list(self._jobs)

    @property
    def rejected(self) -> list[SimulatedJob]:
        """Jobs taken but not printed (see the module doc), oldest first."""
        with self._changed:
            return list(self._rejected)

    def wait_for_jobs(self, count: int, timeout_s: float = 10.0) -> None:
        """Wait until `count` jobs have ended, printed or rejected; TimeoutError if not."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: len(self._jobs) + len(self._rejected) >= count, timeout_s
            ):
                raise TimeoutError(
                    f"{len(self._jobs)} printed and {len(self._rejected)} rejected jobs "
                    f"after {timeout_s:g} s; waited for {count}"
                )

    def _record(self, data: bytes, commands: list[Command] | EscPosError) -> None:
        from receipts.document import Document
        from receipts.escpos_parse import EscPosError, StatusRequest, replay

        if isinstance(commands, EscPosError):
            document, reason = Document(self._width_mm), str(commands)
        elif all(isinstance(command, StatusRequest) for command in commands):
            return  # a status check, not a job
        else:
            state = self.state
            document = replay(commands, self._width_mm)
            reason = f"the printer is {state}" if state in _NOT_PRINTING else ""
        with self._changed:
            if reason:
                job = SimulatedJob(data, document, reason=reason)
                self._rejected.append(job)
            else:
                job = SimulatedJob(data, document, number=len(self._jobs) + 1)
                self._write(job)
                self._jobs.append(job)
            self._changed.notify_all()
        if self._on_job is not None:
            self._on_job(job)

    def _write(self, job: SimulatedJob) -> None:
        if self._out_dir is None:
            return
        stem = self._out_dir / f"job-{job.number:04d}"
        try:
            self._out_dir.mkdir(parents=True, exist_ok=True)
            stem.with_suffix(".bin").write_bytes(job.data)
            if job.document.blocks:
                # Pillow and qrcode load with the first receipt, not with the till.
                from receipts.render_png import save_png
                from receipts.render_text import render_text

                lines = render_text(job.document)
                stem.with_suffix(".txt").write_text("\n".join([*lines, ""]), encoding="utf-8")
                save_png(job.document, stem.with_suffix(".png"))
        except OSError:
            # The job still counts as printed: the paper came out, the copy did not.
            log.exception("could not write %s.*", stem)


class PrinterSimulator(_Recorder):
    """A network receipt printer on `host:port` (0: any free port), recording jobs.

    `start()` listens and returns; a thread accepts connections and one thread per
    connection reads it, answering DLE EOT at once. `stop()` closes every connection
    (a job still arriving is dropped, as if the printer was switched off) and returns
    when the threads have ended.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        out_dir: Path | None = None,
        width_mm: int = 80,
        on_job: JobHandler | None = None,
    ) -> None:
        super().__init__(out_dir, width_mm, on_job)
        self._address = (host, port)
        self._port = port
        self._listener: socket.socket | None = None
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._stopping = threading.Event()
        self._threads_lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._acceptor: threading.Thread | None = None
        # A printer prints connections in the order it accepted them; the threads that
        # read them may finish in any order, so each waits for its turn to record.
        self._turns = threading.Condition()
        self._next_ticket = 0
        self._turn = 0

    @property
    def port(self) -> int:
        """The port it listens on (or listened on, once stopped)."""
        if self._listener is None:
            raise RuntimeError("the printer simulator is not started")
        return self._port

    @property
    def connections(self) -> int:
        """Connections open now: jobs being received and status checks."""
        with self._threads_lock:
            return len(self._connections)

    def start(self) -> None:
        if self._listener is not None or self._stopping.is_set():
            raise RuntimeError("a printer simulator starts once")
        self._listener = socket.create_server(self._address)
        self._port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(
            target=self._accept, args=(self._listener,), name="printer-sim accept", daemon=True
        )
        self._acceptor.start()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        with self._turns:
            self._turns.notify_all()
        self._wake_writer.send(b"x")
        if self._acceptor is not None:
            self._acceptor.join()
        with self._threads_lock:
            connections = dict(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # the client closed it already
                connection.shutdown(socket.SHUT_RDWR)
        for thread in connections.values():
            thread.join()
        if self._listener is not None:
            self._listener.close()
        self._wake_reader.close()
        self._wake_writer.close()

    def _accept(self, listener: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not any(key.fileobj is listener for key, _ in selector.select()):
                    continue
                connection, _ = listener.accept()
                ticket, self._next_ticket = self._next_ticket, self._next_ticket + 1
                thread = threading.Thread(
                    target=self._serve,
                    args=(connection, ticket),
                    name="printer-sim job",
                    daemon=True,
                )
                with self._threads_lock:
                    self._connections[connection] = thread
                thread.start()

    def _serve(self, connection: socket.socket, ticket: int) -> None:
        from receipts.escpos_parse import EscPosError, Parser

        parser = Parser()
        data = bytearray()
        commands: list[Command] | EscPosError = []
        with connection:
            while chunk := _receive(connection):
                data += chunk
                if isinstance(commands, EscPosError):
                    continue  # unreadable: keep taking the bytes, as a printer would
                try:
                    new = parser.feed(chunk)
                except EscPosError as error:
                    commands = error
                    continue
                commands += new
                self._answer_status(connection, new)
        with self._turns:
            self._turns.wait_for(lambda: self._turn == ticket or self._stopping.is_set())
            if not self._stopping.is_set():  # switched off mid-job: nothing came out
                self._record(bytes(data), _finished(parser, commands))
            self._turn += 1
            self._turns.notify_all()
        with self._threads_lock:
            del self._connections[connection]

    def _answer_status(self, connection: socket.socket, commands: list[Command]) -> None:
        from receipts.escpos_parse import StatusRequest

        answers = bytes(
            answer
            for command in commands
            if isinstance(command, StatusRequest)
            and (answer := _answer(self.state, command.which)) is not None
        )
        with contextlib.suppress(OSError):  # the client has gone; the next read ends it
            connection.sendall(answers)


def _finished(parser: Parser, commands: list[Command] | EscPosError) -> list[Command] | EscPosError:
    """The job's commands once its stream has ended, or why it does not parse."""
    from receipts.escpos_parse import EscPosError

    if isinstance(commands, EscPosError):
        return commands
    try:
        return commands + parser.close()
    except EscPosError as error:
        return error


def _receive(connection: socket.socket) -> bytes:
    """The next bytes from the client; b"" once it has closed (or reset) the connection."""
    try:
        return connection.recv(65536)
    except OSError:
        return b""


class SimulatedPrinter(_Recorder):
    """The simulator in process: the Printer protocol with no socket.

    `state` works as for PrinterSimulator; `unplugged` makes print_job raise
    DeviceError and status() report OFFLINE, as a printer that cannot be reached.
    """

    def __init__(
        self, out_dir: Path | None = None, width_mm: int = 80, on_job: JobHandler | None = None
    ) -> None:
        super().__init__(out_dir, width_mm, on_job)
        self.unplugged = False

    def print_job(self, data: bytes) -> None:
        if self.unplugged:
            raise DeviceError(
                "Printer not reachable", "The simulated printer is unplugged (set by a test)."
            )
        from receipts.escpos_parse import EscPosError, parse

        try:
            commands = parse(data)
        except EscPosError as error:
            self._record(data, error)
        else:
            self._record(data, commands)

    def status(self) -> DeviceStatus:
        if self.unplugged:
            return DeviceStatus(DeviceState.OFFLINE, "the simulated printer is unplugged")
        return read_status(lambda which: _answer(self.state, which), "simulated printer")

    def close(self) -> None:
        """Nothing to release."""


def serve(
    port: int,
    out_dir: Path,
    *,
    host: str = "127.0.0.1",
    width_mm: int = 80,
    until: threading.Event | None = None,
    report: Callable[[str], None] = print,
) -> None:
    """Run a PrinterSimulator until `until` is set or Ctrl-C, reporting each job.

    For `pos devices printer-sim --port 9100 --out DIR`.
    """

    def reported(job: SimulatedJob) -> None:
        if job.reason:
            report(f"rejected {len(job.data)} bytes: {job.reason}")
        else:
            report(f"job-{job.number:04d}: {len(job.data)} bytes -> {out_dir}")

    simulator = PrinterSimulator(host, port, out_dir, width_mm, on_job=reported)
    simulator.start()
    try:
        report(
            f"Printer simulator on {host}:{simulator.port} ({width_mm} mm), "
            f"jobs written to {out_dir}. Ctrl-C stops it."
        )
        (until or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
