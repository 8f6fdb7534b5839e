"""A community's threads: moderators remove and restore posts, lock and pin threads.

The same functions serve our moderators (JSON API), remote moderators whose activity
reaches our Group, our teachers moderating a remote community, and a remote Group's
announcements (``Acting.announced``); the rank rule is ``community_rank``. Each is a
no-op when nothing changes, and each change is logged and told
(``community_modlog.decided``).

A removed post keeps its row (and its author's copy): it leaves the community — its
threads list, the Group's featured collection, and the Group's boost, which is what
members' home timelines and Mastodon followers of the Group show — and a restore brings
it back. A locked thread refuses new replies (``community_posts.refusal``). Pinned threads
come first in the community's list and form the Group's ``featured`` collection.
"""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, CommunityPost, Status
from fedi.domain import community_modlog, community_rank, interactions
from fedi.domain.community_rank import Acting
from fedi.domain.site import Site
from fedi.errors import NotFound, ValidationFailed

# How far up a reply chain a lock is looked for: threads are rarely deeper.
MAX_DEPTH = 64


async def filed(session: AsyncSession, group: Account, status_id: int) -> CommunityPost:
    """The community's record of a post, or NotFound."""
    found = await session.get(CommunityPost, status_id)
    if found is None or found.community_id != group.id:
        raise NotFound("Post not found in this community")
    return found


async def _author(session: AsyncSession, status_id: int) -> Account | None:
    found: Account | None = await session.scalar(
        select(Account).join(Status, Status.account_id == Account.id).where(Status.id == status_id)
    )
    return found


async def remove(
    session: AsyncSession,
    group: Account,
    status_id: int,
    reason: str = "",
    *,
    acting: Acting,
) -> CommunityPost:
    post = await filed(session, group, status_id)
    await community_rank.authorize(session, group, acting, over=await _author(session, status_id))
    if post.removed_at is not None:
        return post
    reason = reason[: community_modlog.MAX_REASON]
    post.removed_at = utcnow()
    post.removed_by_id = acting.by.id if acting.by is not None else None
    post.removal_reason = reason
    post.pinned_at = None
    await session.flush()
    # The Group's boost goes (with an Undo{Announce} to members when the Group is ours).
    with suppress(NotFound):
        await interactions.unreblog(session, group, status_id)
    await community_modlog.decided(
        session, group, "remove_post", acting, status_id=status_id, reason=reason
    )
    return post


async def restore(
    session: AsyncSession, site: Site, group: Account, status_id: int, *, acting: Acting
) -> CommunityPost:
    post = await filed(session, group, status_id)
    await community_rank.authorize(session, group, acting)
    if post.removed_at is None:
        return post
    post.removed_at = None
    post.removed_by_id = None
    post.removal_reason = ""
    await session.flush()
    if group.is_local:
        # The post went meanwhile: nothing to show again.
        with suppress(NotFound, ValidationFailed):
            await interactions.reblog(session, site, group, status_id, visibility="public")
    await community_modlog.decided(session, group, "restore_post", acting, status_id=status_id)
    return post


async def lock(
    session: AsyncSession,
    group: Account,
    status_id: int,
    locked: bool,
    reason: str = "",
    *,
    acting: Acting,
) -> CommunityPost:
    post = await filed(session, group, status_id)
    await community_rank.authorize(session, group, acting)
    if (post.locked_at is not None) == locked:
        return post
    post.locked_at = utcnow() if locked else None
    await session.flush()
    action = "lock" if locked else "unlock"
    await community_modlog.decided(
        session, group, action, acting, status_id=status_id, reason=reason
    )
    return post


async def pin(
    session: AsyncSession, group: Account, status_id: int, pinned: bool, *, acting: Acting
) -> CommunityPost:
    post = await filed(session, group, status_id)
    await community_rank.authorize(session, group, acting)
    if pinned and post.removed_at is not None:
        raise ValidationFailed("A removed post cannot be pinned", field="status_id")
    if (post.pinned_at is not None) == pinned:
        return post
    post.pinned_at = utcnow() if pinned else None
    await session.flush()
    action = "pin" if pinned else "unpin"
    await community_modlog.decided(session, group, action, acting, status_id=status_id)
    return post


async def locked(session: AsyncSession, parent: Status | None) -> bool:
    """Whether a reply to ``parent`` falls in a locked thread (the parent or any post
    above it is locked)."""
    chain: list[int] = []
    current = parent
    while current is not None and len(chain) < MAX_DEPTH:
        chain.append(current.id)
        if current.in_reply_to_id is None:
            break
        current = await session.get(Status, current.in_reply_to_id)
    if not chain:
        return False
    found = await session.scalar(
        select(CommunityPost.status_id)
        .where(CommunityPost.status_id.in_(chain), CommunityPost.locked_at.is_not(None))
        .limit(1)
    )
    return found is not None


async def threads(
    session: AsyncSession,
    group_id: int,
    *,
    limit: int = 20,
    max_id: int | None = None,
    readable: ColumnElement[bool] | None = None,
) -> list[CommunityPost]:
    """The community's threads (posts that start one), pinned first on the first page,
    then newest first; removed ones are left out. ``max_id`` pages back (unpinned only).
    ``readable`` narrows them to what a reader may see (the pages' ``visible_to``)."""
    base = (
        select(CommunityPost)
        .join(Status, Status.id == CommunityPost.status_id)
        .where(
            CommunityPost.community_id == group_id,
            CommunityPost.removed_at.is_(None),
            Status.in_reply_to_id.is_(None),
            Status.reblog_of_id.is_(None),
        )
    )
    if readable is not None:
        base = base.where(readable)
    pinned: list[CommunityPost] = []
    if max_id is None:
        pinned = list(
            await session.scalars(
                base.where(CommunityPost.pinned_at.is_not(None))
                .order_by(CommunityPost.pinned_at.desc())
                .limit(limit)
            )
        )
    rest = base.where(CommunityPost.pinned_at.is_(None))
    if max_id is not None:
        rest = rest.where(CommunityPost.status_id < max_id)
    others = await session.scalars(
        rest.order_by(CommunityPost.status_id.desc()).limit(max(limit - len(pinned), 0))
    )
    return [*pinned, *others]


async def pinned_ids(session: AsyncSession, group_id: int) -> list[int]:
    """The Group's featured collection: pinned threads, most recently pinned first."""
    rows = await session.scalars(
        select(CommunityPost.status_id)
        .where(
            CommunityPost.community_id == group_id,
            CommunityPost.pinned_at.is_not(None),
            CommunityPost.removed_at.is_(None),
        )
        .order_by(CommunityPost.pinned_at.desc())
        .limit(40)
    )
    return list(rows)


async def records(session: AsyncSession, status_ids: list[int]) -> dict[int, CommunityPost]:
    """The community records of these posts (those filed in a community), by post id: what
    the pages mark as pinned, locked or removed."""
    if not status_ids:
        return {}
    rows = await session.scalars(
        select(CommunityPost).where(CommunityPost.status_id.in_(status_ids))
    )
    return {row.status_id: row for row in rows}


async def root_of(session: AsyncSession, status: Status) -> Status:
    """The post that starts ``status``'s thread (itself when it answers nothing)."""
    current = status
    for _ in range(MAX_DEPTH):
        if current.in_reply_to_id is None:
            break
        parent = await session.get(Status, current.in_reply_to_id)
        if parent is None:
            break
        current = parent
    return current
