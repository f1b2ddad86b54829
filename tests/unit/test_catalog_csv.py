"""The catalog CSV format: the shipped demo catalog, round trips, and every reported mistake."""

import io
import operator
import re
import string
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.catalog_csv import (
    COLUMNS,
    CatalogFile,
    RowError,
    load_demo_catalog,
    read_catalog_csv,
    write_catalog_csv,
)
from pos.domain.barcodes import gtin_check_digit, has_valid_check_digit
from pos.domain.catalog import Catalog, CatalogItem

HEADER = ",".join(COLUMNS)
WATER = "6921168509256,1001,农夫山泉饮用天然水 550ml,Nongfu Spring Water 550ml,2.00,13,饮料,0,"
BANANAS = ",P00001,香蕉,Bananas,7.90,9,生鲜,1,10001"
GOOD_ROW = {
    "barcode": "6901234567892",
    "sku": "2001",
    "name_zh": "伊利纯牛奶 250ml",
    "name_en": "Yili Pure Milk 250ml",
    "price": "3.50",
    "tax_rate": "9",
    "category": "乳制品",
    "weighed": "0",
    "plu": "",
}
COKE = CatalogItem(
    sku="1001",
    barcode=None,
    name_zh="可口可乐 330ml",
    name_en="Coca-Cola 330ml",
    price=300,
    tax_rate_bp=1300,
    category="饮料",
)
HAN = re.compile(r"[\u4e00-\u9fff]")


def read(text: str) -> CatalogFile:
    return read_catalog_csv(io.StringIO(text, newline=""))


def row(**changes: str) -> str:
    values = GOOD_ROW | changes
    return ",".join(values[column] for column in COLUMNS)


def written(items: list[CatalogItem]) -> str:
    stream = io.StringIO(newline="")
    write_catalog_csv(items, stream)
    return stream.getvalue()


def item(**changes: Any) -> CatalogItem:
    return replace(COKE, **changes)


# The demo catalog


def test_the_demo_catalog_file_reads_without_errors() -> None:
    text = resources.files("pos.demo").joinpath("catalog.csv").read_text(encoding="utf-8")

    catalog = read(text)

    assert catalog.errors == ()
    assert catalog.items == load_demo_catalog()


def test_the_demo_catalog_is_utf8_without_a_bom_in_the_writers_own_format() -> None:
    raw = resources.files("pos.demo").joinpath("catalog.csv").read_bytes()

    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8") == written(list(load_demo_catalog()))


def test_the_demo_catalog_is_a_whole_store() -> None:
    items = load_demo_catalog()

    assert len(items) >= 60
    assert len({item.category for item in items}) >= 8
    assert {0, 900, 1300} <= {item.tax_rate_bp for item in items}
    weighed = [item for item in items if item.weighed]
    assert len(weighed) >= 6
    assert all(item.plu and item.barcode is None for item in weighed)


def test_every_demo_item_has_a_chinese_and_an_english_name() -> None:
    for item in load_demo_catalog():
        assert HAN.search(item.name_zh), item
        assert item.name_en.isascii(), item
        assert re.search("[A-Za-z]", item.name_en), item


def test_demo_barcodes_are_valid_and_of_every_symbology() -> None:
    barcodes = [item.barcode for item in load_demo_catalog() if item.barcode]

    assert all(has_valid_check_digit(barcode) for barcode in barcodes)
    assert {len(barcode) for barcode in barcodes} == {8, 12, 13}


def test_demo_skus_barcodes_and_plus_are_unique() -> None:
    items = load_demo_catalog()
    barcodes = [item.barcode.zfill(14) for item in items if item.barcode]
    plus = [item.plu for item in items if item.plu]

    assert len({item.sku for item in items}) == len(items)
    assert len(set(barcodes)) == len(barcodes)
    assert len(set(plus)) == len(plus)
    assert len(Catalog(items)) == len(items)


def test_a_broken_demo_catalog_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "catalog.csv").write_text(f"{HEADER}\n{row(price='free')}\n", encoding="utf-8")
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)

    with pytest.raises(RuntimeError, match="line 2, column price"):
        load_demo_catalog()


# Writing and reading back

