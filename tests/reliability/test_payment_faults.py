"""Payments under faults: the wallet client against the sandbox over real HTTP, with a
fault injected into most payments, some cut off by a "crash" between the request and
its answer, and every one of them settled.

Pass: no order unresolved, nobody charged for a sale that does not exist, every sale's
WeChat tenders equal to what its payers were charged, each charged order on exactly
one sale, the ledger's chain and projections intact.

CI runs POS_RELIABILITY_PAYMENTS (default 120) payments; the full run is 1,000:
`POS_RELIABILITY_PAYMENTS=1000 scripts/test tests/reliability -s`. The seed is printed
and can be replayed with POS_RELIABILITY_SEED.
"""

from __future__ import annotations

import os
import random
from collections import Counter

import pytest
from reliability.figures import report

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code
from cloud.wallet.faults import Endpoint, Fault, FaultKind
from pos.checkout import Checkout
from pos.ledger.verify import verify
from pos.payments.micropay import MicropayClient, Outcome
from pos.payments.orders import open_orders, settle_open_orders
from pos.payments.wallet_tender import open_order, pay_by_wallet

pytestmark = pytest.mark.slow

WATER = "6921168509256"  # 2.00
PAYMENTS = int(os.environ.get("POS_RELIABILITY_PAYMENTS", "120"))
SEED = int(os.environ.get("POS_RELIABILITY_SEED", random.SystemRandom().randrange(1 << 30)))

# Payers: pays at once, bank slow, password then pays, cancels, never answers, no funds.
BEHAVIOURS = "000556789"
ENDPOINTS = (Endpoint.MICROPAY, Endpoint.ORDERQUERY, Endpoint.REVERSE)
KINDS = (
    FaultKind.SYSTEMERROR,
    FaultKind.DROP,
    FaultKind.HTTP_500,
    FaultKind.MALFORMED,
    FaultKind.BAD_SIGNATURE,
)
CRASH_SHARE = 0.05
"""Payments cut off after the gateway took the request, before the till heard back."""


def test_payments_under_faults_end_exactly(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    rng = random.Random(SEED)
    faults: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    orders: list[str] = []
    for serial in range(PAYMENTS):
        checkout.scan(WATER, rng.randint(1, 9))
        if rng.random() < 0.8:
            endpoint, kind = rng.choice(ENDPOINTS), rng.choice(KINDS)
            count = rng.randint(1, 3)
            sandbox.faults.add(endpoint, Fault(kind, count=count, commit=rng.random() < 0.5))
            faults[f"{endpoint.value}:{kind.value}"] += count
        code = make_code(f"{rng.randrange(10**6):06d}", rng.choice(BEHAVIOURS), serial)
        if rng.random() < CRASH_SHARE:
            # The till dies after sending: the order is journaled, the gateway has it,
            # no outcome is recorded and no sale. The next start settles it.
            amount, out_trade_no = open_order(checkout, auth_code=code)
            gateway.call(
                "/pay/micropay",
                {
                    "out_trade_no": out_trade_no,
                    "total_fee": str(amount),
                    "auth_code": code,
                    "body": "Demo Mart",
                    "spbill_create_ip": "127.0.0.1",
                },
            )
            orders.append(out_trade_no)
            outcomes["crashed"] += 1
            checkout.clear()
            sandbox.faults.clear()
            continue
        result = pay_by_wallet(checkout, gateway, code, body="Demo Mart")
        orders.append(result.payment.out_trade_no)
        outcomes[result.payment.outcome.value] += 1
        if result.sale is None:
            checkout.clear()  # the customer pays cash instead, or leaves
        sandbox.faults.clear()  # what a payment did not use must not hit the next one

    settled = settle_open_orders(checkout.ledger, gateway)
    outcomes.update(f"settled:{payment.outcome.value}" for payment in settled)
    print(
        f"\npayments under faults: seed={SEED} payments={PAYMENTS} "
        f"faults={sum(faults.values())} {dict(faults)} outcomes={dict(outcomes)}"
    )

    assert open_orders(checkout.ledger) == []
    assert all(payment.outcome is not Outcome.UNRESOLVED for payment in settled)
    tendered = wechat_tenders(checkout)
    # Every order the gateway holds, not only those the till reported: a charge the
    # till lost track of would be in the gateway alone.
    held = sandbox.state.orders()
    assert {order.out_trade_no for order in held} <= set(orders)
    charged: Counter[str] = Counter()
    for order in held:
        # Charged if and only if a sale holds the payment, and by exactly its amount.
        assert order.taken_fen == tendered.get(order.out_trade_no, 0), (SEED, order)
        charged[order.request["auth_code"]] += order.taken_fen > 0
    assert max(charged.values(), default=0) <= 1, "a payer's code was charged twice"
    assert set(tendered) <= set(orders)
    assert verify(checkout.ledger).ok
    report(
        "payments",
        SEED,
        payments=PAYMENTS,
        faults_injected=sum(faults.values()),
        crashes=outcomes["crashed"],
        unresolved=len(open_orders(checkout.ledger)),
        charged=sum(charged.values()),
        charged_without_sale=sum(
            1 for order in held if order.taken_fen and order.out_trade_no not in tendered
        ),
    )


def wechat_tenders(checkout: Checkout) -> dict[str, int]:
    with checkout.ledger.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT payment_id, amount FROM payments WHERE tender = 'wechat'"
        ).all()
    return {str(payment_id): int(amount) for payment_id, amount in rows}
