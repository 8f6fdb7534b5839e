"""Creating the async engine, with SQLite tuned for one writer and many readers."""

from __future__ import annotations

from typing import Any

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

from fedi.errors import JamiiError


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
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(parsed, echo=echo, **kwargs)
    if parsed.drivername == "sqlite+aiosqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: presenters read attributes after the unit of work commits.
    return async_sessionmaker(engine, expire_on_commit=False)


def describe_connection_error(exc: BaseException) -> str:
    """A one-line, secret-free cause for a failed connection (no password, no traceback)."""
    cause: BaseException = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return f"{type(cause).__name__}: {text}"
