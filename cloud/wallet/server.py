"""Running the sandbox: in the foreground for `pos cloud wallet-sandbox`, or in a
background thread on a free port for tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from cloud.wallet.app import WalletSandbox
from cloud.wallet.config import SandboxConfig

_START_TIMEOUT_S = 10.0


def serve(port: int, host: str = "127.0.0.1", config: SandboxConfig | None = None) -> None:
    """Serve the sandbox until Ctrl-C."""
    uvicorn.run(WalletSandbox(config).app, host=host, port=port, log_level="info")


@contextmanager
def running(sandbox: WalletSandbox, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `sandbox` on a free port in a background thread; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Bound before the server starts, so the port is known and cannot be taken.
    listener.bind((host, 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            sandbox.app, log_level="warning", timeout_graceful_shutdown=1, lifespan="off"
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="wallet-sandbox", daemon=True
    )
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join()
        listener.close()
        sandbox.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    give_up = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > give_up:
            raise RuntimeError("The wallet sandbox did not start.")
        time.sleep(0.01)
