"""The job queue on a real database: the outbox, leased claims, retries, and the backoff curve."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.db.engine import create_engine, session_factory
from fedi.db.models.jobs import Job
from fedi.jobs.backoff import (
    BASE_SECONDS,
    CAP_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    backoff_ceiling,
    backoff_delay,
    longest_span,
)
from fedi.jobs.queue import ERROR_LIMIT, MAX_RETRY_AFTER, ClaimedJob, JobQueue, enqueue
from tests.conftest import Database
from tests.jobs.clock import Clock

LEASE = 60.0


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> JobQueue:
    return JobQueue(sessions, lease_seconds=LEASE, clock=clock, rng=random.Random(7))


async def add_jobs(
    sessions: async_sessionmaker[AsyncSession],
    count: int = 1,
    *,
    kind: str = "deliver",
    run_at: datetime | None = None,
    max_attempts: int = 10,
) -> list[int]:
    async with sessions() as session, session.begin():
        jobs = [
            await enqueue(session, kind, {"n": n}, run_at=run_at, max_attempts=max_attempts)
            for n in range(count)
        ]
    return [job.id for job in jobs]


async def load(sessions: async_sessionmaker[AsyncSession], job_id: int) -> Job:
    async with sessions() as session:
        job = await session.get(Job, job_id)
    assert job is not None
    return job


async def claim_one(queue: JobQueue) -> ClaimedJob:
    claimed = await queue.claim(1)
    assert len(claimed) == 1
    return claimed[0]


# --- the outbox -----------------------------------------------------------------------------


async def test_a_job_is_invisible_until_its_cause_commits(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    async with sessions() as session:
        job = await enqueue(session, "deliver", {"inbox": "https://sn.example/inbox"})
        await session.flush()
        assert (await queue.stats())["queued"] == 0
        await session.commit()

    claimed = await claim_one(queue)
    assert (claimed.id, claimed.kind, claimed.attempt) == (job.id, "deliver", 1)
    assert claimed.payload == {"inbox": "https://sn.example/inbox"}


async def test_a_rolled_back_job_never_existed(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    async with sessions() as session:
        await enqueue(session, "deliver", {})
        await session.flush()
        await session.rollback()

    assert await queue.claim(10) == []
    assert await queue.stats() == {"queued": 0, "running": 0, "done": 0, "dead": 0}


async def test_enqueue_refuses_a_naive_run_at_and_zero_attempts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        with pytest.raises(ValueError, match="timezone"):
            await enqueue(session, "deliver", {}, run_at=datetime(2030, 1, 1))
        with pytest.raises(ValueError, match="max_attempts"):
            await enqueue(session, "deliver", {}, max_attempts=0)


# --- claiming -------------------------------------------------------------------------------


async def test_two_workers_claiming_at_once_never_share_a_job(
    database: Database, sessions: async_sessionmaker[AsyncSession]
) -> None:
    wanted = set(await add_jobs(sessions, 60))
    other_engine = create_engine(database.url)
    try:
        queues = [
            JobQueue(sessions, lease_seconds=LEASE),
            JobQueue(session_factory(other_engine), lease_seconds=LEASE),
        ]
        seen: list[int] = []
        # SKIP LOCKED may hand a claimer fewer jobs than it asked for while the other holds
        # locks, so keep claiming in concurrent rounds until the queue is empty.
        for _ in range(20):
            rounds = await asyncio.gather(*(queues[n % 2].claim(5) for n in range(12)))
            batch = [job.id for claimed in rounds for job in claimed]
            if not batch:
                break
            seen.extend(batch)
    finally:
        await other_engine.dispose()

    assert len(seen) == len(set(seen)), "a job was claimed twice"
    assert set(seen) == wanted


async def test_claims_take_the_oldest_due_jobs_first_up_to_the_limit(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    earlier = clock.now - timedelta(minutes=5)
    [late] = await add_jobs(sessions)
    [early] = await add_jobs(sessions, run_at=earlier)
    await add_jobs(sessions, 3)

    first = await queue.claim(2)

    assert {job.id for job in first} == {early, late}
    assert len(await queue.claim(10)) == 3


async def test_a_job_due_later_is_not_claimed_before_its_time(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    [job_id] = await add_jobs(sessions, run_at=clock.now + timedelta(hours=1))

    assert await queue.claim(10) == []
    clock.advance(3600)
    assert [job.id for job in await queue.claim(10)] == [job_id]


async def test_claims_can_be_limited_to_some_kinds(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    [translate] = await add_jobs(sessions, kind="translate")
    await add_jobs(sessions, kind="deliver")

    assert await queue.claim(10, kinds=[]) == []
    assert [job.id for job in await queue.claim(10, kinds={"translate"})] == [translate]


# --- leases ---------------------------------------------------------------------------------


async def test_a_lapsed_lease_lets_another_worker_take_over(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    await add_jobs(sessions)
    first = await claim_one(queue)
    other = JobQueue(sessions, lease_seconds=LEASE, clock=clock)

    assert await other.claim(1) == [], "a live lease is not claimable"
    clock.advance(LEASE + 1)  # the first worker died or stalled
    second = await claim_one(other)

    assert (second.id, second.attempt) == (first.id, 2)
    assert await queue.complete(first) is False
    assert await queue.renew(first) is False
    await queue.fail(first, "late failure")
    await queue.release(first)
    row = await load(sessions, first.id)
    assert (row.state, row.lease_token, row.attempts, row.last_error) == (
        "running",
        second.lease_token,
        2,
        None,
    )

    assert await other.complete(second) is True
    row = await load(sessions, first.id)
    assert (row.state, row.lease_token, row.finished_at) == ("done", None, clock.now)


async def test_renewing_a_lease_keeps_other_workers_away(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    await add_jobs(sessions)
    job = await claim_one(queue)

    clock.advance(LEASE * 0.9)
    assert await queue.renew(job) is True
    clock.advance(LEASE * 0.9)  # past the first lease, inside the renewed one
    assert await queue.claim(1) == []
    clock.advance(LEASE * 0.2)
    assert [again.id for again in await queue.claim(1)] == [job.id]


async def test_a_lease_lapsing_on_the_last_attempt_buries_the_job(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    [job_id] = await add_jobs(sessions, max_attempts=1)
    await claim_one(queue)

    clock.advance(LEASE + 1)  # the job killed its worker on its only attempt

    assert await queue.claim(1) == []
    row = await load(sessions, job_id)
    assert row.state == "dead"
    assert row.last_error is not None
    assert "lease expired" in row.last_error


async def test_release_hands_the_job_back_without_counting_an_attempt(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    await add_jobs(sessions)
    job = await claim_one(queue)

    await queue.release(job)

    row = await load(sessions, job.id)
    assert (row.state, row.attempts, row.lease_token, row.last_error) == ("queued", 0, None, None)
    assert (await claim_one(queue)).attempt == 1


# --- failures and retries -------------------------------------------------------------------


async def test_a_failed_attempt_is_retried_after_a_jittered_backoff(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    queue = JobQueue(sessions, lease_seconds=LEASE, clock=clock, rng=random.Random(3))
    await add_jobs(sessions)
    job = await claim_one(queue)

    await queue.fail(job, "TimeoutError: sn.example did not answer")

    expected = backoff_delay(1, random.Random(3))
    row = await load(sessions, job.id)
    assert (row.state, row.attempts, row.lease_token) == ("queued", 1, None)
    assert row.last_error == "TimeoutError: sn.example did not answer"
    assert row.run_at == clock.now + timedelta(seconds=expected)
    assert await queue.claim(1) == []
    clock.advance(BASE_SECONDS)
    assert (await claim_one(queue)).attempt == 2


async def test_retry_after_from_a_peer_is_honoured_when_longer_than_the_backoff(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    await add_jobs(sessions)
    job = await claim_one(queue)

    await queue.fail(job, "RetryLater: 429", after=3600)

    assert (await load(sessions, job.id)).run_at == clock.now + timedelta(seconds=3600)


async def test_retry_after_shorter_than_the_backoff_waits_for_the_backoff(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    queue = JobQueue(sessions, lease_seconds=LEASE, clock=clock, rng=random.Random(5))
    await add_jobs(sessions)
    job = await claim_one(queue)

    await queue.fail(job, "RetryLater: 429", after=0.001)

    expected = max(0.001, backoff_delay(1, random.Random(5)))
    assert (await load(sessions, job.id)).run_at == clock.now + timedelta(seconds=expected)


async def test_an_absurd_retry_after_is_capped_at_a_day(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    await add_jobs(sessions)
    job = await claim_one(queue)

    await queue.fail(job, "RetryLater: 429", after=365 * 24 * 3600)

    assert (await load(sessions, job.id)).run_at == clock.now + timedelta(seconds=MAX_RETRY_AFTER)


async def test_a_permanent_failure_is_dead_at_once(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    await add_jobs(sessions)
    job = await claim_one(queue)

    await queue.fail(job, "PermanentFailure: 410 Gone", permanent=True)

    row = await load(sessions, job.id)
    assert (row.state, row.attempts, row.finished_at) == ("dead", 1, clock.now)
    assert row.last_error == "PermanentFailure: 410 Gone"
    clock.advance(CAP_SECONDS * 10)
    assert await queue.claim(1) == []


async def test_a_job_that_used_up_its_attempts_is_dead(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    [job_id] = await add_jobs(sessions, max_attempts=2)
    await queue.fail(await claim_one(queue), "boom 1")
    clock.advance(CAP_SECONDS)
    await queue.fail(await claim_one(queue), "boom 2")

    row = await load(sessions, job_id)
    assert (row.state, row.attempts, row.last_error) == ("dead", 2, "boom 2")
    clock.advance(CAP_SECONDS)
    assert await queue.claim(1) == []


async def test_a_long_error_is_cut_short(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    await add_jobs(sessions)
    job = await claim_one(queue)

    await queue.fail(job, "x" * 50_000, permanent=True)

    assert (await load(sessions, job.id)).last_error == "x" * ERROR_LIMIT


# --- what operators see ---------------------------------------------------------------------


async def test_stats_count_jobs_in_every_state(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> None:
    await add_jobs(sessions, 5)
    done, dead, _running = await queue.claim(3)
    await queue.complete(done)
    await queue.fail(dead, "gone", permanent=True)

    assert await queue.stats() == {"queued": 2, "running": 1, "done": 1, "dead": 1}


async def test_prune_deletes_old_done_jobs_and_keeps_dead_ones(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, clock: Clock
) -> None:
    await add_jobs(sessions, 2)
    done, dead = await queue.claim(2)
    await queue.complete(done)
    await queue.fail(dead, "gone", permanent=True)

    assert await queue.prune(finished_before=clock.now) == 0
    assert await queue.prune(finished_before=clock.now + timedelta(seconds=1)) == 1
    assert await queue.stats() == {"queued": 0, "running": 0, "done": 0, "dead": 1}


# --- the backoff curve (pure) ---------------------------------------------------------------


def test_the_backoff_ceiling_doubles_from_thirty_seconds_up_to_six_hours() -> None:
    ceilings = [backoff_ceiling(n) for n in range(1, 40)]

    assert ceilings[:4] == [30.0, 60.0, 120.0, 240.0]
    assert all(a <= b for a, b in itertools.pairwise(ceilings))
    assert max(ceilings) == CAP_SECONDS == 6 * 3600
    assert ceilings[-1] == CAP_SECONDS
    assert backoff_ceiling(10**9) == CAP_SECONDS  # no overflow on absurd attempt counts


def test_backoff_jitter_covers_the_upper_half_below_the_ceiling() -> None:
    rng = random.Random(42)
    delays = [backoff_delay(4, rng) for _ in range(2000)]

    assert all(120.0 <= delay <= 240.0 for delay in delays)
    # Equal jitter: draws reach both ends of [ceiling/2, ceiling], not a narrow band.
    assert min(delays) < 120.0 * 1.05
    assert max(delays) > 240.0 * 0.95


def test_backoff_is_reproducible_with_a_seeded_random() -> None:
    first = [backoff_delay(n, random.Random(9)) for n in range(1, 12)]
    second = [backoff_delay(n, random.Random(9)) for n in range(1, 12)]

    assert first == second


def test_backoff_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        backoff_ceiling(0)
    with pytest.raises(ValueError, match="base"):
        backoff_ceiling(1, base=60, cap=30)


def test_how_long_ten_attempts_keep_trying() -> None:
    # Nine waits of 30 s doubling: at most 30·(2^9 − 1) s, about 4 h 15 min (docs/jobs.md).
    assert longest_span(10) == 30.0 * (2**9 - 1)
    assert longest_span(1) == 0


def test_the_default_attempts_keep_trying_for_about_two_days() -> None:
    # SECURITY.md: deliveries retry over about two days before giving up.
    longest = longest_span(DEFAULT_MAX_ATTEMPTS)
    assert longest / 2 > 24 * 3600  # even the unluckiest draw keeps trying over a day
    assert 40 * 3600 < longest * 0.75 < 56 * 3600  # two days on average
