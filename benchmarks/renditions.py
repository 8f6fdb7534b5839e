"""Renditions: reading a stored translation, and the time from posting to translations.

    python -m benchmarks.renditions [--reads 400] [--posts 20] [--json PATH]

One SQLite instance in this process with the real Argos path on a tiny sw→en package built
on the spot (``tests/translation/tinymodels.py``; it "translates" into upper case, so the
engine's share is small and the overheads show):

- **Cache hit**: ``StatusTranslator.prepare`` for a post whose English rendition is stored
  (the status's media, then the rendition, through SQLAlchemy), as the translate endpoint
  does before it would call an engine — beside a bare primary-key read of the rendition's
  content through the raw driver (aiosqlite), same database, same run. Target: p50 < 1 ms.
- **Posting to renditions available**: a post committed through ``fedi.domain.statuses``
  (its translate job queued in the same transaction) until its rendition is readable, with
  the in-process worker running — beside the engine alone translating the same post
  (``TranslationService.translate``), same run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import select

from benchmarks.report import Report, Stats, add_json_option, measure
from fedi.config import load_config
from fedi.db.migrate import upgrade
from fedi.db.models import Rendition, Status
from fedi.domain import statuses
from fedi.domain.translator import StatusTranslator
from fedi.jobs import Worker
from fedi.jobs.registry import job_handlers
from fedi.logging import configure
from fedi.runtime import open_runtime
from tests.factories import teacher
from tests.translation.tinymodels import build_argosmodel
from translation import TextBundle
from translation.argos_env import ArgosPaths, load_argos
from translation.models import import_file

TEXT = "Leo tumefanya jaribio la sayansi na darasa la saba. Wanafunzi wamefurahi sana!"


def write_instance(root: Path, models: Path) -> Path:
    folder = root / "ke"
    folder.mkdir()
    (folder / "instance.toml").write_text(
        'domain = "127.0.0.1:9"\ndev_insecure = true\n'
        '[instance]\nname = "Bench"\ncountry = "KE"\n'
        '[languages]\nprimary = "en"\nbridged = ["sw"]\n'
        f'[translation]\nmodels_dir = "{models}"\n'
        "[jobs]\nin_process_worker = true\n",
        encoding="utf-8",
    )
    return folder


async def main(args: argparse.Namespace) -> None:
    configure(level=logging.WARNING)
    report = Report("Renditions: stored translation reads and posting to translations")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        paths = ArgosPaths(root / "models")
        load_argos(paths)
        import_file(paths, build_argosmodel(root / "built", "sw", "en"))
        config = load_config(write_instance(root, paths.root), environ={})
        config.data_dir.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(upgrade, config.database_url)
        async with open_runtime(config) as runtime:
            translator = runtime.translator
            assert isinstance(translator, StatusTranslator)
            assert translator.pairs
            worker = Worker(
                runtime.queue, job_handlers(runtime.federation, translator), poll_interval=0.01
            )
            running = asyncio.create_task(worker.run())
            try:
                await run(report, args, runtime.sessions, runtime.site, translator, worker)
            finally:
                worker.stop()
                await running
        database = config.database_url.split(":///", 1)[1]
        report.fact("database", f"SQLite (aiosqlite), {Path(database).name}")
    if args.json:
        report.write(args.json)


async def run(
    report: Report,
    args: argparse.Namespace,
    sessions: Any,
    site: Any,
    translator: StatusTranslator,
    worker: Worker,
) -> None:
    async with sessions() as session, session.begin():
        author = await teacher(session, "amina", site=site)

    async def rendition_of(status_id: int) -> Rendition | None:
        async with sessions() as session:
            found: Rendition | None = await session.scalar(
                select(Rendition).where(Rendition.status_id == status_id)
            )
            return found

    async def post_and_wait(i: int) -> None:
        async with sessions() as session, session.begin():
            status = await statuses.post(
                session, site, author, statuses.Draft(text=f"{TEXT} ({i})", language="sw")
            )
        worker.wake()
        # Readers find it in the database: polling it is what "available" means here.
        while await rendition_of(status.id) is None:  # noqa: ASYNC110
            await asyncio.sleep(0.001)

    bundle = TextBundle(content_html=f"<p>{TEXT}</p>")

    async def engine_alone(_: int) -> None:
        await translator.service.translate(bundle, "sw", "en")

    posting = await measure(
        {"post → rendition stored": post_and_wait, "engine alone (same post)": engine_alone},
        args.posts,
        warmup=2,
        rounds=2,
    )
    section = report.section("Posting to renditions available (in-process worker)")
    section.rows.extend(posting)
    section.compare(posting[0], posting[1])
    section.print()

    async with sessions() as session:
        status = await session.scalar(select(Status).order_by(Status.id.desc()).limit(1))
        assert status is not None
        row = await rendition_of(status.id)
        assert row is not None
    connection = await aiosqlite.connect(report_database(sessions))
    try:

        async def stored(_: int) -> None:
            async with sessions() as session:
                found = await translator.prepare(session, status, "en")
            assert not hasattr(found, "bundle")  # served from the store

        async def bare(_: int) -> None:
            async with connection.execute(
                "SELECT content FROM renditions WHERE id = ?", (row.id,)
            ) as cursor:
                await cursor.fetchone()

        reads = await measure(
            {"stored rendition (prepare)": stored, "bare PK read (aiosqlite)": bare},
            args.reads,
            warmup=20,
        )
    finally:
        await connection.close()
    section = report.section("Cache hit: a stored rendition read")
    section.rows.extend(reads)
    section.compare(reads[0], reads[1])
    section.under(reads[0], 1.0)
    section.print()
    overhead: Stats = posting[0]
    report.fact(
        "posting overhead",
        f"{(overhead.p50 - statistics.median(posting[1].samples)) * 1000:.1f} ms p50 "
        "beyond the engine (commit, job claim, rendition write)",
    )


def report_database(sessions: Any) -> str:
    url = str(sessions.kw["bind"].url)
    return url.split(":///", 1)[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=400)
    parser.add_argument("--posts", type=int, default=20)
    add_json_option(parser)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
