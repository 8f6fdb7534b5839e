"""Whether the pages offer a reader a community's moderation forms: the reader as a
moderation actor, judged by the domain's one rule (``community_rank.may_moderate``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.domain import community_rank
from fedi.domain.communities import CommunityView
from fedi.domain.community_rank import Acting
from fedi.web.rendering import Reader


def acting_of(reader: Reader) -> Acting | None:
    """The reader as a moderation actor (None when not signed in)."""
    if reader.viewer is None:
        return None
    return Acting(by=reader.viewer.account, staff_role=reader.viewer.user.role)


async def may_moderate(session: AsyncSession, view: CommunityView, reader: Reader) -> bool:
    acting = acting_of(reader)
    return acting is not None and await community_rank.may_moderate(session, view.account, acting)
