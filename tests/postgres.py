"""A real PostgreSQL server for the tests, started from the machine's initdb/pg_ctl.

One server per test session (per xdist worker), on a free loopback port, in a temporary
folder, with fsync off (the data is thrown away); each test gets a fresh database. As
root (CI), the server runs as the `postgres` user (or `nobody`): PostgreSQL refuses to
run as root. Without initdb the PostgreSQL tests are skipped, saying why; `.ci/run`
installs PostgreSQL so CI always runs them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _program(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def available() -> str | None:
    """None if a server can be started here, else why not."""
    if _program("initdb") is None or _program("pg_ctl") is None:
        return "PostgreSQL is not installed (no initdb/pg_ctl; .ci/run installs it)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _runner() -> tuple[list[str], int | None, int | None]:
    """How to run the server's programs: as ourselves, or (as root) as another user."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], user.pw_uid, user.pw_gid
    raise RuntimeError("running as root with no postgres or nobody user to run PostgreSQL")


@contextmanager
def server() -> Iterator[str]:
    """Run a server in a new temporary folder; yields the URL of its maintenance
    database. (Not under pytest's tmp_path: as root that is closed to the server's
    user.)"""
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError(available())
    prefix, uid, gid = _runner()
    folder = Path(tempfile.mkdtemp(prefix="pos-postgres-"))
    if uid is not None and gid is not None:
        os.chown(folder, uid, gid)
    data, port = folder / "data", _free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "pos", "--auth=trust", "-E", "UTF8",
         "--locale=C"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(folder / "log"),
         "start"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql://pos@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            check=True,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(maintenance_url: str) -> str:
    """A new empty database on the server; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return maintenance_url.rsplit("/", 1)[0] + f"/{name}"
