"""A camera as a scanner: OpenCV captures, zxing-cpp (then pyzbar) decodes.

The source is whatever `cv2.VideoCapture` opens: a camera index ("0"), a device path
("/dev/video0"), a video file or an image pattern ("frames/%04d.png"). The last two
are recordings, which is how the tests and the demo run the real capture path. The
reader thread scales each frame down to at most width x height (640x480), which is
plenty for a code held up to the camera and keeps decoding to a few milliseconds,
turns it grey and decodes it. A code stays in view for many frames, so it is reported
when it appears and again only once it has been out of view for `hold_off_s`.

A live camera that cannot be opened, or stops sending frames, is OFFLINE and retried
every `retry_interval_s`. A recording that cannot be opened or has ended is OFFLINE for
good: there is nothing more to read, so the thread ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
from cv2.typing import MatLike

from devices.decoders import Decoded, make_decoder, prepare
from devices.scans import DeviceState, DeviceStatus, Scan, ScanHandler, StatusHandler

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


FALLBACK_EVERY = 3
"""Frames per try of the second decode engine when the first finds nothing."""


@dataclass(frozen=True, slots=True)
class CameraStats:
    """What the technician's screen shows about a camera."""

    frames_read: int
    frames_per_second: float
    """Over the last `fps_window_s` of frames; 0 while the source sends none."""
    decode_attempts: int
    codes_reported: int
    last_error: str
    """The last OFFLINE or ERROR detail, or "" when there has been none."""


class _Source:
    """How one source string is opened, named and treated when its frames run out."""

    def __init__(self, source: str) -> None:
        self.live = source.isdigit() or source.startswith("/dev/")
        self.target: int | str = int(source) if source.isdigit() else source
        if self.live:
            self.name = f"camera {source}"
        elif "%" in source:
            self.name = f"image sequence {source}"
        else:
            self.name = f"video file {source}"


