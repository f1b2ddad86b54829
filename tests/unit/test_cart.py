"""The cart: lines, discounts, totals and tax, refusals that change nothing, and persistence."""

import contextlib
import json
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.cart import Cart, CartLine, Discount
from pos.domain.catalog import Catalog, CatalogItem
from pos.domain.errors import CartError
from pos.domain.money import tax_included

MILK = CatalogItem("1001", "6901234567892", "牛奶", "Milk", 350, 1300, "dairy")
BREAD = CatalogItem("1002", None, "面包", "Bread", 1290, 900, "bakery")
BOOK = CatalogItem("1003", "4006381333931", "书", "Book", 4500, 0, "books")
GUM = CatalogItem("1004", "96385074", "口香糖", "Gum", 100, 1300, "snacks")
SODA = CatalogItem("1005", "036000291452", "汽水", "Soda", 100, 1300, "drinks")
CANDY = CatalogItem("1006", None, "糖", "Candy", 100, 1300, "snacks")
APPLE = CatalogItem("2001", None, "苹果", "Apple", 1299, 900, "produce", weighed=True, plu="123")
FREEBIE = CatalogItem("9001", None, "赠品", "Free gift", 0, 1300, "promo")
ITEMS = [MILK, BREAD, BOOK, GUM, SODA, CANDY, APPLE, FREEBIE]
CATALOG = Catalog(ITEMS)


def restore(
    data: dict[str, object], lookup: Callable[[str], CatalogItem | None] = CATALOG.by_sku
) -> Cart:
    return Cart.from_dict(data, lookup)


# Adding lines


def test_the_same_plain_item_on_the_last_line_is_counted_up() -> None:
    cart = Cart()
    first = cart.add(MILK)
    again = cart.add(MILK, 2)
    assert again is first
    assert [(line.line_id, line.item.sku, line.quantity) for line in cart.lines] == [(1, "1001", 3)]


def test_only_the_last_line_merges_so_lines_keep_the_scan_order() -> None:
    cart = Cart()
    cart.add(MILK)
    cart.add(BREAD)
    cart.add(MILK)
    assert [line.item.sku for line in cart.lines] == ["1001", "1002", "1001"]


@pytest.mark.parametrize(
    "prepare",
    [
        lambda cart, line_id: cart.override_price(line_id, 300),
        lambda cart, line_id: cart.set_line_discount(line_id, Discount(amount=50)),
    ],
)
def test_a_line_with_an_override_or_discount_does_not_merge(
    prepare: Callable[[Cart, int], None],
) -> None:
    cart = Cart()
    line = cart.add(MILK)
    prepare(cart, line.line_id)
    cart.add(MILK)
    assert [line.quantity for line in cart.lines] == [1, 1]


def test_a_changed_catalog_item_does_not_merge_with_the_old_one() -> None:
    cart = Cart()
    cart.add(MILK)
    cart.add(replace(MILK, price=399))
    assert [line.item.price for line in cart.lines] == [350, 399]


def test_weighed_and_labelled_items_always_get_their_own_line() -> None:
    cart = Cart()
    cart.add(APPLE, weight_g=500)
    cart.add(APPLE, weight_g=500)
    cart.add(APPLE, embedded_price=800)
    cart.add(MILK, embedded_price=350)
    cart.add(MILK)
    assert len(cart.lines) == 5
    assert all(line.quantity == 1 for line in cart.lines)


def test_line_ids_increase_and_are_never_reused() -> None:
    cart = Cart()
    cart.add(MILK)
    second = cart.add(BREAD)
    cart.remove(second.line_id)
    assert cart.add(BOOK).line_id == 3
    cart.clear()
    assert cart.is_empty
    assert cart.add(MILK).line_id == 4
    assert cart.line(4).item is MILK


def test_gross_amounts() -> None:
    cart = Cart()
    plain = cart.add(MILK, 3)
    weighed = cart.add(APPLE, weight_g=755)  # 1299 fen/kg * 0.755 kg = 980.745
    labelled = cart.add(APPLE, embedded_price=1234)
    assert (plain.gross, weighed.gross, labelled.gross) == (1050, 981, 1234)
    assert (plain.unit_price, weighed.unit_price, labelled.unit_price) == (350, 1299, 1234)


