"""Waking workers in other processes when a transaction queues jobs (PostgreSQL).

On SQLite the worker runs inside the web process, which wakes it directly after its
commits. On PostgreSQL ``jamii worker`` processes are separate and, left alone, look for
due jobs once a second: a teacher's post waited up to that long before its deliveries
began, and a received activity before it was applied. So a transaction that queues jobs
(``enqueue``, ``enqueue_many``, the inbox's group commit: ``mark_queued``) also sends
``NOTIFY jamii_jobs``. PostgreSQL delivers it only if the transaction commits, once however
many jobs it queued, to every listening worker (``listening``), which claims at once. A
notification lost while a worker reconnects costs only that second of polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from fedi.db.listen import is_postgresql, start_listening

CHANNEL = "jamii_jobs"
QUEUED = "jamii.jobs.queued"
_NOTIFY = text(f"NOTIFY {CHANNEL}")


def mark_queued(session: AsyncSession | Session) -> None:
    """This transaction queues jobs: wake the workers when it commits."""
    session.info[QUEUED] = True


def _notify_in_transaction(session: Session) -> None:
    if not session.info.pop(QUEUED, False):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_NOTIFY)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    # A rolled-back savepoint may have queued nothing that survives, but waking a worker
    # for nothing costs one empty claim; a real rollback queued nothing at all.
    if not previous.nested:
        session.info.pop(QUEUED, None)


def _install() -> None:
    for name, hook in (
        ("before_commit", _notify_in_transaction),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


_install()


@asynccontextmanager
async def listening(database_url: str, wake: Callable[[], None]) -> AsyncIterator[None]:
    """Call ``wake`` whenever another transaction queues jobs, for as long as the block runs
    (PostgreSQL; nothing to do on SQLite)."""
    if not is_postgresql(database_url):
        yield
        return
    task = await start_listening(database_url, CHANNEL, lambda _payload: wake())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
