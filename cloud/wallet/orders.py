"""What the wallet keeps of an order, and how it says no."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cloud.wallet.codes import Payer

Fields = dict[str, str]


class TradeState(StrEnum):
    SUCCESS = "SUCCESS"
    REFUND = "REFUND"
    NOTPAY = "NOTPAY"
    CLOSED = "CLOSED"
    REVOKED = "REVOKED"
    USERPAYING = "USERPAYING"
    PAYERROR = "PAYERROR"


class TradeType(StrEnum):
    MICROPAY = "MICROPAY"
    """The customer shows a payment code and the till scans it."""
    NATIVE = "NATIVE"
    """The till shows a QR (code_url) and the customer scans it ("native pay", mode 2)."""


PENDING = frozenset({TradeState.USERPAYING, TradeState.NOTPAY})
PAID = frozenset({TradeState.SUCCESS, TradeState.REFUND})
REVERSIBLE = PENDING | {TradeState.SUCCESS, TradeState.PAYERROR}
STATE_TEXT = {
    TradeState.SUCCESS: "支付成功",
    TradeState.REFUND: "转入退款",
    TradeState.NOTPAY: "未支付",
    TradeState.CLOSED: "已关闭",
    TradeState.REVOKED: "已撤销（付款码支付）",
    TradeState.USERPAYING: "用户支付中（付款码支付）",
    TradeState.PAYERROR: "支付失败",
}


class Refusal(Exception):
    """A request the wallet turns down: result_code FAIL with this err_code."""

    def __init__(self, err_code: str, description: str) -> None:
        super().__init__(err_code, description)
        self.err_code = err_code
        self.description = description

    def fields(self) -> Fields:
        return {"result_code": "FAIL", "err_code": self.err_code, "err_code_des": self.description}


@dataclass(frozen=True, slots=True)
class Refund:
    out_refund_no: str
    refund_id: str
    refund_fee: int
    at: float


@dataclass(slots=True)
class Order:
    out_trade_no: str
    transaction_id: str
    """The gateway's number; a NATIVE order gets it when the customer pays."""
    request: Fields
    """The fields that define the order; a resubmit must repeat them exactly."""
    total_fee: int
    payer: Payer
    openid: str
    created: float
    state: TradeState
    paid_at: float | None = None
    failure: Refusal | None = None
    revoked_after_payment: bool = False
    refunds: list[Refund] = field(default_factory=list)
    trade_type: TradeType = TradeType.MICROPAY
    code_url: str = ""
    """The QR of a NATIVE order; empty for a micropay order."""
    prepay_id: str = ""

    @property
    def returned_fen(self) -> int:
        """Money given back to the payer, by refunds or by a reverse after payment."""
        if self.revoked_after_payment:
            return self.total_fee
        return sum(refund.refund_fee for refund in self.refunds)

    @property
    def taken_fen(self) -> int:
        """Money the payer has lost to this order."""
        paid = self.paid_at is not None
        return (self.total_fee if paid else 0) - self.returned_fen