def test_a_weighed_amount_rounds_half_up() -> None:
    line = CartLine(1, replace(APPLE, price=1000), weight_g=1)  # 0.5 fen
    assert line.gross == 1
    assert replace(line, weight_g=2).gross == 2


def test_an_override_replaces_the_unit_price_the_price_per_kg_or_the_label_price() -> None:
    cart = Cart()
    plain = cart.add(MILK, 3)
    weighed = cart.add(APPLE, weight_g=500)
    labelled = cart.add(APPLE, embedded_price=1234)
    for line in (plain, weighed, labelled):
        cart.override_price(line.line_id, 1000)
    assert (plain.gross, weighed.gross, labelled.gross) == (3000, 500, 1000)


# Discounts


@pytest.mark.parametrize(
    ("discount", "base", "off"),
    [
        (Discount(amount=100), 350, 100),
        (Discount(amount=500), 350, 350),
        (Discount(percent_bp=1000), 1050, 105),
        (Discount(percent_bp=1500), 350, 53),  # 52.5 rounds half up
        (Discount(percent_bp=10_000), 350, 350),
        (Discount(percent_bp=1), 0, 0),
    ],
)
def test_amount_off(discount: Discount, base: int, off: int) -> None:
    assert discount.amount_off(base) == off


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"amount": 100, "percent_bp": 1000},
        {"amount": 0},
        {"amount": -5},
        {"percent_bp": 0},
        {"percent_bp": 10_001},
    ],
)
def test_invalid_discounts_are_refused(arguments: dict[str, int]) -> None:
    with pytest.raises(CartError, match="discount"):
        Discount(**arguments)  # type: ignore[arg-type]


def test_totals_worked_example() -> None:
    cart = Cart()
    milk = cart.add(MILK, 3)  # 1050 at 13 %
    bread = cart.add(BREAD)  # 1290 at 9 %
    book = cart.add(BOOK)  # 4500 at 0 %
    cart.set_line_discount(milk.line_id, Discount(percent_bp=1000, reason="promo"))  # -105
    cart.set_line_discount(bread.line_id, Discount(amount=90))  # -90
    cart.set_cart_discount(Discount(amount=500))  # over 945 + 1200 + 4500 = 6645
    totals = cart.totals()
    assert [(a.line_id, a.gross, a.line_discount) for a in totals.lines] == [
        (milk.line_id, 1050, 105),
        (bread.line_id, 1290, 90),
        (book.line_id, 4500, 0),
    ]
    # 500 * (945, 1200, 4500) / 6645 = (71.1, 90.3, 338.6) -> floors 71, 90, 338 + 1 to the book
    assert [a.cart_discount_share for a in totals.lines] == [71, 90, 339]
    assert [a.net for a in totals.lines] == [874, 1110, 4161]
    assert totals.subtotal == 6840
    assert totals.line_discounts == 195
    assert totals.cart_discount == 500
    assert totals.discount_total == 695
    assert totals.total == 6145
    # 874 * 13/113 = 100.55 -> 101; 1110 * 9/109 = 91.65 -> 92; nothing at 0 %
    assert totals.tax_by_rate == ((0, 0), (900, 92), (1300, 101))
    assert totals.item_count == 5


def test_tax_is_extracted_once_per_rate_not_per_line() -> None:
    cart = Cart()
    for item in (GUM, SODA, CANDY):  # three lines of 100 fen at 13 %
        cart.add(item)
    # Per line: 100 * 13/113 = 11.50 -> 12, three times 36; once on 300: 34.51 -> 35.
    assert cart.totals().tax_by_rate == ((1300, 35),)


def test_a_weighed_line_counts_as_one_item() -> None:
    cart = Cart()
    cart.add(APPLE, weight_g=1500)
    cart.add(MILK, 4)
    assert cart.totals().item_count == 5


def test_a_percent_cart_discount_applies_after_line_discounts() -> None:
    cart = Cart()
    line = cart.add(MILK, 2)  # 700
    cart.set_line_discount(line.line_id, Discount(amount=200))
    cart.set_cart_discount(Discount(percent_bp=1000))
    assert cart.totals().cart_discount == 50
    assert cart.totals().total == 450


