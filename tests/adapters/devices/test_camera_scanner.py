"""The camera scanner through OpenCV's real capture path, on recordings made here:
an image sequence and an MJPG video stand in for the camera (DESIGN.md section 13).

Time is a clock that moves one frame interval (1/8 s) each time it is read, which the
scanner does once a frame, so hold-off is exercised without sleeping.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import pytest
from frames import (
    EAN13_CODE,
    WECHAT_CODE,
    Distortion,
    Image,
    camera_frame,
    ean13_symbol,
    empty_frame,
    qr_symbol,
    write_sequence,
    write_video,
)

from devices.camera_scanner import FALLBACK_EVERY, CameraScanner, CameraStats
from devices.decoders import available_engines
from devices.scans import DeviceState, DeviceStatus, Scan

FRAME_INTERVAL = 0.125
ENGINES = "+".join(available_engines())
HOSTILE = "M1:\x1b[2J\x07"
CALM: tuple[Distortion, ...] = ("clean", "rotated15", "small")
"""Frames every engine reads, so what is tested here is the scanner, not the decoding."""


class FrameClock:
    """A camera at 8 frames a second: each reading is one frame interval after the last."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def __call__(self) -> float:
        return next(self._ticks) * FRAME_INTERVAL


class Recorder:
    """The scanner's callbacks, collected for the test thread to wait on."""

    def __init__(self) -> None:
        self.scans: list[Scan] = []
        self.statuses: list[DeviceStatus] = []
        self._changed = threading.Condition()

    def on_scan(self, scan: Scan) -> None:
        with self._changed:
            self.scans.append(scan)
            self._changed.notify_all()

    def on_status(self, status: DeviceStatus) -> None:
        with self._changed:
            self.statuses.append(status)
            self._changed.notify_all()

    def wait_for(self, state: DeviceState) -> DeviceStatus:
        """The first status in `state`, once it has come."""
        self._wait(lambda: any(status.state is state for status in self.statuses))
        return next(status for status in self.statuses if status.state is state)

    def wait_for_scans(self, count: int) -> None:
        self._wait(lambda: len(self.scans) >= count)

    def _wait(self, condition: Callable[[], bool]) -> None:
        # The bound only keeps a broken scanner from hanging the suite.
        with self._changed:
            assert self._changed.wait_for(condition, timeout=30), (self.scans, self.statuses)


def showing(code: str, count: int, seed: int) -> list[Image]:
    """`count` frames of one code held up to the camera, moving a little."""
    symbol = ean13_symbol(code) if code == EAN13_CODE else qr_symbol(code)
    kinds = itertools.cycle(CALM)
    return [camera_frame(symbol, next(kinds), seed + index) for index in range(count)]


def nothing(count: int, seed: int) -> list[Image]:
    return [empty_frame(seed + index) for index in range(count)]


# A customer's payment code held up, taken away briefly (less than the hold-off) and
# brought back, then gone for longer than the hold-off and shown again; then a product
# turned on its side, then a code whose payload is a terminal escape.
SCENE = [
    *showing(WECHAT_CODE, 3, seed=0),
    *nothing(3, seed=10),
    *showing(WECHAT_CODE, 2, seed=20),
    *nothing(10, seed=30),
    *showing(WECHAT_CODE, 2, seed=40),
    camera_frame(ean13_symbol(EAN13_CODE), "clean", 50),
    camera_frame(ean13_symbol(EAN13_CODE), "rotated90", 51),
    camera_frame(qr_symbol(HOSTILE), "clean", 60),
]
SCENE_SCANS = [
    Scan(WECHAT_CODE, "]Q1", "camera"),
    Scan(WECHAT_CODE, "]Q1", "camera"),
    Scan(EAN13_CODE, "]E0", "camera"),
    Scan(HOSTILE, "]Q1", "camera"),
]


