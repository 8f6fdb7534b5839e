"""Which databases a benchmark runs on: its ``--sqlite/--postgres`` options, and what it says
when PostgreSQL is left out.

SQLite runs unless ``--no-sqlite``. PostgreSQL runs on the server ``--postgres`` names
(default: ``$JAMII_TEST_POSTGRES_URL``); without one, or when it cannot be reached, the
benchmark prints why and goes on without it, so a laptop with no server still gets figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

from benchmarks import dataset, raw, seed
from benchmarks.report import Report
from fedi.db.engine import describe_connection_error

# What a PostgreSQL server that is down, refuses us or lacks a database raises.
UNREACHABLE = (OSError, asyncpg.PostgresError)

SeededRun = Callable[[Report, str, str, raw.Driver, argparse.Namespace], Awaitable[None]]


def add_options(parser: argparse.ArgumentParser, postgres_help: str = "") -> None:
    """``--sqlite/--no-sqlite`` and ``--postgres URL``; ``postgres_help`` ends the latter's
    help with what the benchmark does on that server."""
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("JAMII_TEST_POSTGRES_URL"),
        help="PostgreSQL server (default: $JAMII_TEST_POSTGRES_URL)" + postgres_help,
    )


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The parsed options, a malformed ``--postgres`` URL refused before anything runs."""
    args = parser.parse_args(argv)
    if args.postgres:
        make_url(args.postgres)
    return args


def say_skipped(exc: BaseException | None = None) -> None:
    """Why PostgreSQL is left out: no server given, or the one given failed with ``exc``."""
    if exc is None:
        print("\nPostgreSQL skipped: pass --postgres URL or set JAMII_TEST_POSTGRES_URL")
    else:
        print(f"\nPostgreSQL skipped: {describe_connection_error(exc)}")


async def postgres_version(server_url: str) -> str:
    connection = await asyncpg.connect(seed.plain_url(server_url))
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


async def postgres(
    report: Report, args: argparse.Namespace, prepare: Callable[[str], Awaitable[str]] | None = None
) -> str | None:
    """The PostgreSQL URL to run on, its server's version among the report's facts: the
    ``--postgres`` server, or what ``prepare`` makes there (a seeded database). None, with
    the reason printed, when there is no server or it fails."""
    if not args.postgres:
        say_skipped()
        return None
    try:
        url = args.postgres if prepare is None else await prepare(args.postgres)
        report.fact("postgresql", await postgres_version(url))
    except UNREACHABLE as exc:
        say_skipped(exc)
        return None
    return url


async def seeded_postgres(
    report: Report, args: argparse.Namespace, sizes: dataset.Sizes
) -> str | None:
    """The data set of ``sizes`` seeded on the ``--postgres`` server (``benchmarks.seed``),
    or None as ``postgres`` has it."""
    return await postgres(report, args, lambda server: seed.postgres_database(server, sizes))


async def each_seeded(
    report: Report, args: argparse.Namespace, sizes: dataset.Sizes, run: SeededRun
) -> None:
    """``run`` on the seeded data set of ``sizes`` (``benchmarks.seed``) on each backend,
    with the raw driver of that backend for the baselines."""
    if args.sqlite:
        path = await asyncio.to_thread(seed.sqlite_database, sizes)
        driver: raw.Driver = await raw.SqliteDriver.open(path)
        await run(report, "SQLite", f"sqlite+aiosqlite:///{path}", driver, args)
    url = await seeded_postgres(report, args, sizes)
    if url is not None:
        pg = await raw.PostgresDriver.open(seed.plain_url(url))
        await run(report, "PostgreSQL", url, pg, args)
