"""PostgreSQL LISTEN: stream signals committed by any process of the instance.

Web processes and ``jamii worker`` processes share one database; a post received by a
worker's inbox job must reach the streams held open by every web process. The signals ride
on ``NOTIFY`` (``fedi.streaming.commits``) and each web process listens on one dedicated
connection, reconnecting if it is lost (events sent meanwhile are missed; clients catch up
through the REST timelines, as they do after any reconnection).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

import orjson
import structlog

from fedi.db.listen import is_postgresql, start_listening
from fedi.streaming.commits import CHANNEL, Sink
from fedi.streaming.fanout import Fanout

log = structlog.get_logger(__name__)


def _signals_to(sink: Sink) -> Callable[[str], None]:
    def received(payload: str) -> None:
        try:
            sink(orjson.loads(payload))
        except orjson.JSONDecodeError:
            log.warning("stream_notification_malformed")

    return received


@asynccontextmanager
async def running(fanout: Fanout, database_url: str) -> AsyncIterator[None]:
    """The fan-out task (and, on PostgreSQL, the listener) for as long as the block runs."""
    tasks = [asyncio.create_task(fanout.run())]
    if is_postgresql(database_url):
        received = _signals_to(fanout.publish)
        tasks.append(await start_listening(database_url, CHANNEL, received))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
