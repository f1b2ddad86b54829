"""The technician's commands end to end: `pos devices ...` and `pos doctor`, against a
printer simulator on a real TCP port, a serial scanner on a real pty pair, and image
files written by the tests."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import tty
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest
from frames import camera_frame, ean13_symbol, empty_frame, qr_symbol

from devices.printer_sim import PrinterSimulator, SimulatedState
from pos.cli import main
from pos.config.load import CONFIG_ENV
from receipts.render_text import render_text

WATER = "6921168509256"


@pytest.fixture(autouse=True)
def _no_config_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[PrinterSimulator]:
    printer = PrinterSimulator(out_dir=tmp_path / "paper")
    printer.start()
    yield printer
    printer.stop()


def pos_toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pos.toml"
    path.write_text(f'[till]\ndata_dir = "data"\n{body}', encoding="utf-8")
    return path


def network_printer(tmp_path: Path, port: int) -> Path:
    return pos_toml(tmp_path, f'[printer]\nkind = "network"\nurl = "127.0.0.1:{port}"\n')


# -- pos devices decode ------------------------------------------------------------------


def test_decode_prints_each_code_and_a_line_per_file_without_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ("qr.png", "ean.png", "blank.png", "x.png")
    qr, ean, blank, corrupt = (tmp_path / name for name in names)
    cv2.imwrite(str(qr), camera_frame(qr_symbol("134567890123456789")))
    cv2.imwrite(str(ean), camera_frame(ean13_symbol(WATER)))
    cv2.imwrite(str(blank), empty_frame())
    corrupt.write_bytes(os.urandom(512))
    missing = tmp_path / "missing.png"

    paths = [qr, ean, blank, corrupt, missing]
    assert main(["devices", "decode", *map(str, paths)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["]Q1\t134567890123456789", f"]E0\t{WATER}"]
    assert lines[2] == f"{blank}: no code found"
    assert lines[3].startswith(f"{corrupt}: cannot read image")
    assert lines[4].startswith(f"{missing}: cannot read image")


def test_decode_of_good_images_exits_zero(tmp_path: Path) -> None:
    image = tmp_path / "ean.png"
    cv2.imwrite(str(image), camera_frame(ean13_symbol(WATER), "rotated15"))
    assert main(["devices", "decode", str(image)]) == 0


# -- printing, the drawer, the device list ------------------------------------------------


def test_test_print_reaches_a_network_printer(
    tmp_path: Path, simulator: PrinterSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    config = network_printer(tmp_path, simulator.port)
    assert main(["devices", "test-print", "--config", str(config)]) == 0
    simulator.wait_for_jobs(1)
    (job,) = simulator.jobs
    text = "\n".join(render_text(job.document))
    assert "打印测试" in text
    assert "苹果 Apple" in text
    assert "ready" in capsys.readouterr().out


def test_test_print_to_a_printer_that_is_off_says_so_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = network_printer(tmp_path, port)
    assert main(["devices", "test-print", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err


def test_drawer_kicks_through_the_printer_and_is_journaled(
    tmp_path: Path, simulator: PrinterSimulator
) -> None:
    config = network_printer(tmp_path, simulator.port)
    assert main(["devices", "drawer", "--config", str(config)]) == 0
    simulator.wait_for_jobs(1)
    assert simulator.jobs[0].data.endswith(b"\x1bp\x00\x32\x32")
    db = sqlite3.connect(tmp_path / "data" / "ledger.db")
    try:
        query = "SELECT payload FROM journal WHERE type = 'drawer.opened'"
        (payload,) = db.execute(query).fetchone()
    finally:
        db.close()
    assert '"reason":"test"' in payload.replace(" ", "")


def test_list_shows_the_printer_state(
    tmp_path: Path, simulator: PrinterSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator.state = SimulatedState.PAPER_OUT
    config = network_printer(tmp_path, simulator.port)
    assert main(["devices", "list", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "Serial ports:" in out
    assert "Video devices:" in out
    assert f"Printer: network 127.0.0.1:{simulator.port} (80 mm): paper_out" in out


# -- pos doctor ----------------------------------------------------------------------------


def test_doctor_passes_on_the_demo_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--data", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    for check in ("configuration", "data directory", "ledger", "printer", "scanner"):
        assert f"PASS  {check}:" in out
    assert "0 failed" in out


def test_doctor_names_each_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (
        '[printer]\nkind = "network"\nurl = "127.0.0.1:1"\n'
        f'[scanner]\nkind = "serial"\nurl = "{tmp_path / "no-such-tty"}"\n'
    )
    assert main(["doctor", "--config", str(pos_toml(tmp_path, body))]) == 1
    out = capsys.readouterr().out
    assert "FAIL  printer: network 127.0.0.1:1: offline" in out
    assert "FAIL  scanner: serial" in out
    assert "no-such-tty" in out
    assert "PASS  configuration" in out
    assert "2 failed" in out


# -- pos devices scan: a serial scanner on a pty pair, until Ctrl-C --------------------------


def test_scan_prints_scans_live_until_interrupted(tmp_path: Path) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    link = tmp_path / "ttyScanner"
    link.symlink_to(os.ttyname(slave))
    config = pos_toml(tmp_path, f'[scanner]\nkind = "serial"\nurl = "{link}"\n')
    env = {key: value for key, value in os.environ.items() if key != CONFIG_ENV}
    process = subprocess.Popen(
        [sys.executable, "-m", "pos", "devices", "scan", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        assert "Scanning from serial" in process.stdout.readline()
        assert "ready" in process.stdout.readline()
        os.write(master, b"]E0" + WATER.encode() + b"\r")
        assert process.stdout.readline() == f"serial\t]E0\t{WATER}\n"
        os.write(master, b"abc\x1b[31mdef\r")  # control characters: dropped with a reason
        assert "dropped" in process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        threading.Timer(10, process.kill).start()
        process.wait()
        os.close(master)
        os.close(slave)
    assert process.returncode == 130
