"""Activities about polls: our poll's new counts (Update{Question}) and our votes on
remote polls (Create{Note} sent to the poll's author alone)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Poll, PollVote, Status
from fedi.federation.context import Federation
from fedi.federation.convert.outgoing import activity, vote_to_note
from fedi.federation.delivery.recipients import account_inboxes
from fedi.federation.delivery.statuses import status_updated
from fedi.federation.delivery.types import Built
from fedi.ids import new_id


async def poll_updated(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    """The Question as it stands (counts read now), to everyone who received the post."""
    built = await status_updated(fed, s, actor, p)
    if built is None:
        return None
    document, inboxes = built
    # Its own id: an edit's Update is named by the second, and peers keep one activity per
    # id, so a poll update in the same second as an edit (or the closing one) must differ.
    document["id"] = f"{document['object']['id']}#votes-updated/{new_id()}"
    return document, inboxes


async def vote_created(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    vote = await s.get(PollVote, p["vote_id"])
    if vote is None or vote.uri is None:
        return None
    poll = await s.get(Poll, vote.poll_id)
    status = await s.get(Status, vote.poll_id)
    if poll is None or status is None or not 0 <= vote.choice < len(poll.options):
        return None
    author = await s.get(Account, status.account_id)
    if author is None:
        return None
    note = vote_to_note(vote.uri, actor.uri, poll.options[vote.choice], status.uri, author.uri)
    doc = activity("Create", f"{vote.uri}/activity", actor.uri, note, to=[author.uri])
    return doc, await account_inboxes(s, [author.id])