def test_a_fixed_cart_discount_is_capped_when_lines_are_removed_later() -> None:
    cart = Cart()
    cart.add(MILK)
    book = cart.add(BOOK)
    cart.set_cart_discount(Discount(amount=1000))
    cart.remove(book.line_id)
    totals = cart.totals()
    assert totals.cart_discount == 350
    assert totals.total == 0


def test_an_empty_cart_totals_to_zero() -> None:
    totals = Cart().totals()
    assert (totals.lines, totals.subtotal, totals.total, totals.tax_by_rate, totals.item_count) == (
        (), 0, 0, (), 0,
    )  # fmt: skip


discounts = st.one_of(
    st.none(),
    st.builds(Discount, amount=st.integers(min_value=1, max_value=20_000)),
    st.builds(Discount, percent_bp=st.integers(min_value=1, max_value=10_000)),
)


@st.composite
def carts(draw: st.DrawFn) -> Cart:
    """Carts built through the public operations; refused steps are part of the story."""
    cart = Cart()
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        item = draw(st.sampled_from(ITEMS))
        try:
            if item.weighed and draw(st.booleans()):
                line = cart.add(item, weight_g=draw(st.integers(min_value=1, max_value=30_000)))
            elif item.weighed or draw(st.integers(min_value=0, max_value=5)) == 0:
                price = draw(st.integers(min_value=0, max_value=99_999))
                line = cart.add(item, embedded_price=price)
            else:
                line = cart.add(item, draw(st.integers(min_value=1, max_value=20)))
            if draw(st.integers(min_value=0, max_value=3)) == 0:
                cart.override_price(line.line_id, draw(st.integers(min_value=0, max_value=99_999)))
            cart.set_line_discount(line.line_id, draw(discounts))
        except CartError:
            pass
    with contextlib.suppress(CartError):
        cart.set_cart_discount(draw(discounts))
    if draw(st.booleans()) and cart.lines:
        cart.remove(draw(st.sampled_from(cart.lines)).line_id)
    return cart


@given(carts())
def test_totals_add_up_and_never_go_negative(cart: Cart) -> None:
    totals = cart.totals()
    assert [amounts.line_id for amounts in totals.lines] == [line.line_id for line in cart.lines]
    for amounts, line in zip(totals.lines, cart.lines, strict=True):
        assert amounts.gross == line.gross
        assert 0 <= amounts.line_discount <= amounts.gross
        assert amounts.net == amounts.gross - amounts.line_discount - amounts.cart_discount_share
        assert amounts.net >= 0
    assert totals.total == sum(amounts.net for amounts in totals.lines)
    assert totals.subtotal == sum(amounts.gross for amounts in totals.lines)
    assert totals.line_discounts == sum(amounts.line_discount for amounts in totals.lines)
    assert totals.cart_discount == sum(amounts.cart_discount_share for amounts in totals.lines)
    assert totals.discount_total == totals.line_discounts + totals.cart_discount
    assert totals.total == totals.subtotal - totals.discount_total >= 0
    assert totals.item_count == sum(line.quantity for line in cart.lines)


@given(carts())
def test_the_cart_discount_is_spread_in_proportion_within_one_fen(cart: Cart) -> None:
    totals = cart.totals()
    remaining = [amounts.gross - amounts.line_discount for amounts in totals.lines]
    if sum(remaining) == 0:
        return
    for amounts, left in zip(totals.lines, remaining, strict=True):
        exact = Fraction(totals.cart_discount * left, sum(remaining))
        assert abs(amounts.cart_discount_share - exact) < 1


@given(carts())
def test_tax_by_rate_is_per_rate_group_and_never_exceeds_the_net(cart: Cart) -> None:
    totals = cart.totals()
    net_by_rate: dict[int, int] = {}
    for amounts, line in zip(totals.lines, cart.lines, strict=True):
        rate = line.item.tax_rate_bp
        net_by_rate[rate] = net_by_rate.get(rate, 0) + amounts.net
    assert [rate for rate, _ in totals.tax_by_rate] == sorted(net_by_rate)
    for rate, tax in totals.tax_by_rate:
        assert 0 <= tax <= net_by_rate[rate]
        assert tax == tax_included(net_by_rate[rate], rate)
        assert abs(tax - Fraction(net_by_rate[rate] * rate, 10_000 + rate)) <= Fraction(1, 2)