names = (
    st.text(
        st.one_of(
            st.characters(categories=("L", "N", "P", "S", "Zs")),
            st.sampled_from("农夫山泉牛奶啤酒面包 "),
            # What CSV has to quote, given its own branch so that most catalogs contain some.
            st.sampled_from(',"\n'),
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
barcodes = (
    st.sampled_from((7, 11, 12))
    .flatmap(lambda length: st.text("0123456789", min_size=length, max_size=length))
    .map(lambda body: body + str(gtin_check_digit(body)))
)
plus = st.text("0123456789", min_size=5, max_size=5)
# Spelled out rather than st.from_regex, whose first use on a fresh checkout takes seconds.
skus = st.builds(
    operator.add,
    st.sampled_from(string.ascii_letters + string.digits),
    st.text(string.ascii_letters + string.digits + "_.-", max_size=31),
)


@st.composite
def catalog_items(draw: st.DrawFn) -> CatalogItem:
    weighed = draw(st.booleans())
    return CatalogItem(
        sku=draw(skus),
        barcode=draw(st.none() | barcodes),
        name_zh=draw(names),
        name_en=draw(names),
        price=draw(st.integers(1, 10**12 - 1)),
        tax_rate_bp=draw(st.integers(0, 10_000)),
        category=draw(names),
        weighed=weighed,
        plu=draw(plus if weighed else st.none() | plus),
    )


catalogs = st.lists(
    catalog_items(),
    max_size=8,
    unique_by=(
        lambda item: item.sku,
        lambda item: item.barcode.zfill(14) if item.barcode else f"no barcode: {item.sku}",
        lambda item: item.plu or f"no PLU: {item.sku}",
    ),
)


@given(catalogs)
def test_what_is_written_reads_back_as_the_same_items(items: list[CatalogItem]) -> None:
    stream = io.StringIO(newline="")

    count = write_catalog_csv(items, stream)

    assert count == len(items)
    assert read(stream.getvalue()) == CatalogFile(tuple(items), ())


def test_the_written_format_is_yuan_and_percent_under_a_header() -> None:
    items = [
        item(barcode="6921168509256", name_zh='水, "好"\n喝', tax_rate_bp=650),
        item(
            sku="P00001",
            name_zh="香蕉",
            name_en="Bananas",
            price=790,
            tax_rate_bp=900,
            category="生鲜",
            weighed=True,
            plu="10001",
        ),
    ]

    assert written(items) == (
        f"{HEADER}\n"
        '6921168509256,1001,"水, ""好""\n喝",Coca-Cola 330ml,3.00,6.5,饮料,0,\n'
        ",P00001,香蕉,Bananas,7.90,9,生鲜,1,10001\n"
    )


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (item(name_en=" Coca-Cola"), "exactly"),
        (item(name_zh=""), "exactly"),
        (item(price=0), "price"),
        (item(weighed=True), "plu"),
        (item(tax_rate_bp=10_001), "tax_rate"),
        (item(sku="货号1"), "sku"),
    ],
)
def test_an_item_the_format_cannot_carry_is_refused_before_writing(
    bad: CatalogItem, problem: str
) -> None:
    stream = io.StringIO(newline="")

    with pytest.raises(ValueError, match=problem):
        write_catalog_csv([item(sku="1000"), bad], stream)
    assert stream.getvalue() == ""


def test_duplicate_items_are_refused_before_writing() -> None:
    with pytest.raises(ValueError, match="already used on line 2"):
        write_catalog_csv([item(), item(name_en="Coke")], io.StringIO(newline=""))


# Reading: values


def test_a_row_is_read_into_an_item() -> None:
    catalog = read(f"{HEADER}\n{WATER}\n{BANANAS}\n")

    assert catalog.errors == ()
    assert catalog.items == (
        CatalogItem(
            sku="1001",
            barcode="6921168509256",
            name_zh="农夫山泉饮用天然水 550ml",
            name_en="Nongfu Spring Water 550ml",
            price=200,
            tax_rate_bp=1300,
            category="饮料",
        ),
        CatalogItem(
            sku="P00001",
            barcode=None,
            name_zh="香蕉",
            name_en="Bananas",
            price=790,
            tax_rate_bp=900,
            category="生鲜",
            weighed=True,
            plu="10001",
        ),
    )


@pytest.mark.parametrize(
    ("text", "basis_points"),
    [
        ("13", 1300),
        ("9", 900),
        ("0", 0),
        ("6.5", 650),
        ("6.50", 650),
        ("0.01", 1),
        ("100", 10_000),
        ("13%", 1300),
        ("5.25", 525),
    ],
)
def test_tax_rates_are_percentages_read_exactly(text: str, basis_points: int) -> None:
    [parsed] = read(f"{HEADER}\n{row(tax_rate=text)}\n").items

    assert parsed.tax_rate_bp == basis_points


@pytest.mark.parametrize(
    ("text", "weighed"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("TRUE", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("", False),
    ],
)
def test_weighed_takes_the_usual_spellings_of_yes_and_no(text: str, weighed: bool) -> None:
    [parsed] = read(f"{HEADER}\n{row(weighed=text, plu='10001')}\n").items

    assert parsed.weighed is weighed


def test_a_missing_name_is_taken_from_the_other_language() -> None:
    catalog = read(f"{HEADER}\n{row(name_en='')}\n{row(sku='2002', barcode='', name_zh='')}\n")

    assert [(item.name_zh, item.name_en) for item in catalog.items] == [
        ("伊利纯牛奶 250ml", "伊利纯牛奶 250ml"),
        ("Yili Pure Milk 250ml", "Yili Pure Milk 250ml"),
    ]


def test_spaces_around_values_are_ignored() -> None:
    [parsed] = read(f"{HEADER}\n{row(sku=' 2001 ', price=' 3.50 ', name_en=' Milk ')}\n").items

    assert (parsed.sku, parsed.price, parsed.name_en) == ("2001", 350, "Milk")


def test_upc_a_barcodes_and_ean_8_barcodes_are_read() -> None:
    catalog = read(
        f"{HEADER}\n{row(barcode='034000002405')}\n{row(sku='2002', barcode='69012563')}\n"
    )

    assert [item.barcode for item in catalog.items] == ["034000002405", "69012563"]


# Reading: mistakes, each on line 3 between two good rows


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        (
            {"barcode": "6901234567891"},
            "barcode",
            "'6901234567891' has check digit 1, but it should be 2",
        ),
        ({"barcode": "690123456789"}, "barcode", "has check digit 9, but it should be 7"),
        ({"barcode": "6901234"}, "barcode", "'6901234' is not a barcode (8, 12 or 13 digits"),
        ({"barcode": "69O1234567892"}, "barcode", "is not a barcode"),
        ({"barcode": "6.90123E+12"}, "barcode", "a spreadsheet turned into a number"),
        ({"sku": ""}, "sku", "sku is required"),
        ({"sku": "a b"}, "sku", "'a b' is not a SKU"),
        ({"sku": "-1"}, "sku", "is not a SKU"),
        ({"sku": "x" * 33}, "sku", "is not a SKU"),
        ({"name_zh": "", "name_en": ""}, "name_zh", "name_zh and name_en are both empty"),
        ({"name_en": "Milk\x1b[2J"}, "name_en", "contains a control character"),
        ({"category": "乳制品\x1dV"}, "category", "contains a control character"),
        ({"price": "4.5x"}, "price", "'4.5x' is not an amount in yuan (like 4.50)"),
        ({"price": "-1.00"}, "price", "is not an amount in yuan"),
        ({"price": "3.505"}, "price", "is not an amount in yuan"),
        ({"price": "0.00"}, "price", "the price must be more than 0.00"),
        ({"price": ""}, "price", "price is required"),
        ({"tax_rate": "6.505"}, "tax_rate", "at most 2 decimals"),
        ({"tax_rate": "100.01"}, "tax_rate", "'100.01' is more than 100 percent"),
        ({"tax_rate": "abc"}, "tax_rate", "is not a tax rate in percent"),
        ({"tax_rate": "-9"}, "tax_rate", "is not a tax rate in percent"),
        ({"tax_rate": ""}, "tax_rate", "tax_rate is required"),
        ({"category": " "}, "category", "category is required"),
        ({"weighed": "maybe"}, "weighed", "'maybe' is not 0 or 1"),
        ({"plu": "1234"}, "plu", "'1234' is not a scale PLU (5 digits)"),
        ({"weighed": "1", "plu": ""}, "plu", "a weighed item needs its 5-digit scale PLU"),
        ({"sku": "1001"}, "sku", "'1001' is already used on line 2"),
        ({"barcode": "6921168509256"}, "barcode", "'6921168509256' is already used on line 2"),
    ],
)
def test_a_bad_row_is_reported_where_it_is_and_the_good_rows_still_read(
    changes: dict[str, str], column: str, message: str
) -> None:
    catalog = read(f"{HEADER}\n{WATER}\n{row(**changes)}\n{BANANAS}\n")

    assert [(error.line, error.column) for error in catalog.errors] == [(3, column)]
    assert message in catalog.errors[0].message
    assert [item.sku for item in catalog.items] == ["1001", "P00001"]


