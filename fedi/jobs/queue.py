"""The job queue: enqueueing inside the caller's transaction, and leased claims for workers.

Every operation after ``claim`` matches on ``(id, lease_token)``: a worker whose lease lapsed
and was taken over by another worker changes nothing. Claims and settlements are single,
short transactions written in SQLAlchemy Core, because they are the hot path of every worker.
"""

from __future__ import annotations

import contextlib
import random
import secrets
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from fedi.db.base import utcnow
from fedi.db.models.jobs import Job
from fedi.ids import new_id
from fedi.jobs.backoff import DEFAULT_MAX_ATTEMPTS, backoff_delay
from fedi.jobs.writer_lock import WriterLock

if TYPE_CHECKING:
    from fedi.jobs.handover import Handover

jobs = cast(Table, Job.__table__)

# last_error is for operators reading why a job died, not an archive of tracebacks.
ERROR_LIMIT = 1000
BURY_EVERY = timedelta(seconds=5)
# A peer may ask us to wait (Retry-After), but not to park a job for months.
MAX_RETRY_AFTER = 24 * 3600.0


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: Mapping[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a job to the caller's unit of work, without committing.

    The job becomes visible to workers when the caller commits, together with the row that
    caused it (the transactional outbox), and disappears if the caller rolls back.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if run_at is not None and run_at.tzinfo is None:
        # Fail here, at the caller's line, rather than at commit inside the column type.
        raise ValueError("run_at must be timezone-aware")
    job = Job(
        id=new_id(),  # known at once: a caller may hand it to another job before flushing
        kind=kind,
        payload=dict(payload),
        state="queued",
        attempts=0,
        max_attempts=max_attempts,
        run_at=run_at or utcnow(),
    )
    session.add(job)
    return job


async def enqueue_many(
    session: AsyncSession,
    kind: str,
    payloads: Collection[Mapping[str, Any]],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    handover: Handover | None = None,
) -> int:
    """``enqueue`` for many jobs of one kind at once (a post's deliveries): one multi-row
    INSERT in the caller's transaction instead of an ORM object each. Returns how many.

    With a ``handover`` (``JobContext.handing_over``), as many jobs as it has slots for are
    inserted already leased to the caller's worker, which starts them once the caller
    commits (``fedi.jobs.handover``); the rest are queued."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if not payloads:
        return 0
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for payload in payloads:
        job_id = new_id()
        data = dict(payload)
        row: dict[str, Any] = {
            "id": job_id,
            "kind": kind,
            "payload": data,
            "state": "queued",
            "attempts": 0,
            "max_attempts": max_attempts,
            "run_at": now,
            "created_at": now,
            "lease_token": None,
            "lease_expires_at": None,
        }
        if handover is not None and handover.lease(job_id, kind, data, max_attempts):
            row |= {
                "state": "running",
                "attempts": 1,
                "lease_token": handover.token,
                "lease_expires_at": handover.expires_at,
            }
        rows.append(row)
    await session.execute(jobs.insert(), rows)
    return len(rows)


@dataclass(frozen=True)
class ClaimedJob:
    """A job leased to one worker: ``lease_token`` proves the lease in every later call."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    attempt: int  # 1-based: the attempt now running
    max_attempts: int
    lease_token: str


class JobQueue:
    """Claims, settles and counts jobs. Safe to share between tasks and across processes.

    ``clock`` is injectable so tests can move time (lease expiry, ``run_at``) without
    sleeping. Lease times come from the workers' clocks, so worker machines need NTP.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lease_seconds: float = 300.0,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.sessions = sessions
        self.lease_seconds = lease_seconds
        self._clock = clock
        # Jitter only spreads retries apart; it protects no secret.
        self._rng = rng or random.Random()  # noqa: S311
        self._next_burial: datetime | None = None
        bind = sessions.kw.get("bind")
        self._writer_lock: WriterLock | None = None
        if bind is not None and bind.dialect.name == "sqlite":
            database = bind.url.database
            on_disk = database and database != ":memory:" and not database.startswith("file:")
            self._writer_lock = WriterLock(Path(database) if on_disk else None)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Held around each write transaction of the queue and of the workers' batches, on
        SQLite only: one writer at a time among this database's worker processes
        (``fedi.jobs.writer_lock``)."""
        if self._writer_lock is None:
            yield
            return
        async with self._writer_lock.held():
            yield

    async def claim(self, limit: int, kinds: Collection[str] | None = None) -> list[ClaimedJob]:
        """Lease up to ``limit`` due jobs (oldest ``run_at`` first) and commit the claim.

        Due means queued with ``run_at`` reached, or running with a lapsed lease (its worker
        died). Each job goes to exactly one claimer, also across processes.
        """
        if limit < 1 or (kinds is not None and not kinds):
            return []
        now = self._clock()
        token = secrets.token_hex(16)
        # One token per claim is enough: (id, token) is unique, since no other claim reuses it.
        claimed_values = {
            "state": "running",
            "lease_token": token,
            "lease_expires_at": now + timedelta(seconds=self.lease_seconds),
            "attempts": jobs.c.attempts + 1,
        }
        eligible = or_(
            and_(jobs.c.state == "queued", jobs.c.run_at <= now),
            and_(
                jobs.c.state == "running",
                jobs.c.lease_expires_at < now,
                jobs.c.attempts < jobs.c.max_attempts,
            ),
        )
        if kinds is not None:
            eligible = and_(eligible, jobs.c.kind.in_(list(kinds)))
        candidates = select(jobs.c.id).where(eligible).order_by(jobs.c.run_at, jobs.c.id)
        returning = (jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts)
        async with self.writing(), self.sessions() as session, session.begin():
            connection = await session.connection()
            if self._next_burial is None or now >= self._next_burial:
                # Leases lapse in minutes, not milliseconds: looking every few seconds is
                # enough, and spares a busy worker an UPDATE on every claim.
                self._next_burial = now + BURY_EVERY
                await self._bury_lapsed(session, now)
            if connection.dialect.name == "postgresql":
                # Lock the candidates, skipping rows another worker is claiming right now,
                # then lease exactly the rows we locked.
                locked = await session.execute(
                    candidates.limit(limit).with_for_update(skip_locked=True)
                )
                ids = list(locked.scalars())
                if not ids:
                    return []
                statement = update(jobs).where(jobs.c.id.in_(ids))
            else:
                # SQLite has no SKIP LOCKED, but it runs one writer at a time and this single
                # statement takes the write lock before it reads, so the subquery and the
                # update are atomic: two processes on one file never claim the same job.
                statement = update(jobs).where(
                    jobs.c.id.in_(candidates.limit(limit).scalar_subquery())
                )
            rows = await session.execute(statement.values(claimed_values).returning(*returning))
            claimed = [
                ClaimedJob(row.id, row.kind, row.payload, row.attempts, row.max_attempts, token)
                for row in rows
            ]
        return sorted(claimed, key=lambda job: job.id)

    async def _bury_lapsed(self, session: AsyncSession, now: datetime) -> None:
        # A lease that lapsed on the last allowed attempt means the job killed or stalled its
        # worker every time; claiming it again would loop forever, so it dies here instead.
        # SKIP LOCKED (PostgreSQL only; SQLite ignores it) keeps two claimers burying the
        # same rows from locking them in different orders and deadlocking.
        exhausted = (
            select(jobs.c.id)
            .where(
                jobs.c.state == "running",
                jobs.c.lease_expires_at < now,
                jobs.c.attempts >= jobs.c.max_attempts,
            )
            .with_for_update(skip_locked=True)
        )
        await session.execute(
            update(jobs)
            .where(jobs.c.id.in_(exhausted.scalar_subquery()))
            .values(
                state="dead",
                last_error="lease expired on the last attempt (worker crashed or stalled)",
                finished_at=now,
                lease_token=None,
                lease_expires_at=None,
            )
        )

    async def complete(self, job: ClaimedJob) -> bool:
        """Mark the job done. False if our lease was lost (someone re-claimed it)."""
        async with self.writing(), self.sessions() as session, session.begin():
            return await self.complete_in(session, job.id, job.lease_token)

    async def complete_many(self, claimed: Collection[ClaimedJob]) -> set[int]:
        """Mark many jobs done in one transaction; the ids whose lease we still held.

        The worker gathers the completions that arrive while one of these is in flight into
        the next (``fedi.jobs.completions``): a post's fifty deliveries finish within a few
        milliseconds of each other, and one UPDATE costs far less than fifty transactions.
        """
        if not claimed:
            return set()
        pairs = [(job.id, job.lease_token) for job in claimed]
        async with self.writing(), self.sessions() as session, session.begin():
            return await self._mark_done(session, tuple_(jobs.c.id, jobs.c.lease_token).in_(pairs))

    def lease_expiry(self) -> datetime:
        """When a lease taken now lapses."""
        return self._clock() + timedelta(seconds=self.lease_seconds)

    async def complete_in(self, session: AsyncSession, job_id: int, lease_token: str) -> bool:
        """Mark a job done in the caller's transaction. False if our lease was lost."""
        result = await session.execute(
            _SETTLE,
            {
                "job_id": job_id,
                "token": lease_token,
                "new_state": "done",
                "done_at": self._clock(),
            },
        )
        return _rowcount(result) == 1

    async def renew_in(self, session: AsyncSession, claims: Mapping[int, str]) -> set[int]:
        """Extend the leases of jobs (``{id: lease_token}``) in the caller's transaction;
        returns the ids whose lease we still hold. A worker applying many jobs in one
        transaction calls it first: the jobs it lost are skipped, the others stay leased."""
        return await renew_leases(session, claims, self.lease_expiry())

    async def complete_held_in(self, session: AsyncSession, job_ids: Collection[int]) -> set[int]:
        """Mark many jobs done in the caller's transaction, one statement; the ids marked.

        Only for jobs whose leases ``renew_in`` confirmed earlier in this same transaction:
        from then on no other worker can take them (PostgreSQL holds their row locks,
        SQLite its write lock), so the lease tokens need no second check.
        """
        if not job_ids:
            return set()
        return await self._mark_done(session, jobs.c.id.in_(list(job_ids)))

    async def _mark_done(self, session: AsyncSession, which: ColumnElement[bool]) -> set[int]:
        rows = await session.execute(
            update(jobs)
            .where(which, jobs.c.state == "running")
            .values(
                state="done",
                finished_at=self._clock(),
                last_error=None,
                lease_token=None,
                lease_expires_at=None,
            )
            .returning(jobs.c.id)
        )
        return set(rows.scalars())

    async def fail(
        self, job: ClaimedJob, error: str, *, after: float | None = None, permanent: bool = False
    ) -> None:
        """Record a failed attempt: retry later with backoff, or dead if permanent or exhausted.

        The retry waits at least the backoff for this attempt and at least ``after`` seconds
        (a peer's Retry-After, capped at a day).
        """
        now = self._clock()
        error = error[:ERROR_LIMIT]
        if permanent or job.attempt >= job.max_attempts:
            await self._settle(
                job,
                state="dead",
                finished_at=now,
                last_error=error,
                lease_token=None,
                lease_expires_at=None,
            )
            return
        asked = min(max(after or 0.0, 0.0), MAX_RETRY_AFTER)
        delay = max(asked, backoff_delay(job.attempt, self._rng))
        await self._settle(
            job,
            state="queued",
            run_at=now + timedelta(seconds=delay),
            last_error=error,
            lease_token=None,
            lease_expires_at=None,
        )

    async def renew(self, job: ClaimedJob) -> bool:
        """Extend the lease of a job still running (a heartbeat). False if the lease was lost."""
        return await self._settle(job, lease_expires_at=self.lease_expiry())

    async def release(self, job: ClaimedJob) -> None:
        """Put the job back in the queue now, without counting this attempt (drain on shutdown)."""
        await self._settle(
            job,
            state="queued",
            run_at=self._clock(),
            attempts=jobs.c.attempts - 1,
            lease_token=None,
            lease_expires_at=None,
        )

    async def stats(self) -> dict[str, int]:
        """How many jobs are in each state (every state present, zero included)."""
        counts = dict.fromkeys(("queued", "running", "done", "dead"), 0)
        async with self.sessions() as session:
            rows = await session.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state))
            for state, count in rows:
                counts[state] = count
        return counts

    async def prune(self, *, finished_before: datetime) -> int:
        """Delete done jobs finished before a moment; dead jobs stay for operators to read."""
        async with self.writing(), self.sessions() as session, session.begin():
            result = await session.execute(
                delete(jobs).where(jobs.c.state == "done", jobs.c.finished_at < finished_before)
            )
        return _rowcount(result)

    async def _settle(self, job: ClaimedJob, **values: Any) -> bool:
        async with self.writing(), self.sessions() as session, session.begin():
            result = await session.execute(
                update(jobs)
                .where(
                    jobs.c.id == job.id,
                    jobs.c.lease_token == job.lease_token,
                    jobs.c.state == "running",
                )
                .values(**values)
            )
        return _rowcount(result) == 1


