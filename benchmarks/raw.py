"""Baselines through the raw drivers (aiosqlite, asyncpg), with the SQL our layers emit.

``Recorder`` captures the statements SQLAlchemy sends for one request; ``template`` turns each
into SQL text plus parameter slots (the viewer, the page's ids, or constants), so a baseline
replays exactly the same queries for any viewer without going through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiosqlite
import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# IDS: the page's ids as one array (PostgreSQL's "= ANY(...)"); IDS_JSON: as one JSON text
# (SQLite's "IN (SELECT value FROM json_each(?))")
VIEWER, ID, IDS, IDS_JSON = "<viewer>", "<id>", "<ids>", "<ids as JSON>"


@dataclass(frozen=True)
class Template:
    sql: str
    # VIEWER, ID (filled in order from a list of ids), IDS (all of them, one array parameter
    # as PostgreSQL's "= ANY(...)" takes them), IDS_JSON (all of them as one JSON list) or
    # a constant
    slots: tuple[Any, ...]

    def params(self, viewer_id: int, ids: Sequence[int]) -> list[Any]:
        # A statement may list the page's ids more than once (mentions UNION hashtags).
        wanted = self.slots.count(ID)
        if (wanted and not ids) or (ids and wanted % len(ids)):
            raise ValueError("this template was captured for a page of another length")
        found = iter(list(ids) * (wanted // len(ids) if ids else 0))
        as_json = orjson.dumps(list(ids)).decode()
        return [
            viewer_id
            if s == VIEWER
            else next(found)
            if s == ID
            else list(ids)
            if s == IDS
            else as_json
            if s == IDS_JSON
            else s
            for s in self.slots
        ]


def template(sql: str, params: Sequence[Any], viewer_id: int, ids: set[int]) -> Template:
    def slot(p: Any) -> Any:
        if isinstance(p, list) and p and set(p) <= ids:
            return IDS
        if isinstance(p, str) and p.startswith("[") and ids:
            listed = orjson.loads(p)
            if listed and set(listed) <= ids:
                return IDS_JSON
        return VIEWER if p == viewer_id else ID if isinstance(p, int) and p in ids else p

    slots = tuple(slot(p) for p in params)
    return Template(sql, slots)


@contextmanager
def recording(engine: AsyncEngine) -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every (SQL, parameters) the engine sends to its driver while the block runs."""
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def hook(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, tuple(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", hook)


class Driver(Protocol):
    name: str

    def placeholders(self, count: int) -> str: ...
    async def fetch(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]: ...
    async def write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None: ...
    async def close(self) -> None: ...


class SqliteDriver:
    """One aiosqlite connection with the pragmas ``fedi.db.engine`` sets."""

    name = "aiosqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, path: Path) -> SqliteDriver:
        connection = await aiosqlite.connect(path)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            await connection.execute(f"PRAGMA {pragma}")
        await connection.execute("PRAGMA busy_timeout=5000")
        return cls(connection)

    def placeholders(self, count: int) -> str:
        return ", ".join("?" * count)

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        return list(await self.connection.execute_fetchall(sql, params))

    async def write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        for sql, params in statements:
            await self.connection.execute(sql, params)
        await self.connection.commit()

    async def close(self) -> None:
        await self.connection.close()


class PostgresDriver:
    """One asyncpg connection; every statement prepared once and reused."""

    name = "asyncpg"

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.prepared: dict[str, Any] = {}

    @classmethod
    async def open(cls, url: str) -> PostgresDriver:
        return cls(await asyncpg.connect(url))

    def placeholders(self, count: int) -> str:
        return ", ".join(f"${i}" for i in range(1, count + 1))

    async def _statement(self, sql: str) -> Any:
        statement = self.prepared.get(sql)
        if statement is None:
            statement = self.prepared[sql] = await self.connection.prepare(sql)
        return statement

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        return list(await (await self._statement(sql)).fetch(*params))

    async def write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        async with self.connection.transaction():
            for sql, params in statements:
                await (await self._statement(sql)).fetch(*params)

    async def close(self) -> None:
        await self.connection.close()


async def home(driver: Driver, queries: Sequence[Template], viewer_id: int) -> list[int]:
    """The captured home-timeline queries: the page's rows, then media, mentions and tags."""
    rows = await driver.fetch(queries[0].sql, queries[0].params(viewer_id, []))
    ids = [row[0] for row in rows]
    for query in queries[1:]:
        await driver.fetch(query.sql, query.params(viewer_id, ids))
    return ids


async def home_rows(driver: Driver, query: Template, viewer_id: int) -> list[int]:
    """Only the first query: the page's rows with their authors and the viewer's flags."""
    return [row[0] for row in await driver.fetch(query.sql, query.params(viewer_id, []))]
