"""Three real instances on loopback — ke, sn, mz — each with its own database and worker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account
from fedi.domain.site import Site
from fedi.federation.actors import resolve_account
from tests.databases import (
    BACKENDS,
    Templates,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)
from tests.factories import teacher
from tests.servers import Instance, free_port, serve, write_instance

T = TypeVar("T")


@dataclass
class Peer:
    """One instance in a test federation, with shortcuts for the story's steps."""

    instance: Instance

    @property
    def site(self) -> Site:
        return self.instance.state.site

    def session(self) -> AsyncSession:
        return self.instance.state.sessions()

    async def teacher(self, username: str, *, locked: bool = False) -> Account:
        async with self.session() as session, session.begin():
            return await teacher(session, username, site=self.site, locked=locked)

    async def account(self, uri: str) -> Account:
        """The account for ``uri`` as this instance knows it (fetched if need be)."""
        federation = self.instance.state.federation
        assert federation is not None
        async with self.session() as session, session.begin():
            return await resolve_account(federation, session, uri)

    def wake(self) -> None:
        worker = self.instance.state.worker
        assert worker is not None
        worker.wake()


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, wake: list[Peer], within: float = 15.0
) -> T:
    """Poll ``check`` until it returns a truthy value, waking the workers meanwhile."""
    deadline = time.monotonic() + within
    while True:
        for peer in wake:
            peer.wake()
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("the federation did not settle in time")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def trio(
    backend: str, tmp_path: Path, templates: Templates, extra: str = ""
) -> AsyncIterator[tuple[Peer, Peer, Peer]]:
    """ke, sn and mz serving on loopback with in-process workers, torn down afterwards
    (on PostgreSQL, the test is skipped without a server)."""
    postgres = require_postgres() if backend == "postgresql" else None
    created: list[str] = []
    async with AsyncExitStack() as stack:
        peers: list[Peer] = []
        for code in ("ke", "sn", "mz"):
            if backend == "sqlite":
                url = await asyncio.to_thread(templates.sqlite_copy)
            else:
                assert postgres is not None
                await asyncio.to_thread(templates.postgres_database, postgres)  # the template
                name = f"jamii_fed_{uuid.uuid4().hex[:10]}"
                url = await asyncio.to_thread(
                    create_postgres_database, postgres, name, templates.postgres_name
                )
                created.append(name)
            config = write_instance(
                tmp_path,
                code=code,
                port=free_port(),
                database_url=url,
                extra="[jobs]\nin_process_worker = true\n" + extra,
            )
            instance = await stack.enter_async_context(serve(config))
            peers.append(Peer(instance))
        yield peers[0], peers[1], peers[2]
    for name in created:
        assert postgres is not None
        await asyncio.to_thread(drop_postgres_database, postgres, name)


@pytest.fixture(params=BACKENDS)
async def federation(
    request: pytest.FixtureRequest, tmp_path: Path, db_templates: Templates
) -> AsyncIterator[tuple[Peer, Peer, Peer]]:
    """ke, sn and mz on each backend; a module uses it by importing it (and naming it in
    its ``__all__``), or defines its own ``federation`` where its instances need more."""
    async with trio(request.param, tmp_path, db_templates) as peers:
        yield peers
