"""Jobs a handler queues start on its own worker's free slots once it commits; finished jobs
are marked done together. Both databases, a real running ``Worker``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.db.models.jobs import Job
from fedi.jobs import JobContext, JobQueue, Worker, enqueue_many
from tests.jobs.test_worker import PATIENCE, add_job, load


def queue_of(sessions: async_sessionmaker[AsyncSession]) -> JobQueue:
    # Leases long enough that no test sees one lapse: a handed-over job must run because it
    # was handed over, not because its lease ran out and it was claimed again.
    return JobQueue(sessions, lease_seconds=60)


async def children(sessions: async_sessionmaker[AsyncSession]) -> list[Job]:
    async with sessions() as session:
        return list(await session.scalars(select(Job).where(Job.kind == "child")))


class Family:
    """A ``parent`` handler queueing ``count`` children through a handover, and a ``child``
    handler recording what it ran; ``fail`` makes the parent's transaction roll back."""

    def __init__(self, count: int, *, fail: bool = False) -> None:
        self.count = count
        self.fail = fail
        self.seen_in_transaction: list[tuple[str, int]] = []  # children's (state, attempts)
        self.ran: list[int] = []
        self.all_ran = asyncio.Event()
        self.parent_done = asyncio.Event()

    async def parent(self, payload: Mapping[str, Any], context: JobContext) -> None:
        try:
            with context.handing_over() as handover:
                async with context.sessions() as session, session.begin():
                    await enqueue_many(
                        session,
                        "child",
                        [{"n": n} for n in range(self.count)],
                        handover=handover,
                    )
                    rows = await session.scalars(select(Job).where(Job.kind == "child"))
                    self.seen_in_transaction = [(job.state, job.attempts) for job in rows]
                    if self.fail:
                        raise RuntimeError("the parent's work did not commit")
                    await context.complete_in(session)
        finally:
            self.parent_done.set()

    async def child(self, payload: Mapping[str, Any], context: JobContext) -> None:
        self.ran.append(payload["n"])
        if len(self.ran) == self.count:
            self.all_ran.set()


class Arrivals:
    """A handler counting its jobs: ``all_in`` is set by the ``expected``-th; with ``hold``
    each waits for it, so all of them must run at the same time for any to finish."""

    def __init__(self, expected: int, *, hold: bool = False) -> None:
        self.expected = expected
        self.hold = hold
        self.count = 0
        self.all_in = asyncio.Event()

    async def __call__(self, payload: Mapping[str, Any], context: JobContext) -> None:
        self.count += 1
        if self.count == self.expected:
            self.all_in.set()
        if self.hold:
            async with asyncio.timeout(PATIENCE):
                await self.all_in.wait()


async def run_until(worker: Worker, event: asyncio.Event) -> None:
    running = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(PATIENCE):
            await event.wait()
    finally:
        worker.stop()
        await asyncio.wait_for(running, PATIENCE)


