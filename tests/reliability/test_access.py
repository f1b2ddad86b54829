"""Access: manager actions need a manager, PINs are salted slow hashes, the device
token is the till user's alone, and nothing secret comes out in logs, receipts or
exports.

The secrets run is real: `pos` commands in child processes on one data folder (a
manager added with a PIN, a till enrolled with an HQ served by `pos cloud serve`,
sales simulated and pushed, a member enrolled by phone buying with their code), the
WeChat API key set in the environment as a till has it; then every byte those
processes printed, every file they wrote outside the ledger and the credentials, and
the printer's bytes for every receipt are searched for the PIN, its hash, the API key,
the token, the enrollment code and the member's full phone number.
"""

from __future__ import annotations

import re
import stat
import subprocess
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from reliability.figures import report
from support import pos_cloud_serve, raw, run_pos
from textual.pilot import Pilot
from textual.widgets import Input, Static
from tui.tui_helpers import (
    MANAGER,
    NOODLES,
    OTHER_CASHIER,
    WATER,
    approve,
    make_till,
    sale_screen,
    seed_template,
    settle,
    start_selling,
    text_of,
    type_line,
)

from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import load_config
from pos.hardware import receipt_renderer, store_header
from pos.ledger.database import Ledger
from pos.loyalty_setup import open_loyalty
from pos.overrides import ACTIONS, authorize
from pos.print_queue import PrintQueue
from pos.staff import SignInRefused
from pos.tui.screens.end_of_day import EndOfDayView
from pos.tui.screens.prompts import ManagerApproval
from sync.credentials import load_credentials

pytestmark = pytest.mark.slow

PIN = "480163"
API_KEY = "Zq8vW3kP0sL7nB2xR5tY9uJ4mC6hF1dA"
PHONE = "13912345678"
LOCKOUT = timedelta(minutes=15)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_manager_action_is_refused_for_a_cashier_and_journaled_for_a_manager(
    action: str, demo_ledger: Ledger
) -> None:
    """Every action the till knows a manager approves (pos.overrides.ACTIONS): the
    TUI's dialogs and the CLI's `report z --close` all go through `authorize`."""

    def granted() -> list[dict[str, object]]:
        return raw(
            demo_ledger.path,
            "SELECT payload FROM journal WHERE type = 'override.granted'",
        )

    for staff_no, pin in (("101", "1234"), ("102", "2345")):  # cashiers, right PINs
        with pytest.raises(SignInRefused, match="not a manager"):
            authorize(
                demo_ledger,
                staff_no,
                pin,
                action=action,
                cashier="101",
                detail={},
                max_failures=5,
                lockout=LOCKOUT,
            )
    assert granted() == []
    manager = authorize(
        demo_ledger,
        "900",
        "9000",
        action=action,
        cashier="101",
        detail={"why": "test"},
        max_failures=5,
        lockout=LOCKOUT,
    )
    assert manager.staff_no == "900"
    (row,) = granted()
    assert f'"action":"{action}"' in str(row["payload"])
    assert '"manager":"900"' in str(row["payload"])


