"""The join requests a moderator has to answer: pending follows of the private communities
(Groups) they moderate, gathered for the moderation queue.

Answering goes through ``fedi.domain.communities`` (``approve`` / ``refuse``), which sends
the Accept or Reject to the applicant's server; who may answer is ``is_moderator``'s rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Community, CommunityRole, FollowRequest
from fedi.domain import communities
from fedi.errors import NotFound


@dataclass(frozen=True)
class JoinRequest:
    community: Account
    applicant: Account
    requested_at: datetime


def _moderated_by(account: Account, staff_role: str | None) -> ColumnElement[bool]:
    """The condition naming the communities ``account`` moderates (an instance admin
    moderates every local community, as ``communities.is_moderator`` says)."""
    moderator = select(CommunityRole.community_id).where(
        CommunityRole.account_id == account.id, CommunityRole.role == "moderator"
    )
    if staff_role == "admin":
        return or_(Community.account_id.in_(moderator), Account.domain.is_(None))
    return Community.account_id.in_(moderator)


async def pending(
    session: AsyncSession, moderator: Account, staff_role: str | None, limit: int = 100
) -> list[JoinRequest]:
    """Requests waiting in the communities ``moderator`` moderates, oldest first."""
    rows = await session.execute(
        select(FollowRequest, Account)
        .join(Community, Community.account_id == FollowRequest.target_account_id)
        .join(Account, Account.id == Community.account_id)
        .where(_moderated_by(moderator, staff_role))
        .order_by(FollowRequest.id)
        .limit(limit)
    )
    found = [(request, community) for request, community in rows]
    applicants = {
        a.id: a
        for a in await session.scalars(
            select(Account).where(Account.id.in_([r.account_id for r, _ in found]))
        )
    }
    return [
        JoinRequest(community, applicants[request.account_id], request.created_at)
        for request, community in found
        if request.account_id in applicants
    ]


async def answer(
    session: AsyncSession,
    moderator: Account,
    staff_role: str | None,
    *,
    community_id: int,
    applicant_id: int,
    accept: bool,
) -> None:
    """Accept or refuse one request, as a moderator of its community."""
    group = await session.get(Account, community_id)
    applicant = await session.get(Account, applicant_id)
    if group is None or applicant is None or group.actor_type != "Group":
        raise NotFound("Follow request not found")
    await communities.require_moderator(session, group, moderator, staff_role=staff_role)
    if accept:
        await communities.approve(session, group, applicant)
    else:
        await communities.refuse(session, group, applicant)


async def moderates_any(session: AsyncSession, account: Account, staff_role: str | None) -> bool:
    """Whether ``account`` moderates at least one community (the queue is theirs too)."""
    found = await session.scalar(
        select(Community.account_id)
        .join(Account, Account.id == Community.account_id)
        .where(_moderated_by(account, staff_role))
        .limit(1)
    )
    return found is not None
