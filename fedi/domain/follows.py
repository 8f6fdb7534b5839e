"""Following: requests to locked or remote accounts, approvals, unfollows, and counters.

A follow of a remote account is a request until its server answers Accept; a remote
follower of an unlocked local account is accepted at once and told so. Both paths (the
client API and the inbox) come through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, CommunityRole, Follow, FollowRequest
from fedi.db.writes import execute_counting
from fedi.domain import notifications
from fedi.domain.events import emit
from fedi.domain.visibility import blocked_either_way
from fedi.errors import Forbidden, NotFound, ValidationFailed
from fedi.ids import new_id


@dataclass(frozen=True)
class Relationship:
    following: bool
    requested: bool
    followed_by: bool


async def _find(
    session: AsyncSession,
    model: type[Follow] | type[FollowRequest],
    follower_id: int,
    target_id: int,
) -> Follow | FollowRequest | None:
    found: Follow | FollowRequest | None = await session.scalar(
        select(model).where(model.account_id == follower_id, model.target_account_id == target_id)
    )
    return found


async def _bump(session: AsyncSession, follower_id: int, target_id: int, by: int) -> None:
    # Counter updates are expressions, not read-modify-write, so concurrent follows add up.
    await session.execute(
        update(Account)
        .where(Account.id == follower_id)
        .values(following_count=Account.following_count + by)
    )
    await session.execute(
        update(Account)
        .where(Account.id == target_id)
        .values(followers_count=Account.followers_count + by)
    )


async def _banned(session: AsyncSession, group_id: int, account_id: int) -> bool:
    # Joining a community is following its Group; a ban keeps the door shut on every path.
    found = await session.scalar(
        select(CommunityRole.id).where(
            CommunityRole.community_id == group_id,
            CommunityRole.account_id == account_id,
            CommunityRole.role == "banned",
        )
    )
    return found is not None


def _local_follow_uri(follower: Account, relation_id: int) -> str:
    return f"{follower.uri}#follows/{relation_id}"


async def follow(
    session: AsyncSession, follower: Account, target: Account, *, uri: str | None = None
) -> Follow | FollowRequest:
    """Follow ``target``, or ask to. Repeating it changes nothing.

    ``uri`` is the Follow activity's id when it came from another server.
    """
    if follower.id == target.id:
        raise ValidationFailed("You cannot follow yourself", field="id")
    if target.suspended_at is not None:
        raise NotFound()
    if await blocked_either_way(session, follower.id, target.id):
        raise Forbidden("You cannot follow this account")
    if target.actor_type == "Group" and await _banned(session, target.id, follower.id):
        raise Forbidden("You are banned from this community")
    existing = await _find(session, Follow, follower.id, target.id)
    if existing is not None:
        return existing
    pending = await _find(session, FollowRequest, follower.id, target.id)
    if pending is not None:
        return pending
    relation_id = new_id()
    uri = uri or _local_follow_uri(follower, relation_id)
    if target.locked or not target.is_local:
        request = FollowRequest(
            id=relation_id, account_id=follower.id, target_account_id=target.id, uri=uri
        )
        session.add(request)
        await session.flush()
        await notifications.notify(
            session, recipient=target, sender_id=follower.id, type="follow_request"
        )
        if not target.is_local:
            await emit(session, follower, "follow.requested", request_id=request.id)
        return request
    return await _establish(session, follower, target, uri=uri, relation_id=relation_id)


async def _establish(
    session: AsyncSession,
    follower: Account,
    target: Account,
    *,
    uri: str | None,
    relation_id: int | None = None,
) -> Follow:
    relation = Follow(
        id=relation_id or new_id(), account_id=follower.id, target_account_id=target.id, uri=uri
    )
    session.add(relation)
    await session.flush()
    await _bump(session, follower.id, target.id, 1)
    await notifications.notify(session, recipient=target, sender_id=follower.id, type="follow")
    if not follower.is_local:
        # The remote follower's server waits for our answer before it delivers our posts.
        await emit(session, target, "follow.accepted", follower_id=follower.id, follow_uri=uri)
    return relation


async def _drop(session: AsyncSession, follower: Account, target: Account) -> None:
    await session.execute(
        delete(FollowRequest).where(
            FollowRequest.account_id == follower.id, FollowRequest.target_account_id == target.id
        )
    )
    removed = await execute_counting(
        session,
        delete(Follow).where(
            Follow.account_id == follower.id, Follow.target_account_id == target.id
        ),
    )
    if removed:
        await _bump(session, follower.id, target.id, -1)
    for kind in ("follow", "follow_request"):
        await notifications.withdraw(
            session, recipient_id=target.id, sender_id=follower.id, type=kind, status_id=None
        )


async def remove_silently(session: AsyncSession, follower: Account, target: Account) -> None:
    """End a follow without telling anyone (a block already tells the other server)."""
    await _drop(session, follower, target)


async def unfollow(session: AsyncSession, follower: Account, target: Account) -> bool:
    """Stop following (or withdraw a pending request). True if anything was undone."""
    undone = await _find(session, Follow, follower.id, target.id) or await _find(
        session, FollowRequest, follower.id, target.id
    )
    if undone is None:
        return False
    if not target.is_local:
        await emit(session, follower, "follow.undone", target_id=target.id, follow_uri=undone.uri)
    await _drop(session, follower, target)
    return True


async def authorize(session: AsyncSession, target: Account, follower: Account) -> Follow:
    """``target`` accepts a pending request (a local teacher approving, or a remote Accept)."""
    request = await _find(session, FollowRequest, follower.id, target.id)
    if request is None:
        existing = await _find(session, Follow, follower.id, target.id)
        if isinstance(existing, Follow):
            return existing
        raise NotFound("Follow request not found")
    # What the follower asked for (boosts, notifications) holds once they are accepted.
    options = {"show_reblogs": request.show_reblogs, "notify": request.notify}
    await session.delete(request)
    await session.flush()
    await notifications.withdraw(
        session,
        recipient_id=target.id,
        sender_id=follower.id,
        type="follow_request",
        status_id=None,
    )
    relation = await _establish(session, follower, target, uri=request.uri, relation_id=request.id)
    relation.show_reblogs, relation.notify = options["show_reblogs"], options["notify"]
    return relation


async def reject(session: AsyncSession, target: Account, follower: Account) -> None:
    """``target`` refuses a follower: a pending request, or (remote Reject) an accepted follow."""
    found = await _find(session, FollowRequest, follower.id, target.id) or await _find(
        session, Follow, follower.id, target.id
    )
    if found is None:
        raise NotFound("Follow request not found")
    await _drop(session, follower, target)
    if not follower.is_local:
        await emit(
            session, target, "follow.rejected", follower_id=follower.id, follow_uri=found.uri
        )


async def relationship(session: AsyncSession, viewer: Account, other: Account) -> Relationship:
    return Relationship(
        following=await _find(session, Follow, viewer.id, other.id) is not None,
        requested=await _find(session, FollowRequest, viewer.id, other.id) is not None,
        followed_by=await _find(session, Follow, other.id, viewer.id) is not None,
    )
