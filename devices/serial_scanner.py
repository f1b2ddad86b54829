"""A scanner on a serial port (RS-232 or USB-CDC).

The port is a pyserial URL, so `/dev/ttyACM0`, `loop://` and `socket://host:port` all
work. The reader opens it, frames what arrives with `LineFramer`, and when the port is
missing or vanishes (the scanner is unplugged: reads fail with EIO, or the port keeps
reporting data and returns none, which pyserial raises as SerialException) reports
OFFLINE and tries the same URL again every ``reconnect_interval_s`` until the scanner is
back, so nobody has to restart the till.
"""

from __future__ import annotations

import time

import serial

from devices.scan_framing import LineFramer
from devices.scan_reader import ReconnectingScanner


class SerialScanner(ReconnectingScanner):
    """Scans from a serial scanner at a pyserial URL; source "serial"."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        prefix: str = "",
        suffix: str = "CR",
        max_length: int = 256,
        max_lines_per_second: int = 20,
        reconnect_interval_s: float = 1.0,
        read_timeout_s: float = 0.2,
    ) -> None:
        super().__init__(
            url, reconnect_interval_s=reconnect_interval_s, read_timeout_s=read_timeout_s
        )
        # Made once, unopened, so a bad URL or setting is a ValueError at start-up
        # rather than a status at the counter; each session opens and closes it.
        self._port = serial.serial_for_url(url, do_not_open=True)
        self._port.baudrate = baudrate
        self._port.bytesize = bytesize
        self._port.parity = parity
        self._port.stopbits = stopbits
        self._port.timeout = read_timeout_s
        self._framer = LineFramer(
            source="serial",
            prefix=prefix,
            suffix=suffix,
            max_length=max_length,
            max_lines_per_second=max_lines_per_second,
        )

    def _session(self) -> None:
        port = self._port
        port.open()
        try:
            self._framer.reset()
            self._ready(
                f"{self._device}: open at {port.baudrate} "
                f"{port.bytesize}{port.parity}{port.stopbits:g}"
            )
            while not self._stopping.is_set():
                # Block for the first byte only, then take whatever else has arrived,
                # so a scan is handed on as soon as its suffix is in.
                data = port.read(1)
                if data:
                    data += port.read(port.in_waiting)
                    self._deliver(self._framer.feed(data, time.monotonic()))
        finally:
            port.close()
