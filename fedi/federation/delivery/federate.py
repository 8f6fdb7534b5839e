"""The ``federate`` job: a domain event becomes one activity and a ``deliver`` job per inbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import (
    Account,
    Block,
    Favourite,
    FollowRequest,
    Mention,
    Report,
    Status,
    TeacherProfile,
)
from fedi.db.repositories.statuses import load_views
from fedi.federation.actors import host_of
from fedi.federation.addressing import address
from fedi.federation.context import Federation
from fedi.federation.convert.outgoing import account_to_actor, activity, iso, status_to_note
from fedi.federation.delivery.deliver import DELIVER
from fedi.federation.delivery.recipients import account_inboxes, follower_inboxes, unique
from fedi.federation.wire.common import PUBLIC
from fedi.jobs import JobContext, enqueue

Built = tuple[dict[str, Any], list[str]] | None
Builder = Callable[[Federation, AsyncSession, Account, Mapping[str, Any]], Awaitable[Built]]


async def _status_parts(
    federation: Federation, session: AsyncSession, actor: Account, status_id: int
) -> tuple[Status, dict[str, Any], list[str]] | None:
    status = await session.get(Status, status_id)
    if status is None:
        return None  # deleted before we got to it: its Delete follows
    views = await load_views(session, [status.id], None)
    parent_uri = None
    if status.in_reply_to_id is not None:
        parent = await session.get(Status, status.in_reply_to_id)
        parent_uri = parent.uri if parent else None
    assert actor.followers_url is not None
    note = status_to_note(
        views[0], federation.site, actor.followers_url, in_reply_to_uri=parent_uri
    )
    mentioned = list(
        await session.scalars(select(Mention.account_id).where(Mention.status_id == status.id))
    )
    if status.in_reply_to_account_id is not None:
        mentioned.append(status.in_reply_to_account_id)
    followers = [] if status.visibility == "direct" else await follower_inboxes(session, actor.id)
    return status, note, unique(followers, await account_inboxes(session, mentioned))


async def status_created(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    parts = await _status_parts(fed, s, actor, p["status_id"])
    if parts is None:
        return None
    status, note, inboxes = parts
    doc = activity(
        "Create",
        f"{status.uri}/activity",
        actor.uri,
        note,
        to=note["to"],
        cc=note["cc"],
        published=note["published"],
    )
    return doc, inboxes


async def status_updated(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    parts = await _status_parts(fed, s, actor, p["status_id"])
    if parts is None:
        return None
    status, note, inboxes = parts
    stamp = int(utcnow().timestamp())
    doc = activity(
        "Update", f"{status.uri}#updates/{stamp}", actor.uri, note, to=note["to"], cc=note["cc"]
    )
    return doc, inboxes


async def status_deleted(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    assert actor.followers_url is not None
    mentioned = list(p.get("mentioned_ids") or [])
    if p.get("in_reply_to_account_id"):
        mentioned.append(p["in_reply_to_account_id"])
    mentioned_uris = list(await s.scalars(select(Account.uri).where(Account.id.in_(mentioned))))
    to, cc = address(p["visibility"], actor.followers_url, mentioned_uris)
    followers = [] if p["visibility"] == "direct" else await follower_inboxes(s, actor.id)
    uri = p["status_uri"]
    doc = activity(
        "Delete", f"{uri}#delete", actor.uri, {"id": uri, "type": "Tombstone"}, to=to, cc=cc
    )
    return doc, unique(followers, await account_inboxes(s, mentioned))


async def _author_inbox(s: AsyncSession, status_id: int) -> tuple[Status, list[str]] | None:
    status = await s.get(Status, status_id)
    if status is None:
        return None
    return status, await account_inboxes(s, [status.account_id])


async def favourite_created(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    like = await s.get(Favourite, p["favourite_id"])
    if like is None or like.uri is None:
        return None
    found = await _author_inbox(s, like.status_id)
    if found is None:
        return None
    status, inboxes = found
    return activity("Like", like.uri, actor.uri, status.uri), inboxes


async def favourite_deleted(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    found = await _author_inbox(s, p["status_id"])
    if found is None or not p.get("like_uri"):
        return None
    status, inboxes = found
    like = {"id": p["like_uri"], "type": "Like", "actor": actor.uri, "object": status.uri}
    return activity("Undo", f"{p['like_uri']}/undo", actor.uri, like), inboxes


async def _announce(
    s: AsyncSession, actor: Account, boost_uri: str, original: Status
) -> dict[str, Any]:
    author = await s.get(Account, original.account_id)
    assert author is not None
    assert actor.followers_url is not None
    return activity(
        "Announce",
        boost_uri,
        actor.uri,
        original.uri,
        to=[PUBLIC],
        cc=[author.uri, actor.followers_url],
        published=iso(utcnow()),
    )


async def reblog_created(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    boost = await s.get(Status, p["boost_id"])
    if boost is None or boost.reblog_of_id is None:
        return None
    original = await s.get(Status, boost.reblog_of_id)
    if original is None:
        return None
    inboxes = unique(
        await follower_inboxes(s, actor.id), await account_inboxes(s, [original.account_id])
    )
    return await _announce(s, actor, boost.uri, original), inboxes


async def reblog_deleted(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    original = await s.get(Status, p["status_id"])
    if original is None or not p.get("boost_uri"):
        return None
    announce = await _announce(s, actor, p["boost_uri"], original)
    announce.pop("@context")
    inboxes = unique(
        await follower_inboxes(s, actor.id), await account_inboxes(s, [original.account_id])
    )
    return activity("Undo", f"{p['boost_uri']}/undo", actor.uri, announce), inboxes


async def follow_requested(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    request = await s.get(FollowRequest, p["request_id"])
    if request is None or request.uri is None:
        return None
    target = await s.get(Account, request.target_account_id)
    assert target is not None
    return activity("Follow", request.uri, actor.uri, target.uri), await account_inboxes(
        s, [target.id]
    )


async def follow_undone(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    target = await s.get(Account, p["target_id"])
    if target is None or not p.get("follow_uri"):
        return None
    follow = {"id": p["follow_uri"], "type": "Follow", "actor": actor.uri, "object": target.uri}
    doc = activity("Undo", f"{p['follow_uri']}/undo", actor.uri, follow)
    return doc, await account_inboxes(s, [target.id])


async def _answer(kind: str, s: AsyncSession, actor: Account, p: Mapping[str, Any]) -> Built:
    follower = await s.get(Account, p["follower_id"])
    if follower is None or not p.get("follow_uri"):
        return None
    follow = {"id": p["follow_uri"], "type": "Follow", "actor": follower.uri, "object": actor.uri}
    answer_id = f"{actor.uri}#{kind.lower()}s/follows/{follower.id}/{int(utcnow().timestamp())}"
    return activity(kind, answer_id, actor.uri, follow), await account_inboxes(s, [follower.id])


async def follow_accepted(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    return await _answer("Accept", s, actor, p)


async def follow_rejected(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    return await _answer("Reject", s, actor, p)


async def block_created(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    block = await s.get(Block, p["block_id"])
    if block is None or block.uri is None:
        return None
    target = await s.get(Account, block.target_account_id)
    assert target is not None
    return activity("Block", block.uri, actor.uri, target.uri), await account_inboxes(
        s, [target.id]
    )


async def block_deleted(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    target = await s.get(Account, p["target_id"])
    if target is None or not p.get("block_uri"):
        return None
    block = {"id": p["block_uri"], "type": "Block", "actor": actor.uri, "object": target.uri}
    doc = activity("Undo", f"{p['block_uri']}/undo", actor.uri, block)
    return doc, await account_inboxes(s, [target.id])


async def account_updated(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    profile = await s.get(TeacherProfile, actor.id)
    document = account_to_actor(actor, fed.site, profile)
    document.pop("@context")
    stamp = int(utcnow().timestamp())
    doc = activity("Update", f"{actor.uri}#updates/{stamp}", actor.uri, document, to=[PUBLIC])
    return doc, await follower_inboxes(s, actor.id)


async def account_moved(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    target = await s.get(Account, p["target_id"])
    if target is None:
        return None
    stamp = int(utcnow().timestamp())
    doc = activity("Move", f"{actor.uri}#moves/{stamp}", actor.uri, actor.uri, target=target.uri)
    return doc, await follower_inboxes(s, actor.id)


async def report_forwarded(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    report = await s.get(Report, p["report_id"])
    if report is None:
        return None
    target = await s.get(Account, report.target_account_id)
    assert target is not None
    status_uris = list(
        await s.scalars(select(Status.uri).where(Status.id.in_(report.status_ids or [])))
    )
    reporter = await fed.instance_actor()
    flag_id = f"{reporter.uri}#reports/{report.id}"
    doc = activity(
        "Flag", flag_id, reporter.uri, [target.uri, *status_uris], content=report.comment or None
    )
    return doc, await account_inboxes(s, [target.id])


BUILDERS: dict[str, Builder] = {
    "status.created": status_created,
    "status.updated": status_updated,
    "status.deleted": status_deleted,
    "favourite.created": favourite_created,
    "favourite.deleted": favourite_deleted,
    "reblog.created": reblog_created,
    "reblog.deleted": reblog_deleted,
    "follow.requested": follow_requested,
    "follow.undone": follow_undone,
    "follow.accepted": follow_accepted,
    "follow.rejected": follow_rejected,
    "block.created": block_created,
    "block.deleted": block_deleted,
    "account.updated": account_updated,
    "account.moved": account_moved,
    "report.forwarded": report_forwarded,
}
# Sent in the instance's name: a report must not reveal which teacher filed it.
SENT_BY_INSTANCE = frozenset({"report.forwarded"})


def federator(federation: Federation) -> Any:
    """The ``federate`` job handler: build the activity, then queue one delivery per inbox."""

    async def federate(payload: Mapping[str, Any], context: JobContext) -> None:
        if not federation.config.features.federation:
            return
        builder = BUILDERS[payload["event"]]
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
            for inbox in inboxes:
                if federation.policy.allows(host_of(inbox)):
                    await enqueue(
                        session,
                        DELIVER,
                        {"inbox": inbox, "activity": document, "actor_id": sender.id},
                    )

    return federate
