"""The moderation log of a community: every ban, unban, moderator change, removal,
restoration, lock and pin — with who, whom or what, why and when.

Recorded for our communities and for remote ones whose Group tells us (what our members
see there is explained). Lemmy publishes its modlog; so does a public community here.
A private community's log is for its moderators.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, ModlogEntry
from fedi.domain import community_rank
from fedi.domain.communities import CommunityView
from fedi.domain.community_rank import Acting
from fedi.domain.events import emit
from fedi.errors import Forbidden

MAX_REASON = 500


async def record(
    session: AsyncSession,
    group: Account,
    action: str,
    acting: Acting,
    *,
    account: Account | None = None,
    status_id: int | None = None,
    reason: str = "",
) -> ModlogEntry:
    entry = ModlogEntry(
        community_id=group.id,
        action=action,
        moderator_id=acting.by.id if acting.by is not None else None,
        target_account_id=account.id if account is not None else None,
        target_status_id=status_id,
        reason=reason[:MAX_REASON],
    )
    session.add(entry)
    await session.flush()
    return entry


async def decided(
    session: AsyncSession,
    group: Account,
    action: str,
    acting: Acting,
    *,
    account: Account | None = None,
    status_id: int | None = None,
    reason: str = "",
) -> None:
    """A decision taken (its state already changed): logged, and told as Lemmy tells it —
    our Group announces it to its members; a decision of our teacher in a remote community
    goes to that Group, which announces it. What a remote Group announced is only logged."""
    await record(
        session, group, action, acting, account=account, status_id=status_id, reason=reason
    )
    if acting.announced:
        return
    fields: dict[str, Any] = {
        "action": action,
        "account_id": account.id if account is not None else None,
        "status_id": status_id,
        "moderator_id": acting.by.id if acting.by is not None else None,
        "reason": reason[:MAX_REASON],
        "activity": acting.activity,
    }
    if group.is_local:
        await emit(session, group, "community.moderated", **fields)
    elif acting.by is not None and acting.by.is_local:
        await emit(session, acting.by, "community.moderation_sent", group_id=group.id, **fields)


async def may_read(session: AsyncSession, view: CommunityView, reader: Acting | None) -> bool:
    """Whether ``reader`` may read the log: anyone for a public community, its moderators
    (and our admins) for a private one."""
    if view.community.visibility == "public":
        return True
    if reader is None or reader.by is None:
        return False
    return await community_rank.may_moderate(session, view.account, reader)


async def readable(session: AsyncSession, view: CommunityView, reader: Acting | None) -> None:
    """Raise Forbidden unless ``reader`` may read the log (``may_read``)."""
    if not await may_read(session, view, reader):
        raise Forbidden("Only the community's moderators may read its moderation log")


async def entries(
    session: AsyncSession, group_id: int, *, limit: int = 40, max_id: int | None = None
) -> list[ModlogEntry]:
    """Newest first; ``max_id`` pages back."""
    query = select(ModlogEntry).where(ModlogEntry.community_id == group_id)
    if max_id is not None:
        query = query.where(ModlogEntry.id < max_id)
    rows = await session.scalars(query.order_by(ModlogEntry.id.desc()).limit(limit))
    return list(rows)
