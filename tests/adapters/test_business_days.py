"""Business days under any clock: for sales at random moments (clocks jumping back and
forth over the day boundary) and Zs closed at random points, on a real ledger file,
every sale is in exactly one day and in exactly one Z, and the days follow seq order."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.bootstrap import open_ledger
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import load_config
from pos.domain.business_day import DayError
from pos.end_of_day import Place, close_day, day_report, x_report
from pos.ledger.database import Ledger

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2027, 1, 5, 0, 0, tzinfo=ZONE)
WATER = "1001"  # 2.00

# A step: minutes from the start of the 5th (up to three days on; the order is the
# till's, so a later step may be earlier: the clock jumped back), units sold, and
# whether a manager closes the day the clock says it is right after.
steps = st.lists(
    st.tuples(st.integers(0, 3 * 24 * 60), st.integers(1, 3), st.booleans()),
    min_size=1,
    max_size=8,
)


def clocked_till(folder: Path) -> tuple[Ledger, Place, Checkout, list[datetime]]:
    """The demo till in `folder` on a clock the test sets (`moment[0]`), the day before
    START to begin with."""
    config = load_config(None, folder / "data", environ={})
    moment = [START - timedelta(days=1)]
    ledger = open_ledger(config, clock=lambda: moment[0])
    place = Place.of(config.settings)
    till = Checkout(
        ledger,
        current_catalog(ledger),
        Till("T01", "T01-", "101"),
        config.settings.scanner.rules(),
        clock=lambda: moment[0],
        print_receipts=False,
    )
    return ledger, place, till, moment


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_every_sale_is_in_one_day_and_one_z_whatever_the_clock_did(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[int, int, bool]]
) -> None:
    ledger, place, till, moment = clocked_till(tmp_path_factory.mktemp("days"))
    try:
        sold = zs = 0
        closed: list[tuple[int, int]] = []
        for minutes, units, close in steps:
            moment[0] = START + timedelta(minutes=minutes)
            till.scan(WATER, units)
            sold += till.pay_cash().total
            if close:
                try:
                    z = close_day(ledger, place, "900")
                except DayError:
                    continue  # that day was closed already, or a later one was
                zs += z.totals.sales_total
                closed.append((z.first_seq, z.last_seq))
        open_part = x_report(ledger, place).totals.sales_total
        assert zs + open_part == sold  # each sale in exactly one Z, or still open
        assert all(a[1] < b[0] for a, b in pairwise(closed))
        if closed:
            assert all(b[0] == a[1] + 1 for a, b in pairwise(closed))
        days = [START.date() + timedelta(days=offset) for offset in range(-1, 6)]
        spans = []
        total = 0
        for day in days:
            report = day_report(ledger, place, day)
            total += report.totals.sales_total
            if report.first_seq <= report.last_seq:
                spans.append((report.first_seq, report.last_seq))
        assert total == sold  # each sale in exactly one business day
        # Days are runs of seq in day order: a later day never starts before an earlier ends.
        assert all(a[1] < b[0] for a, b in pairwise(spans))
    finally:
        ledger.close()


def test_a_day_left_with_nothing_by_a_clock_set_back_is_not_closed_twice_over(
    tmp_path: Path,
) -> None:
    """Found by the property above: a sale on the 6th, then the clock set back to the
    4th and the 5th with a close each: the 5th has nothing of its own (its sales belong
    to the 6th, the latest day reached), so it is refused rather than closed empty over
    the 4th's Z."""
    ledger, place, till, moment = clocked_till(tmp_path)
    try:
        for minutes, close in ((1680, False), (0, True), (240, True)):
            moment[0] = START + timedelta(minutes=minutes)
            till.scan(WATER)
            till.pay_cash()
            if close and minutes == 240:
                with pytest.raises(DayError, match="Nothing done since the last Z"):
                    close_day(ledger, place, "900")
            elif close:
                close_day(ledger, place, "900")
        assert x_report(ledger, place).totals.sales_total == 3 * 200  # all still open
    finally:
        ledger.close()


def test_the_boundary_is_local_time_and_belongs_to_the_new_day() -> None:
    from pos.domain.business_day import business_day, day_start_ts, parse_boundary

    boundary = parse_boundary("04:00")
    assert business_day(datetime(2027, 1, 6, 3, 59, tzinfo=ZONE), ZONE, boundary) == date(
        2027, 1, 5
    )
    assert business_day(datetime(2027, 1, 6, 4, 0, tzinfo=ZONE), ZONE, boundary) == date(2027, 1, 6)
    assert day_start_ts(date(2027, 1, 6), ZONE, boundary) == "2027-01-05T20:00:00.000Z"
