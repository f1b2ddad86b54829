"""`serve`, as `pos cloud wallet-sandbox` runs it: a process that answers on its port
until Ctrl-C, then exits cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cloud.wallet.codes import make_code
from cloud.wallet.config import SandboxConfig
from pos.payments.wechat_v2 import check_signature, from_xml, signed, to_xml

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up:
        assert process.poll() is None, "the sandbox process exited early"
        try:
            httpx.post(url, content=b"")
        except httpx.TransportError:
            time.sleep(0.05)
        else:
            return
    raise AssertionError("the sandbox never answered")


def test_serve_pays_with_the_default_merchant_until_interrupted() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-c", f"from cloud.wallet.server import serve; serve({port})"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"{base}/pay/orderquery", process)
        config = SandboxConfig()
        message = {
            "appid": config.appid,
            "mch_id": config.mch_id,
            "body": "sale",
            "out_trade_no": "T1",
            "total_fee": "100",
            "spbill_create_ip": "127.0.0.1",
            "auth_code": make_code("123456"),
        }
        body = to_xml(signed(message, config.api_key, config.sign_type))
        answer = from_xml(httpx.post(f"{base}/pay/micropay", content=body).content)

        assert answer["result_code"] == "SUCCESS"
        check_signature(answer, config.api_key, config.sign_type)
    finally:
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=30)
    assert returncode == 0
