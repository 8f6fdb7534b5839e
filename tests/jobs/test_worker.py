"""The worker stepped one cycle at a time on a real database, and ``jamii worker`` as a process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.cli.worker import worker as worker_command
from fedi.db import migrate
from fedi.db.base import utcnow
from fedi.db.engine import create_engine, session_factory
from fedi.db.models.jobs import Job
from fedi.jobs import (
    ClaimedJob,
    Handler,
    JobContext,
    JobQueue,
    PermanentFailure,
    RetryLater,
    Worker,
    enqueue,
)
from tests.jobs.clock import Clock

# Short enough that a heartbeat happens within a test, long enough for a slow CI database.
LEASE = 0.4
# Only ever reached when something is broken: a hang becomes a failure, not a stuck suite.
PATIENCE = 10.0


@pytest.fixture
def queue(sessions: async_sessionmaker[AsyncSession]) -> JobQueue:
    return JobQueue(sessions, lease_seconds=LEASE)


async def add_job(
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    max_attempts: int = 10,
) -> int:
    async with sessions() as session, session.begin():
        job = await enqueue(session, kind, payload or {}, max_attempts=max_attempts)
    return job.id


async def load(sessions: async_sessionmaker[AsyncSession], job_id: int) -> Job:
    async with sessions() as session:
        job = await session.get(Job, job_id)
    assert job is not None
    return job


async def succeed(payload: Mapping[str, Any], context: JobContext) -> None:
    return None


# --- one cycle at a time --------------------------------------------------------------------


async def test_a_handler_gets_the_payload_and_its_job_is_done(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    job_id = await add_job(sessions, "deliver", {"inbox": "https://sn.example/inbox"})
    seen: list[tuple[Mapping[str, Any], JobContext]] = []

    async def deliver(payload: Mapping[str, Any], context: JobContext) -> None:
        seen.append((payload, context))
        async with context.sessions() as session:  # handlers open their own units of work
            assert await session.get(Job, context.job_id) is not None

    assert await Worker(queue, {"deliver": deliver}).run_once() == 1

    [(payload, context)] = seen
    assert payload == {"inbox": "https://sn.example/inbox"}
    assert (context.job_id, context.kind, context.attempt) == (job_id, "deliver", 1)
    row = await load(sessions, job_id)
    assert (row.state, row.attempts, row.lease_token) == ("done", 1, None)
    assert await Worker(queue, {"deliver": deliver}).run_once() == 0


async def test_a_handler_can_record_its_job_done_in_its_own_commit(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    kept = await add_job(sessions, "store")
    rolled_back = await add_job(sessions, "store")

    async def store(payload: Mapping[str, Any], context: JobContext) -> None:
        async with context.sessions() as session:
            await enqueue(session, "follow-up", {"after": context.job_id})
            await context.complete_in(session)
            if context.job_id == rolled_back:
                await session.rollback()
                raise RuntimeError("the work did not commit")
            await session.commit()

    assert await Worker(queue, {"store": store}).run_once() == 2
    row = await load(sessions, kept)
    assert (row.state, row.lease_token, row.finished_at is not None) == ("done", None, True)
    # Its work and its record were one commit; the other's neither.
    failed = await load(sessions, rolled_back)
    assert (failed.state, failed.last_error) == ("queued", "RuntimeError: the work did not commit")
    async with sessions() as session:
        follow_ups = [
            j.payload for j in (await session.scalars(select(Job))) if j.kind == "follow-up"
        ]
    assert follow_ups == [{"after": kept}]


async def test_a_running_worker_prunes_done_jobs_after_a_week_and_keeps_dead_ones(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    old_done = await add_job(sessions, "deliver")
    fresh_done = await add_job(sessions, "deliver")
    old_dead = await add_job(sessions, "unknown-kind")
    await Worker(queue, {"deliver": succeed}).run_once()
    async with sessions() as session, session.begin():
        for job_id in (old_done, old_dead):
            job = await session.get(Job, job_id)
            assert job is not None
            job.finished_at = utcnow() - timedelta(days=8)

    worker = Worker(queue, {"deliver": succeed}, poll_interval=0.01)
    running = asyncio.create_task(worker.run())
    await asyncio.sleep(0.2)
    worker.stop()
    await asyncio.wait_for(running, PATIENCE)

    async with sessions() as session:
        assert await session.get(Job, old_done) is None
        assert await session.get(Job, fresh_done) is not None
        dead = await session.get(Job, old_dead)
        assert dead is not None
        assert dead.state == "dead"


async def test_handlers_run_concurrently_up_to_the_limit(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    for _ in range(5):
        await add_job(sessions, "translate")
    in_flight = 0
    peak = 0
    three_at_once = asyncio.Event()

    async def translate(payload: Mapping[str, Any], context: JobContext) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 3:
            three_at_once.set()
        # Run one at a time and this waits in vain: the test fails instead of passing.
        async with asyncio.timeout(PATIENCE):
            await three_at_once.wait()
        in_flight -= 1

    worker = Worker(queue, {"translate": translate}, concurrency=3)

    assert await worker.run_once() == 3
    assert peak == 3
    assert await queue.stats() == {"queued": 2, "running": 0, "done": 3, "dead": 0}
    assert await worker.run_once() == 2


async def test_a_job_of_an_unknown_kind_is_dead_with_a_clear_reason(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    job_id = await add_job(sessions, "carrier-pigeon")

    assert await Worker(queue, {"deliver": succeed}).run_once() == 1

    row = await load(sessions, job_id)
    assert row.state == "dead"
    assert row.last_error == "no handler for job kind 'carrier-pigeon' in this worker"


async def test_retry_later_waits_as_long_as_the_peer_asked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    queue = JobQueue(sessions, lease_seconds=LEASE, clock=clock)
    job_id = await add_job(sessions, "deliver")

    async def rate_limited(payload: Mapping[str, Any], context: JobContext) -> None:
        raise RetryLater("429 from sn.example", after=1800)

    await Worker(queue, {"deliver": rate_limited}).run_once()

    row = await load(sessions, job_id)
    assert (row.state, row.attempts) == ("queued", 1)
    assert row.run_at == clock.now + timedelta(seconds=1800)
    assert row.last_error == "RetryLater: 429 from sn.example"


async def test_a_permanent_failure_is_dead_and_never_retried(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    queue = JobQueue(sessions, lease_seconds=LEASE, clock=clock)
    job_id = await add_job(sessions, "deliver")
    calls = 0

    async def gone(payload: Mapping[str, Any], context: JobContext) -> None:
        nonlocal calls
        calls += 1
        raise PermanentFailure("410 Gone")

    worker = Worker(queue, {"deliver": gone})
    await worker.run_once()
    clock.advance(7 * 24 * 3600)
    assert await worker.run_once() == 0

    row = await load(sessions, job_id)
    assert (row.state, row.last_error, calls) == ("dead", "PermanentFailure: 410 Gone", 1)


async def test_an_error_is_retried_until_the_attempts_run_out(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    queue = JobQueue(sessions, lease_seconds=LEASE, clock=clock)
    job_id = await add_job(sessions, "deliver", max_attempts=2)

    async def broken(payload: Mapping[str, Any], context: JobContext) -> None:
        raise ValueError(f"bad actor document on attempt {context.attempt}")

    worker = Worker(queue, {"deliver": broken})
    await worker.run_once()
    row = await load(sessions, job_id)
    assert (row.state, row.last_error) == ("queued", "ValueError: bad actor document on attempt 1")

    clock.advance(24 * 3600)
    await worker.run_once()
    row = await load(sessions, job_id)
    assert (row.state, row.attempts) == ("dead", 2)
    assert row.last_error == "ValueError: bad actor document on attempt 2"


# --- leases while a job runs ----------------------------------------------------------------


async def test_a_long_job_keeps_its_lease_alive(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    job_id = await add_job(sessions, "translate")
    leases: list[datetime | None] = []

    async def long_translation(payload: Mapping[str, Any], context: JobContext) -> None:
        # Finish once the worker's heartbeat has visibly pushed the lease forward.
        async with asyncio.timeout(PATIENCE):
            while len(set(leases)) < 2:
                leases.append((await load(sessions, context.job_id)).lease_expires_at)
                await asyncio.sleep(LEASE / 8)

    await Worker(queue, {"translate": long_translation}).run_once()

    assert leases[0] is not None
    assert leases[-1] is not None
    assert leases[-1] > leases[0]
    assert (await load(sessions, job_id)).state == "done"


async def test_a_worker_that_lost_its_lease_stops_the_handler_and_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    job_id = await add_job(sessions, "deliver")
    # Another worker whose clock says this lease lapsed long ago.
    thief = JobQueue(sessions, lease_seconds=60, clock=lambda: utcnow() + timedelta(hours=1))
    stolen: list[ClaimedJob] = []
    cancelled = asyncio.Event()

    async def deliver(payload: Mapping[str, Any], context: JobContext) -> None:
        stolen.extend(await thief.claim(1))
        try:
            await asyncio.sleep(PATIENCE)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    assert await Worker(queue, {"deliver": deliver}).run_once() == 1

    assert cancelled.is_set()
    [taken] = stolen
    row = await load(sessions, job_id)
    assert (row.state, row.lease_token, row.attempts) == ("running", taken.lease_token, 2)
    assert await thief.complete(taken) is True


# --- the run loop, waking and draining ------------------------------------------------------


async def test_wake_runs_a_fresh_job_without_waiting_for_the_next_poll(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    ran = asyncio.Event()

    async def notify(payload: Mapping[str, Any], context: JobContext) -> None:
        ran.set()

    worker = Worker(queue, {"notify": notify}, poll_interval=3600)
    running = asyncio.create_task(worker.run())
    # Give the loop time for its first, empty claim so that only wake() can find the job.
    await asyncio.sleep(0.05)
    await add_job(sessions, "notify")
    worker.wake()

    async with asyncio.timeout(PATIENCE):
        await ran.wait()
        worker.stop()
        await running


async def test_stopping_lets_the_running_job_finish_and_claims_nothing_new(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    slow_id = await add_job(sessions, "slow")
    started, finish = asyncio.Event(), asyncio.Event()
    fast_ran: list[int] = []

    async def slow(payload: Mapping[str, Any], context: JobContext) -> None:
        started.set()
        await finish.wait()

    async def fast(payload: Mapping[str, Any], context: JobContext) -> None:
        fast_ran.append(context.job_id)

    handlers: dict[str, Handler] = {"slow": slow, "fast": fast}
    worker = Worker(queue, handlers, concurrency=4, poll_interval=0.01, drain_seconds=PATIENCE)
    async with asyncio.timeout(PATIENCE):
        running = asyncio.create_task(worker.run())
        await started.wait()
        worker.stop()
        fast_id = await add_job(sessions, "fast")
        worker.wake()
        finish.set()
        await running

    assert (await load(sessions, slow_id)).state == "done"
    fast_row = await load(sessions, fast_id)
    assert (fast_row.state, fast_row.attempts, fast_ran) == ("queued", 0, [])


async def test_a_job_still_running_after_the_grace_period_goes_back_to_the_queue(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    job_id = await add_job(sessions, "stuck")
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def stuck(payload: Mapping[str, Any], context: JobContext) -> None:
        started.set()
        try:
            await asyncio.sleep(PATIENCE)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = Worker(queue, {"stuck": stuck}, drain_seconds=0.01)
    async with asyncio.timeout(PATIENCE):
        running = asyncio.create_task(worker.run())
        await started.wait()
        worker.stop()
        await running

    assert cancelled.is_set()
    row = await load(sessions, job_id)
    assert (row.state, row.attempts, row.lease_token, row.last_error) == (
        "queued",
        0,
        None,
        None,
    )


async def test_cancelling_a_draining_worker_hands_its_jobs_back_at_once(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    job_id = await add_job(sessions, "stuck")
    started = asyncio.Event()

    async def stuck(payload: Mapping[str, Any], context: JobContext) -> None:
        started.set()
        await asyncio.sleep(PATIENCE)

    worker = Worker(queue, {"stuck": stuck}, drain_seconds=PATIENCE)
    async with asyncio.timeout(PATIENCE / 2):
        running = asyncio.create_task(worker.run())
        await started.wait()
        worker.stop()  # first signal: drain, with a long grace period
        await asyncio.sleep(0)
        running.cancel()  # second signal: stop now
        with pytest.raises(asyncio.CancelledError):
            await running

    row = await load(sessions, job_id)
    assert (row.state, row.attempts, row.lease_token) == ("queued", 0, None)


# --- `jamii worker` -------------------------------------------------------------------------


def make_instance(tmp_path: Path) -> tuple[Path, str]:
    """A minimal instance folder and a migrated SQLite database for it."""
    instance = tmp_path / "t"
    instance.mkdir()
    (instance / "instance.toml").write_text(
        'domain = "127.0.0.1:9"\n\n'
        '[instance]\nname = "T"\ncountry = "KE"\n\n'
        '[languages]\nprimary = "en"\n',
        encoding="utf-8",
    )
    url = f"sqlite+aiosqlite:///{tmp_path / 'jamii.db'}"
    migrate.upgrade(url)
    return instance, url


def enqueue_now(url: str, kind: str) -> int:
    async def add() -> int:
        engine = create_engine(url)
        try:
            return await add_job(session_factory(engine), kind)
        finally:
            await engine.dispose()

    return asyncio.run(add())


def state_of(url: str, job_id: int) -> str:
    async def read() -> str:
        engine = create_engine(url)
        try:
            return (await load(session_factory(engine), job_id)).state
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_the_worker_process_drains_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    instance, url = make_instance(tmp_path)
    environment = {**os.environ, "JAMII_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "fedi", "worker", "--instance", str(instance)],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # A worker that never starts must fail the test, not hang it.
    watchdog = threading.Timer(30, process.kill)
    watchdog.start()
    try:
        output: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "worker_running" in line:
                break
        assert any("worker_running" in line for line in output), "".join(output)

        process.send_signal(signal.SIGTERM)
        remaining, _ = process.communicate()
    finally:
        watchdog.cancel()
        process.kill()
        process.wait()

    log = "".join(output) + remaining
    assert process.returncode == 0, log
    assert "worker_stopped" in log


def test_worker_once_runs_due_jobs_and_exits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, url = make_instance(tmp_path)
    job_id = enqueue_now(url, "no-such-kind")  # the registry is empty: the job dies
    monkeypatch.setenv("JAMII_DATABASE_URL", url)

    result = CliRunner().invoke(worker_command, ["--instance", str(instance), "--once"])

    assert result.exit_code == 0, result.output
    assert state_of(url, job_id) == "dead"


def test_a_missing_sqlite_file_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, _ = make_instance(tmp_path)
    missing = tmp_path / "typo" / "jamii.db"
    monkeypatch.setenv("JAMII_DATABASE_URL", f"sqlite+aiosqlite:///{missing}")

    result = CliRunner().invoke(worker_command, ["--instance", str(instance), "--once"])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: database file {missing} does not exist (run `jamii migrate` first)"
    ]
    assert not missing.parent.exists()


def test_a_database_server_it_cannot_reach_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, _ = make_instance(tmp_path)
    # Nothing listens on port 1: the connection is refused at once.
    monkeypatch.setenv("JAMII_DATABASE_URL", "postgresql+asyncpg://jamii@127.0.0.1:1/jamii")

    result = CliRunner().invoke(worker_command, ["--instance", str(instance), "--once"])

    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("error: cannot use the database: ConnectionRefusedError")
