"""`pos ledger verify`: an untouched ledger verifies; every kind of tampering done with
the plain sqlite3 module (after dropping the append-only triggers) is found and named.

Each case tampers with a fresh copy of one ledger of ~50 simulated sales.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from support import raw

from pos.bootstrap import open_ledger
from pos.cli import main
from pos.config import load_config
from pos.ledger.database import Ledger
from pos.ledger.verify import Report, verify
from pos.simulate import simulate

SALES = 50


# -- helpers ---------------------------------------------------------------------------


def tamper(path: Path, *statements: tuple[str, Sequence[object]] | str) -> None:
    """What someone with the sqlite3 module could do: drop the guards, edit, commit."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER IF EXISTS journal_no_update")
        conn.execute("DROP TRIGGER IF EXISTS journal_no_delete")
        for statement in statements:
            sql, params = (statement, ()) if isinstance(statement, str) else statement
            assert conn.execute(sql, params).rowcount > 0, f"no row changed by {sql}"
        conn.commit()
    finally:
        conn.close()


def canonical_hash(fields: dict[str, Any]) -> str:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def insert_event(fields: dict[str, Any]) -> tuple[str, tuple[object, ...]]:
    """An INSERT of a forged event whose hash is correctly computed over its fields."""
    return (
        "INSERT INTO journal (seq, event_id, device_id, type, ts, payload, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            *(fields[name] for name in ("seq", "event_id", "device_id", "type", "ts")),
            json.dumps(fields["payload"], sort_keys=True, separators=(",", ":")),
            fields["prev_hash"],
            canonical_hash(fields),
        ),
    )


def run_verify(path: Path) -> Report:
    ledger = Ledger.open(path, "T01")
    try:
        return verify(ledger)
    finally:
        ledger.close()


def sale_seqs(path: Path) -> list[int]:
    return [row["seq"] for row in raw(path, "SELECT seq FROM sales ORDER BY seq")]


def last_seq(path: Path) -> int:
    return int(raw(path, "SELECT max(seq) AS n FROM journal")[0]["n"])


