"""Fixtures of the TUI tests: the demo store on a real ledger file in tmp_path, a
simulated drawer and the app factory. The helpers that drive the app with Pilot are in
tui_helpers.py (a conftest is not meant to be imported by the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_helpers import TillUnderTest, frozen_clock, make_till, seed_template

from pos.tui.app import PosApp


@pytest.fixture(scope="session")
def seeded_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo ledger created and seeded once per session; tests copy it, never open it."""
    return seed_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def till(seeded_ledger: Path, tmp_path: Path) -> Iterator[TillUnderTest]:
    """The demo store (T01) in tmp_path with a SimulatedDrawer; its ledgers close after."""
    under_test = make_till(seeded_ledger, tmp_path)
    try:
        yield under_test
    finally:
        under_test.close()


@pytest.fixture
def frozen_till(seeded_ledger: Path, tmp_path: Path) -> Iterator[TillUnderTest]:
    """Like `till`, with the ledger's clock fixed at FROZEN_AT (2026-03-14 01:30 UTC)."""
    under_test = make_till(seeded_ledger, tmp_path, clock=frozen_clock)
    try:
        yield under_test
    finally:
        under_test.close()


@pytest.fixture
def app(till: TillUnderTest) -> PosApp:
    """The till as `pos run` starts it on the demo store (zh-CN, sign-in screen)."""
    return till.app()
