"""A batch of accepted deliveries stored on SQLite in ONE hand-over to the connection's thread.

Through a session, BEGIN, the two INSERTs and COMMIT were a hand-over each between the
event loop and the connection's thread, with SQLAlchemy's execution around every
statement, on the same core as the requests being verified. Here the whole transaction
runs on the thread at once, on raw ``sqlite3``, as ``fedi.db.prepared`` does for the hot
reads. What SQLAlchemy would do is kept: the values are bound with the columns' own
processors (UTC timestamps, orjson for the payload), and a driver error rolls back and is
raised as SQLAlchemy's (``OperationalError`` for a locked database: the peer gets a 503).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from fedi.db import sqlite_driver
from fedi.db.base import utcnow
from fedi.db.models import Job, ReceivedActivity
from fedi.ids import new_id

_RECORD = (
    "INSERT INTO received_activities (uri, received_at) VALUES (?, ?)"
    " ON CONFLICT DO NOTHING RETURNING uri"
)
# Columns left out take their defaults (NULL).
_QUEUE = (
    "INSERT INTO jobs (id, created_at, kind, payload, state, attempts, max_attempts, run_at)"
    " VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)"
)


def _processor(column: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """The column's bind processor as SQLAlchemy applies it: the dialect's own type's (a
    timestamp becomes SQLite's text form; the generic type's would pass it on as is)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


async def store(
    connection: AsyncConnection,
    deliveries: Sequence[tuple[str, dict[str, Any], int]],
    *,
    kind: str,
    max_attempts: int,
) -> set[str]:
    """Record ``(activity id, activity, signer id)`` and queue a ``kind`` job for each id
    that is new, in one transaction; the ids that were new."""
    dialect = connection.dialect
    now = _processor(ReceivedActivity.__table__.c.received_at, dialect)(utcnow())
    payload = _processor(Job.__table__.c.payload, dialect)
    # Made here, on the event loop's thread: ids are minted by one thread only.
    jobs = {
        uri: (
            new_id(),
            now,
            kind,
            payload({"activity": document, "signer_id": signer}),
            max_attempts,
            now,
        )
        for uri, document, signer in deliveries
    }

    def on_thread(db: sqlite3.Connection) -> set[str]:
        try:
            db.execute("BEGIN IMMEDIATE")
            new: set[str] = set()
            for uri in jobs:
                new.update(row[0] for row in db.execute(_RECORD, (uri, now)).fetchall())
            db.executemany(_QUEUE, [row for uri, row in jobs.items() if uri in new])
            db.commit()
        except sqlite3.Error as exc:
            db.rollback()
            raise DBAPIError.instance(_RECORD, None, exc, sqlite3.Error) from exc
        return new

    sync = connection.sync_connection
    assert sync is not None  # a started AsyncConnection
    return await sqlite_driver.run_on_thread(sync.connection.dbapi_connection, on_thread)
