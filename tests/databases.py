"""Test databases: a fresh, migrated SQLite file or PostgreSQL database per test.

The schema is migrated once per run (with Alembic, the same path production uses) into a
template; each test then gets a copy, which is far cheaper than migrating again.
PostgreSQL tests need ``JAMII_TEST_POSTGRES_URL``; without it they are skipped, except in CI
(``CI`` set), where a missing database is a failure rather than a silent skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from fedi.db import migrate

BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str | None:
    """The PostgreSQL server for tests, as a ``postgresql+asyncpg`` URL, or None."""
    raw = os.environ.get("JAMII_TEST_POSTGRES_URL")
    if not raw:
        if os.environ.get("CI"):
            pytest.fail("CI must set JAMII_TEST_POSTGRES_URL so the PostgreSQL suite runs")
        return None
    url = make_url(raw)
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def require_postgres() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(
            "PostgreSQL tests need JAMII_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    return url


def _plain(url: str) -> str:
    """asyncpg wants postgresql:// without the SQLAlchemy driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_plain(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def create_postgres_database(server_url: str, name: str, template: str | None = None) -> str:
    suffix = f" TEMPLATE {template}" if template else ""
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"{suffix}'))
    return with_database(server_url, name)


def drop_postgres_database(server_url: str, name: str) -> None:
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def empty_postgres(url: str) -> None:
    """Remove every row (the schema stays), so the next test starts from a migrated, empty DB."""

    async def run() -> None:
        connection = await asyncpg.connect(_plain(url))
        try:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await connection.execute(f"TRUNCATE {names} CASCADE")
        finally:
            await connection.close()

    asyncio.run(run())


@dataclass
class Templates:
    """Migrated templates made on first use and dropped at the end of the run."""

    workdir: Path
    sqlite_file: Path | None = None
    postgres_name: str | None = None

    def sqlite_copy(self) -> str:
        if self.sqlite_file is None:
            self.sqlite_file = self.workdir / "template.db"
            migrate.upgrade(f"sqlite+aiosqlite:///{self.sqlite_file}")
        target = self.workdir / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.sqlite_file, target)
        return f"sqlite+aiosqlite:///{target}"

    def postgres_database(self, server_url: str) -> str:
        """The run's migrated PostgreSQL database, emptied by ``empty_postgres`` after each
        test (TRUNCATE is ten times cheaper than creating a database from a template)."""
        if self.postgres_name is None:
            name = f"jamii_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            migrate.upgrade(create_postgres_database(server_url, name))
            self.postgres_name = name
        return with_database(server_url, self.postgres_name)

    def close(self) -> None:
        server = postgres_url() if self.postgres_name else None
        if server and self.postgres_name:
            drop_postgres_database(server, self.postgres_name)
