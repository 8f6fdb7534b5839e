"""The worker: runs claimed jobs through their handlers, keeps their leases alive, drains.

A handler is an async function of ``(payload, context)``. It succeeds by returning, asks for
a later retry by raising ``RetryLater``, gives up by raising ``PermanentFailure``; any other
exception is retried with backoff until the job's attempts run out. Handlers must be safe to
run more than once for the same job (delivery is at least once: a worker can die after the
side effect and before recording it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.typing import FilteringBoundLogger

from fedi.db.base import utcnow
from fedi.jobs.completions import Completions
from fedi.jobs.handover import Handover
from fedi.jobs.queue import ClaimedJob, JobQueue

logger: FilteringBoundLogger = structlog.get_logger(__name__)

T = TypeVar("T")


class RetryLater(Exception):
    """Try again later, at least ``after`` seconds from now (e.g. 429 with Retry-After)."""

    def __init__(self, reason: str, *, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class PermanentFailure(Exception):
    """Retrying cannot help (e.g. 410 Gone): the job is marked dead at once."""


@dataclass
class JobContext:
    """What a handler knows about the job it runs; ``sessions`` opens its own units of work.

    A handler whose work is one database transaction may call ``complete_in(session)``
    before committing it: the job is then marked done in that same commit, which saves the
    worker a transaction per job and makes the work and its record one fact.

    A handler that queues jobs its worker should start at once wraps its transaction in
    ``handing_over()`` and passes the handover to ``enqueue_many`` (``fedi.jobs.handover``).
    """

    job_id: int
    kind: str
    attempt: int
    sessions: async_sessionmaker[AsyncSession]
    queue: JobQueue | None = None
    lease_token: str | None = None
    # Set by the worker that runs the job: asks it for its free slots.
    handovers: Callable[[], Handover | None] | None = None
    # None: not settled by the handler; True/False: settled with the lease held / lost.
    completed: bool | None = field(default=None, init=False)

    async def complete_in(self, session: AsyncSession) -> None:
        """Mark this job done inside the handler's transaction (it takes effect on commit)."""
        if self.queue is None or self.lease_token is None:
            return  # run outside a worker (tests): nothing to record
        self.completed = await self.queue.complete_in(session, self.job_id, self.lease_token)

    @contextlib.contextmanager
    def handing_over(self) -> Iterator[Handover | None]:
        """Wrap the transaction that queues the jobs: they start when it has committed (the
        block ended without an exception). None outside a worker or with no slot free."""
        handover = self.handovers() if self.handovers is not None else None
        if handover is None:
            yield None
            return
        try:
            yield handover
        except BaseException:
            handover.cancel()
            raise
        handover.start()


Handler = Callable[[Mapping[str, Any], JobContext], Awaitable[None]]


