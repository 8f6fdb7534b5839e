"""Which community a post belongs to, and the likes its Group relays.

Kept apart from ``community_posts`` (which boosts through ``interactions``) so that
``interactions`` can ask it without an import cycle: a like of a community post is the
community's business too (FEP-1b12, as Lemmy federates votes).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, CommunityPost
from fedi.domain.events import emit


async def community_of(session: AsyncSession, status_id: int) -> Account | None:
    """The community (its Group's account) a post belongs to, if any."""
    found: Account | None = await session.scalar(
        select(Account)
        .join(CommunityPost, CommunityPost.community_id == Account.id)
        .where(CommunityPost.status_id == status_id)
    )
    return found


async def relay_like(
    session: AsyncSession, status_id: int, liker: Account, like_uri: str, *, undone: bool = False
) -> None:
    """A like of a post in one of our communities, or its undo, from anyone: our Group
    announces it to its members' servers (``Announce{Like}``, ``Announce{Undo{Like}}``),
    so every member's server counts it. A remote community hears of it from the liker's
    server (the Like is sent to its Group as well as to the author)."""
    group = await community_of(session, status_id)
    if group is None or not group.is_local:
        return
    await emit(
        session,
        group,
        "community.announced",
        change="Undo" if undone else "Like",
        status_id=status_id,
        author_id=liker.id,
        like_uri=like_uri,
    )
