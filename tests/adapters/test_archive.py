"""Export, backup and restore: what an auditor reads, what a technician copies, and what
replaces a damaged ledger, each checked on real files."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import raw

from pos.cli import main
from pos.config import Config
from pos.errors import LedgerError
from pos.ledger.archive import backup, check_backup, export_jsonl, restore
from pos.ledger.database import Ledger
from pos.ledger.verify import verify
from pos.loyalty_setup import open_loyalty
from pos.simulate import simulate

GENESIS = "0" * 64
FIELDS = {"seq", "event_id", "device_id", "type", "ts", "payload", "prev_hash", "hash"}


# -- helpers ---------------------------------------------------------------------------


def tamper(path: Path, sql: str, params: Sequence[object] = ()) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER IF EXISTS journal_no_update")
        conn.execute("DROP TRIGGER IF EXISTS journal_no_delete")
        assert conn.execute(sql, params).rowcount == 1
        conn.commit()
    finally:
        conn.close()


def canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def recheck_chain(events: list[dict[str, Any]], prev: str = GENESIS) -> None:
    """An auditor's check of exported events, written from DESIGN.md §3 alone."""
    for event in events:
        fields = {name: event[name] for name in FIELDS - {"hash"}}
        assert event["prev_hash"] == prev, f"seq {event['seq']}"
        assert hashlib.sha256(canonical(fields).encode("utf-8")).hexdigest() == event["hash"]
        prev = event["hash"]


def exported(ledger: Ledger, since: int = 0) -> tuple[int, str]:
    out = io.StringIO()
    count = export_jsonl(ledger, out, since)
    return count, out.getvalue()


