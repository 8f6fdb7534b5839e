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
from fedi.db.models import Account, Status
from fedi.federation.context import Federation
from fedi.federation.convert.outgoing import activity, iso
from fedi.federation.delivery import statuses
from fedi.federation.delivery.recipients import account_inboxes, follower_inboxes
from fedi.federation.delivery.types import Built
from fedi.federation.wire.common import PUBLIC


def like_of(liker: Account, like_uri: str, status: Status) -> dict[str, Any]:
    """A Like as every server sends it (no addressing: it is the liked post's business)."""
    return {"id": like_uri, "type": "Like", "actor": liker.uri, "object": status.uri}


async def _like(s: AsyncSession, p: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    """A like of a community post, or its undo, as the liker's server sent it (or we did)."""
    liker = await s.get(Account, p["author_id"])
    status = await s.get(Status, p["status_id"])
    if liker is None or status is None or not p.get("like_uri"):
        return None
    like = like_of(liker, str(p["like_uri"]), status)
    if kind == "Like":
        return like
    return activity("Undo", f"{p['like_uri']}/undo", liker.uri, like)


async def _local_activity(
    fed: Federation, s: AsyncSession, p: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The local author's own Create, Update or Delete, as their followers receive it; or a
    like (or its undo) of a community post, by anyone."""
    kind = p.get("change", "Create")
    if kind in ("Like", "Undo"):
        return await _like(s, p, kind)
    author = await s.get(Account, p["author_id"])
    if author is None or not author.is_local:
        return None
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
    return announce(actor, inner), await follower_inboxes(s, actor.id)


def announce(group: Account, inner: dict[str, Any]) -> dict[str, Any]:
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
