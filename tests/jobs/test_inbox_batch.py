"""Many inbox jobs applied in one transaction: each still succeeds, fails or is refused alone.

The batcher is driven by the real worker and queue on a real database; the activities are
applied by a small function of the test's (the batcher's ``apply`` parameter) that writes a
row and a stream signal, then succeeds, raises, or refuses, so every outcome meets the
others in the same batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Job, Status, StatusTag, Tag
from fedi.db.writes import insert_ignore
from fedi.domain import history, streams
from fedi.federation.delivery.peers import PeerState
from fedi.federation.inbox.base import Refused
from fedi.federation.inbox.batch import Attempt, InboxBatcher
from fedi.federation.inbox.writer import PROCESS
from fedi.jobs import JobQueue, Worker, enqueue
from fedi.jobs.registry import job_handlers
from fedi.runtime import open_runtime
from fedi.streaming.commits import CHANNEL, attach
from tests.factories import remote_teacher
from tests.servers import free_port, write_instance

KIND = "inbox.test"


async def _apply(
    session: AsyncSession,
    payload: Mapping[str, Any],
    hosts: Mapping[str, PeerState],
    attempt: Attempt,
) -> str | None:
    name = f"batch{payload['n']}"
    if payload.get("refuse_early"):
        raise Refused("checked before writing")
    attempt.writing = True
    await insert_ignore(session, Tag, [{"name": name, "name_lower": name}])
    streams.note(session, streams.STATUS_CREATED, status_id=payload["n"])
    if payload.get("fail"):
        raise RuntimeError("a bug after writing")
    if payload.get("refuse"):
        raise Refused("broke a rule after writing")
    return None


@asynccontextmanager
async def _streams(
    database_url: str, streamed: list[streams.Signal]
) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Where committed stream signals arrive: the session's sink on SQLite; on PostgreSQL
    they leave as NOTIFY, heard here as every process's listener hears them."""
    if not database_url.startswith("postgresql"):

        async def nothing_to_wait_for() -> None:
            return None

        yield nothing_to_wait_for
        return
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(dsn)

    def received(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        streamed.extend(orjson.loads(payload))

    async def round_trip() -> None:
        # Notifications committed before this query reach us before its answer.
        await connection.fetchval("SELECT 1")

    try:
        await connection.add_listener(CHANNEL, received)
        yield round_trip
    finally:
        await connection.close()


async def nothing_to_finish(session: AsyncSession) -> None:
    return None


async def _tags(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(Tag.name).where(Tag.name.like("batch%"))))


async def test_one_activity_failing_rolls_back_only_itself(
    tmp_path: Path, database_url: str
) -> None:
    config = write_instance(tmp_path, code="ke", port=free_port(), database_url=database_url)
    streamed: list[streams.Signal] = []
    async with open_runtime(config) as runtime, _streams(database_url, streamed) as heard:
        attach(runtime.sessions, streamed.extend)
        payloads = [
            {"n": 1},
            {"n": 2, "fail": True},
            {"n": 3},
            {"n": 4, "refuse": True},
            {"n": 5, "refuse_early": True},
            {"n": 6},
        ]
        async with runtime.sessions() as session, session.begin():
            for payload in payloads:
                await enqueue(session, KIND, payload)

        async def nothing_to_load(session: AsyncSession, payloads: list[Any]) -> None:
            return None

        batcher = InboxBatcher(runtime.federation, _apply, nothing_to_load, nothing_to_finish)
        queue = JobQueue(runtime.sessions)
        worker = Worker(queue, {KIND: batcher.submit}, concurrency=len(payloads))
        assert await worker.run_once() == len(payloads)

        async with runtime.sessions() as session:
            # Applied together; the failed and the late-refused ones left nothing behind.
            assert await _tags(session) == {"batch1", "batch3", "batch6"}
            jobs = {
                job.payload["n"]: job
                for job in await session.scalars(select(Job).where(Job.kind == KIND))
            }
            assert {n: job.state for n, job in jobs.items()} == {
                1: "done",
                2: "queued",  # retried later, with backoff, as any failed job
                3: "done",
                4: "done",  # refused means never: not retried
                5: "done",
                6: "done",
            }
            assert jobs[2].last_error == "RuntimeError: a bug after writing"
            assert jobs[2].attempts == 1
            assert all(jobs[n].last_error is None for n in (1, 3, 4, 5, 6))
        # Streams hear of what was committed, and only that.
        await heard()
        assert sorted(s["status_id"] for s in streamed) == [1, 3, 6]


