"""Bulk seeding of a migrated database with the data set of ``benchmarks.dataset``, fast.

The domain services would take hours for a million statuses, so rows are written directly
(sqlite3 ``executemany`` / asyncpg ``COPY``) into the schema Alembic created. Secondary
indexes are dropped during the load and recreated from their own DDL afterwards, so the
benchmark measures exactly the migrated schema; ANALYZE runs at the end. Seeded databases are
reused: SQLite files under ``benchmarks/.cache/``, PostgreSQL databases named
``jamii_bench_<sizes>``, when their schema head revision and row counts match.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from benchmarks.dataset import TABLES, Plan, Sizes
from fedi.db import migrate

CACHE_DIR = Path(__file__).with_name(".cache")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _sqlite_stamp(ms: int) -> str:
    # SQLAlchemy's storage format for DateTime on SQLite (UTC, no offset).
    return f"{datetime.fromtimestamp(ms / 1000, UTC):%Y-%m-%d %H:%M:%S.%f}"


def _pg_stamp(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _sqlite_state(path: Path) -> tuple[str | None, dict[str, int]]:
    con = sqlite3.connect(path)
    try:
        head = con.execute("SELECT version_num FROM alembic_version").fetchone()
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        return (head[0] if head else None), counts
    except sqlite3.Error:
        return None, {}
    finally:
        con.close()


def sqlite_database(sizes: Sizes) -> Path:
    """A seeded SQLite file, cached by sizes and schema head revision."""
    head = migrate.head_revision()
    path = CACHE_DIR / f"timeline_{sizes.key}_rev{head}.db"
    if path.exists() and _sqlite_state(path) == (head, sizes.counts()):
        log(f"SQLite: reusing {path}")
        return path
    CACHE_DIR.mkdir(exist_ok=True)
    tmp = path.with_suffix(".seeding")
    for stale in CACHE_DIR.glob(f"timeline_{sizes.key}_*"):  # older revisions, failed seeds
        stale.unlink()
    started = time.perf_counter()
    migrate.upgrade(f"sqlite+aiosqlite:///{tmp}")
    plan = Plan(sizes)
    log(f"SQLite: planned in {time.perf_counter() - started:.1f} s, writing {tmp.name}")
    con = sqlite3.connect(tmp, isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
            con.execute(f"PRAGMA {pragma}")
        indexes = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join(repr(t) for t in TABLES)})"
        ).fetchall()
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        con.execute("BEGIN")
        for table, columns in TABLES.items():
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            for chunk in plan.rows(table, _sqlite_stamp):
                con.executemany(sql, chunk)
        con.execute("COMMIT")
        for _, ddl in indexes:
            con.execute(ddl)
        con.execute("ANALYZE")
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()
    tmp.rename(path)
    log(f"SQLite: seeded {sizes.key} in {time.perf_counter() - started:.1f} s")
    return path


def plain_url(url: str, database: str | None = None) -> str:
    """The URL asyncpg wants (postgresql://), optionally pointing at another database."""
    return _server_url(url, "postgresql", database)


def sqlalchemy_url(url: str, database: str | None = None) -> str:
    """The URL our engine wants (postgresql+asyncpg://), optionally at another database."""
    return _server_url(url, "postgresql+asyncpg", database)


def _server_url(url: str, driver: str, database: str | None) -> str:
    parsed = make_url(url).set(drivername=driver)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _pg_state(url: str) -> tuple[str | None, dict[str, int]]:
    con = await asyncpg.connect(url)
    try:
        head = await con.fetchval("SELECT version_num FROM alembic_version")
        counts = {t: await con.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
        return head, counts
    except asyncpg.PostgresError:
        return None, {}
    finally:
        await con.close()


async def postgres_database(server_url: str, sizes: Sizes) -> str:
    """A seeded PostgreSQL database on the server, as a ``postgresql+asyncpg`` URL."""
    name = f"jamii_bench_{sizes.key}"
    url = plain_url(server_url, name)
    sa_url = sqlalchemy_url(server_url, name)
    head = migrate.head_revision()
    admin = await asyncpg.connect(plain_url(server_url))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and await _pg_state(url) == (head, sizes.counts()):
            log(f"PostgreSQL: reusing database {name}")
            return sa_url
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    started = time.perf_counter()
    await asyncio.to_thread(migrate.upgrade, sa_url)
    plan = Plan(sizes)
    log(f"PostgreSQL: planned in {time.perf_counter() - started:.1f} s, copying into {name}")
    con = await asyncpg.connect(url)
    try:
        await con.execute("SET session_replication_role = replica")  # no FK triggers while loading
        await con.execute("SET maintenance_work_mem = '512MB'")
        indexes = await con.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename = ANY($1::text[]) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            list(TABLES),
        )
        for index in indexes:
            await con.execute(f'DROP INDEX "{index["indexname"]}"')
        for table, columns in TABLES.items():
            for chunk in plan.rows(table, _pg_stamp):
                await con.copy_records_to_table(table, records=chunk, columns=list(columns))
        for index in indexes:
            await con.execute(index["indexdef"])
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()
    log(f"PostgreSQL: seeded {sizes.key} in {time.perf_counter() - started:.1f} s")
    return sa_url
