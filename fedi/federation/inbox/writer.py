"""Storing accepted deliveries through ONE writer that commits many at a time.

Each verified delivery needs two rows (its activity id, for de-duplication, and its
processing job) committed before we answer 202. One transaction per request serialises
every request on the database's commit (SQLite's single write lock, PostgreSQL's WAL
flush): measured ~460 requests/s. A single writer task takes whatever deliveries are
waiting — up to ``MAX_BATCH`` — and commits them together; each request still awaits its
own commit, so a 202 still means "durably stored" (PERFORMANCE.md measured 5× this way).

On PostgreSQL a batch is ONE statement, sent outside a transaction block: PostgreSQL runs
a lone statement as its own transaction, so it is atomic and, with synchronous_commit,
durable when it returns. BEGIN, two INSERTs and COMMIT were four round trips, and the
server's event loop, busy verifying the next requests' signatures, took milliseconds to
come back for each: a batch took 14 ms, the writer was busy 91% of the time and the
requests waited on it (benchmarks/inbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from sqlalchemy import insert, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.db.base import utcnow
from fedi.db.models import Job, ReceivedActivity
from fedi.ids import new_id

log = structlog.get_logger(__name__)

MAX_BATCH = 256
PROCESS = "inbox.process"
PROCESS_ATTEMPTS = 8


_QUEUE_JOBS = insert(Job.__table__)  # type: ignore[arg-type]


# SQLite: INSERT … ON CONFLICT DO NOTHING RETURNING uri, the ids that were new.
_RECORD_IDS = (
    sqlite.insert(ReceivedActivity.__table__)  # type: ignore[arg-type]
    .on_conflict_do_nothing()
    .returning(ReceivedActivity.__table__.c.uri)
)


# The ids that are new are recorded, each with its job; the ids already recorded get
# nothing. Data-modifying CTEs all run, whatever the final SELECT reads, and ``queued``
# reads what ``new`` inserted.
_STORE_POSTGRESQL = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(
            CAST(:uris AS varchar[]), CAST(:payloads AS text[]), CAST(:ids AS bigint[])
        ) AS delivery (uri, payload, id)
    ), new AS (
        INSERT INTO received_activities (uri, received_at)
        SELECT uri, CAST(:now AS timestamptz) FROM incoming
        ON CONFLICT DO NOTHING
        RETURNING uri
    ), queued AS (
        INSERT INTO jobs (id, created_at, kind, payload, state, attempts, max_attempts, run_at)
        SELECT incoming.id, CAST(:now AS timestamptz), :kind, CAST(incoming.payload AS json),
               'queued', 0, :max_attempts, CAST(:now AS timestamptz)
        FROM incoming JOIN new USING (uri)
    )
    SELECT uri FROM new
    """
)


def _no_turns() -> AbstractAsyncContextManager[None]:
    return contextlib.nullcontext()


@dataclass
class _Pending:
    activity_id: str
    document: dict[str, Any]
    signer_id: int
    done: asyncio.Future[bool]


class InboxWriter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None
        # The job queue's turn-taking among writers (``JobQueue.writing``; SQLite only):
        # with the in-process worker, its batches and these commits then take turns
        # instead of sleeping in SQLite's busy handler. Set by the runtime.
        self.writing: Callable[[], AbstractAsyncContextManager[None]] = _no_turns

    async def store(self, activity_id: str, document: dict[str, Any], signer_id: int) -> bool:
        """Record the activity and queue its processing; False if it was already recorded."""
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._run(self._queue), name="inbox-writer")
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(activity_id, document, signer_id, done))
        return await done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                new = await self._commit(batch)
            except Exception as exc:
                # Every request in the batch answers 503 and its peer retries: nothing is lost.
                log.error("inbox_write_failed", error_type=type(exc).__name__, batch=len(batch))
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(exc)
                continue
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_result(id(pending) in new)

    async def _commit(self, batch: list[_Pending]) -> set[int]:
        """Commit a batch; returns which pendings (by ``id()``) were new activities."""
        unique: dict[str, _Pending] = {}
        for pending in batch:
            # A duplicate within one batch (the same activity delivered twice at once) is
            # new only for its first copy.
            unique.setdefault(pending.activity_id, pending)
        async with self._sessions() as session:
            assert session.bind is not None
            if session.bind.dialect.name == "postgresql":
                new = await _store_postgresql(session, unique)
            else:
                async with self.writing(), session.begin():
                    new = await _store_sqlite(session, unique)
        return {id(p) for uri, p in unique.items() if uri in new}


async def _store_sqlite(session: AsyncSession, unique: dict[str, _Pending]) -> set[str]:
    """The batch in the session's transaction; the ids that were new."""
    connection = await session.connection()
    # One statement, many parameter sets: SQLAlchemy sends them as multi-row INSERTs and
    # compiles the statement once, whatever the batch's size.
    new = set((await connection.execute(_RECORD_IDS, [{"uri": uri} for uri in unique])).scalars())
    if new:
        # Core, not the ORM's bulk insert: the column defaults (id, times, state) still
        # apply, without the ORM's per-row bookkeeping.
        await connection.execute(
            _QUEUE_JOBS,
            [
                {
                    "kind": PROCESS,
                    "payload": {"activity": p.document, "signer_id": p.signer_id},
                    "max_attempts": PROCESS_ATTEMPTS,
                }
                for uri, p in unique.items()
                if uri in new
            ],
        )
    return new


async def _store_postgresql(session: AsyncSession, unique: dict[str, _Pending]) -> set[str]:
    """The batch in one autocommitted statement; the ids that were new."""
    connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    pendings = unique.values()
    result = await connection.execute(
        _STORE_POSTGRESQL,
        {
            "uris": list(unique),
            "payloads": [
                orjson.dumps({"activity": p.document, "signer_id": p.signer_id}).decode()
                for p in pendings
            ],
            "ids": [new_id() for _ in pendings],
            "now": utcnow(),
            "kind": PROCESS,
            "max_attempts": PROCESS_ATTEMPTS,
        },
    )
    return set(result.scalars())
