"""Following: requests to locked accounts, approvals, unfollows, and the counters they move."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Follow, FollowRequest
from fedi.db.writes import execute_counting
from fedi.domain import notifications
from fedi.errors import NotFound, ValidationFailed


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


async def follow(
    session: AsyncSession, follower: Account, target: Account, *, uri: str | None = None
) -> Follow | FollowRequest:
    """Follow ``target``, or ask to when it is locked. Repeating it changes nothing."""
    if follower.id == target.id:
        raise ValidationFailed("You cannot follow yourself", field="id")
    existing = await _find(session, Follow, follower.id, target.id)
    if existing is not None:
        return existing
    pending = await _find(session, FollowRequest, follower.id, target.id)
    if pending is not None:
        return pending
    if target.locked:
        request = FollowRequest(account_id=follower.id, target_account_id=target.id, uri=uri)
        session.add(request)
        await session.flush()
        await notifications.notify(
            session, recipient=target, sender_id=follower.id, type="follow_request"
        )
        return request
    return await _establish(session, follower, target, uri=uri)


async def _establish(
    session: AsyncSession, follower: Account, target: Account, *, uri: str | None
) -> Follow:
    relation = Follow(account_id=follower.id, target_account_id=target.id, uri=uri)
    session.add(relation)
    await session.flush()
    await _bump(session, follower.id, target.id, 1)
    await notifications.notify(session, recipient=target, sender_id=follower.id, type="follow")
    return relation


async def unfollow(session: AsyncSession, follower: Account, target: Account) -> bool:
    """Stop following (or withdraw a pending request). True if anything was undone."""
    withdrawn = await execute_counting(
        session,
        delete(FollowRequest).where(
            FollowRequest.account_id == follower.id, FollowRequest.target_account_id == target.id
        ),
    )
    removed = await execute_counting(
        session,
        delete(Follow).where(
            Follow.account_id == follower.id, Follow.target_account_id == target.id
        ),
    )
    if removed:
        await _bump(session, follower.id, target.id, -1)
    await notifications.withdraw(
        session, recipient_id=target.id, sender_id=follower.id, type="follow", status_id=None
    )
    return bool(removed or withdrawn)


async def authorize(session: AsyncSession, target: Account, follower: Account) -> Follow:
    """A locked account accepts a pending request."""
    request = await _find(session, FollowRequest, follower.id, target.id)
    if request is None:
        existing = await _find(session, Follow, follower.id, target.id)
        if isinstance(existing, Follow):
            return existing
        raise NotFound("Follow request not found")
    await session.delete(request)
    await notifications.withdraw(
        session,
        recipient_id=target.id,
        sender_id=follower.id,
        type="follow_request",
        status_id=None,
    )
    return await _establish(session, follower, target, uri=request.uri)


async def reject(session: AsyncSession, target: Account, follower: Account) -> None:
    request = await _find(session, FollowRequest, follower.id, target.id)
    if request is None:
        raise NotFound("Follow request not found")
    await session.delete(request)
    await notifications.withdraw(
        session,
        recipient_id=target.id,
        sender_id=follower.id,
        type="follow_request",
        status_id=None,
    )


async def relationship(session: AsyncSession, viewer: Account, other: Account) -> Relationship:
    return Relationship(
        following=await _find(session, Follow, viewer.id, other.id) is not None,
        requested=await _find(session, FollowRequest, viewer.id, other.id) is not None,
        followed_by=await _find(session, Follow, other.id, viewer.id) is not None,
    )
