"""Requests for the same language pair share one batch, run on a small pool of threads.

CTranslate2 is several times faster on a batch of sentences than on one at a time (see
PERFORMANCE.md), and posts arrive one by one. No timer is involved: while every worker is
busy, requests queue; when one frees, it takes every queued request for the oldest pair, up
to ``max_batch`` texts. At low load a request runs at once; under load batches grow on their
own. CTranslate2 releases the GIL, so threads are enough.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from translation.errors import EngineUnavailable, TranslationError, TranslationTimeout

K = TypeVar("K", bound=Hashable)
log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Job(Generic[K]):
    key: K
    texts: list[str]
    future: asyncio.Future[list[str]]
    abandoned: bool = field(default=False)


class Batcher(Generic[K]):
    """Runs ``run(key, texts)`` in ``executor`` with at most ``slots`` batches at once;
    a caller waits at most ``timeout`` seconds, queueing included."""

    def __init__(
        self,
        name: str,
        run: Callable[[K, list[str]], list[str]],
        executor: Executor,
        *,
        slots: int,
        max_batch: int,
        max_queued: int,
        timeout: float,
        retry_after: int = 10,
    ) -> None:
        self.name = name
        self._run = run
        self._executor = executor
        self._free = max(1, slots)
        self._max_batch = max(1, max_batch)
        self._max_queued = max(1, max_queued)
        self._retry_after = retry_after
        self._timeout = timeout
        self._queue: list[_Job[K]] = []
        self._queued_texts = 0
        self.batches_run = 0

    @property
    def queued_texts(self) -> int:
        return self._queued_texts

    async def submit(self, key: K, texts: Sequence[str]) -> list[str]:
        """The texts translated, or ``TranslationTimeout`` after ``timeout`` seconds."""
        if not texts:
            return []
        if self._queued_texts + len(texts) > self._max_queued:
            raise EngineUnavailable(self.name, "too many translations waiting", self._retry_after)
        job: _Job[K] = _Job(key, list(texts), asyncio.get_running_loop().create_future())
        self._queue.append(job)
        self._queued_texts += len(job.texts)
        self._dispatch()
        try:
            return await asyncio.wait_for(asyncio.shield(job.future), self._timeout)
        except TimeoutError:
            raise TranslationTimeout(self.name, self._timeout, self._retry_after) from None
        finally:
            # Timed out or cancelled: nobody wants the answer any more.
            if not job.future.done():
                job.abandoned = True
                self._forget(job)

    def _forget(self, job: _Job[K]) -> None:
        if job in self._queue:
            self._queue.remove(job)
            self._queued_texts -= len(job.texts)

    def _take_batch(self) -> list[_Job[K]]:
        key = self._queue[0].key
        batch: list[_Job[K]] = []
        size = 0
        for job in list(self._queue):
            if job.key != key:
                continue
            if batch and size + len(job.texts) > self._max_batch:
                break
            batch.append(job)
            size += len(job.texts)
            self._queue.remove(job)
            self._queued_texts -= len(job.texts)
        return batch

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._free and self._queue:
            batch = self._take_batch()
            self._free -= 1
            self.batches_run += 1
            texts = [text for job in batch for text in job.texts]
            future = loop.run_in_executor(self._executor, self._run, batch[0].key, texts)
            future.add_done_callback(functools.partial(self._finished, batch))

    def _finished(self, batch: list[_Job[K]], done: asyncio.Future[list[str]]) -> None:
        self._free += 1
        error = done.exception()
        if error is not None and not isinstance(error, TranslationError):
            # The message of a library error may quote the text (MiniSBD's does): log the
            # type only, and hand callers an error without it.
            log.error("translation batch failed: %s", type(error).__name__)
            error = EngineUnavailable(self.name, f"translation failed ({type(error).__name__})")
        position = 0
        for job in batch:
            count = len(job.texts)
            if job.abandoned or job.future.done():
                position += count
                continue
            if error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(done.result()[position : position + count])
            position += count
        if self._queue:
            self._dispatch()
