"""Fixtures for the job tests."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.db.engine import session_factory
from tests.conftest import Database


@pytest.fixture
def sessions(database: Database) -> async_sessionmaker[AsyncSession]:
    """A session factory on the test's database, as the queue and worker are given."""
    return session_factory(database.engine)
