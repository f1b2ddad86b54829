"""The till's wallet payments as configured in [payments.wechat] (composition root).

With gateway_url = "sandbox" (the demo's default) the wallet sandbox runs inside the
till on 127.0.0.1, so a new user pays with the codes in the README and the whole
path (signatures, HTTP, queries, reverse) is the real one. Opening it imports
FastAPI and starts a server: do it in a worker, after the first frame.
"""

from __future__ import annotations

import contextlib
import os

import httpx

from pos.config import Config
from pos.domain.errors import PosError
from pos.payments.micropay import GatewaySettings, MicropayClient
from pos.payments.wechat_v2 import SignType

API_KEY_ENV = "POS_WECHAT_API_KEY"
SANDBOX = "sandbox"


class Wallet:
    """A micropay client and what it holds open (the HTTP pool, the sandbox)."""

    def __init__(self, client: MicropayClient, resources: contextlib.ExitStack) -> None:
        self.client = client
        self._resources = resources

    def close(self) -> None:
        self._resources.close()


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
    http = resources.enter_context(httpx.Client())
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
    return Wallet(MicropayClient(gateway, http), resources)