def single_chain_problem(report: Report) -> tuple[int | None, str]:
    assert not report.ok
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    return problem.seq, problem.message


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose ledger holds the demo seed plus 50 simulated sales (closed)."""
    data = tmp_path_factory.mktemp("pristine") / "data"
    config = load_config(None, data, environ={})
    ledger = open_ledger(config)
    try:
        simulate(ledger, config.settings, sales=SALES, seed=7)
    finally:
        ledger.close()
    return data


@pytest.fixture
def data(pristine: Path, tmp_path: Path) -> Path:
    """A fresh copy of the pristine data folder."""
    copy = tmp_path / "data"
    shutil.copytree(pristine, copy)
    return copy


@pytest.fixture
def db(data: Path) -> Path:
    return data / "ledger.db"


# -- the untouched ledger -----------------------------------------------------------------


def test_an_untouched_ledger_verifies(db: Path) -> None:
    rows = raw(db, "SELECT seq, hash FROM journal ORDER BY seq")
    assert len(sale_seqs(db)) == SALES
    report = run_verify(db)
    assert report.ok, report.problems
    assert report.problems == []
    assert report.events == len(rows) == rows[-1]["seq"]
    assert report.head_hash == rows[-1]["hash"]


def test_verify_reads_without_changing_anything(db: Path) -> None:
    before = raw(db, "SELECT * FROM journal ORDER BY seq"), raw(db, "SELECT * FROM sales")
    run_verify(db)
    run_verify(db)
    assert (raw(db, "SELECT * FROM journal ORDER BY seq"), raw(db, "SELECT * FROM sales")) == before


# -- the journal edited -------------------------------------------------------------------


def test_an_edited_sale_total_is_found_at_its_seq(db: Path) -> None:
    seq = sale_seqs(db)[20]
    tamper(
        db,
        (
            "UPDATE journal SET payload = json_set(payload, '$.total',"
            " json_extract(payload, '$.total') - 100) WHERE seq = ?",
            (seq,),
        ),
    )
    assert single_chain_problem(run_verify(db)) == (
        seq,
        "hash does not match the event's contents (the event was edited)",
    )


def test_an_edited_non_sale_event_is_found_at_its_seq(db: Path) -> None:
    seq = raw(db, "SELECT seq FROM journal WHERE type = 'staff.added' ORDER BY seq")[1]["seq"]
    tamper(
        db,
        (
            "UPDATE journal SET payload = replace(payload, 'cashier', 'manager') WHERE seq = ?",
            (seq,),
        ),
    )
    assert single_chain_problem(run_verify(db))[0] == seq


def test_an_edited_timestamp_is_found_at_its_seq(db: Path) -> None:
    seq = sale_seqs(db)[10]
    [row] = raw(db, "SELECT ts FROM journal WHERE seq = ?", (seq,))
    earlier = "2001" + row["ts"][4:]
    tamper(
        db,
        ("UPDATE journal SET ts = ? WHERE seq = ?", (earlier, seq)),
        ("UPDATE sales SET ts = ? WHERE seq = ?", (earlier, seq)),
    )
    seq_found, message = single_chain_problem(run_verify(db))
    assert seq_found == seq
    assert "hash does not match" in message


def test_an_edited_device_id_is_found_at_its_seq(db: Path) -> None:
    seq = sale_seqs(db)[0]
    tamper(db, ("UPDATE journal SET device_id = 'T02' WHERE seq = ?", (seq,)))
    assert single_chain_problem(run_verify(db))[0] == seq


def test_a_deleted_middle_event_is_found_where_the_gap_is(db: Path) -> None:
    seq = sale_seqs(db)[25]
    tamper(db, ("DELETE FROM journal WHERE seq = ?", (seq,)))
    seq_found, message = single_chain_problem(run_verify(db))
    assert seq_found == seq + 1
    assert message == f"expected seq {seq} next, found {seq + 1}: events are missing"


def test_a_deleted_last_event_leaves_its_projections_without_an_event(db: Path) -> None:
    last = last_seq(db)
    [sale] = raw(db, "SELECT sale_id FROM sales WHERE seq = ?", (last,))
    tamper(db, ("DELETE FROM journal WHERE seq = ?", (last,)))
    report = run_verify(db)
    assert not report.ok
    assert report.events == last - 1
    first = report.problems[0]
    assert first.seq is None
    assert first.message.startswith("sales: row ")
    assert sale["sale_id"] in first.message
    assert "has no event in the journal" in first.message
    tables = [problem.message.split(":")[0] for problem in report.problems]
    assert tables == ["sales", "sale_lines", "sale_taxes", "payments"]


def test_a_deleted_event_with_the_rest_renumbered_breaks_the_chain_there(db: Path) -> None:
    seq = sale_seqs(db)[30]
    tamper(
        db,
        ("DELETE FROM journal WHERE seq = ?", (seq,)),
        # Close the gap in two steps so no intermediate seq collides.
        ("UPDATE journal SET seq = -(seq - 1) WHERE seq > ?", (seq,)),
        "UPDATE journal SET seq = -seq WHERE seq < 0",
    )
    assert [row["seq"] for row in raw(db, "SELECT seq FROM journal ORDER BY seq")] == list(
        range(1, last_seq(db) + 1)
    )
    assert single_chain_problem(run_verify(db)) == (
        seq,
        "prev_hash is not the previous event's hash (an event was removed or replaced)",
    )


def test_swapped_payloads_are_found_at_the_first_of_the_two(db: Path) -> None:
    first, second = sale_seqs(db)[5], sale_seqs(db)[40]
    [a] = raw(db, "SELECT payload FROM journal WHERE seq = ?", (first,))
    [b] = raw(db, "SELECT payload FROM journal WHERE seq = ?", (second,))
    tamper(
        db,
        ("UPDATE journal SET payload = ? WHERE seq = ?", (b["payload"], first)),
        ("UPDATE journal SET payload = ? WHERE seq = ?", (a["payload"], second)),
    )
    assert single_chain_problem(run_verify(db)) == (
        first,
        "hash does not match the event's contents (the event was edited)",
    )


def test_a_forged_event_with_a_valid_hash_but_the_wrong_prev_hash_is_found(db: Path) -> None:
    rows = raw(db, "SELECT * FROM journal ORDER BY seq DESC LIMIT 2")
    last, before_last = rows[0], rows[1]
    forged = {
        "seq": last["seq"] + 1,
        "event_id": str(uuid.uuid4()),
        "device_id": "T01",
        "type": "drawer.opened",
        "ts": last["ts"],
        "payload": {"reason": "no_sale", "staff_no": "101"},
        "prev_hash": before_last["hash"],  # skips the real last event
    }
    tamper(db, insert_event(forged))
    assert single_chain_problem(run_verify(db)) == (
        last["seq"] + 1,
        "prev_hash is not the previous event's hash (an event was removed or replaced)",
    )


def test_a_forged_event_from_another_device_is_found(db: Path) -> None:
    [last] = raw(db, "SELECT * FROM journal ORDER BY seq DESC LIMIT 1")
    forged = {
        "seq": last["seq"] + 1,
        "event_id": str(uuid.uuid4()),
        "device_id": "T99",
        "type": "drawer.opened",
        "ts": last["ts"],
        "payload": {"reason": "no_sale", "staff_no": "101"},
        "prev_hash": last["hash"],
    }
    tamper(db, insert_event(forged))
    seq, message = single_chain_problem(run_verify(db))
    assert seq == last["seq"] + 1
    assert "T99" in message


@pytest.mark.parametrize(
    ("payload", "expected"),
    [("{not json", "payload is not JSON"), ("[1, 2]", "payload is not a JSON object")],
)
def test_an_unreadable_payload_is_named(db: Path, payload: str, expected: str) -> None:
    seq = sale_seqs(db)[3]
    tamper(db, ("UPDATE journal SET payload = ? WHERE seq = ?", (payload, seq)))
    seq_found, message = single_chain_problem(run_verify(db))
    assert seq_found == seq
    assert message.startswith(expected)


# -- the projections edited, the journal intact ------------------------------------------


def test_an_edited_sale_total_in_the_projection_is_found(db: Path) -> None:
    [sale] = raw(db, "SELECT sale_id, total FROM sales WHERE seq = ?", (sale_seqs(db)[12],))
    tamper(db, ("UPDATE sales SET total = total - 100 WHERE sale_id = ?", (sale["sale_id"],)))
    report = run_verify(db)
    assert not report.ok
    assert report.events == last_seq(db)  # the chain itself is fine
    [problem] = report.problems
    assert problem.seq is None
    assert problem.message.startswith("sales: stored row ")
    assert sale["sale_id"] in problem.message
    assert str(sale["total"] - 100) in problem.message
    assert str(problem).startswith("projections: sales:")


def test_a_deleted_sale_line_is_found(db: Path) -> None:
    [line] = raw(
        db, "SELECT sale_id, line_no FROM sale_lines ORDER BY sale_id, line_no LIMIT 1 OFFSET 17"
    )
    tamper(
        db,
        (
            "DELETE FROM sale_lines WHERE sale_id = ? AND line_no = ?",
            (line["sale_id"], line["line_no"]),
        ),
    )
    report = run_verify(db)
    [problem] = report.problems
    assert problem.seq is None
    assert problem.message.startswith("sale_lines: ")
    assert line["sale_id"] in problem.message


def test_an_extra_payment_is_found(db: Path) -> None:
    [sale] = raw(db, "SELECT sale_id, seq FROM sales WHERE seq = ?", (sale_seqs(db)[-1],))
    tamper(
        db,
        (
            "INSERT INTO payments VALUES (?, ?, ?, 'cash', 100, 100, 0)",
            ("ffffffff-0000-4000-8000-000000000000", sale["sale_id"], sale["seq"]),
        ),
    )
    [problem] = run_verify(db).problems
    assert problem.seq is None
    assert problem.message.startswith("payments: row ")
    assert "ffffffff-0000-4000-8000-000000000000" in problem.message
    assert "has no event in the journal" in problem.message


def test_an_edited_catalog_price_is_found(db: Path) -> None:
    tamper(db, "UPDATE items SET price = price + 1 WHERE sku = '1001'")
    [problem] = run_verify(db).problems
    assert problem.seq is None
    assert problem.message.startswith("items: stored row ('1001'")


# -- the command line ---------------------------------------------------------------------


def test_cli_verify_says_ok_and_exits_0(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [head] = raw(data / "ledger.db", "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
    assert main(["--data", str(data), "ledger", "verify"]) == 0
    out, err = capsys.readouterr()
    assert out == f"ok: {head['seq']} events, chain head {head['hash']}\n"
    assert err == ""


def test_cli_verify_names_the_edited_seq_and_exits_1(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = sale_seqs(data / "ledger.db")[33]
    tamper(
        data / "ledger.db",
        (
            "UPDATE journal SET payload = json_set(payload, '$.change',"
            " json_extract(payload, '$.change') + 1)"
            " WHERE seq = ?",
            (seq,),
        ),
    )
    assert main(["--data", str(data), "ledger", "verify"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"FAILED: seq {seq}: hash does not match the event's contents (the event was edited)\n"
    )


def test_cli_verify_names_a_gap(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seq = sale_seqs(data / "ledger.db")[2]
    tamper(data / "ledger.db", ("DELETE FROM journal WHERE seq = ?", (seq,)))
    assert main(["--data", str(data), "ledger", "verify"]) == 1
    assert capsys.readouterr().err.startswith(f"FAILED: seq {seq + 1}: expected seq {seq} next")


def test_cli_verify_names_an_edited_projection(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(data / "ledger.db", "DELETE FROM sale_taxes WHERE rowid = 1")
    assert main(["--data", str(data), "ledger", "verify"]) == 1
    assert capsys.readouterr().err.startswith("FAILED: projections: sale_taxes: ")


def test_cli_verify_without_a_ledger_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data", str(tmp_path / "empty"), "ledger", "verify"]) == 2
    assert capsys.readouterr().err.startswith("error: No ledger")
    assert not (tmp_path / "empty" / "ledger.db").exists()
