"""Shared fixtures: the demo store's configuration, its ledger on a real SQLite file in
tmp_path, a checkout selling on that ledger, and the wallet sandbox on 127.0.0.1 with a
micropay client for it, on one manual clock (the client's waits advance it, so the
protocol's schedule runs without real time)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cloud.wallet.app import WalletSandbox
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.server import running
from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config, load_config
from pos.ledger.database import Ledger
from pos.payments.micropay import GatewaySettings, MicropayClient


@pytest.fixture
def demo_config(tmp_path: Path) -> Config:
    """The built-in demo store (device T01) with its data folder in tmp_path."""
    return load_config(None, tmp_path / "data", environ={})


@pytest.fixture
def demo_ledger(demo_config: Config) -> Iterator[Ledger]:
    """The demo store's ledger, created and seeded on first open; closed at teardown."""
    ledger = open_ledger(demo_config)
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def checkout(demo_ledger: Ledger, demo_config: Config) -> Checkout:
    """Cashier 101 selling on the demo ledger with the configured scan rules."""
    return Checkout(
        demo_ledger,
        current_catalog(demo_ledger),
        Till("T01", "T01-", "101"),
        demo_config.settings.scanner.rules(),
    )


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
