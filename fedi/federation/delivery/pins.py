"""Pinning and unpinning federate as Mastodon does: Add or Remove of the post (by URI) to
or from the author's featured collection, sent to their followers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Status
from fedi.federation.context import Federation
from fedi.federation.convert.outgoing import activity
from fedi.federation.delivery.recipients import follower_inboxes
from fedi.federation.delivery.types import Built
from fedi.federation.wire.common import PUBLIC
from fedi.ids import new_id


def featured_url(actor: Account) -> str:
    return actor.featured_url or f"{actor.uri}/collections/featured"


def _featuring(kind: str, actor: Account, status_uri: str) -> dict[str, Any]:
    return activity(
        kind,
        f"{actor.uri}#featured/{kind.lower()}/{new_id()}",
        actor.uri,
        status_uri,
        target=featured_url(actor),
        to=[PUBLIC],
    )


async def pin_created(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    status = await s.get(Status, p["status_id"])
    if status is None:
        return None  # deleted since: its Delete tells everyone what they need to know
    doc = _featuring("Add", actor, status.uri)
    return doc, await follower_inboxes(s, actor.id)


async def pin_deleted(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    uri: str = p["status_uri"]
    doc = _featuring("Remove", actor, uri)
    return doc, await follower_inboxes(s, actor.id)
