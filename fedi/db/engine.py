"""Creating the async engine, with SQLite tuned for one writer and many readers."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from fedi.db import sqlite_driver
from fedi.errors import JamiiError


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class DatabaseUnavailable(JamiiError):
    """The database URL is wrong or the server cannot be reached (a one-line cause)."""

    status = 503


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers proceed while the single writer commits; NORMAL is durable across
    # application crashes (not power loss), the trade-off every SQLite-backed server makes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# PostgreSQL connections each process keeps (see create_engine).
POOL_SIZE = 20


def create_engine(url: str, *, echo: bool = False, **kwargs: Any) -> AsyncEngine:
    """An engine for a ``sqlite+aiosqlite://`` or ``postgresql+asyncpg://`` URL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"database URL is not valid: {exc}") from None
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise DatabaseUnavailable(
            f"database URL must use sqlite+aiosqlite or postgresql+asyncpg, not {parsed.drivername}"
        )
    if parsed.drivername == "postgresql+asyncpg":
        # Room for a busy process's concurrent requests: a connection beyond pool_size is
        # closed when returned while others idle, so with 10, 16 concurrent clients made
        # ~160 new connections in 6,000 requests, each a connect, the driver's set-up and
        # cold prepared statements (benchmarks/home_http.py). Connections open lazily.
        kwargs.setdefault("pool_size", POOL_SIZE)
        # Last in, first out: the connection just returned is the one handed out next, so a
        # burst reuses a few warm connections (their prepared statements and the driver's
        # type cache) instead of rotating through all of them. First in, first out made
        # each of a post's federate jobs land on a connection that had not yet prepared its
        # statements: a quarter of its CPU went to preparing them (benchmarks/fanout.py).
        kwargs.setdefault("pool_use_lifo", True)
        # No pre-ping: it costs a round trip on every request (0.8 ms of a 4 ms timeline).
        # After a database restart the first request on a dead connection fails (503, the
        # pool is invalidated) and the next ones reconnect; recycling bounds idle ages.
        kwargs.setdefault("pool_recycle", 1800)
    if parsed.drivername == "sqlite+aiosqlite":
        # Room for the in-process worker's jobs ([jobs] concurrency, 64 by default) beside the
        # web requests: with SQLAlchemy's default 5 + 10, a burst of jobs held every
        # connection and pages waited behind them. SQLite connections are cheap.
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 70)
        # One thread hand-over per statement instead of four (fedi.db.sqlite_driver).
        kwargs.setdefault("module", sqlite_driver.dbapi())
    # orjson for JSON columns: job payloads carry whole activities, and the standard
    # library's encoder showed in the inbox's profile.
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    engine = create_async_engine(parsed, echo=echo, **kwargs)
    if parsed.drivername == "sqlite+aiosqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: presenters read attributes after the unit of work commits.
    return async_sessionmaker(engine, expire_on_commit=False)


def create_read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine for requests that only read: no BEGIN/ROLLBACK round trips around them.

    Each statement sees committed data as of its own start, which is all a page of a
    timeline needs; anything that writes uses ``engine``. On PostgreSQL the same pool in
    AUTOCOMMIT. On SQLite a pool of its own opened in autocommit mode, so that no
    connection switches modes on every checkout (a thread hop each way, which measured
    slower) and returning one skips the ROLLBACK (one hop per request saved,
    benchmarks/home_http.py). The caller disposes it when it is not ``engine``.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return create_engine(
        engine.url.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        skip_autocommit_rollback=True,
        # Kept open for as many concurrent reads as PostgreSQL's pool serves: with 10, a
        # connection beyond them was closed when returned (its thread joined, ~6 ms of the
        # event loop's CPU under cProfile) and another opened for the next burst, a dozen
        # times per 2,000 home timelines at 16 concurrent requests (benchmarks/home_http.py).
        # An idle one costs a parked thread and its page cache.
        pool_size=POOL_SIZE,
    )


def read_session_factory(read_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``create_read_engine``'s engine."""
    return async_sessionmaker(read_engine, expire_on_commit=False)


def describe_connection_error(exc: BaseException) -> str:
    """A one-line, secret-free cause for a failed connection (no password, no traceback)."""
    cause: BaseException = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return f"{type(cause).__name__}: {text}"
