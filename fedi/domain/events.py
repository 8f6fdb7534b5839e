"""Things local teachers did that other servers must hear about.

A domain service records an event in the same transaction as the change itself, as a job
(the transactional outbox): the post and the promise to federate it commit together, and a
worker turns the event into activities and deliveries. Remote actions never emit events —
their origin server already told everyone who needs to know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Job
from fedi.jobs import enqueue

FEDERATE = "federate"

EVENT_KINDS = (
    "status.created",
    "status.updated",
    "status.deleted",
    "favourite.created",
    "favourite.deleted",
    "reblog.created",
    "reblog.deleted",
    "follow.requested",
    "follow.undone",
    "follow.accepted",
    "follow.rejected",
    "block.created",
    "block.deleted",
    "account.updated",
    "account.moved",
    "report.forwarded",
    "pin.created",
    "pin.deleted",
    "community.announced",
    "community.refused",
    "community.moderated",
    "community.moderation_sent",
    "poll.updated",
    "vote.created",
)


async def emit(
    session: AsyncSession,
    actor: Account,
    kind: str,
    *,
    run_at: datetime | None = None,
    **payload: Any,
) -> Job | None:
    """Queue ``kind`` for federation if ``actor`` is one of ours (else do nothing).

    ``run_at`` holds the job back (a post waits briefly for its translations, see
    ``fedi.domain.renditions``); whoever holds it may release it earlier.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event {kind}")
    if not actor.is_local:
        return None
    return await enqueue(
        session, FEDERATE, {"event": kind, "actor_id": actor.id, **payload}, run_at=run_at
    )
