"""The commands a manager or technician runs, end to end on real ledger files.

Most run in-process through `pos.cli.main` (what the `pos` script calls); the ones where
standard input or the process exit code matter run `python -m pos` as a subprocess.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pos.cli import main
from pos.config import Settings, load_config
from pos.config.load import CONFIG_ENV
from pos.domain.barcodes import gtin_check_digit

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_config_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def _pos(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != CONFIG_ENV}
    return subprocess.run(
        [sys.executable, "-m", "pos", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _query(data: Path, sql: str, *params: object) -> list[tuple]:
    db = sqlite3.connect(data / "ledger.db")
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _journal_length(data: Path) -> int:
    return int(_query(data, "SELECT count(*) FROM journal")[0][0])


# -- pos config check ------------------------------------------------------------------


def test_config_check_without_a_file_is_the_demo_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "check", "--data", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "built-in demo store (no pos.toml): ok" in out
    assert "store: demo-store" in out
    assert "till: T01" in out
    assert f"ledger: {tmp_path / 'data' / 'ledger.db'}" in out
    assert not (tmp_path / "data").exists(), "checking the configuration created data"


def test_config_check_reads_a_valid_file_and_resolves_data_dir_next_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "etc" / "pos.toml"
    config.parent.mkdir()
    config.write_text(
        '[store]\nid = "shop-7"\nname = "Corner Shop"\ntimezone = "Europe/Paris"\n'
        'day_boundary = "05:30"\n\n'
        '[till]\ndevice_id = "T09"\ndata_dir = "../till-data"\nreceipt_prefix = "T09-"\n\n'
        '[printer]\nkind = "file"\npath = "receipts.bin"\nwidth_mm = 58\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert f"configuration: {config}: ok" in out
    assert "store: shop-7 (Corner Shop)" in out
    assert "till: T09" in out
    assert f"ledger: {(tmp_path / 'till-data' / 'ledger.db').resolve()}" in out


def test_the_shipped_pos_toml_is_valid_and_is_the_demo_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = REPO / "pos.toml"
    assert main(["--config", str(shipped), "--data", str(tmp_path), "config", "check"]) == 0
    assert f"configuration: {shipped}: ok" in capsys.readouterr().out
    assert load_config(shipped, tmp_path).settings == Settings()


BROKEN = {
    "unknown key": (
        '[store]\nid = "s1"\ncolour = "red"\n',
        ["[store] colour", "unknown key", "allowed here", "id", "day_boundary", "timezone"],
    ),
    "wrong type": (
        '[ui]\nwedge_max_gap_ms = "fast"\n',
        ["[ui] wedge_max_gap_ms", "'fast'", "integer"],
    ),
    "bad time": (
        '[store]\nday_boundary = "25:00"\n',
        ["[store] day_boundary", "'25:00'", "HH:MM"],
    ),
    "bad zone": (
        '[store]\ntimezone = "Mars/Base"\n',
        ["[store] timezone", "'Mars/Base'", "IANA time zone"],
    ),
    "bad width": (
        "[printer]\nwidth_mm = 57\n",
        ["[printer] width_mm", "57", "58", "80"],
    ),
    "unknown table": (
        "[nosuch]\nanswer = 42\n",
        ["nosuch", "unknown table", "store", "till", "printer", "security"],
    ),
    "not toml": (
        '[store]\nid = "s1"\nname = \n',
        ["not valid TOML", "line 3"],
    ),
    "file printer without path": (
        '[printer]\nkind = "file"\n',
        ["printer", 'kind = "file" needs path'],
    ),
    "serial scanner without url": (
        '[scanner]\nkind = "serial"\n',
        ["[scanner]", 'kind = "serial" needs url'],
    ),
    "unknown scanner kind": (
        '[scanner]\nkind = "laser"\n',
        ["[scanner] kind", "'wedge'", "'camera'"],
    ),
    "printer timeout out of range": (
        "[printer]\ntimeout_s = 0\n",
        ["[printer] timeout_s", "greater than 0"],
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=str)
def test_a_broken_pos_toml_names_the_file_the_key_and_what_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    text, expected = BROKEN[case]
    config = tmp_path / "pos.toml"
    config.write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    assert main(["--config", str(config), "--data", str(data), "config", "check"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert str(config) in captured.err
    for fragment in expected:
        assert fragment in captured.err, (fragment, captured.err)
    # Nothing starts half-configured: not even the till's data folder.
    assert main(["--config", str(config), "--data", str(data), "simulate", "--sales", "1"]) == 2
    assert not data.exists()


def test_a_missing_config_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere" / "pos.toml"
    assert main(["--config", str(missing), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert "Configuration not found" in err
    assert f"{missing}: no such file" in err


def test_pos_config_environment_variable_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from_env = tmp_path / "env.toml"
    from_env.write_text('[store]\nid = "from-env"\n', encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(from_env))
    assert main(["--data", str(tmp_path), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert f"configuration: {from_env}: ok" in out
    assert "store: from-env" in out

    # --config wins over the environment.
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[store]\nid = "explicit"\n', encoding="utf-8")
    assert main(["--config", str(explicit), "--data", str(tmp_path), "config", "check"]) == 0
    assert "store: explicit" in capsys.readouterr().out

    # A broken file named by the environment is reported like any other.
    from_env.write_text("[store]\nid = 7\n", encoding="utf-8")
    assert main(["--data", str(tmp_path), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert f"{from_env}: [store] id = 7" in err


# -- pos catalog export / import ---------------------------------------------------------


def _export(data: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    assert main(["--data", str(data), "catalog", "export", "--out", str(out)]) == 0
    count = int(_query(data, "SELECT count(*) FROM items")[0][0])
    assert f"{count} products written to {out}" in capsys.readouterr().err
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == count
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _items(data: Path) -> list[tuple]:
    return _query(data, "SELECT * FROM items ORDER BY sku")


def _new_barcode(taken: set[str]) -> str:
    for n in range(1000):
        body = f"690{n:09d}"
        code = body + str(gtin_check_digit(body))
        if code not in taken:
            return code
    raise AssertionError("no free barcode")


def test_catalog_export_then_import_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, csv_file = tmp_path / "data", tmp_path / "catalog.csv"
    rows = _export(data, csv_file, capsys)
    before, items = _journal_length(data), _items(data)

    assert main(["--data", str(data), "catalog", "import", str(csv_file)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"0 added, 0 updated, 0 repriced, {len(rows)} unchanged"
    )
    assert _journal_length(data) == before
    assert _items(data) == items


def test_catalog_import_of_a_new_price_journals_the_old_and_new_price(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, csv_file = tmp_path / "data", tmp_path / "catalog.csv"
    rows = _export(data, csv_file, capsys)
    row = next(r for r in rows if r["weighed"] == "0")
    sku = row["sku"]
    (old_price,) = _query(data, "SELECT price FROM items WHERE sku = ?", sku)[0]
    assert isinstance(old_price, int)
    new_price = old_price + 120
    row["price"] = f"{new_price // 100}.{new_price % 100:02d}"
    _write(csv_file, rows)
    before = _journal_length(data)

    assert main(["--data", str(data), "catalog", "import", str(csv_file)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"0 added, 0 updated, 1 repriced, {len(rows) - 1} unchanged"
    )
    events = _query(data, "SELECT type, payload FROM journal WHERE seq > ? ORDER BY seq", before)
    assert [event[0] for event in events] == ["catalog.price_changed"]
    assert json.loads(str(events[0][1])) == {
        "sku": sku,
        "old_price": old_price,
        "new_price": new_price,
    }
    assert _query(data, "SELECT price FROM items WHERE sku = ?", sku) == [(new_price,)]
    assert main(["--data", str(data), "ledger", "verify"]) == 0


def test_catalog_import_with_bad_rows_imports_nothing_unless_told_to_skip_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, csv_file = tmp_path / "data", tmp_path / "catalog.csv"
    rows = _export(data, csv_file, capsys)
    goods = [r for r in rows if r["weighed"] == "0" and r["barcode"]]
    bad_barcode, bad_price, repriced = goods[3], goods[10], goods[20]
    wrong_digit = str((int(bad_barcode["barcode"][-1]) + 1) % 10)
    bad_barcode["barcode"] = bad_barcode["barcode"][:-1] + wrong_digit
    bad_price["price"] = "abc"
    repriced["price"] = "99.99"
    new = {
        **goods[0],
        "sku": "E2E-NEW-1",
        "barcode": _new_barcode({r["barcode"] for r in rows}),
        "name_zh": "测试新品",
        "name_en": "Test New Product",
        "price": "1.23",
    }
    rows.append(new)
    _write(csv_file, rows)
    # The header is line 1 and no exported name spans lines, so row i is on line i + 2.
    bad_lines = [rows.index(bad_barcode) + 2, rows.index(bad_price) + 2]
    before_length, before_items = _journal_length(data), _items(data)

    assert main(["--data", str(data), "catalog", "import", str(csv_file)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    for line in bad_lines:
        assert f"{csv_file}: line {line}, column" in captured.err, captured.err
    assert "has check digit" in captured.err
    assert "'abc' is not an amount" in captured.err
    assert "nothing imported: 2 bad row(s)" in captured.err
    assert _journal_length(data) == before_length
    assert _items(data) == before_items

    args = ["--data", str(data), "catalog", "import", "--skip-bad", str(csv_file)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == (
        f"1 added, 0 updated, 1 repriced, {len(rows) - 4} unchanged, 2 bad rows skipped"
    )
    for line in bad_lines:
        assert f"{csv_file}: line {line}, column" in captured.err
    types = _query(data, "SELECT type FROM journal WHERE seq > ? ORDER BY seq", before_length)
    assert sorted(t for (t,) in types) == ["catalog.item_added", "catalog.price_changed"]
    assert _query(data, "SELECT price, barcode FROM items WHERE sku = 'E2E-NEW-1'") == [
        (123, new["barcode"])
    ]
    assert _query(data, "SELECT price FROM items WHERE sku = ?", repriced["sku"]) == [(9999,)]
    # The bad rows' products are as they were.
    for bad in (bad_barcode, bad_price):
        row_before = [item for item in before_items if item[0] == bad["sku"]]
        assert _query(data, "SELECT * FROM items WHERE sku = ?", bad["sku"]) == row_before


# -- pos simulate ----------------------------------------------------------------------


def _simulate(data: Path, seed: int, capsys: pytest.CaptureFixture[str]) -> tuple[str, list]:
    assert main(["--data", str(data), "simulate", "--sales", "30", "--seed", str(seed)]) == 0
    out = capsys.readouterr().out
    summary = [line for line in out.splitlines() if " sales, " in line]
    assert len(summary) == 1, out
    totals = _query(data, "SELECT receipt_no, total, item_count FROM sales ORDER BY receipt_seq")
    return summary[0], totals


def test_simulate_is_deterministic_per_seed_and_the_ledger_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, first_totals = _simulate(tmp_path / "a", 7, capsys)
    second, second_totals = _simulate(tmp_path / "b", 7, capsys)
    other, other_totals = _simulate(tmp_path / "c", 8, capsys)

    assert first.startswith("30 sales, ")
    assert first.endswith("CNY; ledger verifies")
    assert len(first_totals) == 30
    assert first_totals[0][0] == "T01-000001"
    assert first == second
    assert first_totals == second_totals
    assert [total for _no, total, _n in other_totals] != [t for _no, t, _n in first_totals]
    assert other != first

    assert main(["--data", str(tmp_path / "a"), "ledger", "verify"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    # Invented sales must not come out of the printer when the till next starts.
    assert _query(tmp_path / "a", "SELECT count(*) FROM print_jobs") == [(0,)]


def test_simulate_refuses_nonsense_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data", str(tmp_path), "simulate", "--sales", "0"]) == 2
    assert "error: Nothing to simulate" in capsys.readouterr().err
    assert not (tmp_path / "ledger.db").exists()


# -- pos staff add / list ----------------------------------------------------------------


def test_staff_add_reads_the_pin_from_stdin_and_list_shows_the_account(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    added = _pos("--data", data, "staff", "add", "201", "--name", "X", "--role", "cashier",
                 stdin="4321\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added cashier 201 (X)"

    listed = _pos("--data", data, "staff", "list")
    assert listed.returncode == 0, listed.stderr
    assert "201\tcashier\tX" in listed.stdout.splitlines()
    assert "101\tcashier\t王芳 Wang Fang" in listed.stdout.splitlines()

    # The journal says who was added, never the PIN or its hash.
    events = _query(tmp_path / "data", "SELECT payload FROM journal WHERE type = 'staff.added'")
    payload = next(json.loads(str(p)) for (p,) in events if '"201"' in str(p))
    assert payload == {"staff_no": "201", "name": "X", "role": "cashier"}

    again = _pos("--data", data, "staff", "add", "201", "--name", "Y", stdin="5555\n")
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr


def test_staff_add_refuses_a_bad_pin(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    refused = _pos("--data", data, "staff", "add", "202", "--name", "Short", stdin="12\n")
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert refused.stderr.startswith("error: Invalid PIN")
    assert "4 to 8 digits" in refused.stderr

    listed = _pos("--data", data, "staff", "list")
    assert listed.returncode == 0
    assert not any(line.startswith("202\t") for line in listed.stdout.splitlines())


def test_simulate_pays_by_wechat_through_the_configured_gateway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    args = ["--data", str(data), "simulate", "--sales", "20", "--tender", "mixed", "--seed", "3"]
    assert main(args) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-2]
    by_wallet = _query(data, "SELECT count(*) FROM payments WHERE tender = 'wechat'")[0][0]
    assert 0 < by_wallet < 20
    assert summary.startswith(f"20 sales ({by_wallet} by WeChat Pay, 0 refused and paid cash)")
    assert summary.endswith("ledger verifies")
    orders = _query(data, "SELECT outcome, openid FROM payment_orders")
    assert {outcome for outcome, _openid in orders} == {"paid"}
    assert len(orders) == by_wallet
    # The demo's sandbox knows each customer by their codes: payer ids are stable.
    assert all(openid.startswith("o") for _outcome, openid in orders)


def test_simulate_by_wallet_makes_every_payer_a_member_and_counts_the_coupons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    args = ["--data", str(data), "simulate", "--sales", "150", "--days", "5", "--tender", "wallet"]
    assert main([*args, "--seed", "4"]) == 0
    report = capsys.readouterr().out.strip().splitlines()[-1]

    payers = {openid for (openid,) in _query(data, "SELECT openid FROM payment_orders")}
    members = _query(data, "SELECT openid FROM members WHERE openid IS NOT NULL")
    assert payers <= {openid for (openid,) in members}
    enrolled = _query(data, "SELECT count(*) FROM journal WHERE type = 'member.enrolled'")[0][0]
    issued = _query(data, "SELECT count(*) FROM coupons")[0][0]
    redeemed = _query(data, "SELECT count(*) FROM coupon_redemptions")[0][0]
    to_members = _query(data, "SELECT count(*) FROM sales WHERE member_no IS NOT NULL")[0][0]
    assert 0 < redeemed < issued
    assert report == (
        f"members: {enrolled} enrolled, {to_members} sales to members, {issued} coupons "
        f"issued, {redeemed} redeemed; every WeChat Pay payer is a member"
    )
    # Returning members showed their cards, so some sales used coupons they were given.
    redeemed_by_members = _query(
        data, "SELECT count(*) FROM coupon_redemptions WHERE member_no IS NOT NULL"
    )[0][0]
    assert redeemed_by_members > 0
