"""Child of test_power_loss.py: replays the ledger's SQL through APSW on a VFS that
loses what was never synced, and cuts the power at a chosen I/O operation.

It runs in its own process and imports only APSW and the standard library: APSW
carries its own SQLite, and two SQLite libraries touching one file in one process can
corrupt it (reference/sync-and-durability.md §2).

How the "disk" works: every file SQLite opens is written through to the real file (so
SQLite reads back what it wrote), and each write or truncate is also kept as pending.
xSync applies the file's pending operations to its durable twin in `durable/`: the
twin is what the platter holds. At the cut, the pending operations are lost (or, with
`tear`, each survives by a coin toss, as a drive's cache may have written some of
them, in any order) and the process ends at once. The parent reads only the twins.

    python power_loss_child.py PLAN_JSON

The plan: {"db": path, "durable": dir, "pragmas": [...], "transactions": [[sql, ...]],
"cut_at": I/O operation number (0: never), "tear": bool, "seed": int}. Prints
"COMMITTED <i>" after transaction i's COMMIT returned and "OPS <n>" when it ran out.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import apsw


class Disk:
    """The I/O operation count, the cut and the files' durable twins."""

    def __init__(self, durable: Path, cut_at: int, tear: bool, rng: random.Random) -> None:
        self.durable, self.cut_at, self.tear, self.rng = durable, cut_at, tear, rng
        self.ops = 0
        self.files: list[LossyFile] = []

    def tick(self) -> None:
        """Count one write, truncate or sync; at the chosen one the power goes."""
        self.ops += 1
        if self.ops == self.cut_at:
            for file in self.files:
                file.power_cut()
            os._exit(0)

    def twin(self, name: str) -> Path:
        return self.durable / Path(name).name


class LossyFile(apsw.VFSFile):
    def __init__(self, disk: Disk, name: Any, flags: list[int]) -> None:
        super().__init__("", name, flags)
        self.disk = disk
        self.path = name.filename() if isinstance(name, apsw.URIFilename) else str(name)
        self.pending: list[tuple[str, int, bytes]] = []
        twin = disk.twin(self.path)
        if os.path.exists(self.path) and not twin.exists():
            shutil.copyfile(self.path, twin)  # what was on disk before we started
        disk.files.append(self)

    def xWrite(self, data: bytes, offset: int) -> None:
        self.disk.tick()
        super().xWrite(data, offset)
        self.pending.append(("write", offset, bytes(data)))

    def xTruncate(self, size: int) -> None:
        self.disk.tick()
        super().xTruncate(size)
        self.pending.append(("truncate", size, b""))

    def xSync(self, flags: int) -> None:
        self.disk.tick()
        super().xSync(flags)
        self._apply(self.pending)
        self.pending = []

    def power_cut(self) -> None:
        if self.tear:
            survivors = [op for op in self.pending if self.disk.rng.random() < 0.5]
            self.disk.rng.shuffle(survivors)
            self._apply(survivors)
        self.pending = []

    @property
    def tear(self) -> bool:
        return self.disk.tear

    def _apply(self, operations: list[tuple[str, int, bytes]]) -> None:
        if not operations:
            return
        twin = self.disk.twin(self.path)
        with open(twin, "r+b" if twin.exists() else "w+b") as file:
            for kind, number, data in operations:
                if kind == "write":
                    file.seek(number)
                    file.write(data)
                else:
                    file.truncate(number)


class LossyVFS(apsw.VFS):
    def __init__(self, disk: Disk) -> None:
        self.disk = disk
        super().__init__("lossy", "")

    def xOpen(self, name: Any, flags: list[int]) -> LossyFile:
        return LossyFile(self.disk, name, flags)

    def xDelete(self, filename: str, syncdir: bool) -> None:
        super().xDelete(filename, syncdir)
        self.disk.twin(filename).unlink(missing_ok=True)


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    disk = Disk(Path(plan["durable"]), plan["cut_at"], plan["tear"], random.Random(plan["seed"]))
    vfs = LossyVFS(disk)  # registered under its name while this object lives
    connection = apsw.Connection(plan["db"], vfs="lossy")
    assert vfs.disk is disk
    for pragma in plan["pragmas"]:
        connection.execute(pragma).fetchall()
    for number, statements in enumerate(plan["transactions"]):
        for statement in statements:
            connection.execute(statement).fetchall()
        print(f"COMMITTED {number}", flush=True)
    print(f"OPS {disk.ops}", flush=True)
    os._exit(0)  # no close: closing would checkpoint, which a power cut does not


if __name__ == "__main__":
    main()
