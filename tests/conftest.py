"""Fixtures shared by the whole suite: databases on both backends, sessions, named teachers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fedi.db.engine import create_engine, session_factory
from tests.databases import (
    BACKENDS,
    Templates,
    empty_postgres,
    require_postgres,
)

# Session fixtures shared across folders (one argostranslate per process).
pytest_plugins = ["tests.translation.fixtures"]


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    templates = Templates(tmp_path_factory.mktemp("databases"))
    yield templates
    templates.close()


@dataclass
class Database:
    backend: str
    url: str
    engine: AsyncEngine


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, db_templates: Templates) -> Iterator[str]:
    """A fresh migrated database URL on each backend (PostgreSQL skipped without a server)."""
    if request.param == "sqlite":
        yield db_templates.sqlite_copy()
        return
    url = db_templates.postgres_database(require_postgres())
    yield url
    empty_postgres(url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    engine = create_engine(database_url)
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    yield Database(backend, database_url, engine)
    await engine.dispose()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """One unit of work, as a request gets; tests commit when the story needs it."""
    async with session_factory(database.engine)() as session:
        yield session


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path
