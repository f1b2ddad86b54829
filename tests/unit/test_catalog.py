"""Catalog items, their validation, and the lookups a scan or price check uses."""

import dataclasses

import pytest

from pos.domain.catalog import Catalog, CatalogItem
from pos.domain.errors import DomainError


def item(sku: str = "1001", **changes: object) -> CatalogItem:
    fields: dict[str, object] = {
        "sku": sku,
        "barcode": None,
        "name_zh": "牛奶",
        "name_en": "Milk",
        "price": 350,
        "tax_rate_bp": 1300,
        "category": "dairy",
    }
    fields.update(changes)
    return CatalogItem(**fields)  # type: ignore[arg-type]


def test_item_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        item().price = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"sku": ""}, "SKU is empty"),
        ({"sku": " 1001"}, "surrounding spaces"),
        ({"name_zh": "", "name_en": ""}, "no name"),
        ({"price": -1}, "price cannot be negative"),
        ({"tax_rate_bp": -1}, "tax rate cannot be negative"),
        ({"barcode": "6901234567893"}, "wrong check digit"),
        ({"barcode": "690123456789"}, "wrong check digit"),
        ({"barcode": "12345"}, "8, 12 or 13 digits"),
        ({"barcode": "69012345678a2"}, "8, 12 or 13 digits"),
        ({"plu": "12a"}, "PLU must be digits"),
        ({"plu": ""}, "PLU must be digits"),
    ],
)
def test_invalid_items_are_refused_with_the_problem_named(
    changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(DomainError, match=problem) as caught:
        item(**changes)  # type: ignore[arg-type]
    assert caught.value.title == "Invalid catalog item"


@pytest.mark.parametrize(
    ("name_zh", "name_en", "lang", "shown"),
    [
        ("牛奶", "Milk", "zh-CN", "牛奶"),
        ("牛奶", "Milk", "en", "Milk"),
        ("牛奶", "Milk", "fr", "Milk"),
        ("", "Milk", "zh-CN", "Milk"),
        ("牛奶", "", "en", "牛奶"),
    ],
)
def test_name_falls_back_to_the_other_language(
    name_zh: str, name_en: str, lang: str, shown: str
) -> None:
    assert item(name_zh=name_zh, name_en=name_en).name(lang) == shown


MILK = item("1001", barcode="6901234567892")
COLA = item("1002", barcode="036000291452", name_zh="可乐", name_en="Cola", category="drinks")
GUM = item("1003", barcode="96385074", name_zh="口香糖", name_en="Chewing Gum")
APPLE = item(
    "2001", name_zh="苹果", name_en="Apple", price=1299, tax_rate_bp=900, weighed=True, plu="123"
)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog([MILK, COLA, GUM, APPLE])


def test_lookups(catalog: Catalog) -> None:
    assert len(catalog) == 4
    assert list(catalog) == [MILK, COLA, GUM, APPLE]
    assert catalog.by_sku("1002") is COLA
    assert catalog.by_sku("9999") is None
    assert catalog.by_barcode("6901234567892") is MILK
    assert catalog.by_barcode("96385074") is GUM
    assert catalog.by_barcode("4006381333931") is None
    assert catalog.by_barcode("not a code") is None
    assert catalog.by_plu("123") is APPLE
    assert catalog.by_plu("999") is None


def test_a_upc_a_is_found_in_its_zero_padded_ean_13_form(catalog: Catalog) -> None:
    assert catalog.by_barcode("036000291452") is COLA
    assert catalog.by_barcode("0036000291452") is COLA


def test_a_scale_plu_is_found_with_the_zero_padding_of_the_barcode_field(
    catalog: Catalog,
) -> None:
    assert catalog.by_plu("00123") is APPLE
    assert catalog.by_plu("") is None
    assert catalog.by_plu("12a") is None


@pytest.mark.parametrize(
    ("items", "title", "named"),
    [
        ([item("1"), item("1")], "Duplicate SKU", "'1'"),
        (
            [item("1", barcode="6901234567892"), item("2", barcode="6901234567892")],
            "Duplicate barcode",
            "6901234567892",
        ),
        (
            [item("1", barcode="036000291452"), item("2", barcode="0036000291452")],
            "Duplicate barcode",
            "0036000291452",
        ),
        ([item("1", plu="7"), item("2", plu="007")], "Duplicate PLU", "007"),
    ],
)
def test_duplicates_are_refused_and_named(items: list[CatalogItem], title: str, named: str) -> None:
    with pytest.raises(DomainError) as caught:
        Catalog(items)
    assert caught.value.title == title
    assert named in caught.value.message
    assert "'1'" in caught.value.message


@pytest.mark.parametrize(
    ("text", "skus"),
    [
        ("milk", ["1001"]),
        ("MILK", ["1001"]),
        ("  gum ", ["1003"]),
        ("牛", ["1001"]),
        ("苹果", ["2001"]),
        ("100", ["1001", "1002", "1003"]),
        ("0360002", ["1002"]),
        ("9638", ["1003"]),
        ("", []),
        ("   ", []),
        ("nothing like it", []),
    ],
)
def test_find_searches_names_sku_and_barcode_ignoring_case(
    catalog: Catalog, text: str, skus: list[str]
) -> None:
    assert [found.sku for found in catalog.find(text)] == skus


def test_find_returns_at_most_50_in_catalog_order() -> None:
    many = Catalog(item(f"S{number:03d}", name_en=f"Soap {number}") for number in range(120))
    found = many.find("soap")
    assert [found_item.sku for found_item in found] == [f"S{number:03d}" for number in range(50)]
