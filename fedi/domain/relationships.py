"""How one account stands towards others: follows both ways, requests, blocks, options.

``follows.relationship`` answers for one pair; clients ask about many accounts at once
(a page of search results), so this reads every flag for a batch in a fixed number of
queries. Following with options (show boosts, notify on posts) lives here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Block, Follow, FollowRequest, Mute
from fedi.domain import follows
from fedi.domain.mutes import in_force


@dataclass(frozen=True)
class Relationship:
    account_id: int
    following: bool = False
    showing_reblogs: bool = False
    notifying: bool = False
    followed_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    requested: bool = False
    requested_by: bool = False
    muting: bool = False
    muting_notifications: bool = False


async def relationships(
    session: AsyncSession, viewer: Account, account_ids: Sequence[int]
) -> list[Relationship]:
    """The viewer's relationship with each known account, in the order asked."""
    ids = list(dict.fromkeys(account_ids))
    if not ids:
        return []
    known = set(await session.scalars(select(Account.id).where(Account.id.in_(ids))))
    mine = {
        row.target_account_id: row
        for row in await session.execute(
            select(Follow.target_account_id, Follow.show_reblogs, Follow.notify).where(
                Follow.account_id == viewer.id, Follow.target_account_id.in_(ids)
            )
        )
    }
    asked = {
        row.target_account_id: row
        for row in await session.execute(
            select(
                FollowRequest.target_account_id, FollowRequest.show_reblogs, FollowRequest.notify
            ).where(FollowRequest.account_id == viewer.id, FollowRequest.target_account_id.in_(ids))
        )
    }
    followers = set(
        await session.scalars(
            select(Follow.account_id).where(
                Follow.target_account_id == viewer.id, Follow.account_id.in_(ids)
            )
        )
    )
    askers = set(
        await session.scalars(
            select(FollowRequest.account_id).where(
                FollowRequest.target_account_id == viewer.id, FollowRequest.account_id.in_(ids)
            )
        )
    )
    blocked = set(
        await session.scalars(
            select(Block.target_account_id).where(
                Block.account_id == viewer.id, Block.target_account_id.in_(ids)
            )
        )
    )
    blockers = set(
        await session.scalars(
            select(Block.account_id).where(
                Block.target_account_id == viewer.id, Block.account_id.in_(ids)
            )
        )
    )
    muted = {
        row.target_account_id: row.hide_notifications
        for row in await session.execute(
            select(Mute.target_account_id, Mute.hide_notifications).where(
                Mute.account_id == viewer.id,
                Mute.target_account_id.in_(ids),
                in_force(utcnow()),
            )
        )
    }
    found: list[Relationship] = []
    for account_id in ids:
        if account_id not in known:
            continue
        options = mine.get(account_id) or asked.get(account_id)
        found.append(
            Relationship(
                account_id=account_id,
                following=account_id in mine,
                showing_reblogs=bool(options and options.show_reblogs),
                notifying=bool(options and options.notify),
                followed_by=account_id in followers,
                blocking=account_id in blocked,
                blocked_by=account_id in blockers,
                requested=account_id in asked,
                requested_by=account_id in askers,
                muting=account_id in muted,
                muting_notifications=muted.get(account_id, False),
            )
        )
    return found


async def relationship(session: AsyncSession, viewer: Account, account_id: int) -> Relationship:
    found = await relationships(session, viewer, [account_id])
    return found[0] if found else Relationship(account_id=account_id)


async def follow(
    session: AsyncSession,
    follower: Account,
    target: Account,
    *,
    reblogs: bool | None = None,
    notify: bool | None = None,
) -> Follow | FollowRequest:
    """Follow (or ask to), then apply the options given; repeating it only changes options.

    As in Mastodon, options given with a repeated follow update the existing follow or
    request, and options left out keep their current value.
    """
    relation = await follows.follow(session, follower, target)
    if reblogs is not None:
        relation.show_reblogs = reblogs
    if notify is not None:
        relation.notify = notify
    await session.flush()
    return relation
