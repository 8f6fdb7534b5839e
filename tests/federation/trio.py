"""Three real instances on loopback — ke, sn, mz — each with its own database and worker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Follow, FollowRequest, ReceivedActivity, Status
from fedi.domain import follows
from fedi.domain.site import Site
from fedi.federation.actors import resolve_account
from fedi.federation.delivery.deliver import DELIVER
from fedi.jobs import enqueue
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

    async def follow(self, follower: Account, target: Account) -> Follow | FollowRequest:
        """``follower`` follows (or asks to follow) ``target``, both as this instance knows them."""
        async with self.session() as session, session.begin():
            me = await session.get(Account, follower.id)
            them = await session.get(Account, target.id)
            assert me is not None
            assert them is not None
            return await follows.follow(session, me, them)

    async def count(self, model: type, *where: object) -> int:
        """How many rows of ``model`` this instance holds that meet every condition."""
        async with self.session() as session:
            query = select(func.count()).select_from(model)
            for condition in where:
                query = query.where(condition)  # type: ignore[arg-type]
            return int(await session.scalar(query) or 0)

    async def status(self, uri: str) -> Status | None:
        """This instance's copy of the post ``uri``, if it holds one."""
        async with self.session() as session:
            found: Status | None = await session.scalar(select(Status).where(Status.uri == uri))
            return found

    async def received(self, *activities: dict[str, Any]) -> bool:
        """Whether this instance's inbox took in every one of ``activities``."""
        uris = [str(activity["id"]) for activity in activities]
        return await self.count(ReceivedActivity, ReceivedActivity.uri.in_(uris)) == len(uris)

    async def send(self, actor_id: int, inbox: str, activity: dict[str, Any]) -> None:
        """Queue ``activity`` for delivery to ``inbox``, signed as the account ``actor_id``:
        how a hand-made (often forged) activity crosses to another instance for real."""
        async with self.session() as session, session.begin():
            await enqueue(
                session, DELIVER, {"inbox": inbox, "activity": activity, "actor_id": actor_id}
            )

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
