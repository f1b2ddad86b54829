"""The sale in progress: lines, discounts, and the totals the customer pays.

Every operation either succeeds completely or raises `CartError` and leaves the
cart exactly as it was, so a refused keypress at the counter can never leave a
half-applied change behind. All amounts are fen; see `Cart.totals` for the
rounding rules.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from pos.domain.catalog import CatalogItem
from pos.domain.errors import CartError, DomainError
from pos.domain.money import allocate, divide, format_money, tax_included

_MAX_QUANTITY = 9999
_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Discount:
    """Money off a line or the whole cart: a fixed amount or a percentage, never both."""

    amount: int | None = None
    percent_bp: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.amount is None) == (self.percent_bp is None):
            raise CartError(
                "Invalid discount", "A discount is either an amount or a percentage, not both."
            )
        if self.amount is not None and self.amount <= 0:
            raise CartError("Invalid discount", "A discount amount must be more than zero.")
        if self.percent_bp is not None and not 0 < self.percent_bp <= 10_000:
            raise CartError(
                "Invalid discount", "A percentage discount must be more than 0 % and at most 100 %."
            )

    def amount_off(self, base: int) -> int:
        """The fen taken off a non-negative `base`: at most `base`, percentages rounded half up."""
        if self.amount is not None:
            return min(self.amount, base)
        assert self.percent_bp is not None  # __post_init__ guarantees exactly one is set
        return divide(base * self.percent_bp, 10_000)


@dataclass(slots=True)
class CartLine:
    """One line of the sale.

    A plain line is `quantity` units at the item's price. A weighed line is one
    weighing (`weight_g`) at the price per kilogram, and a price-embedded line is
    one scale label whose price is `embedded_price`; both always have quantity 1.
    `price_override` replaces the unit price, the price per kilogram or the label
    price respectively.
    """

    line_id: int
    item: CatalogItem
    quantity: int = 1
    weight_g: int | None = None
    embedded_price: int | None = None
    price_override: int | None = None
    discount: Discount | None = None

    @property
    def measured(self) -> bool:
        """Weighed or labelled: one physical package per line, so the quantity is fixed."""
        return self.weight_g is not None or self.embedded_price is not None

    @property
    def unit_price(self) -> int:
        """Per unit, per kilogram on a weighed line, or the label price; after any override."""
        if self.price_override is not None:
            return self.price_override
        if self.embedded_price is not None:
            return self.embedded_price
        return self.item.price

    @property
    def gross(self) -> int:
        """The line's amount before discounts; a weighed amount is rounded half up to the fen."""
        if self.weight_g is not None:
            return divide(self.unit_price * self.weight_g, 1000)
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """How one line's amount came about:
    gross - line_discount - cart_discount_share - coupon_off = net."""

    line_id: int
    gross: int
    line_discount: int
    cart_discount_share: int
    net: int
    coupon_off: int = 0
    """What coupons and the member's tier took off this line (pos.domain.coupons)."""

    @property
    def discount(self) -> int:
        """Everything taken off the line."""
        return self.line_discount + self.cart_discount_share + self.coupon_off


@dataclass(frozen=True, slots=True)
class CartTotals:
    """Everything the screen, the receipt and the ledger need to show for a cart."""

    lines: tuple[LineAmounts, ...]
    subtotal: int
    line_discounts: int
    cart_discount: int
    discount_total: int
    """Line, cart and coupon discounts together."""
    total: int
    tax_by_rate: tuple[tuple[int, int], ...]
    item_count: int
    coupon_off: int = 0
    """What coupons and the member's tier took off the sale."""


