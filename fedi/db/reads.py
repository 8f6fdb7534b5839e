"""Reads on an ORM session or on a bare connection.

The home timeline, the client API's busiest read, runs on a connection of the read engine
without an ORM ``Session``: setting one up, handing out its connection and closing it
measured about a tenth of the request's CPU (benchmarks/home_http.py). The functions on
its path take either, so every other caller keeps passing its session.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Reads = AsyncSession | AsyncConnection


async def connection_of(db: Reads) -> AsyncConnection:
    """The connection to run Core statements on (a session's own, in its transaction)."""
    if isinstance(db, AsyncConnection):
        return db
    return await db.connection()


def dialect_of(db: Reads) -> str:
    if isinstance(db, AsyncConnection):
        return db.dialect.name
    return db.get_bind().dialect.name
