"""Workers in other processes are woken by the commits that queue jobs (PostgreSQL NOTIFY),
not by their once-a-second poll; rolled-back work wakes nobody."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.db.engine import create_engine, session_factory
from fedi.jobs import JobContext, JobQueue, Worker, enqueue, enqueue_many
from fedi.jobs.wakeups import listening
from tests.conftest import Database
from tests.jobs.test_worker import PATIENCE

# Far longer than PATIENCE: a worker that only polls cannot pass these tests.
SLOW_POLL = 60.0


def postgres_only(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("on SQLite the worker lives in the web process, which wakes it directly")


async def test_a_job_queued_by_another_process_starts_without_waiting_for_the_poll(
    database: Database,
) -> None:
    postgres_only(database)
    ran = asyncio.Event()

    async def ping(payload: Mapping[str, Any], context: JobContext) -> None:
        ran.set()

    # The worker has its own engine, as a `jamii worker` process would.
    worker_engine = create_engine(database.url)
    try:
        worker = Worker(
            JobQueue(session_factory(worker_engine)), {"ping": ping}, poll_interval=SLOW_POLL
        )
        async with listening(database.url, worker.wake):
            running = asyncio.create_task(worker.run())
            await asyncio.sleep(0.3)  # its first look found nothing: it waits now
            sessions = session_factory(database.engine)
            async with sessions() as session, session.begin():
                await enqueue(session, "ping", {})
            async with asyncio.timeout(PATIENCE):
                await ran.wait()
            worker.stop()
            await asyncio.wait_for(running, PATIENCE)
    finally:
        await worker_engine.dispose()


async def test_only_committed_transactions_that_queue_jobs_notify(database: Database) -> None:
    postgres_only(database)
    woken: list[int] = []
    arrived = asyncio.Event()
    commits = 0

    def wake() -> None:
        woken.append(commits)
        arrived.set()

    sessions: async_sessionmaker[AsyncSession] = session_factory(database.engine)
    async with listening(database.url, wake):
        async with sessions() as session, session.begin():
            await enqueue(session, "ping", {})
            await session.rollback()
        async with sessions() as session, session.begin():
            pass  # queues nothing
        commits = 1
        async with sessions() as session, session.begin():
            # Many jobs, one notification.
            await enqueue_many(session, "ping", [{"n": n} for n in range(5)])
            await enqueue(session, "ping", {})
        async with asyncio.timeout(PATIENCE):
            await arrived.wait()
        await asyncio.sleep(0.2)  # anything else sent would have arrived by now
    # Notifications arrive in commit order: one from the committed transaction, and none
    # from the rolled-back one or the one that queued nothing.
    assert woken == [1]
