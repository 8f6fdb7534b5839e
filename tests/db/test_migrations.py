"""Migrations: upgrade from empty, match the models exactly, and step down one revision."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from fedi.db import migrate
from fedi.db.base import Base
from fedi.db.engine import create_engine
from tests.databases import (
    BACKENDS,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    server = require_postgres()
    name = f"jamii_m_{uuid.uuid4().hex[:12]}"
    yield create_postgres_database(server, name)
    drop_postgres_database(server, name)


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"include_object": migrate.include_for(connection.dialect.name)}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _inspect(url: str) -> tuple[list[object], set[str], str | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
            tables = await connection.run_sync(_tables)
        return diff, tables, await migrate.current_revision(engine)
    finally:
        await engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    diff, tables, revision = asyncio.run(_inspect(empty_database))
    assert diff == []
    assert {"accounts", "statuses", "follows", "jobs", "notifications"} <= tables
    assert revision == migrate.head_revision()


def test_downgrade_one_step_and_upgrade_again(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_database))
    head = script.get_revision(migrate.head_revision())
    assert head is not None
    migrate.downgrade(empty_database, "-1")
    _, tables, revision = asyncio.run(_inspect(empty_database))
    assert revision == head.down_revision
    if head.down_revision is None:
        assert tables <= {"alembic_version"}
    migrate.upgrade(empty_database)
    diff, _, revision = asyncio.run(_inspect(empty_database))
    assert diff == []
    assert revision == migrate.head_revision()
