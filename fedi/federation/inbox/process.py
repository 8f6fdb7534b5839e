"""Processing a stored delivery (the ``inbox.process`` job): one handler per activity type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from fedi.db.models import Account
from fedi.federation.actors import host_of
from fedi.federation.context import Federation
from fedi.federation.delivery import peers
from fedi.federation.fetcher import FetchBudget
from fedi.federation.inbox.base import Delivery, Handler, Refused
from fedi.federation.inbox.community_moderation import ModerationFirst
from fedi.federation.inbox.featured import AddHandler, RemoveHandler
from fedi.federation.inbox.follows import AcceptHandler, FollowHandler, RejectHandler
from fedi.federation.inbox.interactions import AnnounceHandler, LikeHandler, UndoHandler
from fedi.federation.inbox.moderation import BlockHandler, FlagHandler, MoveHandler
from fedi.federation.inbox.notes import CreateHandler, DeleteHandler, UpdateHandler
from fedi.federation.wire import Activity
from fedi.jobs import JobContext

log = structlog.get_logger(__name__)

HANDLERS: dict[str, Handler] = {
    "Follow": FollowHandler(),
    "Accept": AcceptHandler(),
    "Reject": RejectHandler(),
    "Undo": ModerationFirst(UndoHandler()),
    "Create": CreateHandler(),
    "Update": UpdateHandler(),
    "Delete": ModerationFirst(DeleteHandler()),
    "Like": LikeHandler(),
    "Announce": AnnounceHandler(),
    "Block": ModerationFirst(BlockHandler()),
    "Flag": FlagHandler(),
    "Move": MoveHandler(),
    "Add": ModerationFirst(AddHandler()),
    "Remove": ModerationFirst(RemoveHandler()),
    # Lemmy's lock of a thread: only a community's moderation.
    "Lock": ModerationFirst(),
}
# Per activity: a reply chain, a boosted post and its author together stay within this.
FETCH_BUDGET = 12


def processor(federation: Federation) -> Any:
    """The ``inbox.process`` job handler bound to this process's federation context."""

    async def process(payload: Mapping[str, Any], context: JobContext) -> None:
        raw = payload["activity"]
        activity = Activity.model_validate(raw)
        handler = HANDLERS.get(activity.type)
        if handler is None:
            return
        async with federation.sessions() as session:
            signer = await session.get(Account, payload["signer_id"])
            if signer is None:
                return  # the account was deleted since: nothing left to apply
            delivery = Delivery(
                federation=federation,
                session=session,
                signer=signer,
                activity=activity,
                budget=FetchBudget(remaining=FETCH_BUDGET),
                raw=raw,
            )
            # Read before any rollback: a rollback expires the signer, and reloading it
            # lazily is IO this async session cannot do.
            host = host_of(signer.uri)
            # Before this session writes anything: the peer book may write on its own
            # connection, which SQLite would make wait for this transaction's lock.
            peer = await federation.peers.get(host)
            try:
                await handler.verify(delivery)
                await handler.receive(delivery)
                # A server that talks to us is up: resume deliveries parked for it.
                if peer.unavailable_since is not None:
                    await peers.heard_from(session, host)
                    federation.peers.forget(host)
                # The activity's effects and the job's "done" commit together.
                await context.complete_in(session)
                await session.commit()
            except Refused as refusal:
                # Refused means "never": no retry, and nothing the handler did is kept.
                await session.rollback()
                log.info(
                    "inbox_refused",
                    type=activity.type,
                    host=host,
                    reason=str(refusal),
                    job=context.job_id,
                )

    return process
