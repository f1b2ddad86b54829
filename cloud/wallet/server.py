"""Running the sandbox: in the foreground for `pos cloud wallet-sandbox`, or in a
background thread on a free port for tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from cloud.serving import serving
from cloud.wallet.app import WalletSandbox
from cloud.wallet.config import SandboxConfig


def serve(port: int, host: str = "127.0.0.1", config: SandboxConfig | None = None) -> None:
    """Serve the sandbox until Ctrl-C."""
    uvicorn.run(WalletSandbox(config).app, host=host, port=port, log_level="info")


@contextmanager
def running(sandbox: WalletSandbox, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `sandbox` on a free port in a background thread; yields its base URL."""
    try:
        with serving(sandbox.app, "wallet sandbox", host) as url:
            yield url
    finally:
        sandbox.close()