def sidecar_files(folder: Path) -> list[str]:
    """Files a restore would have left: kept copies and anything else but the ledger."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("ledger.db.replaced"))


def file_state(path: Path) -> tuple[bytes, bool]:
    return path.read_bytes(), Path(f"{path}-wal").exists()


@pytest.fixture
def sold(demo_ledger: Ledger, demo_config: Config) -> Ledger:
    """The demo ledger after 20 simulated sales."""
    simulate(demo_ledger, demo_config.settings, sales=20, seed=11)
    return demo_ledger


def other_till_ledger(folder: Path) -> Path:
    """A ledger file of device T02 with a couple of events."""
    path = folder / "ledger.db"
    ledger = Ledger.open(path, "T02")
    try:
        with ledger.transaction() as writer:
            writer.append("ledger.created", {"device_id": "T02", "store_id": "demo-store"})
            writer.append("drawer.opened", {"reason": "no_sale", "staff_no": "101"})
    finally:
        ledger.close()
    return path


# -- export --------------------------------------------------------------------------------


def test_export_writes_every_event_as_one_canonical_json_object_per_line(sold: Ledger) -> None:
    rows = raw(sold.path, "SELECT * FROM journal ORDER BY seq")
    count, text = exported(sold)
    assert text.endswith("\n")
    lines = text.splitlines()
    assert count == len(lines) == len(rows)
    events = [json.loads(line) for line in lines]
    for line, event, row in zip(lines, events, rows, strict=True):
        assert set(event) == FIELDS
        assert event == {**row, "payload": json.loads(row["payload"])}
        assert line == canonical(event)
    assert "王芳 Wang Fang" in text  # no ASCII escaping
    recheck_chain(events)
    assert events[-1]["hash"] == sold.head()[1]


def test_export_since_starts_after_that_seq_and_still_chains(sold: Ledger) -> None:
    _, full = exported(sold)
    everything = [json.loads(line) for line in full.splitlines()]
    since = everything[40]["seq"]
    count, text = exported(sold, since)
    events = [json.loads(line) for line in text.splitlines()]
    assert count == len(events) == len(everything) - since
    assert [event["seq"] for event in events] == list(range(since + 1, len(everything) + 1))
    assert text == "".join(line + "\n" for line in full.splitlines()[since:])
    recheck_chain(events, prev=everything[since - 1]["hash"])
    assert exported(sold, len(everything)) == (0, "")


def test_an_independent_recheck_of_the_export_finds_an_edit(sold: Ledger) -> None:
    _, text = exported(sold)
    events = [json.loads(line) for line in text.splitlines()]
    events[50]["payload"]["total"] = 1
    with pytest.raises(AssertionError):
        recheck_chain(events)


def test_an_export_masks_members_phone_numbers_unless_asked_and_still_chains(
    demo_ledger: Ledger, demo_config: Config
) -> None:
    loyalty = open_loyalty(demo_config, demo_ledger)
    assert loyalty is not None
    loyalty.enroll_by_phone("13912345678")
    simulate(demo_ledger, demo_config.settings, sales=3, seed=2)  # events after it

    _count, masked = exported(demo_ledger)
    assert "13912345678" not in masked
    lines = [json.loads(line) for line in masked.splitlines()]
    (enrolled,) = [line for line in lines if line["type"] == "member.enrolled"]
    assert enrolled["payload"]["phone"] == "139****5678"
    assert enrolled["redacted"] == ["payload.phone"]
    # The chain still links through the masked line; every other line re-checks whole.
    for before, after in itertools.pairwise(lines):
        assert after["prev_hash"] == before["hash"]
    for line in lines:
        if "redacted" not in line:
            recheck_chain([line], prev=line["prev_hash"])
    full = io.StringIO()
    export_jsonl(demo_ledger, full, personal_data=True)
    assert "13912345678" in full.getvalue()
    recheck_chain([json.loads(line) for line in full.getvalue().splitlines()])


def test_cli_export_to_a_file_and_to_stdout(
    sold: Ledger, demo_config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_config.data_dir)
    _, full = exported(sold)
    _, tail = exported(sold, 100)
    target = tmp_path / "journal.jsonl"
    assert main(["--data", data, "ledger", "export", "--since", "100", "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == tail
    err = capsys.readouterr().err
    assert err == f"{len(tail.splitlines())} events written to {target}\n"
    assert main(["--data", data, "ledger", "export"]) == 0
    assert capsys.readouterr().out == full


# -- backup --------------------------------------------------------------------------------


def test_a_backup_verifies_and_holds_every_event(sold: Ledger, tmp_path: Path) -> None:
    written = backup(sold, tmp_path / "copy.db")
    assert written == tmp_path / "copy.db"
    assert not (tmp_path / "copy.db.partial").exists()
    device, report = check_backup(written)
    assert device == "T01"
    assert report.ok, report.problems
    assert (report.events, report.head_hash) == sold.head()
    assert raw(written, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]


def test_a_backup_into_a_folder_gets_a_dated_name(sold: Ledger, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    written = backup(sold, folder)
    assert written.parent == folder
    assert written.name.startswith("ledger-T01-")
    assert written.name.endswith(".db")
    assert check_backup(written)[1].ok


def test_a_backup_never_overwrites_a_file(sold: Ledger, tmp_path: Path) -> None:
    existing = tmp_path / "copy.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(LedgerError, match="already exists"):
        backup(sold, existing)
    assert existing.read_bytes() == b"keep me"


def test_a_backup_taken_while_sales_commit_verifies(
    sold: Ledger, demo_config: Config, tmp_path: Path
) -> None:
    stop = threading.Event()
    committed: list[int] = []
    failures: list[BaseException] = []

    def keep_selling() -> None:
        seed = 100
        try:
            while not stop.is_set():
                simulate(sold, demo_config.settings, sales=1, seed=seed)
                committed.append(seed)
                seed += 1
        except BaseException as error:  # reported by the test below
            failures.append(error)

    seller = threading.Thread(target=keep_selling)
    seller.start()
    backups: list[Path] = []
    try:
        while not committed and not failures:
            stop.wait(0.01)
        sold_at_first_backup = len(committed)
        for index in range(500):
            backups.append(backup(sold, tmp_path / f"backup-{index}.db"))
            if len(committed) >= sold_at_first_backup + 5 and len(backups) >= 3:
                break
    finally:
        stop.set()
        seller.join()
    assert failures == []
    # Sales kept committing while the backups were taken.
    assert len(committed) >= sold_at_first_backup + 5
    heads = []
    for path in backups:
        device, report = check_backup(path)
        assert device == "T01"
        assert report.ok, (path, report.problems)
        assert raw(path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
        heads.append(report.events)
    assert heads == sorted(heads)
    assert heads[-1] > heads[0]  # the backups saw different moments of a live ledger


# -- restore --------------------------------------------------------------------------------


def test_restore_refuses_a_tampered_backup_and_replaces_nothing(
    sold: Ledger, tmp_path: Path
) -> None:
    copy = backup(sold, tmp_path / "copy.db")
    seq = raw(copy, "SELECT max(seq) AS seq FROM sales")[0]["seq"] - 3
    tamper(
        copy, "UPDATE journal SET payload = json_set(payload, '$.total', 1) WHERE seq = ?", (seq,)
    )
    sold.close()
    live = sold.path
    before = file_state(live)
    with pytest.raises(LedgerError) as caught:
        restore(copy, live, device_id="T01")
    assert caught.value.title == "Backup does not verify"
    assert f"seq {seq}" in caught.value.message
    assert "Nothing was replaced" in caught.value.message
    assert file_state(live) == before
    assert sidecar_files(live.parent) == []


def test_restore_refuses_another_tills_backup(sold: Ledger, tmp_path: Path) -> None:
    foreign = other_till_ledger(tmp_path / "t02")
    assert check_backup(foreign)[1].ok  # a good ledger, just not ours
    sold.close()
    before = file_state(sold.path)
    with pytest.raises(LedgerError) as caught:
        restore(foreign, sold.path, device_id="T01")
    assert caught.value.title == "Backup of another till"
    assert "T02" in caught.value.message
    assert file_state(sold.path) == before
    assert sidecar_files(sold.path.parent) == []


def test_restore_refuses_while_the_ledger_is_in_a_write_transaction(
    sold: Ledger, tmp_path: Path
) -> None:
    copy = backup(sold, tmp_path / "copy.db")
    head = sold.head()
    with sold.transaction() as writer:
        writer.append("drawer.opened", {"reason": "no_sale", "staff_no": "101"})
        with pytest.raises(LedgerError) as caught:
            restore(copy, sold.path, device_id="T01")
    assert caught.value.title == "Ledger in use"
    assert "nothing was replaced" in caught.value.message
    assert sidecar_files(sold.path.parent) == []
    # The till's transaction committed to the live file, which is still the ledger.
    assert sold.head()[0] == head[0] + 1
    assert verify(sold).ok


def test_restore_refuses_while_a_till_has_the_ledger_open(
    sold: Ledger, demo_config: Config, tmp_path: Path
) -> None:
    """An idle till still holds the file: swapping it would send the till's next sale
    into the file moved aside while everything else reads the restored one."""
    copy = backup(sold, tmp_path / "copy.db")
    simulate(sold, demo_config.settings, sales=1, seed=3)
    with pytest.raises(LedgerError) as caught:
        restore(copy, sold.path, device_id="T01")
    assert caught.value.title == "Ledger in use"
    assert sidecar_files(sold.path.parent) == []
    head = sold.head()
    simulate(sold, demo_config.settings, sales=1, seed=4)
    assert raw(sold.path, "SELECT max(seq) AS seq FROM journal") == [{"seq": head[0] + 1}]
    assert verify(sold).ok


def test_restore_keeps_the_old_file_beside_and_the_restored_ledger_verifies(
    sold: Ledger, demo_config: Config, tmp_path: Path
) -> None:
    copy = backup(sold, tmp_path / "copy.db")
    backup_head = sold.head()
    simulate(sold, demo_config.settings, sales=3, seed=5)
    live_head = sold.head()
    sold.close()

    kept = restore(copy, sold.path, device_id="T01")

    assert kept is not None
    assert kept.parent == sold.path.parent
    assert kept.name.startswith("ledger.db.replaced-")
    device, report = check_backup(kept)  # the replaced ledger, complete on its own
    assert device == "T01"
    assert report.ok
    assert (report.events, report.head_hash) == live_head
    restored = Ledger.open(sold.path, "T01")
    try:
        report = verify(restored)
        assert report.ok, report.problems
        assert restored.head() == backup_head
    finally:
        restored.close()


def test_two_restores_in_a_row_keep_both_replaced_files(
    sold: Ledger, demo_config: Config, tmp_path: Path
) -> None:
    first = backup(sold, tmp_path / "first.db")
    simulate(sold, demo_config.settings, sales=2, seed=21)
    second = backup(sold, tmp_path / "second.db")
    simulate(sold, demo_config.settings, sales=2, seed=22)
    original_head = sold.head()
    sold.close()
    # Whatever second the restores land in, a file of that name already exists.
    now = datetime.now(UTC)
    decoys = {
        sold.path.with_name(f"ledger.db.replaced-{(now + timedelta(seconds=s)):%Y%m%dT%H%M%SZ}")
        for s in range(3)
    }
    for decoy in decoys:
        decoy.write_bytes(b"an earlier replaced ledger")

    kept_original = restore(second, sold.path, device_id="T01")
    kept_second = restore(first, sold.path, device_id="T01")

    assert kept_original is not None
    assert kept_second is not None
    assert kept_original != kept_second
    assert all(decoy.read_bytes() == b"an earlier replaced ledger" for decoy in decoys)
    assert check_backup(kept_original)[1].events == original_head[0]
    assert check_backup(kept_second)[1].events == check_backup(second)[1].events


def test_restore_into_an_empty_folder_just_copies(sold: Ledger, tmp_path: Path) -> None:
    copy = backup(sold, tmp_path / "copy.db")
    target = tmp_path / "new-till" / "ledger.db"
    target.parent.mkdir()
    assert restore(copy, target, device_id="T01") is None
    ledger = Ledger.open(target, "T01")
    try:
        assert verify(ledger).ok
        assert ledger.head() == sold.head()
    finally:
        ledger.close()


def test_restore_of_something_that_is_not_a_ledger_is_refused(sold: Ledger, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    sold.close()
    before = file_state(sold.path)
    with pytest.raises(LedgerError) as not_a_ledger:
        restore(junk, sold.path, device_id="T01")
    assert not_a_ledger.value.title == "Not a ledger"
    with pytest.raises(LedgerError) as missing:
        restore(tmp_path / "missing.db", sold.path, device_id="T01")
    assert missing.value.title == "Backup not found"
    assert file_state(sold.path) == before


# -- the command line -----------------------------------------------------------------------


def test_cli_backup_and_restore(
    sold: Ledger, demo_config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(demo_config.data_dir)
    dest = tmp_path / "cli-backup.db"
    head = sold.head()
    assert main(["--data", data, "ledger", "backup", str(dest)]) == 0
    assert capsys.readouterr().out == f"backed up {head[0]} events to {dest} (verified)\n"
    assert check_backup(dest)[1].ok

    assert main(["--data", data, "ledger", "backup", str(dest)]) == 2
    assert capsys.readouterr().err.startswith("error: Backup not written\n")

    simulate(sold, demo_config.settings, sales=2, seed=9)
    sold.close()
    assert main(["--data", data, "ledger", "restore", str(dest)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"restored {dest} to {sold.path}"
    assert out[1].startswith(f"the previous ledger was kept as {sold.path}.replaced-")
    assert main(["--data", data, "ledger", "verify"]) == 0
    assert capsys.readouterr().out == f"ok: {head[0]} events, chain head {head[1]}\n"


def test_cli_restore_refuses_a_tampered_backup(
    sold: Ledger, demo_config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = backup(sold, tmp_path / "copy.db")
    tamper(dest, "UPDATE journal SET ts = '2001-01-01T00:00:00.000Z' WHERE seq = 7")
    sold.close()
    before = file_state(sold.path)
    assert main(["--data", str(demo_config.data_dir), "ledger", "restore", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Backup does not verify\n")
    assert "seq 7: hash does not match" in err
    assert file_state(sold.path) == before


def test_cli_restore_onto_a_new_till_creates_its_data_folder(
    sold: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = backup(sold, tmp_path / "copy.db")
    fresh = tmp_path / "new-machine" / "data"
    assert main(["--data", str(fresh), "ledger", "restore", str(dest)]) == 0
    assert capsys.readouterr().out == f"restored {dest} to {fresh / 'ledger.db'}\n"
    assert main(["--data", str(fresh), "ledger", "verify"]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {sold.head()[0]} events")
