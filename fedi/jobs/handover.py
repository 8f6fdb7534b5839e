"""Handing jobs a handler queues straight to its own worker, without a claim.

A post's ``federate`` job queues one ``deliver`` job per inbox. Left in the queue, each
waits for the worker's next claim: a poll, a transaction, and a slot freed by another job,
which measured 25 ms p50 (90 ms p90) between the federate job's end and the deliveries'
start on PostgreSQL (benchmarks/fanout.py), on top of the claim's own CPU.

Instead, the handler asks its worker for a ``Handover``: the worker sets aside its free
slots, ``enqueue_many`` inserts that many of the new jobs already leased to it (state
``running``, first attempt, a lease token of its own), and once the handler's transaction
has committed, the worker starts them at once as if it had claimed them. Jobs beyond the
free slots are queued as usual. Nothing is lost if the worker dies in between: the leased
rows lapse like any claim and another worker takes them; and if the transaction rolls
back, the rows never existed and the slots are given back.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fedi.jobs.queue import ClaimedJob


class Handover:
    """Up to ``slots`` jobs, leased in the handler's transaction, to start after its commit."""

    def __init__(
        self,
        slots: int,
        expires_at: datetime,
        start: Callable[[list[ClaimedJob]], None],
        give_back: Callable[[int], None],
    ) -> None:
        self.token = secrets.token_hex(16)
        self.expires_at = expires_at
        self._slots = slots
        self._start = start
        self._give_back = give_back
        self._jobs: list[ClaimedJob] = []
        self._settled = False

    @property
    def free(self) -> int:
        return self._slots - len(self._jobs)

    def lease(self, job_id: int, kind: str, payload: Mapping[str, Any], max_attempts: int) -> bool:
        """Take one job being inserted, if a slot is left: it must then be inserted leased
        with this handover's token and expiry, its first attempt counted."""
        if self.free <= 0 or self._settled:
            return False
        self._jobs.append(ClaimedJob(job_id, kind, payload, 1, max_attempts, self.token))
        return True

    def start(self) -> None:
        """The transaction committed: run the leased jobs, give back the unused slots."""
        if self._settled:
            return
        self._settled = True
        self._give_back(self._slots)
        if self._jobs:
            self._start(self._jobs)

    def cancel(self) -> None:
        """The transaction did not commit: the rows are gone; only the slots come back."""
        if self._settled:
            return
        self._settled = True
        self._jobs.clear()
        self._give_back(self._slots)
