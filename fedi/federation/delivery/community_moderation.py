"""A community's moderation decisions as Lemmy federates them (FEP-1b12).

The moderator's activity — ``Block``/``Undo{Block}`` (ban), ``Add``/``Remove`` to the
moderators collection, ``Delete``/``Undo{Delete}`` of a post (removal: by a moderator,
not the author), ``Lock``/``Undo{Lock}``, ``Add``/``Remove`` to the featured collection
(pin) — is announced by the Group to its members, the account concerned and the post's
author. A remote moderator's activity, as our Group received it, is relayed unchanged; a
decision of our teacher in a remote community goes to that Group's inbox, and the Group
announces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Community, Status
from fedi.federation.context import Federation
from fedi.federation.convert.outgoing import CONTEXT
from fedi.federation.delivery.communities import announce
from fedi.federation.delivery.recipients import account_inboxes, follower_inboxes, unique
from fedi.federation.delivery.types import Built
from fedi.federation.wire.common import PUBLIC
from fedi.ids import new_id

# The activity (and, for an Undo, the activity undone) of each decision.
KINDS: dict[str, tuple[str, bool]] = {
    "ban": ("Block", False),
    "unban": ("Block", True),
    "add_moderator": ("Add", False),
    "remove_moderator": ("Remove", False),
    "remove_post": ("Delete", False),
    "restore_post": ("Delete", True),
    "lock": ("Lock", False),
    "unlock": ("Lock", True),
    "pin": ("Add", False),
    "unpin": ("Remove", False),
}


async def _subject(s: AsyncSession, p: Mapping[str, Any]) -> tuple[Account | None, Status | None]:
    account = await s.get(Account, p["account_id"]) if p.get("account_id") else None
    status = await s.get(Status, p["status_id"]) if p.get("status_id") else None
    return account, status


async def decision(
    s: AsyncSession, group: Account, actor_uri: str, p: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The moderator's activity for the decision in ``p`` (None if its subject is gone)."""
    action = p["action"]
    if action not in KINDS:
        return None
    kind, undo = KINDS[action]
    account, status = await _subject(s, p)
    subject = account.uri if account is not None else status.uri if status is not None else None
    if subject is None:
        return None
    community = await s.get(Community, group.id)
    if action in ("add_moderator", "remove_moderator"):
        target: str | None = (
            community.moderators_url if community else None
        ) or f"{group.uri}/moderators"
    elif action in ("pin", "unpin"):
        target = group.featured_url or f"{group.uri}/collections/featured"
    elif action in ("ban", "unban"):
        target = group.uri
    else:
        target = None
    # Ids live on the actor's server, as every activity's must.
    base = f"{actor_uri}/moderation/{new_id()}"
    addressing: dict[str, Any] = {"to": [PUBLIC], "cc": [group.uri], "audience": group.uri}
    inner: dict[str, Any] = {
        "id": base,
        "type": kind,
        "actor": actor_uri,
        "object": subject,
        **addressing,
    }
    if target is not None:
        inner["target"] = target
    if p.get("reason"):
        inner["summary"] = p["reason"]
    if not undo:
        return inner
    return {"id": f"{base}/undo", "type": "Undo", "actor": actor_uri, "object": inner, **addressing}


async def community_moderated(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    """Our Group announces a decision to its members, the account concerned and the
    post's author."""
    inner = p.get("activity")
    if inner is None:
        moderator = await s.get(Account, p["moderator_id"]) if p.get("moderator_id") else None
        by = moderator.uri if moderator is not None and moderator.is_local else actor.uri
        inner = await decision(s, actor, by, p)
    if inner is None:
        return None
    account, status = await _subject(s, p)
    concerned = [
        a
        for a in (account.id if account else None, status.account_id if status else None)
        if a is not None
    ]
    inboxes = unique(await follower_inboxes(s, actor.id), await account_inboxes(s, concerned))
    return announce(actor, inner), inboxes


async def community_moderation_sent(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    """Our teacher's decision in a remote community, sent to its Group's inbox."""
    group = await s.get(Account, p["group_id"])
    if group is None or group.is_local or group.inbox_url is None:
        return None
    inner = await decision(s, group, actor.uri, p)
    if inner is None:
        return None
    return {"@context": CONTEXT, **inner}, [group.inbox_url]
