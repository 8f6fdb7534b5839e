"""Write helpers that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import Base


async def insert_ignore(
    session: AsyncSession, model: type[Base], rows: Sequence[Mapping[str, Any]]
) -> int:
    """Insert rows, silently skipping any that collide with a unique constraint.

    Checking first and inserting after races with a concurrent request (and, on the inbox,
    with a replayed delivery); letting the database decide is the only race-free way.
    Returns how many rows were inserted.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The table, not the mapped class: an ORM insert returns no row count.
    statement = insert(model.__table__).on_conflict_do_nothing()  # type: ignore[arg-type]
    inserted = 0
    # One statement per row: executemany does not report per-row counts on every driver.
    for row in rows:
        result = cast(CursorResult[Any], await session.execute(statement, row))
        inserted += max(result.rowcount, 0)
    return inserted


async def insert_ignore_many(
    session: AsyncSession, model: type[Base], rows: Sequence[Mapping[str, Any]]
) -> None:
    """``insert_ignore`` as one statement with many parameter sets (one round trip), for
    callers that need no count of the rows inserted."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model.__table__).on_conflict_do_nothing()  # type: ignore[arg-type]
    await session.execute(statement, list(rows))


async def execute_counting(session: AsyncSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return result.rowcount