# Built once: completing is the statement every job ends with.
_SETTLE = (
    update(jobs)
    .where(
        jobs.c.id == bindparam("job_id"),
        jobs.c.lease_token == bindparam("token"),
        jobs.c.state == "running",
    )
    .values(
        state=bindparam("new_state"),
        finished_at=bindparam("done_at"),
        last_error=None,
        lease_token=None,
        lease_expires_at=None,
    )
)


async def renew_leases(
    session: AsyncSession, claims: Mapping[int, str], expires: datetime
) -> set[int]:
    """One UPDATE, even for no claims (it then matches nothing): being a write, it is what
    opens a SQLite transaction, so savepoints after it nest instead of committing."""
    tokens = set(claims.values())
    rows = await session.execute(
        update(jobs)
        .where(
            jobs.c.id.in_(list(claims)),
            jobs.c.lease_token.in_(list(tokens)),
            jobs.c.state == "running",
        )
        .values(lease_expires_at=expires)
        .returning(jobs.c.id, jobs.c.lease_token)
    )
    return {row.id for row in rows if claims.get(row.id) == row.lease_token}


def _rowcount(result: Result[Any]) -> int:
    # DML without RETURNING yields a CursorResult; the session API types it as a plain Result.
    return cast(CursorResult[Any], result).rowcount
