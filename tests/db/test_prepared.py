"""Prepared reads give what SQLAlchemy's own execution gives: rows, errors, event hooks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import bindparam, event, literal, literal_column, select, table
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.engine import session_factory
from fedi.db.models import Account
from fedi.db.prepared import Plan, Prepared, fetch_all, run
from tests.conftest import Database
from tests.factories import teacher

# Every kind of value the hot reads convert: timestamps (one NULL), booleans, JSON, a
# constant bound in the statement itself, and a bound timestamp compared in SQL.
_ACCOUNT = Prepared(
    select(
        Account.id,
        Account.username,
        Account.created_at,
        Account.last_status_at,
        Account.locked,
        Account.fields,
        literal("k"),
        Account.created_at < bindparam("now", type_=Account.created_at.type),
    ).where(Account.id == bindparam("account_id"))
)


async def test_rows_are_those_sqlalchemy_gives(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    amina.fields = [{"name": "School", "value": "Kisumu Girls"}]
    await session.flush()
    params = {"account_id": amina.id, "now": utcnow()}

    ours = await fetch_all(session, _ACCOUNT, params)
    connection = await session.connection()
    theirs = list(await connection.execute(_ACCOUNT.statement, params))

    assert [tuple(row) for row in ours] == [tuple(row) for row in theirs]
    [row] = ours
    assert row[2].tzinfo is not None
    assert row[3] is None
    assert row[4] is False
    assert row[6] == "k"
    assert row[7] is True
    assert row[5] == [{"name": "School", "value": "Kisumu Girls"}]
    assert await fetch_all(session, _ACCOUNT, {"account_id": -1, "now": utcnow()}) == []


async def test_a_missing_parameter_is_refused(session: AsyncSession) -> None:
    with pytest.raises(SQLAlchemyError):
        await fetch_all(session, _ACCOUNT, {"now": utcnow()})


async def test_driver_errors_are_sqlalchemys(database: Database) -> None:
    nowhere = Prepared(select(literal_column("x")).select_from(table("nowhere")))
    async with database.engine.connect() as connection:
        with pytest.raises(DBAPIError) as theirs:
            await connection.execute(nowhere.statement)
    async with database.engine.connect() as connection:
        with pytest.raises(DBAPIError) as ours:
            await fetch_all(connection, nowhere, {})
    assert type(ours.value) is type(theirs.value)


@contextmanager
def statements_seen(database: Database) -> Iterator[list[str]]:
    """The SQL of each statement the engine's ``before_cursor_execute`` hooks are shown."""
    seen: list[str] = []

    def hook(*args: Any) -> None:
        seen.append(args[2])

    event.listen(database.engine.sync_engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", hook)


async def test_statement_hooks_see_each_statement(database: Database) -> None:
    with statements_seen(database) as seen:
        async with database.engine.connect() as connection:
            await fetch_all(connection, _ACCOUNT, {"account_id": 1, "now": utcnow()})
    assert len(seen) == 1
    assert "FROM accounts" in seen[0]


_FOLLOWERS = Prepared(
    select(Account.followers_count).where(Account.username == bindparam("username"))
)


def _two_reads(account_id: int) -> Plan[tuple[str, int]]:
    [(_, username, *_)] = yield _ACCOUNT, {"account_id": account_id, "now": utcnow()}
    [(followers,)] = yield _FOLLOWERS, {"username": username}
    return username, followers


async def test_a_plan_reads_each_query_with_the_rows_before(database: Database) -> None:
    async with session_factory(database.engine)() as session:
        amina = await teacher(session, "amina")
        await session.commit()
    with statements_seen(database) as seen:
        async with database.engine.connect() as connection:
            assert await run(connection, _two_reads(amina.id)) == ("amina", 0)
    assert len(seen) == 2


async def test_a_failing_query_ends_the_plan_with_sqlalchemys_error(database: Database) -> None:
    nowhere = Prepared(select(literal_column("x")).select_from(table("nowhere")))

    def reads() -> Plan[None]:
        yield _ACCOUNT, {"account_id": 1, "now": utcnow()}
        yield nowhere, {}
        raise AssertionError("not reached")

    async with database.engine.connect() as connection:
        with pytest.raises(DBAPIError):
            await run(connection, reads())