class CameraScanner:
    """Scans from a camera or a recording of one; source "camera"."""

    _on_scan: ScanHandler
    _on_status: StatusHandler

    def __init__(
        self,
        source: str,
        *,
        engines: Sequence[str] | None = None,
        width: int = 640,
        height: int = 480,
        hold_off_s: float = 1.0,
        retry_interval_s: float = 2.0,
        fps_window_s: float = 2.0,
        stop_timeout_s: float = 2.0,
        clock: Clock = time.monotonic,
    ) -> None:
        """`engines` are names from devices.decoders.ENGINES, every available one by
        default (DeviceError for one that cannot run here); `clock` is read once a frame."""
        if not source:
            raise ValueError("a camera source is needed: an index, a device, a file or a pattern")
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {width}x{height}")
        for label, value in (
            ("hold_off_s", hold_off_s),
            ("retry_interval_s", retry_interval_s),
            ("fps_window_s", fps_window_s),
            ("stop_timeout_s", stop_timeout_s),
        ):
            if value <= 0:
                raise ValueError(f"{label} must be positive, got {value}")
        self._source = _Source(source)
        self._decoder = make_decoder(engines)
        self._size = (width, height)
        self._hold_off_s = hold_off_s
        self._retry_interval_s = retry_interval_s
        self._fps_window_s = fps_window_s
        self._stop_timeout_s = stop_timeout_s
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._last_status: DeviceStatus | None = None
        self._last_seen: dict[Decoded, float] = {}
        self._lock = threading.Lock()
        self._frame_times: deque[float] = deque()
        self._frames_read = 0
        self._decode_attempts = 0
        self._codes_reported = 0
        self._last_error = ""

    def start(self, on_scan: ScanHandler, on_status: StatusHandler) -> None:
        if self._thread is not None:
            raise RuntimeError(f"the scanner on {self._source.name} is already started")
        # OpenCV writes its warnings (a camera that will not open, on every retry)
        # straight to the terminal the till draws on; this scanner reports them itself.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        self._on_scan = on_scan
        self._on_status = on_status
        self._last_status = None
        self._last_seen.clear()
        # A fresh event for every run: a reader still stuck in a read after stop()
        # keeps the one it was given, so it ends as soon as that read returns.
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run,
            args=(self._stopping,),
            name=f"CameraScanner {self._source.name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Ends the reader, waiting for it at most `stop_timeout_s`.

        A camera driver stuck in a read cannot be interrupted; the reader then ends
        (and releases the camera) as soon as that read returns.
        """
        self._stopping.set()
        # From a handler, on the reader's own thread, there is nothing to wait for: the
        # reader ends once the handler returns.
        if self._thread is None or self._thread is threading.current_thread():
            return
        self._thread.join(self._stop_timeout_s)
        self._thread = None

    def is_reading(self) -> bool:
        """Whether the reader thread is running (a recording that has ended is not)."""
        return self._thread is not None and self._thread.is_alive()

    def stats(self) -> CameraStats:
        with self._lock:
            times = self._frame_times
            span = times[-1] - times[0] if len(times) > 1 else 0.0
            return CameraStats(
                frames_read=self._frames_read,
                frames_per_second=(len(times) - 1) / span if span > 0 else 0.0,
                decode_attempts=self._decode_attempts,
                codes_reported=self._codes_reported,
                last_error=self._last_error,
            )

    def _run(self, stopping: threading.Event) -> None:
        try:
            while not stopping.is_set():
                ended = self._session(stopping)
                if stopping.is_set():
                    return
                self._report(DeviceState.OFFLINE, f"{self._source.name}: {ended}")
                if not self._source.live:
                    return
                stopping.wait(self._retry_interval_s)
        except Exception as error:
            # A bug or a handler failing must not end scanning silently.
            logger.exception("camera scanner on %s stopped", self._source.name)
            self._report(DeviceState.ERROR, f"{self._source.name}: stopped after {error!r}")

    def _session(self, stopping: threading.Event) -> str:
        """Reads the source until it fails or ends, or until stop; says which it was."""
        capture = cv2.VideoCapture(self._source.target)
        frames = 0
        try:
            if not capture.isOpened():
                return "could not be opened"
            if self._source.live:
                # A camera asked for the decode size spares scaling every frame.
                capture.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
                capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
            self._report(DeviceState.READY, f"{self._source.name}: open ({self._decoder.name})")
            while True:
                ok, image = capture.read()
                if not ok or stopping.is_set():
                    break
                frames += 1
                self._frame(image)
        finally:
            capture.release()
            with self._lock:
                self._frame_times.clear()
        if frames == 0:
            return "sent no frames"
        if self._source.live:
            return f"stopped sending frames after {frames}"
        return f"ended after {frames} frames"

    def _frame(self, image: MatLike) -> None:
        now = self._clock()
        with self._lock:
            self._frames_read += 1
            frame = self._frames_read
            self._frame_times.append(now)
            while now - self._frame_times[0] > self._fps_window_s:
                self._frame_times.popleft()
        # An empty counter is most frames, and there the second engine costs several
        # times the first: it runs on every FALLBACK_EVERY-th frame only. A code held
        # up to the camera stays in view for many frames, so it is still read at once.
        first_only = frame % FALLBACK_EVERY != 1
        codes = self._decoder.decode(prepare(image, *self._size), first_only=first_only)
        fresh = [code for code in codes if self._is_new(code, now)]
        with self._lock:
            self._decode_attempts += 1
            self._codes_reported += len(fresh)
        for code in fresh:
            self._on_scan(Scan(code.text, code.symbology, "camera"))

    def _is_new(self, code: Decoded, now: float) -> bool:
        """Whether `code` comes into view now, after being out of it for the hold-off."""
        last = self._last_seen.get(code)
        self._last_seen[code] = now
        # Forget codes long gone, so a camera left running does not collect them.
        gone = [seen for seen, at in self._last_seen.items() if now - at > self._hold_off_s]
        for seen in gone:
            del self._last_seen[seen]
        return last is None or now - last >= self._hold_off_s

    def _report(self, state: DeviceState, detail: str) -> None:
        status = DeviceStatus(state, detail)
        if status == self._last_status:
            return
        self._last_status = status
        if state is not DeviceState.READY:
            with self._lock:
                self._last_error = detail
        level = logging.INFO if state is DeviceState.READY else logging.WARNING
        logger.log(level, "camera scanner %s: %s", state, detail)
        self._on_status(status)
