"""One writer at a time among the worker processes of a SQLite instance.

SQLite lets one connection write at a time; the others retry in its busy handler, which
sleeps 1, 2, 5 … 100 ms between tries, so two worker processes on one database file spend
much of their time asleep after the lock was already free. Taking turns through an
advisory lock on a file beside the database (``flock``) instead wakes the next writer the
moment the previous one lets go. Within a process an ``asyncio.Lock`` comes first, so one
task at a time uses the file lock (``flock`` belongs to the open file, not to a task).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path


class WriterLock:
    def __init__(self, database: Path | None) -> None:
        self._local = asyncio.Lock()
        # A database in memory or given as a URI has no folder of its own to lock in.
        self._path = database.with_name(database.name + ".writer-lock") if database else None
        self._fd: int | None = None

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        async with self._local:
            fd = self._file()
            if fd is None:
                yield
                return
            await _lock(fd)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int | None:
        if self._fd is None and self._path is not None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                self._path = None  # a read-only folder: take turns within the process only
        return self._fd


async def _lock(fd: int) -> None:
    try:
        # Free most of the time (one worker process, or the other one between commits):
        # taken at once, without a thread.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    # flock blocks, so it waits in a thread; if we are cancelled meanwhile, the thread may
    # still get the lock, and must then give it back at once.
    waiting = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
    try:
        await asyncio.shield(waiting)
    except asyncio.CancelledError:
        waiting.add_done_callback(lambda done: _unlock_if_taken(fd, done))
        raise


def _unlock_if_taken(fd: int, done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is None:
        fcntl.flock(fd, fcntl.LOCK_UN)