class Cart:
    """The mutable sale in progress, with stable line ids the UI can refer to.

    Line ids increase and are never reused within a cart, not even after
    `clear`, so a stale id from the screen can only ever miss, never hit the
    wrong line.
    """

    __slots__ = ("_discount", "_lines", "_next_line_id")

    def __init__(self) -> None:
        self._lines: list[CartLine] = []
        self._next_line_id = 1
        self._discount: Discount | None = None

    @property
    def lines(self) -> tuple[CartLine, ...]:
        return tuple(self._lines)

    @property
    def is_empty(self) -> bool:
        return not self._lines

    @property
    def cart_discount(self) -> Discount | None:
        return self._discount

    def line(self, line_id: int) -> CartLine:
        for line in self._lines:
            if line.line_id == line_id:
                return line
        raise CartError("No such line", f"Line {line_id} is not in this sale.")

    def add(
        self,
        item: CatalogItem,
        quantity: int = 1,
        *,
        weight_g: int | None = None,
        embedded_price: int | None = None,
    ) -> CartLine:
        """Add `item`, or add to the last line when the same plain item was just scanned.

        Only the last line merges, so scanning A, B, A shows three lines in the
        order the customer sees them rung up; lines with an override or a
        discount never merge, because the new units were not part of that deal.
        """
        measured = weight_g is not None or embedded_price is not None
        if not measured and self._lines:
            last = self._lines[-1]
            if (
                last.item == item
                and not last.measured
                and last.price_override is None
                and last.discount is None
            ):
                _check_quantity(quantity)
                _check_quantity(last.quantity + quantity)
                last.quantity += quantity
                return last
        return self._append(item, quantity, weight_g, embedded_price)

    def _append(
        self, item: CatalogItem, quantity: int, weight_g: int | None, embedded_price: int | None
    ) -> CartLine:
        _check_new_line(item, quantity, weight_g, embedded_price)
        line = CartLine(self._next_line_id, item, quantity, weight_g, embedded_price)
        self._next_line_id += 1
        self._lines.append(line)
        return line

    def set_quantity(self, line_id: int, quantity: int) -> None:
        line = self.line(line_id)
        if line.measured:
            raise CartError(
                "Quantity is fixed",
                f"{line.item.name('en')} was weighed or labelled; remove the line and scan "
                "each package instead.",
            )
        _check_quantity(quantity)
        _check_discount_fits(line.discount, replace(line, quantity=quantity).gross, "line")
        line.quantity = quantity

    def remove(self, line_id: int) -> None:
        line = self.line(line_id)
        self._lines = [other for other in self._lines if other is not line]

    def check_line_discount(self, line_id: int, discount: Discount | None) -> None:
        """Raise CartError if the discount cannot be given (before a manager is asked)."""
        _check_discount_fits(discount, self.line(line_id).gross, "line")

    def set_line_discount(self, line_id: int, discount: Discount | None) -> None:
        self.check_line_discount(line_id, discount)
        self.line(line_id).discount = discount

    def check_price_override(self, line_id: int, unit_price: int) -> None:
        """Raise CartError if the price cannot be set (before a manager is asked)."""
        line = self.line(line_id)
        if unit_price < 0:
            raise CartError("Negative price", "A price cannot be negative.")
        _check_discount_fits(line.discount, replace(line, price_override=unit_price).gross, "line")

    def override_price(self, line_id: int, unit_price: int) -> None:
        """Set a new unit price: per kilogram when weighed, the label price when labelled."""
        self.check_price_override(line_id, unit_price)
        self.line(line_id).price_override = unit_price

    def set_cart_discount(self, discount: Discount | None) -> None:
        """Set the discount on the whole sale.

        A fixed amount must fit the sale as it is now; if lines are removed later
        it is capped at what is left, so the total never goes below zero.
        """
        totals = self.totals()
        _check_discount_fits(discount, totals.subtotal - totals.line_discounts, "sale")
        self._discount = discount

    def clear(self) -> None:
        self._lines = []
        self._discount = None

    def totals(self, coupon_off: Mapping[int, int] | None = None) -> CartTotals:
        """Compute the sale's amounts; `coupon_off` is fen off by line id, as chosen by
        pos.domain.coupons on the amounts this returns without it.

        Order and rounding rules:

        1. gross per line (weighed amounts rounded half up to the fen);
        2. the line discount, capped at the gross (percentages half up);
        3. the cart discount, computed on the sum of what is left after line
           discounts, then spread over the lines in proportion to it by largest
           remainder, so the shares add up to the discount exactly and no net
           goes below zero;
        4. coupons, each line's share capped at what is left of it;
        5. tax is extracted per tax rate, not per line: for each rate, the
           tax-inclusive nets of all lines at that rate are summed and the tax
           part of that sum is rounded half up once. Per-line rounding would
           let a receipt of many cheap items drift by several fen from the tax
           on their total.
        """
        lines = self._lines
        grosses = [line.gross for line in lines]
        line_discounts = [_line_discount(line) for line in lines]
        remaining = [gross - off for gross, off in zip(grosses, line_discounts, strict=True)]
        cart_discount = self._discount.amount_off(sum(remaining)) if self._discount else 0
        shares = allocate(cart_discount, remaining)
        nets = [left - share for left, share in zip(remaining, shares, strict=True)]
        coupons = [0] * len(lines)
        if coupon_off:
            coupons = [
                min(coupon_off.get(line.line_id, 0), net)
                for line, net in zip(lines, nets, strict=True)
            ]
            nets = [net - off for net, off in zip(nets, coupons, strict=True)]
        net_by_rate: dict[int, int] = {}
        for line, net in zip(lines, nets, strict=True):
            rate = line.item.tax_rate_bp
            net_by_rate[rate] = net_by_rate.get(rate, 0) + net
        return CartTotals(
            lines=tuple(
                LineAmounts(line.line_id, gross, off, share, net, coupon)
                for line, gross, off, share, net, coupon in zip(
                    lines, grosses, line_discounts, shares, nets, coupons, strict=True
                )
            ),
            subtotal=sum(grosses),
            line_discounts=sum(line_discounts),
            cart_discount=cart_discount,
            discount_total=sum(line_discounts) + cart_discount + sum(coupons),
            total=sum(nets),
            tax_by_rate=tuple(
                (rate, tax_included(net, rate)) for rate, net in sorted(net_by_rate.items())
            ),
            item_count=sum(line.quantity for line in lines),
            coupon_off=sum(coupons),
        )

    def to_dict(self) -> dict[str, object]:
        """The cart as JSON-safe data, so a sale in progress survives a crash or restart.

        Each line keeps a full snapshot of its item, so the customer is charged
        the price they were shown even if the catalog changes meanwhile.
        """
        return {
            "version": _FORMAT_VERSION,
            "next_line_id": self._next_line_id,
            "discount": _discount_to_dict(self._discount),
            "lines": [
                {
                    "line_id": line.line_id,
                    "item": _item_to_dict(line.item),
                    "quantity": line.quantity,
                    "weight_g": line.weight_g,
                    "embedded_price": line.embedded_price,
                    "price_override": line.price_override,
                    "discount": _discount_to_dict(line.discount),
                }
                for line in self._lines
            ],
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, object],
        catalog_lookup: Callable[[str], CatalogItem | None],
    ) -> "Cart":
        """Restore a cart saved by `to_dict`, applying every rule a live cart enforces.

        What the customer saw and what they pay (names, price, tax rate, sold by
        weight) comes from the snapshot. Barcode, category and PLU follow the
        current catalog when it still has the SKU, so the sale is filed the way a
        sale completed today would be; a SKU gone from the catalog restores from
        the snapshot alone.
        """
        if _int(data, "version") != _FORMAT_VERSION:
            raise _unreadable(f"format version {data['version']} is not {_FORMAT_VERSION}")
        cart = cls()
        for entry in _list(data, "lines"):
            line_data = _mapping(entry, "a line")
            line_id = _int(line_data, "line_id")
            if line_id < cart._next_line_id:
                raise _unreadable(f"line {line_id} is out of order")
            cart._next_line_id = line_id
            item = _restore_item(_mapping(_field(line_data, "item"), "an item"), catalog_lookup)
            line = cart._append(
                item,
                _int(line_data, "quantity"),
                _optional_int(line_data, "weight_g"),
                _optional_int(line_data, "embedded_price"),
            )
            override = _optional_int(line_data, "price_override")
            if override is not None:
                cart.override_price(line.line_id, override)
            cart.set_line_discount(line.line_id, _discount_from(line_data, "discount"))
        next_line_id = _int(data, "next_line_id")
        if next_line_id < cart._next_line_id:
            raise _unreadable(f"the next line id {next_line_id} is already in use")
        cart._next_line_id = next_line_id
        # Not set_cart_discount: a fixed cart discount may legitimately exceed
        # what is left after lines were removed, and is capped in totals().
        cart._discount = _discount_from(data, "discount")
        return cart


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= _MAX_QUANTITY:
        raise CartError(
            "Quantity out of range",
            f"A line's quantity must be between 1 and {_MAX_QUANTITY}, not {quantity}.",
        )


