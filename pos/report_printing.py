"""Printing an X, Z or day report through the print queue, like any receipt.

A print job names what to print, never the bytes (pos.print_queue), and a report is
named by everything needed to make it again from the ledger: its kind, its span of seq,
its day, when it was made and its Z number. So the slip that comes out of the printer,
perhaps after a paper change or a restart, carries exactly the figures on the screen.
"""

from __future__ import annotations

from datetime import date

from pos.domain.reports import KINDS, Report, Z
from pos.end_of_day import Place, span_report
from pos.ledger.chain import parse_ts
from pos.ledger.database import Ledger
from pos.print_queue import enqueue

_MARK = "report|"
"""Job names of reports start with this; receipt numbers never contain '|'."""


def job_name(report: Report) -> str:
    header = report.header
    z_no = "" if header.z_no is None else str(header.z_no)
    return "|".join(
        (
            _MARK.rstrip("|"),
            header.kind,
            str(report.first_seq),
            str(report.last_seq),
            header.business_day,
            header.generated_at,
            z_no,
        )
    )


def queue_report(ledger: Ledger, report: Report) -> None:
    """Queue the report for the till's printer (the spooler prints it when it can)."""
    with ledger.transaction() as writer:
        enqueue(writer.conn, job_name(report), ledger.clock())


def report_of_job(ledger: Ledger, place: Place, name: str) -> Report | None:
    """The report a job names, made again from the ledger; None when the job is a receipt."""
    if not name.startswith(_MARK):
        return None
    _mark, kind, first, last, day, generated_at, z_no = name.split("|")
    if kind not in KINDS:
        return None
    return span_report(
        ledger,
        place,
        kind=kind,
        day=date.fromisoformat(day),
        first=int(first),
        last=int(last),
        at=parse_ts(generated_at),
        z_no=int(z_no) if z_no else None,
        with_head=kind == Z,
    )
