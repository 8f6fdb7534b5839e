"""Waking workers in other processes when a transaction queues jobs (PostgreSQL).

On SQLite the worker runs inside the web process, which wakes it directly after its
commits. On PostgreSQL ``jamii worker`` processes are separate and, left alone, look for
due jobs once a second: a teacher's post waited up to that long before its deliveries
began, and a received activity before it was applied. So every statement that inserts jobs
sends ``NOTIFY jamii_jobs``, from a trigger (migration ``0013_job_wakeups``): PostgreSQL
delivers it only if the transaction commits, once however many jobs it queued, to every
listening worker (``listening``), which claims at once. A notification lost while a worker
reconnects costs only that second of polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from fedi.db.listen import is_postgresql, start_listening

CHANNEL = "jamii_jobs"


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