@pytest.fixture(params=["image sequence", "video file"])
def recording(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """The scene as a source string, and the name the scanner gives it."""
    if request.param == "image sequence":
        source = write_sequence(tmp_path / "frames", SCENE)
    else:
        source = str(write_video(tmp_path / "scene.avi", SCENE))
    return source, f"{request.param} {source}"


Run = Callable[..., tuple[CameraScanner, Recorder]]


@pytest.fixture
def run() -> Iterator[Run]:
    """Starts scanners with a frame clock; stops every one at teardown."""
    started: list[CameraScanner] = []

    def start(
        source: str, *, hold_off_s: float = 1.0, retry_interval_s: float = 2.0
    ) -> tuple[CameraScanner, Recorder]:
        scanner = CameraScanner(
            source, hold_off_s=hold_off_s, retry_interval_s=retry_interval_s, clock=FrameClock()
        )
        recorder = Recorder()
        started.append(scanner)
        scanner.start(recorder.on_scan, recorder.on_status)
        return scanner, recorder

    yield start
    for scanner in started:
        scanner.stop()


def test_a_recording_is_read_to_its_end_and_each_appearance_reported_once(
    run: Run, recording: tuple[str, str]
) -> None:
    source, name = recording
    scanner, recorder = run(source, hold_off_s=1.0)

    ended = recorder.wait_for(DeviceState.OFFLINE)
    scanner.stop()

    assert recorder.scans == SCENE_SCANS
    assert recorder.statuses == [
        DeviceStatus(DeviceState.READY, f"{name}: open ({ENGINES})"),
        ended,
    ]
    assert ended.detail == f"{name}: ended after {len(SCENE)} frames"
    assert not scanner.is_reading()
    assert scanner.stats() == CameraStats(
        frames_read=len(SCENE),
        frames_per_second=0.0,
        decode_attempts=len(SCENE),
        codes_reported=len(SCENE_SCANS),
        last_error=ended.detail,
    )


def test_a_code_in_view_again_within_the_hold_off_is_not_reported_again(
    run: Run, tmp_path: Path
) -> None:
    # The same scene with a hold-off longer than the longest absence in it (11 frames).
    _, recorder = run(write_sequence(tmp_path / "frames", SCENE), hold_off_s=1.5)

    recorder.wait_for(DeviceState.OFFLINE)

    assert recorder.scans == [SCENE_SCANS[0], *SCENE_SCANS[2:]]


def test_frames_per_second_is_measured_over_the_frames_read(run: Run, tmp_path: Path) -> None:
    seen: list[CameraStats] = []
    frames = [*nothing(6, seed=0), *showing(WECHAT_CODE, 1, seed=10)]
    scanner = CameraScanner(write_sequence(tmp_path / "frames", frames), clock=FrameClock())
    recorder = Recorder()

    def on_scan(scan: Scan) -> None:
        seen.append(scanner.stats())
        recorder.on_scan(scan)

    scanner.start(on_scan, recorder.on_status)
    recorder.wait_for(DeviceState.OFFLINE)
    scanner.stop()

    # Taken by the handler, in the seventh frame.
    assert seen == [
        CameraStats(
            frames_read=7,
            frames_per_second=1 / FRAME_INTERVAL,
            decode_attempts=7,
            codes_reported=1,
            last_error="",
        )
    ]


def test_a_large_recording_is_shrunk_to_camera_size_and_read(run: Run, tmp_path: Path) -> None:
    large = [cv2.resize(frame, (1280, 960)) for frame in showing(WECHAT_CODE, 2, seed=0)]
    _, recorder = run(write_sequence(tmp_path / "frames", large))

    recorder.wait_for(DeviceState.OFFLINE)

    assert recorder.scans == [Scan(WECHAT_CODE, "]Q1", "camera")]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("{tmp}/missing.avi", "video file {tmp}/missing.avi"),
        ("{tmp}/empty/%04d.png", "image sequence {tmp}/empty/%04d.png"),
    ],
)
def test_a_recording_that_cannot_be_opened_is_offline_for_good(
    run: Run, tmp_path: Path, source: str, name: str
) -> None:
    (tmp_path / "empty").mkdir()
    source, name = source.format(tmp=tmp_path), name.format(tmp=tmp_path)
    scanner, recorder = run(source)

    status = recorder.wait_for(DeviceState.OFFLINE)
    scanner.stop()

    assert status.detail == f"{name}: could not be opened"
    assert recorder.statuses == [status]
    assert scanner.stats().last_error == status.detail
    assert scanner.stats().frames_read == 0


