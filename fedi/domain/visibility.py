"""Who may see a status: the one place this rule lives.

- public and unlisted: anyone (unlisted only stays out of public timelines);
- private (followers-only): the author, the author's followers, and accounts it mentions;
- direct: the author and the accounts it mentions.

Whatever its visibility, a post of a private community (and the Group's boost of it) is
for the community's members, its Group and its author only: never for anonymous readers,
public or hashtag timelines, or anyone else's search.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Block, Community, CommunityPost, Follow, Mention, Status

OPEN_VISIBILITIES = ("public", "unlisted")


def _private_community_post(*extra: ColumnElement[bool]) -> ColumnElement[bool]:
    """The ``Status`` row is (or boosts) a post of a private community, and ``extra``."""
    return exists().where(
        or_(CommunityPost.status_id == Status.id, CommunityPost.status_id == Status.reblog_of_id),
        Community.account_id == CommunityPost.community_id,
        Community.visibility == "private",
        *extra,
    )


def outside_private_communities() -> ColumnElement[bool]:
    """A SQL condition on ``Status``: not a private community's post (nor a boost of one),
    for what anyone may read (public and hashtag timelines, documents served to anyone)."""
    return ~_private_community_post()


def community_reader(viewer_id: int | ColumnElement[Any]) -> ColumnElement[bool]:
    """A SQL condition: ``viewer_id`` may read every post of its private communities — a
    member (a follower of the Group), the Group itself or the post's author."""
    member = exists().where(
        Follow.account_id == viewer_id, Follow.target_account_id == CommunityPost.community_id
    )
    hidden = _private_community_post(
        ~member,
        CommunityPost.community_id != viewer_id,
        Status.account_id != viewer_id,
    )
    return ~hidden


def visible_to(viewer_id: int | ColumnElement[Any] | None) -> ColumnElement[bool]:
    """A SQL condition on ``Status`` true exactly when ``viewer_id`` may see the row.

    ``viewer_id`` may be a bound parameter, for statements built once and reused.
    """
    if viewer_id is None:
        return and_(Status.visibility.in_(OPEN_VISIBILITIES), outside_private_communities())
    mentioned = exists().where(Mention.status_id == Status.id, Mention.account_id == viewer_id)
    follower = exists().where(
        Follow.account_id == viewer_id, Follow.target_account_id == Status.account_id
    )
    return and_(
        or_(
            Status.visibility.in_(OPEN_VISIBILITIES),
            Status.account_id == viewer_id,
            mentioned,
            and_(Status.visibility == "private", follower),
        ),
        community_reader(viewer_id),
    )


async def can_see(session: AsyncSession, viewer: Account | None, status: Status) -> bool:
    if viewer is not None and viewer.id == status.account_id:
        return True
    found = await session.scalar(
        select(Status.id).where(
            Status.id == status.id, visible_to(viewer.id if viewer is not None else None)
        )
    )
    return found is not None


def blocks_between(viewer_id: int, author: Any) -> ColumnElement[bool]:
    """A SQL condition: ``viewer_id`` blocks the account in column ``author``, or is blocked
    by it (then neither finds the other, nor the other's posts, in a search)."""
    return exists().where(
        or_(
            and_(Block.account_id == viewer_id, Block.target_account_id == author),
            and_(Block.account_id == author, Block.target_account_id == viewer_id),
        )
    )


async def blocked_either_way(session: AsyncSession, one_id: int, other_id: int) -> bool:
    """True when either account blocks the other: then they cannot follow or interact."""
    found = await session.scalar(
        select(Block.id).where(
            ((Block.account_id == one_id) & (Block.target_account_id == other_id))
            | ((Block.account_id == other_id) & (Block.target_account_id == one_id))
        )
    )
    return found is not None
