"""Every till's sales as the chain sees them, projected from each stored
`sale.completed` in the ingest's transaction: one row a sale, whatever the till's
version, so the chain's figures never wait for a till."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert

from cloud.hq.schema import SALES

PROJECTED = frozenset({"sale.completed"})


def project(conn: Connection, event: Mapping[str, Any], store_id: str) -> None:
    sale = event["payload"]
    tenders: Counter[str] = Counter()
    for payment in sale["payments"]:
        tenders[str(payment["tender"])] += int(payment["amount"])
    member = sale.get("member") or {}
    conn.execute(
        insert(SALES).values(
            sale_id=sale["sale_id"],
            device_id=event["device_id"],
            seq=event["seq"],
            store_id=store_id,
            ts=event["ts"],
            receipt_no=sale["receipt_no"],
            cashier=sale["cashier"],
            total=sale["total"],
            discount_total=sale["discount_total"],
            item_count=sale["item_count"],
            member_no=member.get("member_no"),
            tenders=json.dumps(dict(sorted(tenders.items()))),
        )
    )