def test_a_row_with_the_wrong_number_of_values_is_reported_as_a_whole() -> None:
    catalog = read(f"{HEADER}\n{WATER}\n{row()},extra\n{BANANAS}\n")

    assert catalog.errors == (RowError(3, None, "has 10 values but the header has 9 columns"),)
    assert len(catalog.items) == 2


def test_every_problem_in_a_row_is_reported_at_once() -> None:
    catalog = read(f"{HEADER}\n{row(sku='', price='x', weighed='1')}\n")

    assert [error.column for error in catalog.errors] == ["sku", "price", "plu"]
    assert catalog.items == ()


def test_a_duplicate_plu_names_the_earlier_line() -> None:
    catalog = read(f"{HEADER}\n{BANANAS}\n{row(weighed='1', plu='10001')}\n")

    assert catalog.errors == (RowError(3, "plu", "'10001' is already used on line 2"),)


def test_a_upc_a_and_its_zero_padded_ean_13_are_the_same_barcode() -> None:
    catalog = read(
        f"{HEADER}\n{row(barcode='034000002405')}\n{row(sku='2002', barcode='0034000002405')}\n"
    )

    assert catalog.errors == (RowError(3, "barcode", "'0034000002405' is already used on line 2"),)


def test_a_duplicate_is_reported_even_when_the_earlier_row_was_rejected() -> None:
    catalog = read(f"{HEADER}\n{row(price='x')}\n{row()}\n")

    assert [(error.line, error.column) for error in catalog.errors] == [
        (2, "price"),
        (3, "barcode"),
        (3, "sku"),
    ]


