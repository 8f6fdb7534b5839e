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


async def _local_create(fed: Federation, s: AsyncSession, status: Status) -> dict[str, Any] | None:
    author = await s.get(Account, status.account_id)
    if author is None or not author.is_local:
        return None
    built = await statuses.status_created(fed, s, author, {"status_id": status.id})
    if built is None:
        return None
    document, _ = built
    return document


async def community_announced(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    status = await s.get(Status, p["status_id"])
    if status is None:
        return None  # deleted before the Group got to it
    inner = p.get("activity") or await _local_create(fed, s, status)
    if inner is None:
        return None
    assert actor.followers_url is not None
    doc = activity(
        "Announce",
        f"{actor.uri}/announces/{status.id}/create",
        actor.uri,
        inner,
        to=[PUBLIC],
        cc=[actor.followers_url],
        audience=actor.uri,
        published=iso(utcnow()),
    )
    return doc, await follower_inboxes(s, actor.id)


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
