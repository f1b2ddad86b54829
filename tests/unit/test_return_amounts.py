"""Returns' arithmetic: pieces add up to what was paid, refunds stay within each tender."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.returns import (
    History,
    ReturnError,
    plan_lines,
    plan_refunds,
    returned_line,
)
from pos.domain.sale import SaleRecord, SoldLine, TenderLine

NOTHING = History(returned={}, refunded={})


def line(line_no: int, quantity: int, net: int, weight_g: int | None = None) -> SoldLine:
    return SoldLine(
        line_no, f"SKU{line_no}", None, "商品", "Item", "c", quantity, weight_g, net, net, 0, net,
        1300,
    )  # fmt: skip


def sale(lines: list[SoldLine], payments: list[TenderLine]) -> SaleRecord:
    total = sum(sold.net for sold in lines)
    return SaleRecord(
        "s1", 1, "T01-000001", "101", None, tuple(lines), 0, total, 0, total, (), tuple(payments), 0
    )  # fmt: skip


@given(
    net=st.integers(0, 10_000_000),
    pieces=st.lists(st.integers(1, 5), min_size=1, max_size=12),
)
def test_a_line_returned_in_pieces_gives_back_exactly_its_net(net: int, pieces: list[int]) -> None:
    sold = line(1, sum(pieces), net)
    already, total, tax = 0, 0, 0
    for quantity in pieces:
        returned = returned_line(sold, already, quantity)
        assert returned.amount >= 0
        already += quantity
        total += returned.amount
        tax += returned.tax
    assert total == net
    assert returned_line(sold, 0, sum(pieces)).tax == tax


@given(
    paid=st.lists(st.integers(1, 100_000), min_size=1, max_size=4),
    returns=st.lists(st.integers(1, 100), min_size=1, max_size=6),
)
def test_refunds_spread_over_tenders_never_exceed_what_each_paid(
    paid: list[int], returns: list[int]
) -> None:
    payments = [TenderLine(f"p{i}", "cash", fen, fen, 0) for i, fen in enumerate(paid)]
    record = sale([line(1, 1, sum(paid))], payments)
    refunded: dict[str, int] = {}
    left = sum(paid)
    for percent in returns:
        amount = min(left, sum(paid) * percent // 100)
        parts = plan_refunds(record, amount, History({}, dict(refunded)), ["r"] * len(paid))
        assert sum(part.amount for part in parts) == amount
        for part in parts:
            refunded[part.payment_id] = refunded.get(part.payment_id, 0) + part.amount
        left -= amount
    assert all(refunded.get(p.payment_id, 0) <= p.amount for p in payments)


def test_a_split_sale_refunds_in_proportion() -> None:
    payments = [TenderLine("cash1", "cash", 300, 300, 0), TenderLine("wx1", "wechat", 700, 700, 0)]
    record = sale([line(1, 5, 1000)], payments)
    parts = plan_refunds(record, 200, NOTHING, ["a", "b"])
    assert [(p.refund_no, p.tender, p.amount) for p in parts] == [
        ("a", "cash", 60),
        ("b", "wechat", 140),
    ]


def test_more_than_is_left_cannot_be_returned() -> None:
    record = sale([line(1, 3, 600), line(2, 1, 500)], [TenderLine("c", "cash", 1100, 1100, 0)])
    history = History(returned={1: 2}, refunded={"c": 400})
    assert [r.quantity for r in plan_lines(record, {1: 1}, history)] == [1]
    with pytest.raises(ReturnError, match="Line 1 has 1 left to return, not 2"):
        plan_lines(record, {1: 2}, history)
    with pytest.raises(ReturnError, match="has no line 3"):
        plan_lines(record, {3: 1}, history)
    with pytest.raises(ReturnError, match="Pick the lines"):
        plan_lines(record, {1: 0}, history)
    with pytest.raises(ReturnError, match="left to refund"):
        plan_refunds(record, 800, history, ["r"])


def test_a_weighed_line_comes_back_whole() -> None:
    record = sale([line(1, 1, 1234, weight_g=615)], [TenderLine("c", "cash", 1234, 1234, 0)])
    (returned,) = plan_lines(record, {1: 1}, NOTHING)
    assert (returned.quantity, returned.amount) == (1, 1234)
    with pytest.raises(ReturnError):
        plan_lines(record, {1: 2}, NOTHING)
