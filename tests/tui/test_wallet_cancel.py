"""The wallet payment modal when the customer does not confirm, and when the gateway
cannot be reached.

Most tests give the till its own wallet (PosApp's `wallet_opener`): the micropay
client and the wallet sandbox, both real and talking HTTP on 127.0.0.1, share one
ManualClock. The client's waits advance that clock, but only once the test opens a
gate, so the modal can be looked at while the customer is "typing a password", and
the 5 s queries and the 15 s reverse rule pass without waiting real seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from textual.widgets import Static
from tui_helpers import (
    DEVICE_WAIT_S,
    WATER,
    TillUnderTest,
    cart_rows,
    message,
    settle,
    start_selling,
    text_of,
    until,
)

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.orders import TradeState
from cloud.wallet.server import running
from pos.config import Config
from pos.payments.micropay import GatewaySettings
from pos.tui.app import PosApp
from pos.tui.i18n import Strings
from pos.tui.screens.sale import SaleScreen
from pos.tui.screens.wallet import WalletPayment
from pos.tui.widgets import StatusBar
from pos.wallet_setup import Wallet, connect_wallet, open_wallet

PAYER = "135790"
SILENT = "8"
"""The sandbox's payer who is asked for a password and never answers (USERPAYING)."""
ZH = Strings("zh-CN")


@dataclass
class GatedTime:
    """The one clock of the till's wallet client and the sandbox. A wait of the client
    advances it, once the test has opened the gate."""

    clock: ManualClock = dataclasses.field(default_factory=ManualClock)
    gate: threading.Event = dataclasses.field(default_factory=threading.Event)

    def sleep(self, seconds: float) -> None:
        # Bounded, so a test that fails before opening the gate cannot park the worker
        # (and the app's exit) for ever.
        self.gate.wait(DEVICE_WAIT_S)
        self.clock.advance(seconds)


@dataclass
class SandboxWallet:
    """A wallet on an in-process sandbox, handed to the app by `opener`."""

    sandbox: WalletSandbox
    wallet: Wallet
    time: GatedTime
    server: contextlib.ExitStack

    def opener(self, _config: Config) -> Wallet:
        return self.wallet

    def stop_gateway(self) -> None:
        """The sandbox stops serving: its port is closed, as a gateway cut off."""
        self.server.close()


@pytest.fixture
def sandbox_wallet() -> Iterator[SandboxWallet]:
    gated = GatedTime()
    sandbox = WalletSandbox(SandboxConfig(clock=gated.clock))
    merchant = sandbox.config
    server = contextlib.ExitStack()
    url = server.enter_context(running(sandbox))
    resources = contextlib.ExitStack()
    resources.callback(server.close)
    gateway = GatewaySettings(
        url=url,
        appid=merchant.appid,
        mch_id=merchant.mch_id,
        api_key=merchant.api_key,
        sign_type=merchant.sign_type,
        device_info="T01",
        request_timeout_s=5,
    )
    # Probes every minute: this test is about payments; the app's first probe is enough.
    wallet = connect_wallet(
        gateway, resources, probe_every_s=60, clock=gated.clock, sleep=gated.sleep
    )
    try:
        yield SandboxWallet(sandbox, wallet, gated, server)
    finally:
        gated.gate.set()
        wallet.close()  # the app closed it already when it ran; closing again is a no-op


def bells(app: PosApp) -> list[None]:
    rung: list[None] = []
    app.bell = lambda: rung.append(None)  # type: ignore[method-assign]
    return rung


def wallet_state(app: PosApp) -> str:
    screen = app.screen
    if not isinstance(screen, WalletPayment):
        return ""
    # Empty while the modal is still being composed.
    return "".join(text_of(state) for state in screen.query("#wallet-state").results(Static))


def status(screen: SaleScreen) -> str:
    return text_of(screen.query_one("#status", StatusBar))