class Worker:
    """Runs up to ``concurrency`` jobs at once as asyncio tasks.

    ``run()`` loops until ``stop()``; then it claims nothing more, lets running jobs finish for
    up to ``drain_seconds`` and releases the leases of those still running, so they run again
    at once elsewhere without counting as a failed attempt.
    """

    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 4,
        poll_interval: float = 1.0,
        drain_seconds: float = 30.0,
        keep_done: timedelta = timedelta(days=7),
        prune_every: float = 3600.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._queue = queue
        self._handlers = dict(handlers)
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._drain_seconds = drain_seconds
        # Finished jobs are kept a week for operators to inspect, then deleted, so the
        # table (and its indexes) stay the size of the work in flight.
        self._keep_done = keep_done
        self._prune_every = prune_every
        self._next_prune = time.monotonic()
        # Renewing at half the lease leaves the other half for a slow database round trip.
        self._renew_every = queue.lease_seconds / 2
        self._running: set[asyncio.Task[None]] = set()
        # Slots set aside for jobs a running handler is queueing (``handover``).
        self._reserved = 0
        self._completions = Completions(queue)
        self._stopping = False
        # Set by wake(), stop() and every finished job: each is a reason to look again.
        self._signal = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Begin draining: claim nothing more; ``run()`` returns once running jobs are settled."""
        self._stopping = True
        self._signal.set()

    def wake(self) -> None:
        """Poll now rather than at the next interval (a job was just committed in this process).

        Call it from the worker's event loop thread.
        """
        self._signal.set()

    async def run_once(self) -> int:
        """Claim one batch (up to ``concurrency``), run it to the end; return how many ran."""
        batch = await self._queue.claim(self._concurrency)
        # No handovers: the jobs a handler queues wait for the next run_once, as callers
        # stepping the queue by hand (tests, the CLI) expect.
        await asyncio.gather(*(self._execute(job, handovers=False) for job in batch))
        return len(batch)

    async def run(self) -> None:
        """Run jobs until ``stop()``, then drain. Cancelling it releases running jobs at once."""
        logger.info("worker_running", concurrency=self._concurrency)
        try:
            while not self._stopping:
                self._signal.clear()
                await self._prune_if_due()
                free = self._free()
                if free > 0 and await self._claim_and_start(free) == free:
                    continue  # a full batch: more may be waiting
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_interval):
                        await self._signal.wait()
            await self._drain()
        except asyncio.CancelledError:
            # Also while draining: a second SIGTERM must not wait out the grace period.
            await self._abandon(set(self._running))
            raise

    def _free(self) -> int:
        return self._concurrency - len(self._running) - self._reserved

    def handover(self) -> Handover | None:
        """Set aside the free slots for jobs a running handler is queueing (its context's
        ``handing_over``); None when stopping or full."""
        free = self._free()
        if free <= 0 or self._stopping:
            return None
        self._reserved += free
        return Handover(free, self._queue.lease_expiry(), self._adopt, self._give_back)

    def _give_back(self, slots: int) -> None:
        self._reserved -= slots
        self._signal.set()

    def _adopt(self, batch: list[ClaimedJob]) -> None:
        for job in batch:
            self._start(job)

    async def _prune_if_due(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + self._prune_every
        try:
            pruned = await self._queue.prune(finished_before=utcnow() - self._keep_done)
        except Exception as exc:
            logger.warning("prune_failed", error_type=type(exc).__name__)
            return
        if pruned:
            logger.info("jobs_pruned", count=pruned)

    async def _claim_and_start(self, limit: int) -> int:
        try:
            batch = await self._queue.claim(limit)
        except Exception as exc:
            # The database is down or busy: keep the worker alive and try again next poll.
            # Only the type: SQLAlchemy messages quote statement parameters.
            logger.warning("claim_failed", error_type=type(exc).__name__)
            return 0
        for job in batch:
            self._start(job)
        return len(batch)

    def _start(self, job: ClaimedJob) -> None:
        task = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._signal.set()

    async def _drain(self) -> None:
        if not self._running:
            return
        logger.info("worker_draining", running=len(self._running), grace=self._drain_seconds)
        deadline = time.monotonic() + self._drain_seconds
        # Until none is left: a job finishing during the drain may hand over the jobs it
        # queued (fedi.jobs.handover), which join the running set and are drained too.
        while self._running and (left := deadline - time.monotonic()) > 0:
            await asyncio.wait(set(self._running), timeout=left)
        await self._abandon(set(self._running))

    async def _abandon(self, tasks: set[asyncio.Task[None]]) -> None:
        # Each job task releases its own lease when cancelled (see _execute).
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _execute(self, job: ClaimedJob, *, handovers: bool = True) -> None:
        log = logger.bind(job_id=job.id, kind=job.kind, attempt=job.attempt)
        handler = self._handlers.get(job.kind)
        if handler is None:
            log.error("job_dead", reason="no handler")
            await self._record(log, self._queue.fail(job, _no_handler(job.kind), permanent=True))
            return
        context = JobContext(
            job.id,
            job.kind,
            job.attempt,
            self._queue.sessions,
            self._queue,
            job.lease_token,
            self.handover if handovers else None,
        )
        started = time.monotonic()
        work = asyncio.create_task(_call(handler, job.payload, context))
        try:
            lease_held = await self._heartbeat(job, work, log)
        except asyncio.CancelledError:
            # Draining past the grace period (or the worker itself was cancelled): stop the
            # handler and hand the job back without charging it an attempt.
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            await self._record(log, self._queue.release(job))
            log.info("job_released")
            raise
        if not lease_held:
            log.warning("job_lease_lost")
            return
        seconds = round(time.monotonic() - started, 3)
        error = work.exception() if not work.cancelled() else asyncio.CancelledError()
        if error is None:
            if context.completed is not None:
                # Recorded in the handler's own commit.
                if context.completed:
                    log.info("job_done", seconds=seconds)
                else:
                    log.warning("job_lease_lost", seconds=seconds)
                return
            if await self._record(log, self._completions.complete(job)) is False:
                log.warning("job_lease_lost", seconds=seconds)
            else:
                log.info("job_done", seconds=seconds)
            return
        permanent = isinstance(error, PermanentFailure)
        after = error.after if isinstance(error, RetryLater) else None
        if permanent or job.attempt >= job.max_attempts:
            log.warning("job_dead", error_type=type(error).__name__, seconds=seconds)
        elif isinstance(error, RetryLater):
            log.info("job_retry_later", after=after, seconds=seconds)
        else:
            log.warning("job_failed", error_type=type(error).__name__, seconds=seconds)
        failure = self._queue.fail(job, _describe(error), after=after, permanent=permanent)
        await self._record(log, failure)

    async def _heartbeat(
        self, job: ClaimedJob, work: asyncio.Task[None], log: FilteringBoundLogger
    ) -> bool:
        """Wait for the handler, renewing the lease; False (handler cancelled) if it was lost."""
        while True:
            done, _ = await asyncio.wait({work}, timeout=self._renew_every)
            if done:
                return True
            try:
                renewed = await self._queue.renew(job)
            except Exception as exc:
                # The lease is still good for half its length; the next beat may get through.
                log.warning("lease_renew_failed", error_type=type(exc).__name__)
                continue
            if not renewed:
                # Another worker holds the job now: running on would do its work twice.
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
                return False

    async def _record(self, log: FilteringBoundLogger, settlement: Awaitable[T]) -> T | None:
        try:
            return await settlement
        except Exception as exc:
            # The lease will lapse and another claim retries the job: at least once, not lost.
            log.error("job_settle_failed", error_type=type(exc).__name__)
            return None


async def _call(handler: Handler, payload: Mapping[str, Any], context: JobContext) -> None:
    # A coroutine wrapper so that a handler failing before its first await (or a plain
    # function raising) surfaces as the task's exception like any other failure.
    await handler(payload, context)


def _no_handler(kind: str) -> str:
    return f"no handler for job kind {kind!r} in this worker"


def _describe(error: BaseException) -> str:
    message = str(error).strip()
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
