"""`pos report x|z|day`: the end-of-day reports on the command line, as text, JSON or
CSV (docs/reports.md), and `pos report z --close` to close a business day.

Closing is a manager's action: `--manager NO` and the PIN on standard input (asked for
on a terminal) go through the same override as at the till, journaled before the Z.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from pos.config import Config
from pos.errors import PosError

if TYPE_CHECKING:
    from pos.domain.reports import Report

Register = Callable[..., argparse.ArgumentParser]
FORMATS = ("text", "json", "csv")


def register(command: Register) -> None:
    for kind, help_ in (
        ("x", "everything since the last Z, as of now (changes nothing)"),
        ("z", "the Z of a closed business day; --close closes the day"),
        ("day", "one business day's report (closed or not)"),
    ):
        sub = command(kind, _report, help_, ["report"])
        sub.set_defaults(kind=kind)
        sub.add_argument(
            "--format", choices=FORMATS, default="text", help="text (as printed), json or csv"
        )
        sub.add_argument(
            "--width", type=int, choices=(58, 80), default=80, help="paper width of the text"
        )
        if kind != "x":
            sub.add_argument(
                "--date",
                type=_day,
                metavar="YYYY-MM-DD",
                help="business day (default: the day now open)",
            )
        sub.add_argument(
            "--print",
            action="store_true",
            help="also queue it for the till's printer (printed while the till runs)",
        )
        if kind == "z":
            sub.add_argument("--close", action="store_true", help="close the day (journaled)")
            sub.add_argument("--manager", metavar="NO", help="manager closing it (with --close)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def _report(args: argparse.Namespace, config: Config) -> int:
    from pos.bootstrap import open_ledger
    from pos.end_of_day import Place, close_day, day_report, open_day, x_report, z_report
    from pos.ledger.report_reads import last_close
    from pos.report_printing import queue_report

    place = Place.of(config.settings)
    ledger = open_ledger(config)
    try:
        if args.kind == "x":
            report = x_report(ledger, place)
        elif args.kind == "z" and args.close:
            manager = _manager(args, config, ledger)
            report = close_day(ledger, place, manager, args.date)
        else:
            day = args.date
            if day is None:
                with ledger.read() as conn:
                    day = open_day(place, last_close(conn), ledger.clock())
            report = (z_report if args.kind == "z" else day_report)(ledger, place, day)
        if args.print:
            queue_report(ledger, report)
    finally:
        ledger.close()
    write_report(report, args.format, config, width_mm=args.width)
    return 0


def _manager(args: argparse.Namespace, config: Config, ledger: object) -> str:
    import getpass
    from datetime import timedelta

    from pos.ledger.database import Ledger
    from pos.overrides import authorize

    assert isinstance(ledger, Ledger)
    if not args.manager:
        raise PosError("Manager required", "Closing a day needs --manager NO and their PIN.")
    pin = getpass.getpass("Manager PIN: ") if sys.stdin.isatty() else sys.stdin.readline()
    security = config.settings.security
    member = authorize(
        ledger,
        args.manager,
        pin.strip(),
        action="day_close",
        cashier=args.manager,
        detail={"business_day": args.date.isoformat() if args.date else None},
        max_failures=security.max_pin_failures,
        lockout=timedelta(minutes=security.lockout_minutes),
    )
    return member.staff_no


def write_report(report: Report, form: str, config: Config, *, width_mm: int = 80) -> None:
    from zoneinfo import ZoneInfo

    from pos.domain.reports import CSV_HEADER, report_json, report_rows
    from receipts.day_report import report_text

    if form == "json":
        json.dump(report_json(report), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif form == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(report_rows(report))
    else:
        settings = config.settings
        zone = ZoneInfo(settings.store.timezone)
        for line in report_text(report, width_mm=width_mm, lang=settings.ui.language, zone=zone):
            print(line)