async def test_cancelling_a_payment_the_customer_has_not_confirmed_reverses_it(
    till: TillUnderTest, sandbox_wallet: SandboxWallet
) -> None:
    app = till.app(wallet_opener=sandbox_wallet.opener)
    rung = bells(app)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        await until(pilot, lambda: ZH("status.online") in status(screen), "the status: online")

        screen.scan(make_code(PAYER, SILENT))
        # No settle() from here on: the payment's worker is parked at the gate.
        waiting = ZH("wallet.waiting_for_password")
        await until(pilot, lambda: wallet_state(app) == waiting, "the customer's password")

        await pilot.press("escape")
        # Cancelled is not finished: the modal stays, reversing, until the gateway agrees.
        assert wallet_state(app) == ZH("wallet.reversing")

        sandbox_wallet.time.gate.set()
        await until(pilot, lambda: isinstance(app.screen, SaleScreen), "the sale screen")
        await settle(pilot)
        assert app.screen is screen
        assert message(screen) == ZH("wallet.reversed")
        assert [row[0] for row in cart_rows(screen)] == ["农夫山泉饮用天然水 550ml"]
        assert rung == [None]
    (started,) = till.events("payment.started")
    (resolved,) = till.events("payment.resolved")
    assert resolved["out_trade_no"] == started["out_trade_no"]
    assert resolved["outcome"] == "reversed"
    assert till.events("sale.completed") == []
    order = sandbox_wallet.sandbox.state.order(started["out_trade_no"])
    assert order is not None
    assert order.state is TradeState.REVOKED
    assert order.taken_fen == 0


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: a connection is refused there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def unreachable_wallet(config: Config) -> Wallet | None:
    """The configured wallet, pointed at a gateway URL where nothing listens."""
    settings = config.settings
    url = f"http://127.0.0.1:{closed_port()}"
    wechat = settings.payments.wechat.model_copy(update={"gateway_url": url})
    payments = settings.payments.model_copy(update={"wechat": wechat})
    moved = dataclasses.replace(config, settings=settings.model_copy(update={"payments": payments}))
    return open_wallet(moved)


async def test_offline_a_payment_code_is_refused_at_once_take_cash(till: TillUnderTest) -> None:
    app = till.app(wallet_opener=unreachable_wallet)
    rung = bells(app)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        wallet = app.wallet()
        assert wallet is not None
        assert wallet.reachability.online is False
        assert ZH("status.offline") in status(screen)
        assert ZH("status.online") not in status(screen)

        screen.scan(make_code(PAYER))
        # At once: the refusal is on screen before the event loop runs again.
        assert isinstance(app.screen, SaleScreen)
        assert message(screen) == (
            f"{ZH('refused.wallet_offline')} · {ZH('wallet.gateway_unreachable')}"
        )
        assert rung == [None]
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert [row[0] for row in cart_rows(screen)] == ["农夫山泉饮用天然水 550ml"]
    assert till.events("payment.started") == []
    assert till.events("payment.resolved") == []
    assert till.events("sale.completed") == []


async def test_the_offline_refusal_in_english(till: TillUnderTest) -> None:
    app = till.app(language="en", wallet_opener=unreachable_wallet)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        assert "Offline" in status(screen)
        screen.scan(make_code(PAYER))
        assert message(screen).startswith("Offline, take cash · ")


async def test_a_gateway_that_goes_away_is_offline_at_its_next_call(
    till: TillUnderTest, sandbox_wallet: SandboxWallet
) -> None:
    app = till.app(wallet_opener=sandbox_wallet.opener)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        await until(pilot, lambda: ZH("status.online") in status(screen), "the status: online")

        sandbox_wallet.stop_gateway()
        wallet = app.wallet()
        assert wallet is not None
        client = wallet.client
        # A call that cannot connect is enough; the next probe is a minute away.
        assert await asyncio.to_thread(client.query, "T01-none") is None
        await until(pilot, lambda: ZH("status.offline") in status(screen), "the status: offline")

        screen.scan(make_code(PAYER))
        assert message(screen).startswith(ZH("refused.wallet_offline"))
        assert [row[0] for row in cart_rows(screen)] == ["农夫山泉饮用天然水 550ml"]
    assert till.events("payment.started") == []
