"""Hot reads as SQL compiled once, run on SQLite without SQLAlchemy's per-statement machinery.

A ``Prepared`` wraps a Core SELECT built once at import. On SQLite its SQL, compiled once
per engine, goes straight to the pooled driver connection and the rows' values are
converted with the same type processors SQLAlchemy applies (UTC timestamps, booleans,
JSON): the same rows, minus SQLAlchemy's execution around each statement (cache-key
look-up, execution context, result set-up, the adapter's cursor: ~70 µs a statement in
process, benchmarks/home_http.py). Reads that depend on each other's rows are a plan
(``run``), which runs on the connection's thread in one hand-over. On PostgreSQL every
statement goes through ``connection.execute`` as before: asyncpg's path through
SQLAlchemy was not the gap there.

What SQLAlchemy would otherwise do for these statements is kept: errors surface as
SQLAlchemy's ``DBAPIError`` subclasses (``OperationalError`` → 503), and
``before_cursor_execute`` listeners see every statement (the benchmarks capture the SQL
with one). A statement whose SQL must be rendered per execution (an expanding IN list)
goes through SQLAlchemy's execution, as on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import CompoundSelect, Select

from fedi.db import sqlite_driver
from fedi.db.reads import Reads, connection_of

Statement = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]
Rows = list[Sequence[Any]]
Query = tuple["Prepared", Mapping[str, Any]]
T = TypeVar("T")
# Reads that depend on each other's rows (a page, then its media): a generator that yields
# each query and receives its rows, returning what it made of them (``run``).
Plan = Generator[Query, Rows, T]
_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # One entry per "?" in ``sql``: (parameter name, its value in the statement itself, the
    # type's bind processor).
    slots: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]
    # Result columns that have a processor: (index, processor).
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, default, bind in self.slots:
            value = params.get(name, default)
            if value is _MISSING:
                raise InvalidRequestError(f"A value is required for bind parameter {name!r}")
            out.append(bind(value) if bind is not None else value)
        return out

    def rows(self, raw: list[Any]) -> Rows:
        if not self.processors:
            return raw
        processed: Rows = []
        for values in raw:
            row = list(values)
            for index, process in self.processors:
                row[index] = process(row[index])
            processed.append(row)
        return processed


class Prepared:
    """A SELECT (or UNION of SELECTs) to run with ``fetch_all``; compiled lazily per engine."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        # Per engine's dialect, whose settings the processors hold (its JSON decoder), and
        # weakly: tests make and dispose of hundreds of engines.
        self._compiled: WeakKeyDictionary[Dialect, _Compiled | None] = WeakKeyDictionary()

    def compiled(self, dialect: Dialect) -> _Compiled | None:
        """None when the SQL must be rendered per execution (an expanding IN list):
        SQLAlchemy's own execution then runs it."""
        try:
            return self._compiled[dialect]
        except KeyError:
            found = self._compiled[dialect] = _compile(self.statement, dialect)
            return found


def _compile(statement: Statement, dialect: Dialect) -> _Compiled | None:
    if dialect.paramstyle != "qmark":
        raise ValueError(f"prepared reads take qmark parameters, not {dialect.paramstyle}")
    compiled = statement.compile(dialect=dialect)
    if "__[POSTCOMPILE" in compiled.string:
        return None
    slots = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
        default = _MISSING if bind.required else bind.effective_value
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        slots.append((name, default, processor))
    processors = []
    for index, column in enumerate(statement.selected_columns):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            processors.append((index, process))
    return _Compiled(compiled.string, tuple(slots), tuple(processors))


async def fetch_all(db: Reads, prepared: Prepared, params: Mapping[str, Any]) -> Rows:
    """Every row of ``prepared`` with ``params``, on a session's connection or a bare one."""
    return await run(db, _one(prepared, params))


def _one(prepared: Prepared, params: Mapping[str, Any]) -> Plan[Rows]:
    return (yield prepared, params)


async def run(db: Reads, plan: Plan[T]) -> T:
    """What ``plan`` returns, each query it yields answered with its rows.

    On SQLite the plan runs on the connection's thread, queries and the Python between
    them, in one hand-over: each hand-over costs a thread switch each way, ~60 µs of the
    event loop's time on a busy core (cProfile of benchmarks/home_http.py's server). So a
    plan only computes between its queries (no I/O, nothing shared with the loop). A query
    whose SQL must be rendered per execution comes back to the loop and runs through
    SQLAlchemy, as every query does on PostgreSQL.
    """
    connection = await connection_of(db)
    sqlite = connection.dialect.name == "sqlite"
    rows: Rows | None = None
    while True:
        if sqlite:
            # Runs the plan on the thread until it ends or yields a query for SQLAlchemy.
            outcome = await _sqlite_run(connection, plan, rows)
            if not isinstance(outcome, _Pending):
                return outcome
            query = outcome.query
        else:
            try:
                query = plan.send(rows)  # type: ignore[arg-type]  # None starts it
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
        prepared, params = query
        rows = list(await connection.execute(prepared.statement, dict(params)))


@dataclass(frozen=True, slots=True)
class _Pending:
    query: Query


async def _sqlite_run(
    connection: AsyncConnection, plan: Plan[T], rows: Rows | None
) -> T | _Pending:
    sync = connection.sync_connection
    assert sync is not None  # a started AsyncConnection (``async with``, or a session's)
    dialect = connection.dialect
    listeners = sync.dispatch.before_cursor_execute

    def on_thread(db: sqlite3.Connection) -> T | _Pending:
        answer = rows
        while True:
            try:
                prepared, params = plan.send(answer)  # type: ignore[arg-type]
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            compiled = prepared.compiled(dialect)
            if compiled is None:
                return _Pending((prepared, params))
            arguments = compiled.arguments(params)
            for listener in listeners:
                listener(sync, None, compiled.sql, tuple(arguments), None, False)
            try:
                found = sqlite_driver.fetch_all_on_thread(db, compiled.sql, arguments)
            except sqlite3.Error as exc:
                # As SQLAlchemy wraps driver errors: sqlite3.OperationalError → OperationalError.
                raise DBAPIError.instance(compiled.sql, arguments, exc, sqlite3.Error) from exc
            answer = compiled.rows(found)

    return await sqlite_driver.run_on_thread(sync.connection.dbapi_connection, on_thread)
