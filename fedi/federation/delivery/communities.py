"""Activities a community's Group sends: Announce of members' posts, Reject of refused ones.

The Announce{Note} that Mastodon shows is the Group's boost (``reblog.created``); here is
the Announce{Create} that FEP-1b12 peers (Lemmy, Mbin, PieFed, NodeBB, Jamii) read, wrapping
the member's activity unchanged when it came from another server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Community, Status
from fedi.federation.context import Federation
from fedi.federation.convert.outgoing import activity, iso
from fedi.federation.delivery import statuses
from fedi.federation.delivery.recipients import account_inboxes, follower_inboxes, unique
from fedi.federation.delivery.types import Built
from fedi.federation.wire.common import PUBLIC


async def _local_activity(
    fed: Federation, s: AsyncSession, p: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The local author's own Create, Update or Delete, as their followers receive it."""
    author = await s.get(Account, p["author_id"])
    if author is None or not author.is_local:
        return None
    kind = p.get("change", "Create")
    if kind == "Delete":
        built = await statuses.status_deleted(fed, s, author, p.get("deletion") or {})
    elif kind == "Update":
        built = await statuses.status_updated(fed, s, author, {"status_id": p["status_id"]})
    else:
        built = await statuses.status_created(fed, s, author, {"status_id": p["status_id"]})
    if built is None:
        return None
    document, _ = built
    return document


async def community_announced(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    if p.get("change", "Create") != "Delete" and await s.get(Status, p["status_id"]) is None:
        return None  # deleted before the Group got to it: its Delete follows
    inner = p.get("activity") or await _local_activity(fed, s, p)
    if inner is None or not isinstance(inner.get("id"), str):
        return None
    return _announce(actor, inner), await follower_inboxes(s, actor.id)


def _announce(group: Account, inner: dict[str, Any]) -> dict[str, Any]:
    """The Group's Announce of ``inner``; its id is derived from the inner id, so the same
    relay queued twice is one activity to receivers."""
    assert group.followers_url is not None
    digest = hashlib.sha256(str(inner["id"]).encode()).hexdigest()[:24]
    return activity(
        "Announce",
        f"{group.uri}/announces/{digest}",
        group.uri,
        inner,
        to=[PUBLIC],
        cc=[group.followers_url],
        audience=group.uri,
        published=iso(utcnow()),
    )


async def community_moderated(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    """A moderator's Block (ban), Undo{Block}, Add or Remove (of a moderator), as Lemmy
    sends them, announced by the Group to its members and to the account concerned."""
    account = await s.get(Account, p["account_id"])
    if account is None:
        return None
    moderator = await s.get(Account, p["moderator_id"]) if p.get("moderator_id") else None
    by = moderator.uri if moderator is not None and moderator.is_local else actor.uri
    community = await s.get(Community, actor.id)
    moderators_url = (community.moderators_url if community else None) or f"{actor.uri}/moderators"
    stamp = int(utcnow().timestamp() * 1000)
    addressing: dict[str, Any] = {"to": [PUBLIC], "cc": [actor.uri], "audience": actor.uri}
    action = p["action"]
    if action in ("ban", "unban"):
        block: dict[str, Any] = {
            "id": f"{actor.uri}/bans/{account.id}/{stamp}",
            "type": "Block",
            "actor": by,
            "object": account.uri,
            "target": actor.uri,
            **addressing,
        }
        if p.get("reason"):
            block["summary"] = p["reason"]
        inner = block
        if action == "unban":
            inner = {"id": f"{block['id']}/undo", "type": "Undo", "actor": by, "object": block}
            inner.update(addressing)
    else:
        kind = "Add" if action == "add_moderator" else "Remove"
        inner = {
            "id": f"{moderators_url}/{kind.lower()}/{account.id}/{stamp}",
            "type": kind,
            "actor": by,
            "object": account.uri,
            "target": moderators_url,
            **addressing,
        }
    inboxes = unique(await follower_inboxes(s, actor.id), await account_inboxes(s, [account.id]))
    return _announce(actor, inner), inboxes


async def community_refused(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    refused = p.get("activity") or {}
    if not refused.get("id"):
        return None
    # The Reject's id must be on the Group's server, as every activity's is.
    digest = hashlib.sha256(str(refused["id"]).encode()).hexdigest()[:24]
    doc = activity("Reject", f"{actor.uri}/rejects/{digest}", actor.uri, refused)
    return doc, await account_inboxes(s, [p["author_id"]])
