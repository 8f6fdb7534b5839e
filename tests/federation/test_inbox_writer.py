"""The inbox's writer: the rows it stores are those SQLAlchemy would have written; and when
PostgreSQL drops its connections every delivery is answered 202 (stored with its job) or 503
(stored not at all, for its peer to retry), never a 500, and a retried delivery is then
stored once."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from fedi.db.models import Job, ReceivedActivity
from fedi.federation.inbox import postgresql_store
from fedi.federation.inbox.writer import PROCESS, PROCESS_ATTEMPTS
from tests.conftest import Database
from tests.databases import _plain
from tests.federation.remote import RemoteServer, count, deliver, ke, remote
from tests.servers import Instance

__all__ = ["ke", "remote"]


async def test_the_rows_stored_are_those_sqlalchemy_writes(
    ke: Instance, remote: RemoteServer
) -> None:
    """The writer binds its values itself (raw driver): its timestamps and payloads must be
    stored as SQLAlchemy stores them (on SQLite, text whose form the queries compare)."""
    mallory = remote.actor("mallory")
    create = mallory.create(mallory.note("stored by the writer"))
    assert (await deliver(ke, create, signer=mallory)).status_code == 202
    async with ke.state.sessions() as session, session.begin():
        session.add(ReceivedActivity(uri="https://sn.example/activities/orm"))
        session.add(Job(kind="orm", payload={"a": 1}))
    async with ke.state.sessions() as session:
        connection = await session.connection()
        rows = await connection.exec_driver_sql("SELECT uri, received_at FROM received_activities")
        received = {uri: at for uri, at in rows}
        rows = await connection.exec_driver_sql("SELECT kind, created_at, run_at FROM jobs")
        jobs = {kind: (created, run) for kind, created, run in rows}
        stored = await session.scalar(select(Job).where(Job.kind == PROCESS))
    ours, orm = received[create["id"]], received["https://sn.example/activities/orm"]
    assert (type(ours), _shape(ours)) == (type(orm), _shape(orm))
    for ours, orm in zip(jobs[PROCESS], jobs["orm"], strict=True):
        assert (type(ours), _shape(ours)) == (type(orm), _shape(orm))
    assert stored is not None
    assert stored.payload == {"activity": create, "signer_id": stored.payload["signer_id"]}


def _shape(value: object) -> str:
    """A value's form: digits as 9, so that two times compare by their format alone."""
    return "".join("9" if c.isdigit() else c for c in str(value))


def postgres_only(url: str) -> None:
    if not url.startswith("postgresql"):
        pytest.skip("SQLite has no server whose connections can be dropped")


async def drop_connections(url: str) -> int:
    """Terminate every other server connection to the database: a restart, as seen by a pool."""
    admin = await asyncpg.connect(_plain(url))
    try:
        dropped: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    return dropped


async def test_a_dropped_connection_fails_the_batch_as_an_operational_error(
    database: Database,
) -> None:
    postgres_only(database.url)
    autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
    delivery = ("https://sn.example/activities/1", {"type": "Create"}, 1)
    async with autocommit.connect() as connection:
        assert await drop_connections(database.url) >= 1
        with pytest.raises(OperationalError):
            await postgresql_store.store(
                connection, [delivery], kind=PROCESS, max_attempts=PROCESS_ATTEMPTS
            )
        assert connection.invalidated
    # The pool hands out a live connection next; nothing of the failed batch was stored,
    # so all of it is new now, and once recorded an id queues no second job.
    other = ("https://sn.example/activities/2", {"type": "Like"}, 2)
    async with autocommit.connect() as connection:
        first = await postgresql_store.store(
            connection, [delivery, other], kind=PROCESS, max_attempts=PROCESS_ATTEMPTS
        )
        again = await postgresql_store.store(
            connection, [other], kind=PROCESS, max_attempts=PROCESS_ATTEMPTS
        )
    assert (first, again) == ({delivery[0], other[0]}, set())
    async with database.engine.connect() as connection:
        jobs = await connection.scalar(select(func.count()).select_from(Job))
        received = await connection.scalar(select(func.count()).select_from(ReceivedActivity))
    assert (jobs, received) == (2, 2)


async def test_deliveries_across_a_database_restart_are_stored_or_refused_whole(
    ke: Instance, remote: RemoteServer
) -> None:
    postgres_only(ke.config.database_url)
    mallory = remote.actor("mallory")
    before = mallory.create(mallory.note("before the restart"))
    assert (await deliver(ke, before, signer=mallory)).status_code == 202
    await drop_connections(ke.config.database_url)

    creates = [mallory.create(mallory.note(f"after the restart {n}")) for n in range(4)]
    refused = []
    for create in creates:
        answer = await deliver(ke, create, signer=mallory)
        assert answer.status_code in (202, 503), answer.text
        if answer.status_code == 503:
            assert "error" in answer.json()
            refused.append(create)
    assert len(refused) < len(creates), "the instance never recovered its connections"
    # The peers retry what was refused: each is stored now, once.
    for create in refused:
        assert (await deliver(ke, create, signer=mallory)).status_code == 202
    assert await count(ke, ReceivedActivity) == 1 + len(creates)
    assert await count(ke, Job, Job.kind == PROCESS) == 1 + len(creates)
