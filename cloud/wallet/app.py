"""The sandbox's HTTP face: WeChat Pay v2 endpoints over XML, plus admin routes.

Each request goes through the gateway's envelope checks in the provider's order,
then to the state machine, then out through any queued fault:

1. unparseable XML: return_code FAIL, "XML格式错误：why" (not an HTTP error);
2. appid / mch_id missing (LACK_PARAMS) or not this merchant's (APPID_MCHID_NOT_MATCH),
   a sign_type other than the merchant's (PARAM_ERROR), no nonce_str (LACK_PARAMS);
3. a wrong or missing sign: return_code FAIL, "签名错误";
4. the endpoint's own checks, in `state`.

Answers with return_code SUCCESS are signed with the merchant key; FAIL answers
carry no signature, as the provider's do.

Admin routes (JSON), for tests in another process:
`POST /sandbox/faults` {endpoint, kind, count=1, commit=true, delay_s=0},
`DELETE /sandbox/faults`, `POST /sandbox/payers` {code, payer},
`POST /sandbox/codes` {payer, behaviour} -> {code}, `POST /sandbox/clock` {advance_s},
`GET /sandbox/orders/{out_trade_no}` -> {trade_state, trade_type, openid, total_fee,
taken_fen} (the money really taken from the payer, which the protocol cannot show),
`POST /sandbox/native/pay` {code_url or out_trade_no, payer="000001"} -> {out_trade_no,
trade_state, openid, transaction_id, total_fee}: the customer `payer` (6 digits) scans a
store QR and pays, then the signed notify goes to the order's notify_url (404 for an
unknown order, 409 for one paid or closed already).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send

from cloud.wallet.codes import Payer
from cloud.wallet.config import SandboxConfig
from cloud.wallet.faults import Endpoint, Fault, FaultKind, FaultPlan
from cloud.wallet.notify import Notifier
from cloud.wallet.orders import Fields, Order, Refusal
from cloud.wallet.state import WalletState
from pos.payments.wechat_v2 import ProtocolError, check_signature, from_xml, signed, to_xml

PATHS = {
    Endpoint.MICROPAY: "/pay/micropay",
    Endpoint.ORDERQUERY: "/pay/orderquery",
    Endpoint.REVERSE: "/secapi/pay/reverse",
    Endpoint.REFUND: "/secapi/pay/refund",
    Endpoint.REFUNDQUERY: "/pay/refundquery",
    Endpoint.UNIFIEDORDER: "/pay/unifiedorder",
    Endpoint.CLOSEORDER: "/pay/closeorder",
}
_XML = "text/xml"
_SYSTEMERROR = Refusal("SYSTEMERROR", "系统超时，请稍后查询")


class WalletSandbox:
    """One merchant's sandbox gateway: its state, its fault plan, its notifier and its
    ASGI app."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.state = WalletState(self.config)
        self.faults = FaultPlan()
        self.notifier = Notifier(self.config, self.faults)
        self.app = _build_app(self)

    def pay_native(self, reference: str, payer: str = "000001") -> Order:
        """The customer pays a store QR (see WalletState.pay_native), and the payment's
        notify sets off for the till in the background."""
        order = self.state.pay_native(reference, payer)
        notify = self._business(self.state.notify_fields(order.out_trade_no))
        self.notifier.send(order.request["notify_url"], notify)
        return order

    def close(self) -> None:
        """Stop the notifies still being retried."""
        self.notifier.close()

    def answer(self, endpoint: Endpoint, body: bytes, fault: Fault | None) -> Fields:
        """The unsigned answer to `body`; `fault` decides whether it takes effect."""
        try:
            params = from_xml(body)
        except ProtocolError as error:
            return _fail(f"XML格式错误：{error.message}")
        refusal = self._envelope_refusal(params)
        if refusal is not None:
            return self._business(refusal.fields())
        try:
            check_signature(params, self.config.api_key, self.config.sign_type)
        except ProtocolError:
            return _fail("签名错误")
        if fault is None or fault.commit:
            outcome = self._operation(endpoint)(params)
            if fault is None or fault.kind is not FaultKind.SYSTEMERROR:
                return self._business(outcome)
        # An uncommitted request, or a SYSTEMERROR fault: the client cannot know.
        unknown = _SYSTEMERROR.fields()
        if endpoint is Endpoint.REVERSE:
            unknown["recall"] = "Y"
        return self._business(unknown)

    def _envelope_refusal(self, params: Mapping[str, str]) -> Refusal | None:
        if not params.get("appid") or not params.get("mch_id"):
            return Refusal("LACK_PARAMS", "缺少参数 appid 或 mch_id")
        if (params["appid"], params["mch_id"]) != (self.config.appid, self.config.mch_id):
            return Refusal("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        if params.get("sign_type", "MD5") != self.config.sign_type.value:
            return Refusal("PARAM_ERROR", f"sign_type 必须是 {self.config.sign_type.value}")
        if not params.get("nonce_str"):
            return Refusal("LACK_PARAMS", "缺少参数 nonce_str")
        return None

    def _operation(self, endpoint: Endpoint) -> Callable[[Mapping[str, str]], Fields]:
        state = self.state
        return {
            Endpoint.MICROPAY: state.micropay,
            Endpoint.ORDERQUERY: state.orderquery,
            Endpoint.REVERSE: state.reverse,
            Endpoint.REFUND: state.refund,
            Endpoint.REFUNDQUERY: state.refundquery,
            Endpoint.UNIFIEDORDER: state.unifiedorder,
            Endpoint.CLOSEORDER: state.closeorder,
        }[endpoint]

    def _business(self, outcome: Fields) -> Fields:
        return {
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "appid": self.config.appid,
            "mch_id": self.config.mch_id,
            **outcome,
        }

    def render(self, answer: Fields, fault: Fault | None) -> Response:
        """The HTTP response for `answer`, spoiled as `fault` says."""
        message = (
            signed(answer, self.config.api_key, self.config.sign_type)
            if answer["return_code"] == "SUCCESS"
            else dict(answer)
        )
        kind = fault.kind if fault is not None else None
        if kind is FaultKind.BAD_SIGNATURE:
            message["sign"] = "0" * 32
        body = to_xml(message)
        if kind is FaultKind.MALFORMED:
            return Response(body[: len(body) // 2], media_type=_XML)
        if kind is FaultKind.HTTP_500:
            return Response(b"Internal Server Error", status_code=500, media_type="text/plain")
        if kind is FaultKind.DROP:
            return _DroppedResponse(body, media_type=_XML)
        return Response(body, media_type=_XML)


def _fail(message: str) -> Fields:
    return {"return_code": "FAIL", "return_msg": message}


class _DroppedResponse(Response):
    """Sends its headers and half its body, then stops: the server closes the
    connection (logging one line), so to the client the reply was lost on the way."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})


class _FaultRequest(BaseModel):
    endpoint: Endpoint
    kind: FaultKind
    count: int = Field(default=1, ge=1)
    commit: bool = True
    delay_s: float = Field(default=0.0, ge=0.0)


class _PayerRequest(BaseModel):
    code: str
    payer: Payer


class _CodeRequest(BaseModel):
    payer: str = Field(default="000001", pattern=r"^[0-9]{6}$")
    behaviour: Payer = Payer.INSTANT


class _NativePayRequest(BaseModel):
    code_url: str = ""
    out_trade_no: str = ""
    payer: str = Field(default="000001", pattern=r"^[0-9]{6}$")


class _ClockRequest(BaseModel):
    advance_s: float = Field(ge=0.0)


def _build_app(sandbox: WalletSandbox) -> FastAPI:
    app = FastAPI(title="WeChat Pay v2 sandbox", docs_url=None, redoc_url=None)
    for endpoint, path in PATHS.items():
        app.add_api_route(path, _protocol_route(sandbox, endpoint), methods=["POST"])

    @app.post("/sandbox/faults", status_code=204)
    def add_fault(request: _FaultRequest) -> None:
        fault = Fault(request.kind, request.count, request.commit, request.delay_s)
        sandbox.faults.add(request.endpoint, fault)

    @app.delete("/sandbox/faults", status_code=204)
    def clear_faults() -> None:
        sandbox.faults.clear()

    @app.post("/sandbox/payers", status_code=204)
    def set_payer(request: _PayerRequest) -> None:
        sandbox.state.set_payer(request.code, request.payer)

    @app.post("/sandbox/codes")
    def issue_code(request: _CodeRequest) -> dict[str, str]:
        return {"code": sandbox.state.issue_code(request.payer, request.behaviour)}

    @app.get("/sandbox/orders/{out_trade_no}")
    def show_order(out_trade_no: str) -> dict[str, str | int]:
        order = sandbox.state.order(out_trade_no)
        if order is None:
            raise HTTPException(status_code=404, detail=f"No order {out_trade_no}.")
        return {
            "out_trade_no": order.out_trade_no,
            "trade_state": order.state.value,
            "trade_type": order.trade_type.value,
            "openid": order.openid,
            "total_fee": order.total_fee,
            "taken_fen": order.taken_fen,
        }

    @app.post("/sandbox/native/pay")
    def pay_native(request: _NativePayRequest) -> dict[str, str | int]:
        reference = request.code_url or request.out_trade_no
        if not reference:
            raise HTTPException(status_code=422, detail="Give the code_url or the out_trade_no.")
        try:
            order = sandbox.pay_native(reference, request.payer)
        except Refusal as refusal:
            status = 404 if refusal.err_code == "ORDERNOTEXIST" else 409
            raise HTTPException(
                status_code=status, detail=f"{refusal.err_code}: {refusal.description}"
            ) from refusal
        return {
            "out_trade_no": order.out_trade_no,
            "trade_state": order.state.value,
            "openid": order.openid,
            "transaction_id": order.transaction_id,
            "total_fee": order.total_fee,
        }

    @app.post("/sandbox/clock", status_code=204)
    def advance_clock(request: _ClockRequest) -> None:
        sandbox.state.advance(request.advance_s)

    return app


def _protocol_route(
    sandbox: WalletSandbox, endpoint: Endpoint
) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        body = await request.body()
        fault = sandbox.faults.take(endpoint)
        answer = sandbox.answer(endpoint, body, fault)
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        return sandbox.render(answer, fault)

    route.__name__ = endpoint.value
    return route
