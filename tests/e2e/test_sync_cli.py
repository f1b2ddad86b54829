"""The README's sync and cloud commands, run as a person runs them: `pos cloud serve`
in its own process, a one-time code, `pos sync enroll`, what the chain publishes, and
`pos sync now` and `pos sync status --json` on the till."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from support import pos_cloud_serve, raw, run_pos

from pos.signing import SigningKey, public_key_text

WATER_SKU = "1001"
CAMPAIGNS = """
[[members.campaigns]]
id = "CHAIN7"
name_zh = "总部立减"
name_en = "HQ 7 off"
kind = "amount_off"
amount = "7"
member_bound = false
offline = "lease"
"""


def ok(data: Path, *args: str) -> str:
    done = run_pos(data, *args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_a_till_enrolls_takes_what_the_chain_publishes_and_reports_its_sync(
    tmp_path: Path,
) -> None:
    till, hq = tmp_path / "till", tmp_path / "hq"
    ok(till, "simulate", "--sales", "5", "--seed", "3")
    with pos_cloud_serve(hq) as url:
        code = re.search(
            r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b",
            ok(hq, "cloud", "enroll-code", "--store", "demo-store"),
        )
        assert code is not None
        ok(till, "sync", "enroll", code.group(), "--cloud", url)
        bad = run_pos(till, "sync", "enroll", code.group(), "--cloud", url)  # used once
        assert bad.returncode != 0
        assert "code" in bad.stderr.lower()

        # The chain raises the water's price, adds a campaign, a key and a lease.
        exported = tmp_path / "catalog.csv"
        ok(till, "catalog", "export", "--out", str(exported))
        with exported.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        (water,) = [row for row in rows if row["sku"] == WATER_SKU]
        water["price"] = "2.50"
        with (tmp_path / "prices.csv").open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerow(water)
        assert "1 sent to every store" in ok(
            hq, "cloud", "publish-catalog", str(tmp_path / "prices.csv")
        )
        (tmp_path / "chain.toml").write_text(CAMPAIGNS, encoding="utf-8")
        assert "1 sent" in ok(hq, "cloud", "publish-campaigns", str(tmp_path / "chain.toml"))
        (tmp_path / "empty.toml").write_text("[store]\nid = 'x'\n", encoding="utf-8")
        empty = run_pos(hq, "cloud", "publish-campaigns", str(tmp_path / "empty.toml"))
        assert empty.returncode != 0
        assert "no [[members.campaigns]]" in empty.stderr
        key = public_key_text(SigningKey.from_seed(bytes(32), "chain-2027").public_key)
        assert "sent to every till" in ok(hq, "cloud", "trust-key", "chain-2027", key)
        assert "1 leased to T01" in ok(hq, "cloud", "lease", "T01", "CHAIN7", "C7-0001")
        elsewhere = run_pos(hq, "cloud", "lease", "T02", "CHAIN7", "C7-0001")
        assert elsewhere.returncode != 0

        assert "acked through" in ok(till, "sync", "now")
        status = json.loads(ok(till, "sync", "status", "--json"))
    assert status["cloud"] == url
    assert status["backlog"] == 0
    assert status["reachable"] is True
    assert status["last_sync"]
    assert status["alert"] is None
    assert status["acked_through"] == status["last_seq"]

    journaled = [
        (row["type"], json.loads(row["payload"]))
        for row in raw(till / "ledger.db", "SELECT type, payload FROM journal ORDER BY seq")
    ]
    types = [kind for kind, _ in journaled]
    for kind in (
        "catalog.price_changed",
        "campaign.published",
        "key.trusted",
        "coupon.lease_granted",
    ):
        assert types.count(kind) >= 1, kind
    (repriced,) = [p for kind, p in journaled if kind == "catalog.price_changed"]
    assert (repriced["sku"], repriced["new_price"]) == (WATER_SKU, 250)
    ok(till, "ledger", "verify")