async def test_children_start_on_the_free_slots_without_a_claim_and_the_rest_are_queued(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    family = Family(count=5)
    parent_id = await add_job(sessions, "parent")
    queue = queue_of(sessions)
    claims: list[int] = []
    claim = queue.claim

    async def counted_claim(limit: int, kinds: Any = None) -> Any:
        claimed = await claim(limit, kinds)
        claims.extend(job.id for job in claimed)
        return claimed

    queue.claim = counted_claim  # type: ignore[method-assign]
    # Three slots: the parent holds one, so two children are handed over, three queued.
    worker = Worker(
        queue, {"parent": family.parent, "child": family.child}, concurrency=3, poll_interval=0.05
    )
    await run_until(worker, family.all_ran)

    assert sorted(family.ran) == [0, 1, 2, 3, 4]
    # Inside the parent's transaction two children were already leased, first attempt counted.
    assert sorted(family.seen_in_transaction) == [("queued", 0)] * 3 + [("running", 1)] * 2
    rows = await children(sessions)
    assert {(job.state, job.attempts, job.lease_token) for job in rows} == {("done", 1, None)}
    # The worker claimed the parent and the three queued children, never a handed-over one.
    handed_over = {job.id for job in rows} - set(claims)
    assert len(handed_over) == 2
    assert parent_id in claims
    parent = await load(sessions, parent_id)
    assert parent.state == "done"


async def test_a_rolled_back_handover_leaves_no_rows_and_gives_its_slots_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    failing = Family(count=3, fail=True)
    parent_id = await add_job(sessions, "parent", max_attempts=1)
    queue = queue_of(sessions)
    worker = Worker(queue, {"parent": failing.parent}, concurrency=4, poll_interval=0.05)
    await run_until(worker, failing.parent_done)

    assert [state for state, _ in failing.seen_in_transaction].count("running") == 3
    assert await children(sessions) == []
    assert (await load(sessions, parent_id)).state == "dead"
    # All four slots are free again: four jobs run at once.
    together = Arrivals(4, hold=True)
    for _ in range(4):
        await add_job(sessions, "wait")
    worker = Worker(queue, {"wait": together}, concurrency=4, poll_interval=0.05)
    await run_until(worker, together.all_in)


async def test_stepping_the_queue_by_hand_hands_nothing_over(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    family = Family(count=2)
    await add_job(sessions, "parent")
    worker = Worker(queue_of(sessions), {"parent": family.parent, "child": family.child})

    assert await worker.run_once() == 1
    assert family.ran == []
    assert {job.state for job in await children(sessions)} == {"queued"}
    assert await worker.run_once() == 2
    assert sorted(family.ran) == [0, 1]


async def test_completions_arriving_together_are_one_update_and_a_lost_lease_is_not_marked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for _ in range(6):
        await add_job(sessions, "quick")
    queue = queue_of(sessions)
    batches: list[int] = []
    complete_many = queue.complete_many

    async def counted(claimed: Any) -> set[int]:
        batches.append(len(claimed))
        return await complete_many(claimed)

    queue.complete_many = counted  # type: ignore[method-assign]
    quick = Arrivals(6)
    worker = Worker(queue, {"quick": quick}, concurrency=6, poll_interval=0.05)
    await run_until(worker, quick.all_in)  # the worker returns once every job is settled
    assert sum(batches) == 6
    async with sessions() as session:
        states = set(await session.scalars(select(Job.state)))
    assert states == {"done"}
    # Six jobs finishing in the same moment: fewer transactions than jobs.
    assert len(batches) < 6

    # A job whose lease another worker took is not marked done by the old holder.
    await add_job(sessions, "quick")
    [mine] = await queue.claim(1)
    async with sessions() as session, session.begin():
        job = await session.get(Job, mine.id)
        assert job is not None
        job.lease_token = "someone-else"
    assert await queue.complete_many([mine]) == set()
    assert (await load(sessions, mine.id)).state == "running"


async def test_jobs_handed_over_while_the_worker_drains_are_drained_too(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    in_transaction = asyncio.Event()
    may_commit = asyncio.Event()

    async def slow_parent(payload: Mapping[str, Any], context: JobContext) -> None:
        with context.handing_over() as handover:
            async with context.sessions() as session, session.begin():
                await enqueue_many(
                    session, "child", [{"n": n} for n in range(3)], handover=handover
                )
                in_transaction.set()
                await may_commit.wait()

    finished: list[int] = []

    async def slow_child(payload: Mapping[str, Any], context: JobContext) -> None:
        await asyncio.sleep(0.2)  # still running when the parent's task is done
        finished.append(payload["n"])

    await add_job(sessions, "parent")
    worker = Worker(
        queue_of(sessions), {"parent": slow_parent, "child": slow_child}, poll_interval=0.05
    )
    running = asyncio.create_task(worker.run())
    async with asyncio.timeout(PATIENCE):
        await in_transaction.wait()
    worker.stop()  # draining: the parent still runs, its children not yet started
    may_commit.set()
    await asyncio.wait_for(running, PATIENCE)

    # run() returned only after the children it was handed had run, not leaving them leased.
    assert sorted(finished) == [0, 1, 2]
    assert {job.state for job in await children(sessions)} == {"done"}
