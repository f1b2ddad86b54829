"""The scanner simulator replays its file on its own thread and can always stop."""

from __future__ import annotations

import queue
from pathlib import Path

from devices.scan_simulator import ScanSimulator
from devices.scans import DeviceState, DeviceStatus, Scan

WAIT = 10.0


def test_replays_each_scan_in_order_and_starts_over(tmp_path: Path) -> None:
    script = tmp_path / "scans.txt"
    script.write_text("# demo\n6921168509256\n\n  6920152103197  \n", encoding="utf-8")
    scans: queue.Queue[Scan] = queue.Queue()
    statuses: queue.Queue[DeviceStatus] = queue.Queue()
    simulator = ScanSimulator(script, interval_s=0.01)
    simulator.start(scans.put, statuses.put)
    try:
        got = [scans.get(timeout=WAIT) for _ in range(3)]
    finally:
        simulator.stop()
    assert [scan.text for scan in got] == ["6921168509256", "6920152103197", "6921168509256"]
    assert {scan.source for scan in got} == {"simulator"}
    assert statuses.get_nowait().state is DeviceState.READY


def test_a_missing_file_is_offline_and_recovers_when_it_appears(tmp_path: Path) -> None:
    script = tmp_path / "scans.txt"
    scans: queue.Queue[Scan] = queue.Queue()
    statuses: queue.Queue[DeviceStatus] = queue.Queue()
    simulator = ScanSimulator(script, interval_s=0.01)
    simulator.start(scans.put, statuses.put)
    try:
        offline = statuses.get(timeout=WAIT)
        assert offline.state is DeviceState.OFFLINE
        assert "scans.txt" in offline.detail
        script.write_text("1067\n", encoding="utf-8")
        assert statuses.get(timeout=WAIT).state is DeviceState.READY
        assert scans.get(timeout=WAIT).text == "1067"
    finally:
        simulator.stop()


def test_stop_ends_the_thread_during_a_long_pause(tmp_path: Path) -> None:
    script = tmp_path / "scans.txt"
    script.write_text("1067\n", encoding="utf-8")
    simulator = ScanSimulator(script, interval_s=3600)
    simulator.start(lambda _scan: None, lambda _status: None)
    thread = simulator._thread
    simulator.stop()
    assert thread is not None
    assert not thread.is_alive()
