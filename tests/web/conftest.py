"""Instances for the page tests: ``ke`` invites teachers (a ministry's usual choice);
``launch`` serves one with another registration policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.servers import Instance, free_port, serve, write_instance

Launch = Callable[[str], AbstractAsyncContextManager[Instance]]


@pytest.fixture
def launch(database: Database, tmp_path: Path) -> Launch:
    @asynccontextmanager
    async def launch(policy: str) -> AsyncIterator[Instance]:
        config = write_instance(
            tmp_path,
            code=f"ke-{policy}",
            port=free_port(),
            database_url=database.url,
            extra=f'[registration]\npolicy = "{policy}"\n',
        )
        async with serve(config) as instance:
            yield instance

    return launch


@pytest.fixture
async def ke(launch: Launch) -> AsyncIterator[Instance]:
    async with launch("invite") as instance:
        yield instance
