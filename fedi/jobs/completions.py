"""Group commit for finished jobs: one UPDATE for the completions that arrive together.

A post's deliveries finish within milliseconds of each other. Marked done one transaction
each, they queued for the connection pool (40 ms p50 from a delivery's end to its record on
PostgreSQL, benchmarks/fanout.py) and took CPU from the deliveries still signing. Here the
first completion starts a flush; those arriving while it is in flight wait for the next one,
so there is never more than one completion transaction per worker and no added delay when
jobs finish one at a time.
"""

from __future__ import annotations

import asyncio

from fedi.jobs.queue import ClaimedJob, JobQueue


class Completions:
    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue
        self._pending: list[tuple[ClaimedJob, asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def complete(self, job: ClaimedJob) -> bool:
        """Mark the job done; False if its lease was lost. Raises what the database raised."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((job, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush(), name="job-completions")
        # Shielded: a job cancelled while waiting (drain) must not cancel the others' flush.
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    settled = await self._queue.complete_many([job for job, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for job, future in batch:
                    if not future.done():
                        future.set_result(job.id in settled)
        finally:
            self._flushing = None
