"""The hourly sales chart of the manager's end-of-day screen, as lines of text.

Plain text with block characters, so it draws the same on a Linux console, over SSH and
in the tests' snapshots: one column of three cells per hour, bars scaled to the busiest
hour in eighths of a cell, the hours written under them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pos.domain.reports import HourLine

EIGHTHS = " ▁▂▃▄▅▆▇█"


def hour_chart(hours: Sequence[HourLine], height: int = 5) -> list[str]:
    """`height` rows of bars and one row of hour labels; no rows when there were no sales."""
    top = max((line.sales for line in hours), default=0)
    if top <= 0:
        return []
    # Eighths of a cell each bar fills; a positive hour always shows at least one.
    filled = [max(1, line.sales * height * 8 // top) if line.sales > 0 else 0 for line in hours]
    rows = []
    for row in range(height - 1, -1, -1):
        cells = [EIGHTHS[min(max(fill - row * 8, 0), 8)] * 2 for fill in filled]
        rows.append(" ".join(cells).rstrip())
    rows.append(" ".join(line.hour[:2] for line in hours))
    return rows
