"""The wallet sandbox on 127.0.0.1 and a micropay client for it, on one manual clock
(the client's waits advance it, so the protocol's schedule runs without real time)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cloud.wallet.app import WalletSandbox
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.server import running
from pos.payments.micropay import GatewaySettings, MicropayClient


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> WalletSandbox:
    return WalletSandbox(SandboxConfig(clock=clock))


@pytest.fixture
def gateway(sandbox: WalletSandbox, clock: ManualClock) -> Iterator[MicropayClient]:
    merchant = sandbox.state.config
    with running(sandbox) as url, httpx.Client() as http:
        settings = GatewaySettings(url, merchant.appid, merchant.mch_id, merchant.api_key)
        yield MicropayClient(settings, http, clock=clock, sleep=clock.advance)