async def test_an_activity_that_fetches_is_applied_alone(tmp_path: Path, database_url: str) -> None:
    """On SQLite a batch holds the only write lock: an activity that needs a fetch is set
    aside and applied on its own afterwards, where its fetch really happens."""
    config = write_instance(tmp_path, code="ke", port=free_port(), database_url=database_url)
    async with open_runtime(config) as runtime:
        federation = runtime.federation

        async def apply(
            session: AsyncSession,
            payload: Mapping[str, Any],
            hosts: Mapping[str, PeerState],
            attempt: Attempt,
        ) -> str | None:
            attempt.writing = True
            name = f"batch{payload['n']}"
            await insert_ignore(session, Tag, [{"name": name, "name_lower": name}])
            if payload.get("fetch"):
                # Nothing listens there: the fetch itself fails, as a peer that is down.
                await federation.fetch(f"http://127.0.0.1:{free_port()}/notes/1")
            return None

        async def nothing_to_load(session: AsyncSession, payloads: list[Any]) -> None:
            return None

        async with runtime.sessions() as session, session.begin():
            for payload in ({"n": 1}, {"n": 2, "fetch": True}, {"n": 3}):
                await enqueue(session, KIND, payload)
        batcher = InboxBatcher(federation, apply, nothing_to_load, nothing_to_finish)
        worker = Worker(JobQueue(runtime.sessions), {KIND: batcher.submit}, concurrency=3)
        assert await worker.run_once() == 3

        async with runtime.sessions() as session:
            assert await _tags(session) == {"batch1", "batch3"}
            jobs = {
                job.payload["n"]: job
                for job in await session.scalars(select(Job).where(Job.kind == KIND))
            }
        assert (jobs[1].state, jobs[3].state) == ("done", "done")
        # The fetch was really tried (alone, on SQLite) and failed: retried later.
        assert jobs[2].state == "queued"
        assert jobs[2].last_error is not None
        assert not jobs[2].last_error.startswith("FetchDeferred")


PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _create(author: str, n: int, tag: str) -> dict[str, Any]:
    note = f"{author}/statuses/{n}"
    return {
        "id": f"{note}/activity",
        "type": "Create",
        "actor": author,
        "to": [PUBLIC],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": author,
            "to": [PUBLIC],
            "content": f"<p>Post {n} #{tag}</p>",
            "tag": [{"type": "Hashtag", "name": f"#{tag}", "href": f"https://x.example/t/{tag}"}],
            "published": "2026-11-20T10:00:00Z",
        },
    }


async def _process_states(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(Job.state).where(Job.kind == PROCESS)))


async def _tag_links(session: AsyncSession) -> list[tuple[str, str]]:
    """Each post's hashtags, as (post URI, tag) pairs in order."""
    links = await session.execute(
        select(Status.uri, Tag.name_lower)
        .join(StatusTag, StatusTag.status_id == Status.id)
        .join(Tag, Tag.id == StatusTag.tag_id)
    )
    return sorted((uri, tag) for uri, tag in links.all())


async def _statuses_counts(session: AsyncSession, authors: dict[str, int]) -> dict[str, int]:
    """Each author's ``statuses_count``, by username."""
    counts = await session.execute(
        select(Account.username, Account.statuses_count).where(
            Account.id.in_(list(authors.values()))
        )
    )
    return {username: count for username, count in counts.all()}


