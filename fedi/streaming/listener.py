"""PostgreSQL LISTEN: stream signals committed by any process of the instance.

Web processes and ``jamii worker`` processes share one database; a post received by a
worker's inbox job must reach the streams held open by every web process. The signals ride
on ``NOTIFY`` (``fedi.streaming.commits``) and each web process listens on one dedicated
connection, reconnecting if it is lost (events sent meanwhile are missed; clients catch up
through the REST timelines, as they do after any reconnection).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson
import structlog
from sqlalchemy.engine import make_url

from fedi.streaming.commits import CHANNEL, Sink
from fedi.streaming.fanout import Fanout

log = structlog.get_logger(__name__)
RETRY_SECONDS = 5.0
READY_TIMEOUT = 10.0


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


async def listen(database_url: str, sink: Sink, ready: asyncio.Event) -> None:
    """Forever: hand each notification's signals to ``sink``."""

    def received(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            sink(orjson.loads(payload))
        except orjson.JSONDecodeError:
            log.warning("stream_notification_malformed")

    while True:
        try:
            connection = await asyncpg.connect(_dsn(database_url))
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("stream_listen_failed", error=type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS)
            continue
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _c, done=lost: done.set())
        try:
            await connection.add_listener(CHANNEL, received)
            ready.set()
            await lost.wait()
            log.warning("stream_listen_lost")
        finally:
            with suppress(Exception):
                await connection.close(timeout=2)


@asynccontextmanager
async def running(fanout: Fanout, database_url: str) -> AsyncIterator[None]:
    """The fan-out task (and, on PostgreSQL, the listener) for as long as the block runs."""
    tasks = [asyncio.create_task(fanout.run())]
    if make_url(database_url).drivername.startswith("postgresql"):
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(listen(database_url, fanout.publish, ready)))
        try:
            await asyncio.wait_for(ready.wait(), READY_TIMEOUT)
        except TimeoutError:
            log.warning("stream_listen_not_ready")
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
