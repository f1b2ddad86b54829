"""The HQ's migrations: on SQLite and on PostgreSQL, the migrated schema is exactly its
table definitions (cloud/hq/schema.py), and the head revision is the newest script."""

from __future__ import annotations

from pathlib import Path

import postgres
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from cloud.hq.database import HEAD_REVISION, MIGRATIONS, database_url, open_engine
from cloud.hq.schema import HQModel


def test_the_head_revision_is_the_newest_script() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_heads() == [HEAD_REVISION]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_migrated_database_matches_the_table_definitions(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = database_url(postgres.fresh_database(server), tmp_path)
    else:
        url = database_url(None, tmp_path / "hq")
    engine = open_engine(url)  # migrates
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == HEAD_REVISION
            assert list(compare_metadata(context, HQModel.metadata)) == []
    finally:
        engine.dispose()
