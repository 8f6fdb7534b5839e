"""Searching posts by their words (``fedi.domain.search.statuses``), beside a bare LIKE scan.

    python -m benchmarks.search [--accounts 2000] [--statuses 100000]
        [--follows-per-account 20] [--requests 40] [--sqlite/--no-sqlite] [--postgres URL]
        [--json PATH]

Two queries, each as the domain runs it (visibility, blocks, suspended authors, then the
page's views) and, as the baseline, the bare ``SELECT id … WHERE lower(text) LIKE … ORDER BY
id DESC LIMIT 20`` through the raw driver, same data, same run:

- a common word ("fractions", in a fifth of the posts): the newest matches come first, so
  the scan stops early;
- a rare one (one post's number): nothing stops the scan, every post is read. This is the
  worst case of substring search without a text index, and what to watch as an instance
  grows.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sqlalchemy import select

from benchmarks import backends, dataset, raw
from benchmarks.report import Report, add_json_option, measure
from benchmarks.timeline import run
from fedi.db.engine import create_engine, read_session_factory
from fedi.db.models import Account
from fedi.domain import search

LIMIT = 20


async def run_backend(
    report: Report, backend: str, url: str, driver: raw.Driver, args: argparse.Namespace
) -> None:
    engine = create_engine(url)
    factory = read_session_factory(engine)
    try:
        async with factory() as session:
            viewer = await session.scalar(select(Account).order_by(Account.id).limit(1))
        assert viewer is not None
        marks = driver.placeholders(2)
        bare = (
            "SELECT id FROM statuses WHERE reblog_of_id IS NULL AND lower(text) LIKE "
            f"{marks.split(', ')[0]} ORDER BY id DESC LIMIT {marks.split(', ')[1]}"
        )
        rare = f"#{args.statuses // 2}:"
        for word in ("fractions", rare):
            query = search.Query(text=word, type="statuses", limit=LIMIT)

            async def domain(_: int, query: search.Query = query) -> Any:
                async with factory() as session:
                    return await search.statuses(session, viewer, query.text, query)

            async def baseline(_: int, word: str = word) -> Any:
                return await driver.fetch(bare, (f"%{word.lower()}%", LIMIT))

            found = len(await domain(0))
            stats = await measure(
                {f"search {word!r}": domain, "bare LIKE": baseline},
                args.requests,
                warmup=3,
            )
            section = report.section(f"{backend}: posts containing {word!r} ({found} shown)")
            section.rows.extend(stats)
            section.compare(stats[0], stats[1])
            section.print()
    finally:
        await driver.close()
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    sizes = dataset.Sizes(args.accounts, args.statuses, args.follows_per_account)
    report = Report(f"Jamii search benchmark — {sizes.key}")
    report.machine(event_loop=type(asyncio.get_running_loop()).__module__.split(".")[0])
    await backends.each_seeded(report, args, sizes, run_backend)
    if args.json:
        report.write(args.json)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search", description=__doc__)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--statuses", type=int, default=100_000)
    parser.add_argument("--follows-per-account", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="searches per path")
    backends.add_options(parser)
    add_json_option(parser)
    return backends.parse(parser, argv)


if __name__ == "__main__":
    run(main(parse()))
