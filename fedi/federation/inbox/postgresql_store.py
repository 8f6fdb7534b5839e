"""A batch of accepted deliveries stored on PostgreSQL by ONE statement, on the driver.

The statement is sent outside a transaction block: PostgreSQL runs a lone statement as its
own transaction, so it is atomic and, with synchronous_commit, durable when it returns.
BEGIN, two INSERTs and COMMIT were four round trips, and the server's event loop, busy
verifying the next requests' signatures, took milliseconds to come back for each: a batch
took 14 ms, the writer was busy 91% of the time and the requests waited on it
(benchmarks/inbox.py).

It goes to asyncpg directly, on a connection SQLAlchemy's pool lent us: for this one
statement, run once per batch of deliveries, SQLAlchemy's execution (compiling the
parameters, the execution context, the result) cost 300 µs of CPU per batch on top of the
driver's 800 µs, measured in process. What SQLAlchemy would do on an error is kept: the
connection is invalidated (a dead one is not handed out again) and the error is an
``OperationalError``, which the inbox answers with a 503 that its peer retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from fedi.db.base import utcnow
from fedi.ids import new_id

# The ids that are new are recorded, each with its job; the ids already recorded get
# nothing. Data-modifying CTEs all run, whatever the final SELECT reads, and ``queued``
# reads what ``new`` inserted. Columns left out take their defaults (NULL).
STORE = """
    WITH incoming AS (
        SELECT * FROM unnest($1::varchar[], $2::text[], $3::bigint[])
            AS delivery (uri, payload, id)
    ), new AS (
        INSERT INTO received_activities (uri, received_at)
        SELECT uri, $4::timestamptz FROM incoming
        ON CONFLICT DO NOTHING
        RETURNING uri
    ), queued AS (
        INSERT INTO jobs (id, created_at, kind, payload, state, attempts, max_attempts, run_at)
        SELECT incoming.id, $4::timestamptz, $5::varchar, incoming.payload::json, 'queued', 0,
               $6::bigint, $4::timestamptz
        FROM incoming JOIN new USING (uri)
    )
    SELECT uri FROM new
"""


async def store(
    connection: AsyncConnection,
    deliveries: Sequence[tuple[str, dict[str, Any], int]],
    *,
    kind: str,
    max_attempts: int,
) -> set[str]:
    """Record ``(activity id, activity, signer id)`` and queue a ``kind`` job for each id
    that is new; the ids that were new. ``connection`` must be in AUTOCOMMIT."""
    uris = [uri for uri, _, _ in deliveries]
    payloads = [
        orjson.dumps({"activity": document, "signer_id": signer}).decode()
        for _, document, signer in deliveries
    ]
    ids = [new_id() for _ in deliveries]
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    try:
        rows = await driver.fetch(STORE, uris, payloads, ids, utcnow(), kind, max_attempts)
    except Exception as exc:
        # Whatever failed (the server, the socket, or the driver's own state, as when the
        # server ended the session mid-call), this connection is not to be lent again.
        await connection.invalidate(exc)
        raise OperationalError(STORE, None, exc) from exc
    return {row[0] for row in rows}
