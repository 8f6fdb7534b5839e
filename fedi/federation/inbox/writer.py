"""Storing accepted deliveries through ONE writer that commits many at a time.

Each verified delivery needs two rows (its activity id, for de-duplication, and its
processing job) committed before we answer 202. One transaction per request serialises
every request on the database's commit (SQLite's single write lock, PostgreSQL's WAL
flush): measured ~460 requests/s. A single writer task takes whatever deliveries are
waiting — up to ``MAX_BATCH`` — and commits them together; each request still awaits its
own commit, so a 202 still means "durably stored" (PERFORMANCE.md measured 5× this way).

A batch is one autocommitted statement on PostgreSQL (``postgresql_store``) and one
hand-over to the connection's thread on SQLite (``sqlite_store``). While deliveries keep
coming the writer keeps the connection it took from the pool: a checkout and its return
cost ~180 µs of CPU, a tenth of a batch's (benchmarks/inbox.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fedi.federation.inbox import postgresql_store, sqlite_store

log = structlog.get_logger(__name__)

MAX_BATCH = 256
PROCESS = "inbox.process"
PROCESS_ATTEMPTS = 8


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
        # Connections, not sessions: a batch is written on the driver (``*_store``).
        self._engine: AsyncEngine = sessions.kw["bind"]
        # PostgreSQL: the pool's connections, lent in AUTOCOMMIT for ``postgresql_store``.
        self._autocommit = (
            self._engine.execution_options(isolation_level="AUTOCOMMIT")
            if self._engine.dialect.name == "postgresql"
            else None
        )
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
            batch = _take([await queue.get()], queue)
            await self._drain(batch, queue)

    async def _drain(self, batch: list[_Pending], queue: asyncio.Queue[_Pending]) -> None:
        """Store ``batch``, then whatever arrived meanwhile, on one connection until the
        queue is empty (on SQLite taking the job queue's turn for each batch)."""
        postgresql = self._autocommit is not None
        try:
            async with (self._autocommit or self._engine).connect() as connection:
                while batch:
                    unique = _unique(batch)
                    deliveries = [(uri, p.document, p.signer_id) for uri, p in unique.items()]
                    if postgresql:
                        new = await postgresql_store.store(
                            connection, deliveries, kind=PROCESS, max_attempts=PROCESS_ATTEMPTS
                        )
                    else:
                        async with self.writing():
                            new = await sqlite_store.store(
                                connection, deliveries, kind=PROCESS, max_attempts=PROCESS_ATTEMPTS
                            )
                    _answer(batch, new)
                    batch = _take([], queue)
        except Exception as exc:
            _fail(batch, exc)


def _take(batch: list[_Pending], queue: asyncio.Queue[_Pending]) -> list[_Pending]:
    """``batch`` and what is waiting, up to ``MAX_BATCH``, without waiting."""
    while len(batch) < MAX_BATCH and not queue.empty():
        batch.append(queue.get_nowait())
    return batch


def _unique(batch: list[_Pending]) -> dict[str, _Pending]:
    """Each activity id once: a duplicate within one batch (the same activity delivered
    twice at once) is new only for its first copy."""
    unique: dict[str, _Pending] = {}
    for pending in batch:
        unique.setdefault(pending.activity_id, pending)
    return unique


def _answer(batch: list[_Pending], new: set[str]) -> None:
    for pending in batch:
        fresh = pending.activity_id in new
        # Only the first copy of a duplicate is new (``_unique`` stored that one).
        new.discard(pending.activity_id)
        if not pending.done.done():
            pending.done.set_result(fresh)


def _fail(batch: list[_Pending], exc: Exception) -> None:
    # Every request in the batch answers 503 and its peer retries: nothing is lost.
    log.error("inbox_write_failed", error_type=type(exc).__name__, batch=len(batch))
    for pending in batch:
        if not pending.done.done():
            pending.done.set_exception(exc)
