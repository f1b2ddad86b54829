"""Shared fixtures: the demo store's configuration, its ledger on a real SQLite file in
tmp_path, and a checkout selling on that ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config, load_config
from pos.ledger.database import Ledger


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
