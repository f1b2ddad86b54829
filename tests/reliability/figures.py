"""Each reliability run reports its figures the same way, for people and for the README.

`report` prints one line (seen with `pytest -s`) and, when $POS_FIGURES_FILE names a
file, appends the same figures to it as a JSON line: `scripts/reliability` collects
them from there (pytest's output is no place to parse, and -n hides it) and writes
the README's table.
"""

from __future__ import annotations

import json
import os
from typing import Any


def report(run: str, seed: int | str, **figures: Any) -> None:
    """Print and record one run's figures; `seed` replays it."""
    record = {"run": run, "seed": seed, **figures}
    print(f"\nfigures {run}: " + ", ".join(f"{key}={value}" for key, value in record.items()))
    path = os.environ.get("POS_FIGURES_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
