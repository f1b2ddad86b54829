"""A receipt as plain text lines: the TUI preview, logs and the tests' reference."""

from __future__ import annotations

from datetime import UTC, tzinfo

from receipts.documents import Receipt, receipt_document
from receipts.render_text import render_text
from receipts.sale_receipt import StoreHeader


def receipt_lines(
    record: Receipt,
    store: StoreHeader,
    *,
    width_mm: int = 80,
    lang: str = "zh-CN",
    zone: tzinfo = UTC,
    copy: bool = False,
) -> list[str]:
    document = receipt_document(record, store, width_mm=width_mm, lang=lang, zone=zone, copy=copy)
    return render_text(document)
