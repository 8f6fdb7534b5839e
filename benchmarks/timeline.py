"""Home-timeline reads and post creation through the domain layer, beside raw SQL.

    python -m benchmarks.timeline [--accounts 10000] [--statuses 1000000]
        [--follows-per-account 100] [--requests 2000] [--posts 500] [--sqlite/--no-sqlite]
        [--postgres URL] [--show-sql] [--json PATH]

Baselines (same run, same data, same viewers): the exact SQL the domain emitted, replayed as
text through the raw driver (aiosqlite, or asyncpg with prepared statements); and the single
timeline rows query alone, which shows what loading media, mentions and tags costs.
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks import backends, dataset, raw
from benchmarks.report import Report, add_json_option, measure
from fedi.db.engine import (
    create_engine,
    create_read_engine,
    read_session_factory,
    session_factory,
)
from fedi.db.models import Account
from fedi.domain.pagination import Page
from fedi.domain.site import Site
from fedi.domain.statuses import Draft, post
from fedi.domain.timelines import home
from fedi.ids import new_id

SITE = Site(domain="bench.example", base_url=dataset.BASE_URL, primary_language="en")
TEXT = "Sharing the fractions worksheet my grade 5 class enjoyed today, feedback welcome."
RATIO_TARGET = 2.0
PG_P50_TARGET_MS = 5.0


async def timeline(
    report: Report,
    backend: str,
    engine: AsyncEngine,
    driver: raw.Driver,
    requests: int,
    show_sql: bool = False,
) -> None:
    # What the API's read endpoints use: no BEGIN/ROLLBACK around a page of reads.
    reads = create_read_engine(engine)
    try:
        await _timeline(report, backend, engine, reads, driver, requests, show_sql)
    finally:
        if reads.pool is not engine.pool:
            await reads.dispose()


async def _timeline(
    report: Report,
    backend: str,
    engine: AsyncEngine,
    reads: AsyncEngine,
    driver: raw.Driver,
    requests: int,
    show_sql: bool,
) -> None:
    factory = read_session_factory(reads)
    account_ids = [r[0] for r in await driver.fetch("SELECT id FROM accounts ORDER BY id", ())]
    rng = random.Random(7)
    warmup = max(1, min(200, requests // 5))
    viewer_ids = [rng.choice(account_ids) for _ in range(requests + warmup)]
    viewers = [Account(id=i) for i in viewer_ids]  # home() reads only the viewer's id
    page = Page(limit=20)

    async with factory() as session:  # capture the SQL the domain emits for one request
        with raw.recording(reads) as seen:
            views = await home(session, viewers[0], page)
    ids = [view.id for view in views]
    queries = [raw.template(sql, p, viewer_ids[0], set(ids)) for sql, p in seen]
    if show_sql:
        print(f"\n-- {backend}: the {len(queries)} statements of one home timeline request")
        for query in queries:
            print(f"{query.sql};\n-- parameters: {query.slots}")
    for viewer in viewers[:50]:  # the replay must return what the domain returns
        async with factory() as session:
            expected = [view.id for view in await home(session, viewer, page)]
        if await raw.home(driver, queries, viewer.id) != expected:
            raise SystemExit(f"{backend}: raw replay disagrees with the domain for {viewer.id}")

    async def domain_call(i: int) -> None:
        async with factory() as session:
            await home(session, viewers[i], page)

    labels = (
        "home (domain)",
        f"raw SQL, same {len(queries)} queries",
        "raw SQL, rows query only",
    )
    rows = await measure(
        {
            labels[0]: domain_call,
            labels[1]: lambda i: raw.home(driver, queries, viewer_ids[i]),
            labels[2]: lambda i: raw.home_rows(driver, queries[0], viewer_ids[i]),
        },
        requests,
        warmup,
    )
    section = report.section(
        f"{backend} · home timeline, 20 items, {requests} random viewers · domain: "
        f"timelines.home, one AsyncSession per request · raw: {driver.name}"
    )
    section.rows = rows
    domain, same, id_only = rows
    section.compare(domain, same, RATIO_TARGET)
    section.compare(domain, id_only)
    if backend == "PostgreSQL":
        section.under(domain, PG_P50_TARGET_MS)
    section.print()


async def posting(
    report: Report, backend: str, engine: AsyncEngine, driver: raw.Driver, count: int
) -> None:
    factory = session_factory(engine)
    async with factory() as session:
        authors = list(await session.scalars(select(Account).order_by(Account.id).limit(50)))
    author_ids = [a.id for a in authors]
    marks = driver.placeholders(len(author_ids))
    saved = await driver.fetch(
        "SELECT statuses_count, last_status_at, updated_at, id FROM accounts "
        f"WHERE id IN ({marks})",
        author_ids,
    )
    created: list[int] = []
    draft = Draft(text=TEXT, language="en")
    content: list[str] = []

    async def domain_call(i: int) -> None:
        async with factory() as session:
            status = await post(session, SITE, authors[i % len(authors)], draft)
            await session.commit()
        created.append(status.id)
        if not content:
            content.append(status.content)

    sqlite = isinstance(driver, raw.SqliteDriver)
    columns = dataset.STATUS_COLUMNS
    insert = (
        f"INSERT INTO statuses ({', '.join(columns)}) VALUES ({driver.placeholders(len(columns))})"
    )
    p = driver.placeholders(4).split(", ")
    update = (
        f"UPDATE accounts SET statuses_count = statuses_count + {p[0]}, "
        f"last_status_at = {p[1]}, updated_at = {p[2]} WHERE id = {p[3]}"
    )

    def stamp(moment: datetime) -> Any:
        return f"{moment:%Y-%m-%d %H:%M:%S.%f}" if sqlite else moment

    async def raw_call(i: int) -> None:
        author = authors[i % len(authors)]
        status_id, now = new_id(), stamp(datetime.now(UTC))
        row = (
            status_id, now, SITE.status_uri(author.username, status_id),
            SITE.status_url(author.username, status_id), author.id, None, None, status_id,
            None, content[0], TEXT, "", False, "en", "public", True, None, 0, 0, 0,
        )  # fmt: skip
        await driver.write([(insert, row), (update, (1, now, now, author.id))])
        created.append(status_id)

    labels = (
        "post (domain)",
        "raw INSERT + UPDATE + commit",
    )
    try:
        rows = await measure(
            {labels[0]: domain_call, labels[1]: raw_call}, count, max(1, count // 10)
        )
    finally:  # leave the seeded database as it was, so the next run can reuse it
        for start in range(0, len(created), 500):
            chunk = created[start : start + 500]
            marks = driver.placeholders(len(chunk))
            await driver.write([(f"DELETE FROM statuses WHERE id IN ({marks})", chunk)])
        restore = (
            f"UPDATE accounts SET statuses_count = {p[0]}, last_status_at = {p[1]}, "
            f"updated_at = {p[2]} WHERE id = {p[3]}"
        )
        await driver.write([(restore, tuple(r)) for r in saved])
    section = report.section(
        f"{backend} · post creation, {count} posts, one transaction each · domain: "
        f"statuses.post + commit · raw: {driver.name}"
    )
    section.rows = rows
    section.compare(rows[0], rows[1])
    section.print()


async def run_backend(
    report: Report, backend: str, url: str, driver: raw.Driver, args: argparse.Namespace
) -> None:
    engine = create_engine(url)
    try:
        await timeline(report, backend, engine, driver, args.requests, args.show_sql)
        await posting(report, backend, engine, driver, args.posts)
    finally:
        await driver.close()
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    sizes = dataset.Sizes(args.accounts, args.statuses, args.follows_per_account)
    report = Report(f"Jamii timeline benchmark — {sizes.key}")
    loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    report.machine(event_loop=loop)
    await backends.each_seeded(report, args, sizes, run_backend)
    if args.json:
        report.write(args.json)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.timeline", description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--statuses", type=int, default=1_000_000)
    parser.add_argument("--follows-per-account", type=int, default=100)
    parser.add_argument("--requests", type=int, default=2000, help="home timelines per path")
    parser.add_argument("--posts", type=int, default=500, help="posts per path")
    backends.add_options(parser, "; a database jamii_bench_<sizes> is created there")
    parser.add_argument("--show-sql", action="store_true", help="print the SQL the domain emits")
    add_json_option(parser)
    return backends.parse(parser, argv)


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop  # what uvicorn[standard] runs on
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


if __name__ == "__main__":
    run(main(parse()))