def _check_new_line(
    item: CatalogItem, quantity: int, weight_g: int | None, embedded_price: int | None
) -> None:
    if weight_g is None and embedded_price is None:
        if item.weighed:
            raise CartError(
                "Sold by weight",
                f"{item.name('en')} is sold by weight; weigh it or scan its scale label.",
            )
        _check_quantity(quantity)
        return
    if weight_g is not None and embedded_price is not None:
        raise CartError(
            "Weight or label price",
            "A line is priced by its weight or by its label price, not both.",
        )
    if quantity != 1:
        raise CartError(
            "One package per line", "A weighed or labelled item is added one package at a time."
        )
    if weight_g is not None and not item.weighed:
        raise CartError("Not sold by weight", f"{item.name('en')} is not sold by weight.")
    if weight_g is not None and weight_g <= 0:
        raise CartError("No weight", f"The weight must be more than 0 g, not {weight_g} g.")
    if embedded_price is not None and embedded_price < 0:
        raise CartError("Negative price", "A label price cannot be negative.")


def _line_discount(line: CartLine) -> int:
    return line.discount.amount_off(line.gross) if line.discount else 0


def _check_discount_fits(discount: Discount | None, base: int, what: str) -> None:
    if discount is not None and discount.amount is not None and discount.amount > base:
        raise CartError(
            "Discount too large",
            f"A discount of {format_money(discount.amount)} is more than the {what} "
            f"({format_money(base)}).",
        )


