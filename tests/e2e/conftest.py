"""The chain's HQ for the sync tests: served over HTTP on 127.0.0.1, on its embedded
SQLite file and on a real PostgreSQL server the suite starts (skipped without one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import postgres
import pytest
from sqlalchemy import Engine

from cloud.hq.app import create_app
from cloud.hq.database import database_url, open_engine
from cloud.serving import serving


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    why_not = postgres.available()
    if why_not is not None:
        pytest.skip(why_not)
    with postgres.server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def hq(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """The HQ service over HTTP on its embedded SQLite file, or on PostgreSQL."""
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = database_url(postgres.fresh_database(server), tmp_path)
    else:
        url = database_url(None, tmp_path / "hq")
    engine = open_engine(url)
    with serving(create_app(engine), "HQ") as base_url:
        yield base_url, engine
    engine.dispose()
