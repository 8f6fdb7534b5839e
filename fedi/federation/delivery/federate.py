"""The ``federate`` job: a domain event becomes one activity and a ``deliver`` job per inbox.

The builders live beside it: ``statuses.py`` for posts, ``social.py`` for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fedi.db.models import Account
from fedi.federation.actors import host_of
from fedi.federation.context import Federation
from fedi.federation.delivery import (
    communities,
    community_moderation,
    pins,
    polls,
    social,
    statuses,
)
from fedi.federation.delivery.deliver import DELIVER
from fedi.federation.delivery.types import Builder
from fedi.jobs import JobContext, enqueue_many

BUILDERS: dict[str, Builder] = {
    "status.created": statuses.status_created,
    "status.updated": statuses.status_updated,
    "status.deleted": statuses.status_deleted,
    "favourite.created": statuses.favourite_created,
    "favourite.deleted": statuses.favourite_deleted,
    "reblog.created": statuses.reblog_created,
    "reblog.deleted": statuses.reblog_deleted,
    "follow.requested": social.follow_requested,
    "follow.undone": social.follow_undone,
    "follow.accepted": social.follow_accepted,
    "follow.rejected": social.follow_rejected,
    "block.created": social.block_created,
    "block.deleted": social.block_deleted,
    "account.updated": social.account_updated,
    "account.moved": social.account_moved,
    "report.forwarded": social.report_forwarded,
    "pin.created": pins.pin_created,
    "pin.deleted": pins.pin_deleted,
    "community.announced": communities.community_announced,
    "community.refused": communities.community_refused,
    "community.moderated": community_moderation.community_moderated,
    "community.moderation_sent": community_moderation.community_moderation_sent,
    "poll.updated": polls.poll_updated,
    "vote.created": polls.vote_created,
}
# Sent in the instance's name: a report must not reveal which teacher filed it.
SENT_BY_INSTANCE = frozenset({"report.forwarded"})


def federator(federation: Federation) -> Any:
    """The ``federate`` job handler: build the activity, then queue one delivery per inbox."""

    async def federate(payload: Mapping[str, Any], context: JobContext) -> None:
        if not federation.config.features.federation:
            return
        builder = BUILDERS[payload["event"]]
        # The deliveries start the moment this commits, on this worker's free slots,
        # instead of waiting for its next claim (fedi.jobs.handover).
        with context.handing_over() as handover:
            async with federation.sessions() as session, session.begin():
                actor = await session.get(Account, payload["actor_id"])
                if actor is None or not actor.is_local:
                    return
                built = await builder(federation, session, actor, payload)
                if built is None:
                    return
                document, inboxes = built
                sender = actor
                if payload["event"] in SENT_BY_INSTANCE:
                    sender = await federation.instance_actor()
                await federation.policy.refresh()
                # One INSERT for all of a post's deliveries (benchmarks/fanout.py).
                await enqueue_many(
                    session,
                    DELIVER,
                    [
                        {"inbox": inbox, "activity": document, "actor_id": sender.id}
                        for inbox in inboxes
                        if federation.policy.allows(host_of(inbox))
                    ],
                    handover=handover,
                )
                await context.complete_in(session)

    return federate