# Refusals change nothing


def prepared_cart() -> Cart:
    cart = Cart()
    cart.add(APPLE, weight_g=500)
    discounted = cart.add(BREAD, 3)
    cart.set_line_discount(discounted.line_id, Discount(amount=3000))
    cart.add(MILK, 2)
    cart.set_cart_discount(Discount(percent_bp=500))
    return cart


REFUSALS: list[tuple[str, Callable[[Cart], object], str]] = [
    ("unknown line: line", lambda cart: cart.line(99), "Line 99 is not in this sale"),
    ("unknown line: quantity", lambda cart: cart.set_quantity(99, 2), "Line 99"),
    ("unknown line: remove", lambda cart: cart.remove(99), "Line 99"),
    ("unknown line: discount", lambda cart: cart.set_line_discount(99, None), "Line 99"),
    ("unknown line: override", lambda cart: cart.override_price(99, 100), "Line 99"),
    ("quantity zero", lambda cart: cart.set_quantity(3, 0), "between 1 and 9999, not 0"),
    ("quantity too big", lambda cart: cart.set_quantity(3, 10_000), "not 10000"),
    ("add zero on a new line", lambda cart: cart.add(BOOK, 0), "not 0"),
    ("add zero to the last line", lambda cart: cart.add(MILK, 0), "not 0"),
    ("new line over the limit", lambda cart: cart.add(BOOK, 10_000), "not 10000"),
    ("merge past the limit", lambda cart: cart.add(MILK, 9998), "not 10000"),
    ("quantity on a weighed line", lambda cart: cart.set_quantity(1, 2), "was weighed or labelled"),
    (
        "line discount too large",
        lambda cart: cart.set_line_discount(3, Discount(amount=701)),
        "¥7.01 is more than the line (¥7.00)",
    ),
    (
        "cart discount too large",
        lambda cart: cart.set_cart_discount(Discount(amount=99_999)),
        "is more than the sale",
    ),
    (
        "quantity below the line's fixed discount",
        lambda cart: cart.set_quantity(2, 2),
        "¥30.00 is more than the line (¥25.80)",
    ),
    (
        "override below the line's fixed discount",
        lambda cart: cart.override_price(2, 300),
        "¥30.00 is more than the line (¥9.00)",
    ),
    ("negative override", lambda cart: cart.override_price(3, -1), "cannot be negative"),
    ("weighed without a weight", lambda cart: cart.add(APPLE), "sold by weight; weigh it"),
    ("weight on a unit item", lambda cart: cart.add(MILK, weight_g=500), "not sold by weight"),
    ("zero weight", lambda cart: cart.add(APPLE, weight_g=0), "more than 0 g, not 0 g"),
    (
        "weight and label price",
        lambda cart: cart.add(APPLE, weight_g=100, embedded_price=100),
        "not both",
    ),
    ("several packages on one line", lambda cart: cart.add(APPLE, 2, weight_g=100), "one package"),
    ("negative label price", lambda cart: cart.add(MILK, embedded_price=-1), "cannot be negative"),
]


@pytest.mark.parametrize(
    ("operation", "message"),
    [(operation, message) for _, operation, message in REFUSALS],
    ids=[name for name, _, _ in REFUSALS],
)
def test_every_refusal_is_specific_and_changes_nothing(
    operation: Callable[[Cart], object], message: str
) -> None:
    cart = prepared_cart()
    before = cart.to_dict()
    with pytest.raises(CartError) as caught:
        operation(cart)
    assert message in caught.value.message
    assert cart.to_dict() == before


def test_the_refusal_table_is_about_this_cart() -> None:
    cart = prepared_cart()
    assert [(line.line_id, line.item.sku, line.gross) for line in cart.lines] == [
        (1, "2001", 650), (2, "1002", 3870), (3, "1001", 700),
    ]  # fmt: skip


# Persistence


def assert_json_safe(value: object) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            assert_json_safe(item)
    elif isinstance(value, list):
        for item in value:
            assert_json_safe(item)
    else:
        assert value is None or isinstance(value, str | int | bool)


