"""The durable job queue (a transactional outbox) and the workers that drain it.

Producers call ``enqueue`` inside their own unit of work; ``jamii worker`` (or the
in-process worker on SQLite) claims due jobs and runs their handlers. See docs/jobs.md.
"""

from fedi.jobs.backoff import backoff_ceiling, backoff_delay
from fedi.jobs.queue import ClaimedJob, JobQueue, enqueue, enqueue_many
from fedi.jobs.worker import Handler, JobContext, PermanentFailure, RetryLater, Worker

__all__ = [
    "ClaimedJob",
    "Handler",
    "JobContext",
    "JobQueue",
    "PermanentFailure",
    "RetryLater",
    "Worker",
    "backoff_ceiling",
    "backoff_delay",
    "enqueue",
    "enqueue_many",
]
