"""Applying stored deliveries in batches: one transaction, one savepoint per activity.

Each ``inbox.process`` job used to be its own unit of work: a session, a transaction, a
commit and a round of connection hand-overs for every activity, with all the jobs a worker
runs at once competing for SQLite's single write lock. Measured: ~9–11 ms of worker CPU and
~80–100 activities/s on two cores (docs/benchmarks.md). Here the jobs a worker runs at once
hand their activity to one ``InboxBatcher`` per process, which applies them one after the
other in ONE transaction, each inside its own SAVEPOINT, and marks them done in that same
commit.

What each job sees is unchanged. An activity that fails rolls back its savepoint only (its
rows and its stream signals), and its job gets the error, to be retried with backoff or
buried exactly as before; a refused one is rolled back and marked done, as before; the
others commit. Events leave only after the commit (stream signals, the jobs the activities
queued). If the batch's commit itself fails, every activity is applied again alone.

On SQLite a batch holds the database's single write lock from its first statement to its
commit, so an activity that needs a fetch (a reply's unknown parent, a Note given by
reference, a new actor) is not fetched there: it is set aside (``FetchDeferred``) and
applied alone after the batch, as before batches, its first write after its fetches.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.domain import content, received, streams
from fedi.federation.actors import host_of
from fedi.federation.context import NO_FETCHES, Federation, FetchDeferred
from fedi.federation.delivery.peers import PeerState
from fedi.federation.inbox.base import Refused
from fedi.jobs import JobContext
from fedi.jobs.queue import renew_leases

log = structlog.get_logger(__name__)

# Activities per transaction. SQLite holds its write lock from the batch's first write to
# its commit, so a batch is also how long the web process's writes may wait (~1–2 ms each).
MAX_BATCH = 32
# A slow batch (on PostgreSQL, activities fetching a reply's parent or an unknown actor)
# commits early rather than hold its leases and row locks across more fetches.
MAX_BATCH_SECONDS = 0.25
# session.info key, set when the batch applies each activity in its own savepoint (after a
# failure): nothing is then held back for the batch's end that a savepoint could not undo.
SAVEPOINTS = "jamii.inbox.savepoints"
# Loop turns given to the other jobs of the same claim to hand in their activities.
COLLECT_TURNS = 4

# Applies one activity inside the batch's session, given the peer book's entries for the
# batch's hosts; returns the host to forget from the peer book once committed (it was marked
# unavailable and has now written to us), or None.
Apply = Callable[
    [AsyncSession, Mapping[str, Any], Mapping[str, PeerState], "Attempt"], Awaitable[str | None]
]
# Loads in one query what the batch's activities will look up one by one (their signers).
Prepare = Callable[[AsyncSession, list[Mapping[str, Any]]], Awaitable[None]]
# Writes what the activities held back for the end of the batch, before its commit.
Finish = Callable[[AsyncSession], Awaitable[None]]
# The CPU-only part of applying one activity (JSON into wire models, HTML sanitised), done
# before the batch's transaction: on SQLite outside the write lock, so that one worker
# process parses while the other writes. Its result reaches Apply as ``Attempt.parsed``.
Parse = Callable[[Mapping[str, Any]], object]


@dataclass
class _Item:
    payload: Mapping[str, Any]
    context: JobContext
    done: asyncio.Future[None]
    error: BaseException | None = field(default=None)
    forget: str | None = None
    deferred: bool = False  # it needs a fetch: applied alone, after the batch
    parsed: object = None  # what Parse made of it, before the transaction


class BatchInterrupted(Exception):
    """The batch stopped before this activity was applied (the worker is shutting down)."""


class InboxBatcher:
    """Collects the activities of the jobs running in this process and applies them together."""

    def __init__(
        self,
        federation: Federation,
        apply: Apply,
        prepare: Prepare,
        finish: Finish,
        *,
        parse: Parse | None = None,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._federation = federation
        self._apply = apply
        self._prepare = prepare
        self._finish = finish
        self._parse = parse
        self._max_batch = max_batch
        self._waiting: list[_Item] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, payload: Mapping[str, Any], context: JobContext) -> None:
        """Apply one job's activity; returns once it is committed (or raises its error)."""
        item = _Item(payload, context, asyncio.get_running_loop().create_future())
        self._waiting.append(item)
        if self._runner is None or self._runner.done():
            # Started on demand and gone when nothing waits: nothing outlives the loop.
            self._runner = asyncio.create_task(self._run(), name="inbox-batcher")
        # If the job is cancelled (lease lost, shutdown) while waiting, the future is
        # cancelled with it and the batcher skips the activity.
        await item.done

    async def _run(self) -> None:
        while self._waiting:
            for _ in range(COLLECT_TURNS):
                if len(self._waiting) >= self._max_batch:
                    break
                before = len(self._waiting)
                await asyncio.sleep(0)
                if len(self._waiting) == before and before > 1:
                    break
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            live = [item for item in batch if not item.done.done()]
            try:
                await self._apply_batch(live)
            finally:
                for item in live:
                    if not item.done.done():
                        # Interrupted (the process is stopping): the job is retried,
                        # never counted as done for an activity that was not applied.
                        item.done.set_exception(item.error or BatchInterrupted())

    async def _apply_batch(self, items: list[_Item]) -> None:
        if not items:
            return
        self._parse_all(items)
        hosts = await self._before_transaction(items)
        left = items
        savepoints = False
        while left:
            try:
                applied = await self._transaction(left, hosts, savepoints=savepoints)
            except _NeedsSavepoints:
                # An activity failed after writing: this transaction was rolled back whole.
                # Again, each activity in its own savepoint, so only that one is undone.
                savepoints = True
                continue
            except Exception as exc:
                if len(left) == 1:
                    left[0].error = exc
                    _resolve(left[0])
                    return
                # The commit (or a savepoint's rollback) failed: nothing of this batch was
                # kept. Each activity alone, so one cause cannot fail the others.
                log.warning("inbox_batch_failed", error_type=type(exc).__name__, size=len(left))
                for item in left:
                    item.error = None
                    await self._apply_batch([item])
                return
            for item in left[:applied]:
                if item.deferred:
                    continue
                if item.forget is not None:
                    self._federation.peers.forget(item.forget)
                _resolve(item)
            deferred = [item for item in left[:applied] if item.deferred]
            left = left[applied:]
            savepoints = False
            for item in deferred:
                await self._alone(item, hosts)

    def _parse_all(self, items: list[_Item]) -> None:
        if self._parse is None:
            return
        for item in items:
            if item.parsed is None:
                try:
                    item.parsed = self._parse(item.payload)
                except Exception:
                    # Apply meets the same problem again and reports it as it always did.
                    item.parsed = None

    async def _before_transaction(self, items: list[_Item]) -> dict[str, PeerState]:
        """What may write on its own connection is done before the batch's transaction:
        on SQLite it would wait for the lock the batch holds until its commit."""
        hosts = {
            host_of(actor)
            for item in items
            if isinstance(activity := item.payload.get("activity"), dict)
            and isinstance(actor := activity.get("actor"), str)
        }
        return {host: await self._federation.peers.get(host) for host in hosts}

    async def _alone(self, item: _Item, hosts: Mapping[str, PeerState]) -> None:
        """An activity that must fetch, in its own transaction, as every activity was
        applied before batches: its first write comes after its fetches, so no lock is
        held while a remote server answers."""
        item.deferred = False
        context = item.context
        try:
            async with self._federation.sessions() as session:
                try:
                    item.forget = await self._apply(
                        session, item.payload, hosts, Attempt(parsed=item.parsed)
                    )
                except Refused as refusal:
                    await session.rollback()
                    _log_refusal(item, refusal)
                    item.forget = None
                if context.queue is not None and context.lease_token is not None:
                    context.completed = await context.queue.complete_in(
                        session, context.job_id, context.lease_token
                    )
                await session.commit()
        except Exception as exc:
            item.error = exc
        if item.forget is not None:
            self._federation.peers.forget(item.forget)
        _resolve(item)

    async def _transaction(
        self, items: list[_Item], hosts: Mapping[str, PeerState], *, savepoints: bool
    ) -> int:
        """Apply a prefix of ``items`` in one transaction and commit; how many it took.

        Without ``savepoints`` (the first try) an activity that fails before writing (a
        refusal, a failed check) is simply left out, and one that fails after writing
        raises ``_NeedsSavepoints``: two statements fewer per activity when all goes well.
        """
        queue = next((i.context.queue for i in items if i.context.queue is not None), None)
        # On SQLite the batch holds the database's only write lock from its first statement:
        # an activity that needs a fetch is set aside rather than keep every writer waiting.
        no_fetches = NO_FETCHES.set(self._federation.config.is_sqlite)
        try:
            async with (
                queue.writing() if queue is not None else contextlib.nullcontext(),
                self._federation.sessions() as session,
            ):
                started = time.monotonic()
                if savepoints:
                    session.info[SAVEPOINTS] = True
                # The first statement writes (the leases, renewed): on SQLite it is what opens
                # the transaction, so the savepoints below nest in it instead of committing.
                held = await _hold_leases(session, items)
                await self._prepare(session, [item.payload for item in items])
                taken = 0
                settled: list[_Item] = []
                for item in items:
                    taken += 1
                    item.error = item.forget = None
                    item.deferred = False
                    if item.context.queue is not None and item.context.job_id not in held:
                        item.context.completed = False  # another worker holds it now
                        continue
                    if await self._one(session, item, hosts, savepoint=savepoints):
                        settled.append(item)
                    if time.monotonic() - started > MAX_BATCH_SECONDS:
                        break
                await self._finish(session)
                # The activities' effects and their jobs' "done" commit together.
                if queue is not None:
                    done = await queue.complete_held_in(
                        session, [i.context.job_id for i in settled]
                    )
                    for item in settled:
                        item.context.completed = item.context.job_id in done
                await session.commit()
        finally:
            NO_FETCHES.reset(no_fetches)
        return taken

    async def _one(
        self,
        session: AsyncSession,
        item: _Item,
        hosts: Mapping[str, PeerState],
        *,
        savepoint: bool,
    ) -> bool:
        """Apply one activity; True if its job is done (applied or refused), False if it
        failed (its error is kept for its worker to settle: retried or buried)."""
        marks = _marks(session)
        nested = await session.begin_nested() if savepoint else None
        attempt = Attempt(parsed=item.parsed)
        try:
            item.forget = await self._apply(session, item.payload, hosts, attempt)
            if nested is not None:
                await nested.commit()
            return True
        except Exception as exc:
            if nested is not None:
                await nested.rollback()
                _forget_since(session, marks)
            elif attempt.writing or isinstance(exc, SQLAlchemyError):
                # Something may have been written (or PostgreSQL's transaction is aborted).
                raise _NeedsSavepoints from exc
            item.forget = None
            if isinstance(exc, FetchDeferred):
                item.deferred = True
                return False
            if not isinstance(exc, Refused):
                item.error = exc
                return False
            # Refused means "never": nothing the handler did is kept, and no retry.
            _log_refusal(item, exc)
            return True


