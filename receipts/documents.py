"""Any receipt the till prints, by what it records: a sale or a return."""

from __future__ import annotations

from datetime import UTC, tzinfo

from pos.domain.returns import ReturnRecord
from pos.domain.sale import SaleRecord
from receipts.document import Document
from receipts.return_receipt import return_receipt
from receipts.sale_receipt import StoreHeader, sale_receipt

Receipt = SaleRecord | ReturnRecord


def receipt_document(
    record: Receipt,
    store: StoreHeader,
    *,
    width_mm: int = 80,
    lang: str = "zh-CN",
    zone: tzinfo = UTC,
    copy: bool = False,
) -> Document:
    if isinstance(record, ReturnRecord):
        return return_receipt(record, store, width_mm=width_mm, lang=lang, zone=zone, copy=copy)
    return sale_receipt(record, store, width_mm=width_mm, lang=lang, zone=zone, copy=copy)