@given(carts())
def test_to_dict_round_trips_exactly_through_json(cart: Cart) -> None:
    data = cart.to_dict()
    assert_json_safe(data)
    restored = restore(json.loads(json.dumps(data)))
    assert restored.to_dict() == data
    assert restored.totals() == cart.totals()
    assert restored.cart_discount == cart.cart_discount


def test_a_restored_cart_keeps_counting_line_ids() -> None:
    cart = Cart()
    cart.add(MILK)
    cart.remove(cart.add(BREAD).line_id)
    restored = restore(cart.to_dict())
    assert restored.add(BOOK).line_id == 3


def test_a_restored_line_still_merges_with_the_same_catalog_item() -> None:
    cart = Cart()
    cart.add(MILK)
    restored = restore(cart.to_dict())
    restored.add(MILK)
    assert [line.quantity for line in restored.lines] == [2]


def test_restore_keeps_the_price_the_customer_was_shown() -> None:
    cart = Cart()
    cart.add(MILK, 2)
    repriced = Catalog([replace(MILK, price=999, name_en="Fresh Milk", category="chilled")])
    line = restore(cart.to_dict(), repriced.by_sku).lines[0]
    assert (line.item.price, line.item.name_en) == (350, "Milk")
    assert line.item.category == "chilled"


def test_restore_works_when_the_item_left_the_catalog() -> None:
    cart = Cart()
    cart.add(APPLE, weight_g=250)
    data = cart.to_dict()
    assert restore(data, lambda sku: None).to_dict() == data


def test_a_fixed_cart_discount_larger_than_what_is_left_still_restores() -> None:
    cart = Cart()
    cart.add(MILK)
    book = cart.add(BOOK)
    cart.set_cart_discount(Discount(amount=3000))
    cart.remove(book.line_id)
    data = cart.to_dict()
    restored = restore(data)
    assert restored.to_dict() == data
    assert restored.totals().total == 0


def saved_cart() -> dict[str, object]:
    return prepared_cart().to_dict()


def first_line(data: dict[str, object]) -> dict[str, object]:
    lines = data["lines"]
    assert isinstance(lines, list)
    line = lines[0]
    assert isinstance(line, dict)
    return line


def snapshot(data: dict[str, object]) -> dict[str, object]:
    item = first_line(data)["item"]
    assert isinstance(item, dict)
    return item


CORRUPTIONS: list[tuple[str, Callable[[dict[str, object]], object], str]] = [
    ("wrong version", lambda data: data.update(version=2), "format version 2"),
    ("missing lines", lambda data: data.pop("lines"), "'lines' is missing"),
    ("lines not a list", lambda data: data.update(lines={}), "'lines' is not a list"),
    ("line not an object", lambda data: data.update(lines=[1]), "a line is not an object"),
    ("text quantity", lambda data: first_line(data).update(quantity="2"), "'quantity' is not"),
    ("bool quantity", lambda data: first_line(data).update(quantity=True), "'quantity' is not"),
    ("weighed quantity", lambda data: first_line(data).update(quantity=0), "one package"),
    ("line id reused", lambda data: first_line(data).update(line_id=3), "out of order"),
    ("next id too small", lambda data: data.update(next_line_id=2), "already in use"),
    ("item missing", lambda data: first_line(data).pop("item"), "'item' is missing"),
    ("bad snapshot", lambda data: snapshot(data).update(price=-1), "price cannot be negative"),
    (
        "bad discount",
        lambda data: data.update(discount={"amount": 1, "percent_bp": 1, "reason": ""}),
        "not both",
    ),
    (
        "discount not an object",
        lambda data: data.update(discount=[1]),
        "a discount is not an object",
    ),
]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [(corrupt, message) for _, corrupt, message in CORRUPTIONS],
    ids=[name for name, _, _ in CORRUPTIONS],
)
def test_a_corrupt_saved_cart_is_refused_with_a_reason(
    corrupt: Callable[[dict[str, object]], object], message: str
) -> None:
    data = saved_cart()
    corrupt(data)
    with pytest.raises(CartError) as caught:
        restore(data)
    assert message in caught.value.message
