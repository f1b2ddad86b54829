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


START = "<!-- reliability figures: start (scripts/reliability writes this table) -->"
END = "<!-- reliability figures: end -->"
RUNS = {
    "crash": ("SIGKILL at random moments and just before/after COMMIT", "POS_CRASH_SEED"),
    "power_loss": ("power cut (APSW VFS drops unsynced writes)", "POS_POWER_SEED"),
    "payments": ("WeChat Pay against the sandbox with faults", "POS_RELIABILITY_SEED"),
    "sync": ("three tills pushing through a faulty proxy", "POS_RELIABILITY_SEED"),
    "scan_fuzz": ("hostile scans through every scanner path", "POS_FUZZ_SEED"),
    "cloud_inputs": ("schemathesis against the HQ's OpenAPI", "POS_CLOUD_SEED"),
    "secrets": ("secrets in logs, receipts and exports", ""),
}
"""Each run's line in the table and the variable that replays its seed."""


def merged(lines: list[str]) -> dict[str, dict[str, Any]]:
    """One record a run: a run reported by several processes (xdist workers) adds up."""
    runs: dict[str, dict[str, Any]] = {}
    for line in lines:
        record = json.loads(line)
        name = record.pop("run")
        into = runs.setdefault(name, {"seed": []})
        # Each process draws its own seed; keep every one, each replays its share.
        if record["seed"] not in into["seed"]:
            into["seed"].append(record["seed"])
        for key, value in record.items():
            if key != "seed":
                into[key] = into.get(key, 0) + value if isinstance(value, int) else value
    return runs


def table(runs: dict[str, dict[str, Any]], when: str) -> str:
    rows = [
        f"Last full run: {when}, `scripts/reliability`.",
        "",
        "| Run | Replay | Figures |",
        "| --- | --- | --- |",
    ]
    for name in [*RUNS, *sorted(set(runs) - set(RUNS))]:
        if name in runs:
            record = dict(runs[name])
            seeds = record.pop("seed")
            figures = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in record.items())
            what, variable = RUNS.get(name, (name, ""))
            replay = " ".join(f"`{variable}={seed}`" for seed in seeds) if variable else "-"
            rows.append(f"| {what} | {replay} | {figures} |")
    return "\n".join(rows)


def write_readme(figures_file: str, readme: str, when: str) -> None:
    """Replace the table between the markers in the README's reliability section."""
    with open(figures_file, encoding="utf-8") as file:
        runs = merged(file.read().splitlines())
    with open(readme, encoding="utf-8") as file:
        text = file.read()
    before, start, rest = text.partition(START)
    _old, end, after = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{readme} lacks the markers {START!r} ... {END!r}")
    with open(readme, "w", encoding="utf-8") as file:
        file.write(f"{before}{START}\n{table(runs, when)}\n{END}{after}")


if __name__ == "__main__":
    import sys

    write_readme(*sys.argv[1:4])