def test_a_recording_that_opens_but_has_no_frames_says_so(run: Run, tmp_path: Path) -> None:
    blank = str(write_video(tmp_path / "blank.avi", []))
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "0000.png").write_bytes(os.urandom(4096))
    corrupt = str(tmp_path / "corrupt" / "%04d.png")

    for source, name in ((blank, "video file"), (corrupt, "image sequence")):
        _, recorder = run(source)

        status = recorder.wait_for(DeviceState.OFFLINE)

        assert status.detail == f"{name} {source}: sent no frames"


@pytest.mark.parametrize(
    ("source", "name"), [("97", "camera 97"), ("/dev/video97", "camera /dev/video97")]
)
def test_a_camera_that_is_not_there_is_offline_and_retried_until_stopped(
    run: Run, source: str, name: str
) -> None:
    # An hour between retries: stop() must cut the wait short, not sit it out.
    scanner, recorder = run(source, retry_interval_s=3600)

    status = recorder.wait_for(DeviceState.OFFLINE)
    assert status == DeviceStatus(DeviceState.OFFLINE, f"{name}: could not be opened")
    assert scanner.is_reading()

    scanner.stop()

    assert not scanner.is_reading()
    assert recorder.statuses == [status]


def test_stop_from_a_handler_ends_the_reader_after_that_frame(tmp_path: Path) -> None:
    long = write_video(tmp_path / "long.avi", showing(WECHAT_CODE, 60, seed=0))
    scanner = CameraScanner(str(long), clock=FrameClock())
    recorder = Recorder()

    def on_scan(scan: Scan) -> None:
        recorder.on_scan(scan)
        scanner.stop()

    scanner.start(on_scan, recorder.on_status)
    recorder.wait_for_scans(1)
    scanner.stop()  # from this thread: waits for the reader to end

    assert not scanner.is_reading()
    assert scanner.stats().frames_read == 1
    assert [status.state for status in recorder.statuses] == [DeviceState.READY]


def test_a_handler_that_fails_is_an_error_not_a_silent_stop(run: Run, tmp_path: Path) -> None:
    scanner = CameraScanner(
        write_sequence(tmp_path / "frames", showing(WECHAT_CODE, 3, seed=0)), clock=FrameClock()
    )
    recorder = Recorder()

    def on_scan(scan: Scan) -> None:
        raise RuntimeError("till busy")

    scanner.start(on_scan, recorder.on_status)
    status = recorder.wait_for(DeviceState.ERROR)
    scanner.stop()

    assert status.detail.endswith("stopped after RuntimeError('till busy')")
    assert scanner.stats().last_error == status.detail


def test_a_scanner_cannot_be_started_twice_but_can_be_stopped_twice(run: Run) -> None:
    scanner, recorder = run("97", retry_interval_s=3600)

    with pytest.raises(RuntimeError):
        scanner.start(recorder.on_scan, recorder.on_status)
    scanner.stop()
    scanner.stop()


def test_an_empty_source_is_refused() -> None:
    with pytest.raises(ValueError, match="camera source"):
        CameraScanner("")


@pytest.mark.skipif("pyzbar" not in available_engines(), reason="libzbar is not installed")
@pytest.mark.parametrize(("frames_in_view", "read"), [(2, False), (3, True)])
def test_the_second_engine_runs_on_every_third_frame_only(
    run: Run, tmp_path: Path, frames_in_view: int, read: bool
) -> None:
    # An EAN-13 at 45 degrees: zxing-cpp's linear readers miss it, pyzbar reads it. The
    # second engine runs on frames 1, 4, 7, ... when the first finds nothing (an empty
    # counter is most frames, and pyzbar costs several times zxing-cpp), so a product
    # held up from frame 2 is read at frame 4: the trade is a glimpse shorter than
    # FALLBACK_EVERY frames (0.1 s at 30 fps) going unread by the second engine.
    assert FALLBACK_EVERY == 3
    turned = camera_frame(ean13_symbol(EAN13_CODE), "rotated45", 70)
    frames = [empty_frame(71), *[turned] * frames_in_view, empty_frame(72)]
    _, recorder = run(write_sequence(tmp_path / "frames", frames))
    recorder.wait_for(DeviceState.OFFLINE)
    assert recorder.scans == ([Scan(EAN13_CODE, "]E0", "camera")] if read else [])