def test_line_numbers_count_physical_lines_including_blank_and_multi_line_rows() -> None:
    multi_line = row(sku="2002", barcode="", name_en='"Milk\nfor\nkids"')
    text = f"{HEADER}\n\n{WATER}\n{multi_line}\n,,,,,,,,\n\n{row(price='x')}\n"

    catalog = read(text)

    assert catalog.errors == (RowError(9, "price", "'x' is not an amount in yuan (like 4.50)"),)
    assert [item.name_en for item in catalog.items] == [
        "Nongfu Spring Water 550ml",
        "Milk\nfor\nkids",
    ]


def test_windows_line_endings_are_read() -> None:
    catalog = read(f"{HEADER}\r\n{WATER}\r\n{row(price='x')}\r\n")

    assert [item.sku for item in catalog.items] == ["1001"]
    assert [error.line for error in catalog.errors] == [3]


def test_broken_quoting_stops_the_reading_where_it_starts() -> None:
    catalog = read(f'{HEADER}\n{WATER}\n"1"2,x\n{BANANAS}\n')

    assert [item.sku for item in catalog.items] == ["1001"]
    assert [(error.line, error.column) for error in catalog.errors] == [(3, None)]
    assert "the CSV cannot be read from here on" in catalog.errors[0].message


def test_a_file_that_is_not_utf8_is_reported() -> None:
    data = f"{HEADER}\n{WATER}\n".encode("gbk")

    catalog = read_catalog_csv(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""))

    assert catalog.items == ()
    assert [(error.line, error.column) for error in catalog.errors] == [(1, None)]
    assert "not UTF-8" in catalog.errors[0].message


# Reading: the header


def test_columns_may_come_in_any_order_and_any_case() -> None:
    columns = list(reversed(COLUMNS))
    values = [GOOD_ROW[column] for column in columns]
    header = ",".join(f" {column.upper()} " for column in columns)

    catalog = read(f"{header}\n{','.join(values)}\n")

    assert catalog.errors == ()
    assert [item.name_en for item in catalog.items] == ["Yili Pure Milk 250ml"]


def test_missing_and_unknown_columns_are_one_error_on_the_header_line() -> None:
    header = HEADER.replace("tax_rate", "vat").replace(",plu", "")

    catalog = read(f"{header}\n{WATER}\n")

    assert catalog.items == ()
    [error] = catalog.errors
    assert (error.line, error.column) == (1, None)
    assert error.message.startswith("missing columns: tax_rate, plu; unknown columns: 'vat'")


def test_a_repeated_column_is_a_header_error() -> None:
    catalog = read(f"{HEADER},sku\n{WATER},1002\n")

    assert catalog.items == ()
    assert [error.line for error in catalog.errors] == [1]
    assert "repeated columns: sku" in catalog.errors[0].message


def test_an_empty_file_is_missing_its_header() -> None:
    assert read("").errors == (
        RowError(1, None, f"the file is empty; the first line must be the header {HEADER}"),
    )


def test_a_header_without_rows_is_an_empty_catalog() -> None:
    assert read(f"{HEADER}\n") == CatalogFile((), ())


def test_a_utf8_byte_order_mark_is_tolerated() -> None:
    data = f"\ufeff{HEADER}\n{WATER}\n".encode()

    catalog = read_catalog_csv(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""))

    assert catalog.errors == ()
    assert [item.sku for item in catalog.items] == ["1001"]


def test_a_row_error_reads_like_a_sentence() -> None:
    assert str(RowError(7, "price", "'4.5x' is not an amount in yuan (like 4.50)")) == (
        "line 7, column price: '4.5x' is not an amount in yuan (like 4.50)"
    )
    assert str(RowError(3, None, "has 10 values")) == "line 3: has 10 values"
