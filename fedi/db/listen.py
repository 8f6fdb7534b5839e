"""PostgreSQL LISTEN on a dedicated connection, reconnecting when it is lost.

Used by the streams (signals for every web process, ``fedi.streaming.listener``) and by
job workers (woken when another process queues work, ``fedi.jobs.wakeups``). A notification
sent while the connection was down is missed; each user has its own way of catching up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import structlog
from sqlalchemy.engine import make_url

log = structlog.get_logger(__name__)
RETRY_SECONDS = 5.0
READY_TIMEOUT = 10.0


def is_postgresql(database_url: str) -> bool:
    return make_url(database_url).drivername.startswith("postgresql")


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


async def listen(
    database_url: str, channel: str, received: Callable[[str], None], ready: asyncio.Event
) -> None:
    """Forever: call ``received`` with each notification's payload on ``channel``; ``ready``
    is set once listening (again after each reconnection)."""

    def on_notification(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        received(payload)

    while True:
        try:
            connection = await asyncpg.connect(_dsn(database_url))
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("listen_failed", channel=channel, error=type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS)
            continue
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _c, done=lost: done.set())
        try:
            await connection.add_listener(channel, on_notification)
            ready.set()
            await lost.wait()
            log.warning("listen_lost", channel=channel)
        finally:
            with suppress(Exception):
                await connection.close(timeout=2)


async def start_listening(
    database_url: str, channel: str, received: Callable[[str], None]
) -> asyncio.Task[None]:
    """``listen`` as a task, returned once it listens (or after ``READY_TIMEOUT``, with a
    warning: it keeps trying in the background). The caller cancels it when done."""
    ready = asyncio.Event()
    task = asyncio.create_task(listen(database_url, channel, received, ready))
    try:
        await asyncio.wait_for(ready.wait(), READY_TIMEOUT)
    except TimeoutError:
        log.warning("listen_not_ready", channel=channel)
    return task