async def test_a_batch_of_creates_through_the_real_handlers(
    tmp_path: Path, database_url: str
) -> None:
    """Creates applied together keep every rule of one at a time: a tombstoned post stays
    out, hashtags are linked, each author's count is right, a replay is stored once."""
    config = write_instance(tmp_path, code="ke", port=free_port(), database_url=database_url)
    async with open_runtime(config) as runtime:
        async with runtime.sessions() as session, session.begin():
            amina = await remote_teacher(session, "amina", "school-a.example")
            baraka = await remote_teacher(session, "baraka", "school-b.example")
            authors = {amina.uri: amina.id, baraka.uri: baraka.id}
            # Deleted by its author before its Create arrives.
            await history.tombstone(session, f"{baraka.uri}/statuses/2", baraka.id)
            activities = [
                _create(amina.uri, 1, "maths"),
                _create(baraka.uri, 2, "maths"),
                _create(amina.uri, 3, "science"),
                _create(baraka.uri, 4, "maths"),
                _create(amina.uri, 1, "maths"),  # the same post again
            ]
            for activity in activities:
                await enqueue(
                    session,
                    PROCESS,
                    {"activity": activity, "signer_id": authors[activity["actor"]]},
                )
        handlers = job_handlers(runtime.federation)
        worker = Worker(runtime.queue, {PROCESS: handlers[PROCESS]}, concurrency=8)
        assert await worker.run_once() == len(activities)

        async with runtime.sessions() as session:
            assert await _process_states(session) == {"done"}
            stored = dict(
                (
                    await session.execute(
                        select(Status.uri, Status.id).where(Status.local.is_(False))
                    )
                ).all()
            )
            assert sorted(stored) == [
                f"{amina.uri}/statuses/1",
                f"{amina.uri}/statuses/3",
                f"{baraka.uri}/statuses/4",
            ]
            assert await _tag_links(session) == [
                (f"{amina.uri}/statuses/1", "maths"),
                (f"{amina.uri}/statuses/3", "science"),
                (f"{baraka.uri}/statuses/4", "maths"),
            ]
            assert await _statuses_counts(session, authors) == {"amina": 2, "baraka": 1}


async def test_plain_posts_inserted_together_keep_the_rules(
    tmp_path: Path, database_url: str
) -> None:
    """A batch of distinct Creates stores its plain posts in one INSERT at its end: a post
    stored before arrives again and stays one row (its author counted once), a reply to a
    stored post counts on its parent, a tombstoned one stays out, links and counts hold."""
    config = write_instance(tmp_path, code="ke", port=free_port(), database_url=database_url)
    async with open_runtime(config) as runtime:
        handlers = job_handlers(runtime.federation)
        worker = Worker(runtime.queue, {PROCESS: handlers[PROCESS]}, concurrency=8)

        async def run(activities: list[dict[str, Any]], authors: dict[str, int]) -> None:
            async with runtime.sessions() as session, session.begin():
                for activity in activities:
                    await enqueue(
                        session,
                        PROCESS,
                        {"activity": activity, "signer_id": authors[activity["actor"]]},
                    )
            assert await worker.run_once() == len(activities)

        async with runtime.sessions() as session, session.begin():
            amina = await remote_teacher(session, "amina", "school-a.example")
            baraka = await remote_teacher(session, "baraka", "school-b.example")
            authors = {amina.uri: amina.id, baraka.uri: baraka.id}
            await history.tombstone(session, f"{baraka.uri}/statuses/9", baraka.id)
        await run([_create(amina.uri, 1, "maths"), _create(baraka.uri, 2, "maths")], authors)
        reply = _create(baraka.uri, 5, "science")
        reply["object"]["inReplyTo"] = f"{baraka.uri}/statuses/2"
        await run(
            [
                _create(amina.uri, 1, "maths"),  # stored by the first batch
                _create(amina.uri, 3, "science"),
                _create(baraka.uri, 4, "maths"),
                reply,
                _create(baraka.uri, 9, "maths"),  # deleted before it arrived
            ],
            authors,
        )

        async with runtime.sessions() as session:
            assert await _process_states(session) == {"done"}
            rows = (
                await session.execute(
                    select(Status.uri, Status.id, Status.replies_count, Status.in_reply_to_id)
                    .where(Status.local.is_(False))
                    .order_by(Status.uri)
                )
            ).all()
            ids = {row.uri: row.id for row in rows}
            assert sorted(ids) == [
                f"{amina.uri}/statuses/1",
                f"{amina.uri}/statuses/3",
                f"{baraka.uri}/statuses/2",
                f"{baraka.uri}/statuses/4",
                f"{baraka.uri}/statuses/5",
            ]
            parent = next(row for row in rows if row.uri == f"{baraka.uri}/statuses/2")
            child = next(row for row in rows if row.uri == f"{baraka.uri}/statuses/5")
            assert parent.replies_count == 1
            assert child.in_reply_to_id == parent.id
            assert await _tag_links(session) == [
                (f"{amina.uri}/statuses/1", "maths"),
                (f"{amina.uri}/statuses/3", "science"),
                (f"{baraka.uri}/statuses/2", "maths"),
                (f"{baraka.uri}/statuses/4", "maths"),
                (f"{baraka.uri}/statuses/5", "science"),
            ]
            assert await _statuses_counts(session, authors) == {"amina": 2, "baraka": 3}