@dataclass
class Attempt:
    """One try at applying an activity: what ``Parse`` made of it beforehand (None without
    one), and what ``Apply`` tells the batcher as it goes (whether it started writing)."""

    parsed: object = None
    writing: bool = False


class _NeedsSavepoints(Exception):
    pass


def _log_refusal(item: _Item, refusal: Refused) -> None:
    activity = item.payload.get("activity")
    activity = activity if isinstance(activity, dict) else {}
    actor = activity.get("actor")
    log.info(
        "inbox_refused",
        type=activity.get("type"),
        host=host_of(actor) if isinstance(actor, str) else None,
        reason=str(refusal),
        job=item.context.job_id,
    )


async def _hold_leases(session: AsyncSession, items: list[_Item]) -> set[int]:
    queue = next((i.context.queue for i in items if i.context.queue is not None), None)
    claims = {
        i.context.job_id: i.context.lease_token
        for i in items
        if i.context.queue is not None and i.context.lease_token is not None
    }
    if queue is None:
        # Outside a worker (tests): the same UPDATE, matching nothing, for SQLite's sake.
        return await renew_leases(session, {}, utcnow())
    return await queue.renew_in(session, claims)


# What a session holds until its commit, beside its rows: stream signals, post counts,
# hashtag links.
_HELD = (streams.PENDING, received.HELD_COUNTS, content.HELD_STATUS_TAGS)


def _marks(session: AsyncSession) -> dict[str, int]:
    return {key: len(session.info.get(key) or ()) for key in _HELD}


def _forget_since(session: AsyncSession, marks: Mapping[str, int]) -> None:
    # A savepoint's rollback keeps what the transaction holds for its commit; what the
    # rolled-back activity added (a stream signal, a post to count) must go with it.
    for key, mark in marks.items():
        held = session.info.get(key)
        if held is not None:
            del held[mark:]


def _resolve(item: _Item) -> None:
    if item.done.done():
        return
    if item.error is not None:
        item.done.set_exception(item.error)
    else:
        item.done.set_result(None)