def pos(data: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """A `pos` command with the WeChat API key in its environment, as a till has it."""
    return run_pos(data, *args, stdin=stdin, env={"POS_WECHAT_API_KEY": API_KEY})


def test_day_close_by_the_cli_needs_a_managers_pin(tmp_path: Path) -> None:
    data = tmp_path / "till"
    assert pos(data, "simulate", "--sales", "3").returncode == 0
    refused = pos(data, "report", "z", "--close", "--manager", "101", stdin="1234\n")
    assert refused.returncode != 0
    assert "not a manager" in refused.stderr
    ledger = data / "ledger.db"
    assert raw(ledger, "SELECT seq FROM journal WHERE type = 'day.closed'") == []
    closed = pos(data, "report", "z", "--close", "--manager", "900", stdin="9000\n")
    assert closed.returncode == 0, closed.stderr
    assert len(raw(ledger, "SELECT seq FROM journal WHERE type = 'day.closed'")) == 1
    (granted,) = raw(ledger, "SELECT payload FROM journal WHERE type = 'override.granted'")
    assert '"action":"day_close"' in granted["payload"]


def test_pins_are_salted_slow_hashes(tmp_path: Path) -> None:
    data = tmp_path / "till"
    for staff_no in ("555", "556"):  # one PIN, two accounts
        added = pos(data, "staff", "add", staff_no, "--name", "Probe", stdin=f"{PIN}\n")
        assert added.returncode == 0, added.stderr
    rows = raw(data / "ledger.db", "SELECT pin_hash FROM staff WHERE staff_no IN ('555', '556')")
    hashes = [row["pin_hash"] for row in rows]
    assert hashes[0] != hashes[1]  # salted
    for stored in hashes:  # as the till wrote them through `pos staff add`
        scheme, cost, _r, _p, salt, _digest = stored.split("$")
        assert scheme == "scrypt"
        assert int(cost) >= 2**14  # slow: at least scrypt's cost for interactive logins
        assert len(bytes.fromhex(salt)) >= 16
        assert PIN not in stored


def test_nothing_secret_in_logs_receipts_or_exports(tmp_path: Path) -> None:
    data, hq = tmp_path / "till", tmp_path / "hq"
    outputs: list[str] = []

    def run(*args: str, stdin: str = "") -> str:
        done = pos(data, *args, stdin=stdin)
        outputs.extend((done.stdout, done.stderr))
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    run("staff", "add", "555", "--name", "Probe Manager", "--role", "manager", stdin=f"{PIN}\n")
    with pos_cloud_serve(hq, outputs) as url:
        made = pos(hq, "cloud", "enroll-code", "--store", "demo-store")
        assert made.returncode == 0, made.stderr
        code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", made.stdout)
        assert code is not None, made.stdout
        run("sync", "enroll", "--cloud", url, code.group())
        credentials_file = data / "sync.json"
        assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
        credentials = load_credentials(data)
        assert credentials is not None
        token = credentials.token

        run("simulate", "--sales", "20", "--seed", "7")
        receipts = member_sale(data)
        run("sync", "now")
        # Manager actions: a Z close with the PIN on standard input.
        run("report", "z", "--close", "--manager", "555", stdin=f"{PIN}\n")
        run("ledger", "export", "--out", str(tmp_path / "export.jsonl"))
        for form in ("text", "json", "csv"):
            run("report", "x", "--format", form)
            run("report", "day", "--format", form)
        run("ledger", "verify")
        run("staff", "list")
        run("config", "show")
        run("sync", "status")

    pin_hash = raw(data / "ledger.db", "SELECT pin_hash FROM staff WHERE staff_no = '555'")[0]
    secrets = {
        "PIN": PIN,
        "PIN hash": pin_hash["pin_hash"].split("$")[-1],
        "API key": API_KEY,
        "device token": token,
        "enrollment code": code.group(),
        "full phone number": PHONE,
    }
    written = {
        str(path.relative_to(tmp_path)): path.read_bytes().decode("utf-8", "replace")
        for path in tmp_path.rglob("*")
        if path.is_file() and not path.name.startswith(("ledger.db", "cloud.db", "sync.json"))
    }
    places = {
        **{f"output {number}": text for number, text in enumerate(outputs)},
        **written,
        **{f"receipt {number}": text for number, text in enumerate(receipts)},
    }
    assert any(PHONE[-4:] in text for text in receipts), "the member's sale was not printed"
    # The export is the journal: member events carry the phone, and `pos ledger
    # export` masks it (keeping each line's hash) unless asked for --personal-data.
    assert "member.enrolled" in places["export.jsonl"]
    leaks = [
        f"{what} in {where}"
        for what, secret in secrets.items()
        for where, text in places.items()
        if secret in text
    ]
    # The secrets are at rest only where they must be: the token in sync.json (0600),
    # hashes in the ledger and the cloud's database, never the clear PIN or token there.
    at_rest = {
        name: b"".join(path.read_bytes() for path in folder.glob(f"{name}*"))
        for folder, name in ((data, "ledger.db"), (hq, "cloud.db"))
    }
    leaks += [
        f"{what} in {name}"
        for name, content in at_rest.items()
        for what, secret in (("PIN", PIN), ("device token", token), ("API key", API_KEY))
        if secret.encode() in content
    ]
    print(f"searched {len(places)} outputs and files for {len(secrets)} secrets")
    report(
        "secrets",
        "-",
        places_searched=len(places),
        secrets_sought=len(secrets),
        leaks=len(leaks),
        manager_actions_checked=len(ACTIONS),
    )
    assert leaks == []


def member_sale(data: Path) -> list[str]:
    """A member enrolled by phone buys something; the printer's bytes of every receipt
    waiting in the queue (what would come out of the printer)."""
    config = load_config(None, data, environ={})
    ledger = open_ledger(config)
    try:
        loyalty = open_loyalty(config, ledger)
        assert loyalty is not None
        member, _ = loyalty.enroll_by_phone(PHONE)
        checkout = Checkout(
            ledger, current_catalog(ledger), Till("T01", "T01-", "101"), loyalty=loyalty
        )
        checkout.scan("6921168509256")
        checkout.set_member(member.member_no)
        checkout.pay_cash(None)
        render = receipt_renderer(config, ledger, store_header(config))
        queue, printed = PrintQueue(ledger), []
        while (job := queue.next_job()) is not None:
            printed.append(render(job).decode("gb18030", "replace"))
            queue.printed(job)
        return printed
    finally:
        ledger.close()


# -- at the till: each manager dialog refuses a cashier and journals a manager -----------


async def ask_price(pilot: Pilot[Any]) -> None:
    sale_screen(pilot).scan(NOODLES)
    await settle(pilot)
    await pilot.press("f5")
    pilot.app.screen.query_one("#answer", Input).value = "3.99"
    await pilot.press("enter")


async def ask_discount(pilot: Pilot[Any]) -> None:
    sale_screen(pilot).scan(NOODLES)
    await settle(pilot)
    await pilot.press("f4")
    await type_line(pilot, "1.50")


async def ask_no_sale(pilot: Pilot[Any]) -> None:
    await pilot.press("f10")


async def ask_refund(pilot: Pilot[Any]) -> None:
    if not _sold(pilot):  # the first time: a sale to return from
        await type_line(pilot, f"2*{WATER}")
        await pilot.press("f12", "enter")
        await settle(pilot)
    sale_screen(pilot).scan("R1:T01-000001")
    await settle(pilot)
    await pilot.press("plus")
    await pilot.pause()
    await pilot.press("enter")


def _sold(pilot: Pilot[Any]) -> bool:
    with sale_screen(pilot).checkout.ledger.read() as conn:
        return bool(conn.exec_driver_sql("SELECT count(*) FROM sales").scalar())


async def ask_member_view(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+n")


async def ask_end_of_day(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+f")


async def in_end_of_day(pilot: Pilot[Any]) -> None:
    """On the end-of-day screen, opened with the manager's PIN if it is not open yet."""
    if not isinstance(pilot.app.screen, EndOfDayView):
        await ask_end_of_day(pilot)
        await settle(pilot)
        await approve(pilot, *MANAGER)
        await settle(pilot)
    assert isinstance(pilot.app.screen, EndOfDayView), pilot.app.screen


def ask_to_move(key: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def ask(pilot: Pilot[Any]) -> None:
        await in_end_of_day(pilot)
        await pilot.press(key)
        await settle(pilot)
        await type_line(pilot, "1.00")
        await type_line(pilot, "delivery")

    return ask


async def ask_day_close(pilot: Pilot[Any]) -> None:
    await in_end_of_day(pilot)
    await pilot.press("z")
    await settle(pilot)
    await pilot.press("y")


TILL_ACTIONS: dict[str, tuple[Callable[[Pilot[Any]], Awaitable[None]], str | None]] = {
    "price_override": (ask_price, None),
    "line_discount": (ask_discount, None),
    "no_sale": (ask_no_sale, "drawer.opened"),
    "refund": (ask_refund, "return.started"),
    "member_view": (ask_member_view, None),
    "end_of_day": (ask_end_of_day, None),
    "day_close": (ask_day_close, "day.closed"),
    "pay_in": (ask_to_move("i"), "cash.moved"),
    "pay_out": (ask_to_move("o"), "cash.moved"),
    "bleed": (ask_to_move("b"), "cash.moved"),
}
"""Each manager action the till's screens offer: how to get to its manager dialog, and
the event only the approved action journals besides override.granted (None: the
approval is all the ledger keeps, as for a price changed in the cart)."""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo ledger seeded once (four scrypt hashes); each test copies it."""
    return seed_template(tmp_path_factory.mktemp("template"))


@pytest.mark.parametrize("action", sorted(TILL_ACTIONS))
async def test_each_manager_dialog_refuses_a_cashier_and_journals_a_manager(
    action: str, template: Path, tmp_path: Path
) -> None:
    ask, effect = TILL_ACTIONS[action]
    till = make_till(template, tmp_path / "till")

    def granted() -> list[dict[str, Any]]:
        # The end-of-day screen's own opening is an approval too (end_of_day).
        return [g for g in till.events("override.granted") if g["action"] == action]

    try:
        app = till.app()
        async with app.run_test(size=(120, 36)) as pilot:
            await start_selling(pilot)
            await ask(pilot)
            await settle(pilot)
            assert isinstance(app.screen, ManagerApproval), app.screen
            await approve(pilot, *OTHER_CASHIER)  # a right PIN, but not a manager's
            assert isinstance(app.screen, ManagerApproval)  # still asking
            problem = text_of(app.screen.query_one("#problem", Static))
            assert "not a manager" in problem
            await pilot.press("escape")
            await settle(pilot)
            assert granted() == []
            if effect is not None:
                assert till.events(effect) == []  # the action did not happen

            await ask(pilot)
            await settle(pilot)
            assert isinstance(app.screen, ManagerApproval)
            await approve(pilot, *MANAGER)
            await settle(pilot)
        (approval,) = granted()
        assert (approval["manager"], approval["cashier"]) == (MANAGER[0], "101")
        if effect is not None:
            assert len(till.events(effect)) == 1
    finally:
        till.close()
