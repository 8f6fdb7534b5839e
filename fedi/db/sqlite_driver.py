"""SQLAlchemy's aiosqlite adapter, with one thread hand-over per statement instead of four.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter
makes four such calls for a statement: create a cursor, execute, fetch the rows, close the
cursor. Each is a round trip between the event loop's thread and the connection's (a queue,
a wake-up, a future resolved back on the loop: two GIL hand-offs), and in the inbox worker's
profile they were its largest single cost, paid while a batch holds SQLite's write lock
(docs/benchmarks.md). Here the four calls run as one function on the connection's thread,
and the cursor's description, row count and last row id come back with the rows.

Only the plain (buffered) cursor changes; server-side cursors (``stream``) are SQLAlchemy's
own. Errors surface exactly as before: the same sqlite3 exception, raised from ``execute``.

It overrides internals of SQLAlchemy 2.1's adapter (``_execute_async``, the connection's
``_execute_mutex``) and aiosqlite's ``Connection._execute``: hence the lower bound on
SQLAlchemy in pyproject.toml, and every SQLite test of the suite runs through it, so an
upgrade that moves them fails the tests rather than a server.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

T = TypeVar("T")


class _Outcome:
    """What SQLAlchemy reads from a cursor after a statement, read on the thread."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, description: Any = None, rowcount: int = -1, lastrowid: Any = None):
        self.description = description
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.arraysize = 1


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[_Outcome, list[Any] | None]:
    # Runs on the connection's thread: cursor, execute, fetch and close in one hand-over.
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        # Rows first: for a statement with RETURNING, sqlite3 counts rows as they are read.
        rows = cursor.fetchall() if cursor.description else None
        return _Outcome(cursor.description, cursor.rowcount, cursor.lastrowid), rows
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor (a hand-over to make one, another to close it): the sqlite3
        # cursor lives for one statement on the connection's thread, inside ``_run``.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Outcome()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._one_hop(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._one_hop(operation, seq_of_parameters, many=True)

    async def _one_hop(self, operation: Any, parameters: Any, *, many: bool) -> Any:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            outcome, rows = await connection._execute(  # type: ignore[no-untyped-call]
                _run, connection._conn, operation, parameters, many
            )
        self._cursor = outcome
        self._rows = collections.deque(rows) if rows is not None else collections.deque()
        return outcome

    async def _async_soft_close(self) -> None:
        return  # nothing left open: the sqlite3 cursor was closed on the thread

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Passed to ``create_async_engine(module=…)``: SQLAlchemy's aiosqlite DBAPI, whose
    connections make ``OneHopCursor``s."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)


def fetch_all_on_thread(
    connection: sqlite3.Connection, operation: str, parameters: Sequence[Any]
) -> list[Any]:
    """The rows of one SELECT; called on the connection's thread (``run_on_thread``)."""
    cursor = connection.execute(operation, parameters)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


async def run_on_thread(adapted: Any, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work(sqlite3 connection)`` on a pooled connection's own thread, in one hand-over
    (``fedi.db.prepared``: several reads, no SQLAlchemy cursor). Raises what ``work``
    raises, sqlite3's own errors included."""
    if not isinstance(adapted, AsyncAdapt_aiosqlite_connection):
        raise TypeError(f"not an aiosqlite connection: {type(adapted).__name__}")
    connection: aiosqlite.Connection = adapted._connection  # type: ignore[assignment]
    async with adapted._execute_mutex:
        done: T = await connection._execute(work, connection._conn)  # type: ignore[no-untyped-call]
    return done