def _item_to_dict(item: CatalogItem) -> dict[str, object]:
    return {
        "sku": item.sku,
        "barcode": item.barcode,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "price": item.price,
        "tax_rate_bp": item.tax_rate_bp,
        "category": item.category,
        "weighed": item.weighed,
        "plu": item.plu,
    }


def _restore_item(
    data: Mapping[str, object], catalog_lookup: Callable[[str], CatalogItem | None]
) -> CatalogItem:
    try:
        snapshot = CatalogItem(
            sku=_str(data, "sku"),
            barcode=_optional_str(data, "barcode"),
            name_zh=_str(data, "name_zh"),
            name_en=_str(data, "name_en"),
            price=_int(data, "price"),
            tax_rate_bp=_int(data, "tax_rate_bp"),
            category=_str(data, "category"),
            weighed=_bool(data, "weighed"),
            plu=_optional_str(data, "plu"),
        )
    except CartError:
        raise  # a missing or mistyped field, already worded as unreadable
    except DomainError as error:
        raise _unreadable(error.message) from error
    current = catalog_lookup(snapshot.sku)
    if current is None:
        return snapshot
    return replace(snapshot, barcode=current.barcode, category=current.category, plu=current.plu)


def _discount_to_dict(discount: Discount | None) -> dict[str, object] | None:
    if discount is None:
        return None
    return {"amount": discount.amount, "percent_bp": discount.percent_bp, "reason": discount.reason}


def _discount_from(data: Mapping[str, object], key: str) -> Discount | None:
    value = _field(data, key)
    if value is None:
        return None
    fields = _mapping(value, "a discount")
    return Discount(
        amount=_optional_int(fields, "amount"),
        percent_bp=_optional_int(fields, "percent_bp"),
        reason=_str(fields, "reason"),
    )


def _unreadable(detail: str) -> CartError:
    return CartError("Saved sale unreadable", f"The saved sale cannot be restored: {detail}.")


def _field(data: Mapping[str, object], key: str) -> object:
    if key not in data:
        raise _unreadable(f"'{key}' is missing")
    return data[key]


def _int(data: Mapping[str, object], key: str) -> int:
    value = _field(data, key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _unreadable(f"'{key}' is not a whole number")
    return value


def _optional_int(data: Mapping[str, object], key: str) -> int | None:
    return None if _field(data, key) is None else _int(data, key)


def _str(data: Mapping[str, object], key: str) -> str:
    value = _field(data, key)
    if not isinstance(value, str):
        raise _unreadable(f"'{key}' is not text")
    return value


def _optional_str(data: Mapping[str, object], key: str) -> str | None:
    return None if _field(data, key) is None else _str(data, key)


def _bool(data: Mapping[str, object], key: str) -> bool:
    value = _field(data, key)
    if not isinstance(value, bool):
        raise _unreadable(f"'{key}' is not true or false")
    return value


def _list(data: Mapping[str, object], key: str) -> list[object]:
    value = _field(data, key)
    if not isinstance(value, list):
        raise _unreadable(f"'{key}' is not a list")
    return value


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise _unreadable(f"{what} is not an object")
    return value
