"""The till's wallet payments as configured in [payments.wechat] (composition root).

With gateway_url = "sandbox" (the demo's default) the wallet sandbox runs inside the
till on 127.0.0.1, so a new user pays with the codes in the README and the whole
path (signatures, HTTP, queries, reverse) is the real one. Opening it imports
FastAPI and starts a server: do it in a worker, after the first frame.

The wallet also watches whether its gateway can be reached (`Reachability`): its HTTP
client reports every call to the monitor, and the till starts the monitor's probes.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable

import httpx

from pos.config import Config
from pos.domain.errors import PosError
from pos.payments.micropay import GatewaySettings, MicropayClient
from pos.payments.native import NativePayClient, NotifyReceiver
from pos.payments.reachability import PROBE_TIMEOUT_S, Reachability, ReportingTransport
from pos.payments.wechat_v2 import SignType

API_KEY_ENV = "POS_WECHAT_API_KEY"
SANDBOX = "sandbox"


class Wallet:
    """A micropay client, the store-QR client with its notify receiver, the gateway's
    reachability and what they hold open (the HTTP pool, the sandbox). The monitor is
    not started: its owner starts it with a callback."""

    def __init__(
        self,
        client: MicropayClient,
        native: NativePayClient,
        receiver: NotifyReceiver,
        reachability: Reachability,
        resources: contextlib.ExitStack,
        *,
        qr_deadline_s: float = 120.0,
    ) -> None:
        self.client = client
        self.native = native
        self.receiver = receiver
        self.reachability = reachability
        self.qr_deadline_s = qr_deadline_s
        self._resources = resources

    def close(self) -> None:
        self._resources.close()


def connect_wallet(
    gateway: GatewaySettings,
    resources: contextlib.ExitStack,
    *,
    probe_every_s: float,
    qr_deadline_s: float = 120.0,
    notify_port: int = 0,
    notify_public_url: str = "",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
) -> Wallet:
    """A wallet on `gateway`; `resources` closes with it (the caller may have entered
    the gateway's own server there). `clock` and `sleep` go to the client (tests)."""
    reachability = Reachability.for_url(
        gateway.url,
        every_s=probe_every_s,
        timeout_s=min(gateway.request_timeout_s, PROBE_TIMEOUT_S),
    )
    # Stopped before the HTTP pool closes (an ExitStack unwinds last in, first out).
    http = resources.enter_context(httpx.Client(transport=ReportingTransport(reachability)))
    resources.callback(reachability.stop)
    client = MicropayClient(gateway, http, clock=clock, sleep=sleep)
    native = NativePayClient(gateway, http, clock=clock, sleep=sleep)
    receiver = resources.enter_context(
        NotifyReceiver(gateway, port=notify_port, public_url=notify_public_url)
    )
    return Wallet(client, native, receiver, reachability, resources, qr_deadline_s=qr_deadline_s)


def open_wallet(config: Config) -> Wallet | None:
    """The configured wallet, or None when WeChat Pay is switched off."""
    settings = config.settings.payments.wechat
    if not settings.enabled:
        return None
    api_key = os.environ.get(API_KEY_ENV) or settings.api_key
    sign_type = SignType(settings.sign_type)
    resources = contextlib.ExitStack()
    url = settings.gateway_url
    if url == SANDBOX:
        from cloud.wallet.app import WalletSandbox
        from cloud.wallet.config import SandboxConfig
        from cloud.wallet.server import running

        merchant = SandboxConfig(
            appid=settings.appid, mch_id=settings.mch_id, api_key=api_key, sign_type=sign_type
        )
        try:
            url = resources.enter_context(running(WalletSandbox(merchant)))
        except (OSError, RuntimeError) as error:
            # The till sells on without wallet payments; the cashier is told why.
            raise PosError(
                "Wallet payments unavailable",
                f"The WeChat Pay sandbox did not start ({error}); take cash.",
            ) from error
    gateway = GatewaySettings(
        url=url,
        appid=settings.appid,
        mch_id=settings.mch_id,
        api_key=api_key,
        sign_type=sign_type,
        device_info=config.settings.till.device_id,
        request_timeout_s=settings.request_timeout_s,
        query_every_s=settings.query_every_s,
        deadline_s=settings.deadline_s,
    )
    return connect_wallet(
        gateway,
        resources,
        probe_every_s=settings.probe_every_s,
        qr_deadline_s=settings.qr_deadline_s,
        notify_port=settings.notify_port,
        notify_public_url=settings.notify_public_url,
    )
