"""``jamii worker``: a separate process that runs background jobs until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import click
import structlog
import uvloop
from sqlalchemy.engine import make_url
from structlog.typing import FilteringBoundLogger

from fedi.cli.common import fail, instance_option, load_or_exit
from fedi.config import InstanceConfig
from fedi.db.engine import (
    DatabaseUnavailable,
    create_engine,
    describe_connection_error,
    session_factory,
)
from fedi.gc_tuning import settle_after_start
from fedi.jobs import wakeups
from fedi.jobs.queue import JobQueue
from fedi.jobs.registry import job_handlers
from fedi.jobs.worker import Worker
from fedi.runtime import open_runtime
from translation.detect import load_model as load_language_model

logger: FilteringBoundLogger = structlog.get_logger(__name__)

# A host that drops packets would otherwise hold the first connection for asyncpg's 60 s.
CONNECT_TIMEOUT = 15.0
# Often enough for an operator tailing the log to see the queue move, rarely enough to read.
STATS_EVERY = 300.0


@click.command()
@instance_option
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=None,
    metavar="N",
    help="Jobs run at once (default: [jobs] concurrency in instance.toml).",
)
@click.option("--once", is_flag=True, help="Run one batch of due jobs, then exit (cron, tests).")
def worker(instance_dir: str, concurrency: int | None, once: bool) -> None:
    """Run background jobs (deliveries, translations) until SIGTERM or Ctrl-C.

    On the first signal the worker drains: it claims nothing more, lets running jobs finish
    for up to 30 seconds and hands the rest back to the queue, then exits 0. A second signal
    hands running jobs back at once.
    """
    config = load_or_exit(instance_dir)
    # uvloop, as uvicorn uses for `jamii serve`: the worker's loop carries every database
    # round trip and delivery.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        problem = runner.run(_work(config, concurrency or config.jobs.concurrency, once=once))
    if problem is not None:
        fail(problem)


async def _work(config: InstanceConfig, concurrency: int, *, once: bool) -> str | None:
    """Run the worker; a one-line problem if the database cannot be used, else None."""
    missing = _missing_sqlite_file(config.database_url)
    if missing is not None:
        return f"database file {missing} does not exist (run `jamii migrate` first)"
    try:
        engine = create_engine(config.database_url)
    except DatabaseUnavailable as exc:
        return exc.message
    try:
        queue = JobQueue(session_factory(engine))
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                counts = await queue.stats()
        except TimeoutError:
            return f"cannot reach the database: no answer within {CONNECT_TIMEOUT:.0f} s"
        except Exception as exc:
            # Refused, wrong password, no such database, not migrated: the operator's answer
            # is the same one line naming the cause.
            return f"cannot use the database: {describe_connection_error(exc)}"
        async with open_runtime(config) as runtime:
            worker = Worker(
                runtime.queue,
                job_handlers(runtime.federation, runtime.translator),
                concurrency=concurrency,
            )
            backend = "sqlite" if config.is_sqlite else "postgresql"
            logger.info("worker_started", concurrency=concurrency, backend=backend, **counts)
            if once:
                ran = await worker.run_once()
                logger.info("worker_finished", ran=ran, **await _stats(runtime.queue))
                return None
            # Long-running from here on (not for --once, which tests run in their process).
            # The language model is read before the first claim rather than beside the
            # first batches: on SQLite a batch holds the write lock, and one waiting for the
            # model (or sharing the GIL with its reading) keeps every writer waiting.
            await asyncio.to_thread(load_language_model)
            settle_after_start()
            reporter = asyncio.create_task(_report(runtime.queue))
            try:
                # Woken by other processes' transactions that queue jobs (PostgreSQL).
                async with wakeups.listening(config.database_url, worker.wake):
                    await _run_until_signalled(worker)
            finally:
                reporter.cancel()
                await asyncio.gather(reporter, return_exceptions=True)
            logger.info("worker_stopped", **await _stats(runtime.queue))
        return None
    finally:
        await engine.dispose()


def _missing_sqlite_file(url: str) -> Path | None:
    # SQLite would quietly create an empty file at a mistyped path, and a worker polling an
    # empty database looks healthy while the real queue grows elsewhere.
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return None if path.exists() else path


async def _run_until_signalled(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    running = asyncio.create_task(worker.run())

    def on_signal(name: str) -> None:
        if worker.stopping:
            logger.warning("worker_stopping_now", signal=name)
            running.cancel()  # Worker.run releases every running job when cancelled
        else:
            logger.info("worker_stopping", signal=name)
            worker.stop()

    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, on_signal, signum.name)
    try:
        await asyncio.wait({running})
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
    if not running.cancelled():
        running.result()  # surface a bug in the loop rather than exit 0 over it


async def _report(queue: JobQueue) -> None:
    while True:
        await asyncio.sleep(STATS_EVERY)
        logger.info("queue_stats", **await _stats(queue))


async def _stats(queue: JobQueue) -> dict[str, int]:
    # Statistics are for the log; a database blip must not turn a clean exit into a crash.
    with contextlib.suppress(Exception):
        return await queue.stats()
    return {}
