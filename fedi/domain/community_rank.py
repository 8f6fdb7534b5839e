"""Who may moderate a community, and whom: one rule for local and remote moderators.

A moderation action is taken by a moderator of the community (as this instance knows its
moderators: ours, or what a remote Group told us), by an admin of the community's own
instance, or by the Group itself (the operator, or a remote Group's own announcement).
Among moderators, earlier-appointed ones outrank later ones (Lemmy's rank): a moderator
may ban, demote or remove the posts of only the moderators appointed after them, so the
first moderator outranks everyone. An instance admin outranks every moderator.

A decision learnt from a remote Group's Announce (``announced``) was ranked by the
Group's own server; here it needs only a moderator (or the Group) as its actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, CommunityRole
from fedi.errors import Forbidden


@dataclass(frozen=True)
class Acting:
    """Who takes a moderation action and how it reached us.

    ``by`` None is the Group itself (the CLI, the operator). ``staff_role`` is a local
    teacher's instance role. ``activity`` is the moderator's activity as received by our
    Group, relayed unchanged. ``announced``: learnt from a remote Group, applied only.
    """

    by: Account | None = None
    staff_role: str | None = None
    activity: dict[str, Any] | None = None
    announced: bool = False


async def _appointed(session: AsyncSession, group_id: int, account_id: int) -> int | None:
    """The moderator role's id (time-ordered: its appointment), None if not a moderator."""
    found: int | None = await session.scalar(
        select(CommunityRole.id).where(
            CommunityRole.community_id == group_id,
            CommunityRole.account_id == account_id,
            CommunityRole.role == "moderator",
        )
    )
    return found


def _is_group_or_admin(group: Account, acting: Acting) -> bool:
    if acting.by is None or acting.by.id == group.id:
        return True
    return group.is_local and acting.by.is_local and acting.staff_role == "admin"


async def may_moderate(session: AsyncSession, group: Account, acting: Acting) -> bool:
    """Whether ``acting`` may take moderation actions in the community at all."""
    if _is_group_or_admin(group, acting):
        return True
    assert acting.by is not None
    return await _appointed(session, group.id, acting.by.id) is not None


async def authorize(
    session: AsyncSession, group: Account, acting: Acting, *, over: Account | None = None
) -> None:
    """Raise Forbidden unless ``acting`` may moderate, and outranks ``over`` (the account
    acted on, or the author of the post acted on) when that one is a moderator too."""
    if _is_group_or_admin(group, acting):
        return
    assert acting.by is not None
    mine = await _appointed(session, group.id, acting.by.id)
    if mine is None:
        raise Forbidden("Only the community's moderators may do this")
    if acting.announced or over is None or over.id == acting.by.id:
        return
    theirs = await _appointed(session, group.id, over.id)
    if theirs is not None and theirs < mine:
        raise Forbidden("Only a moderator appointed earlier, or an admin, may act on a moderator")
