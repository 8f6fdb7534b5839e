"""Activities about posts: Create, Update, Delete, Like, Announce and their Undo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import (
    Account,
    Community,
    CommunityPost,
    Favourite,
    Status,
)
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import StatusView
from fedi.domain import community_relay, renditions
from fedi.federation.addressing import address
from fedi.federation.context import Federation
from fedi.federation.convert.outgoing import activity, iso, status_to_note
from fedi.federation.delivery.recipients import account_inboxes, follower_inboxes, unique
from fedi.federation.delivery.types import Built
from fedi.federation.wire.common import PUBLIC


async def _status_parts(
    federation: Federation, session: AsyncSession, actor: Account, status_id: int
) -> tuple[StatusView, dict[str, Any], list[str]] | None:
    # The view carries what the Note and its addressing need (mentions included): every
    # round trip here delays the post's deliveries (benchmarks/fanout.py).
    views = await load_views(session, [status_id], None)
    if not views:
        return None  # deleted before we got to it: its Delete follows
    status = views[0]
    parent_uri = None
    if status.in_reply_to_id is not None:
        parent_uri = await session.scalar(
            select(Status.uri).where(Status.id == status.in_reply_to_id)
        )
    assert actor.followers_url is not None
    translated = await renditions.for_federation(session, [status])
    note = status_to_note(
        status,
        federation.site,
        actor.followers_url,
        in_reply_to_uri=parent_uri,
        translations=renditions.as_content_map(translated.get(status.id, {})),
    )
    mentioned = [mention.account_id for mention in status.mentions]
    if status.in_reply_to_account_id is not None:
        mentioned.append(status.in_reply_to_account_id)
    followers = [] if status.visibility == "direct" else await follower_inboxes(session, actor.id)
    filed = await session.get(CommunityPost, status.id)
    if filed is not None:
        # FEP-1b12: the post names its community, which receives it and relays it to members.
        group = await session.get(Account, filed.community_id)
        if group is not None:
            note["audience"] = group.uri
            if filed.title:
                note["name"] = filed.title
            if group.uri not in note["to"] and group.uri not in note["cc"]:
                note["cc"] = [*note["cc"], group.uri]
            mentioned.append(group.id)
            community = await session.get(Community, group.id)
            if community is not None and community.visibility == "private":
                # A private community's post goes to its Group only, which relays it to
                # the members' servers: never to the author's followers or mentions.
                return status, note, await account_inboxes(session, [group.id])
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
    """The liked post's author's inbox, and its community's Group's when that community
    lives on another server (it relays the like to its members, as Lemmy expects)."""
    status = await s.get(Status, status_id)
    if status is None:
        return None
    accounts = [status.account_id]
    group = await community_relay.community_of(s, status.id)
    if group is not None and not group.is_local:
        accounts.append(group.id)
    return status, await account_inboxes(s, accounts)


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
