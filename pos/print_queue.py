"""The print queue: receipts wait in the ledger until the printer has taken them.

DESIGN.md §9: a receipt survives a paper-out, an unplugged printer and a restart of
the till, and never prints twice unless someone asks for a copy. So a job is queued
in the same transaction as its sale (a committed sale always has its receipt
queued), and it moves queued -> sending -> printed, each step committed:

- `sending` is written before the bytes go out; if the till dies before `printed`
  is written, nobody knows whether the paper came out. On restart such a job is
  queued again *as a copy*: the customer may get a second slip, but it says COPY /
  重印, so there is never a second original.
- A job the printer refuses goes back to `queued` with its error; jobs print in
  order, so later receipts wait behind it (a receipt never overtakes another).
- A job whose receipt cannot be rendered (its sale is missing: a restored backup)
  is `failed` with the reason, so it does not hold up the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from pos.ledger.chain import format_ts
from pos.ledger.database import Clock, Ledger, utc_now
from pos.ledger.rows import driver
from pos.ledger.tables import PRINT_JOBS

QUEUED, SENDING, PRINTED, FAILED = "queued", "sending", "printed", "failed"

_ENQUEUE_SQL = (
    "INSERT INTO print_jobs (receipt_no, is_copy, state, attempts, last_error, queued_ts)"
    " VALUES (?, ?, 'queued', 0, '', ?)"
)


@dataclass(frozen=True, slots=True)
class Job:
    job_id: int
    receipt_no: str
    is_copy: bool
    attempts: int


def enqueue(conn: Connection, receipt_no: str, at: datetime, *, copy: bool = False) -> None:
    """Queue a receipt inside the caller's write transaction (the sale's own)."""
    driver(conn).execute(_ENQUEUE_SQL, (receipt_no, copy, format_ts(at)))


class PrintQueue:
    """The queue's state changes, each its own short transaction. Blocking: workers only."""

    def __init__(self, ledger: Ledger, clock: Clock = utc_now) -> None:
        self.ledger = ledger
        self.clock = clock

    def recover(self) -> int:
        """After a restart: jobs caught in `sending` are queued again as copies.

        Returns how many there were.
        """
        with self.ledger.transaction() as writer:
            result = writer.conn.execute(
                update(PRINT_JOBS)
                .where(PRINT_JOBS.c.state == SENDING)
                .values(state=QUEUED, is_copy=True)
            )
            return result.rowcount

    def add(self, receipt_no: str, *, copy: bool = False) -> None:
        with self.ledger.transaction() as writer:
            enqueue(writer.conn, receipt_no, self.clock(), copy=copy)

    def next_job(self) -> Job | None:
        """The oldest job still to print."""
        with self.ledger.read() as conn:
            row = conn.execute(
                select(
                    PRINT_JOBS.c.job_id,
                    PRINT_JOBS.c.receipt_no,
                    PRINT_JOBS.c.is_copy,
                    PRINT_JOBS.c.attempts,
                )
                .where(PRINT_JOBS.c.state == QUEUED)
                .order_by(PRINT_JOBS.c.job_id)
                .limit(1)
            ).first()
        return Job(row[0], row[1], bool(row[2]), row[3]) if row else None

    def waiting(self) -> int:
        """Jobs not yet printed (queued, or sent but unconfirmed)."""
        with self.ledger.read() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(PRINT_JOBS)
                .where(PRINT_JOBS.c.state.in_((QUEUED, SENDING)))
            ).scalar()
        return int(count or 0)

    def sending(self, job: Job) -> None:
        self._set(job, state=SENDING, attempts=job.attempts + 1)

    def printed(self, job: Job) -> None:
        self._set(job, state=PRINTED, last_error="", printed_ts=format_ts(self.clock()))

    def refused(self, job: Job, reason: str) -> None:
        """The printer did not take it: back in the queue, at the head, with the reason."""
        self._set(job, state=QUEUED, last_error=reason)

    def failed(self, job: Job, reason: str) -> None:
        self._set(job, state=FAILED, last_error=reason)

    def _set(self, job: Job, **values: object) -> None:
        with self.ledger.transaction() as writer:
            writer.conn.execute(
                update(PRINT_JOBS).where(PRINT_JOBS.c.job_id == job.job_id).values(**values)
            )
