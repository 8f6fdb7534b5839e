"""Following, locked accounts and follow requests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Follow, FollowRequest, Notification
from fedi.domain import follows
from fedi.errors import NotFound, ValidationFailed
from tests.factories import teacher


async def test_following_an_open_account_is_immediate_counted_and_notified(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    result = await follows.follow(session, baraka, amina)
    again = await follows.follow(session, baraka, amina)

    assert isinstance(result, Follow)
    assert again.id == result.id
    await session.refresh(amina)
    await session.refresh(baraka)
    assert (amina.followers_count, baraka.following_count) == (1, 1)
    types = list(await session.scalars(select(Notification.type)))
    assert types == ["follow"]
    relation = await follows.relationship(session, baraka, amina)
    assert relation.following
    assert not relation.followed_by


async def test_a_locked_account_approves_or_rejects_requests(session: AsyncSession) -> None:
    amina = await teacher(session, "amina", locked=True)
    baraka = await teacher(session, "baraka")
    neema = await teacher(session, "neema")

    pending = await follows.follow(session, baraka, amina)
    await follows.follow(session, neema, amina)
    assert isinstance(pending, FollowRequest)
    assert (await follows.relationship(session, baraka, amina)).requested

    await follows.authorize(session, amina, baraka)
    await follows.reject(session, amina, neema)
    await session.refresh(amina)
    assert amina.followers_count == 1
    assert (await follows.relationship(session, baraka, amina)).following
    assert not (await follows.relationship(session, neema, amina)).requested
    assert await session.scalar(select(func.count()).select_from(FollowRequest)) == 0
    with pytest.raises(NotFound):
        await follows.reject(session, amina, neema)


async def test_unfollow_undoes_counts_and_the_notification(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    await follows.follow(session, baraka, amina)
    assert await follows.unfollow(session, baraka, amina)
    assert not await follows.unfollow(session, baraka, amina)
    await session.refresh(amina)
    assert amina.followers_count == 0
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0


async def test_nobody_follows_themselves(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    with pytest.raises(ValidationFailed):
        await follows.follow(session, amina, amina)
    assert await session.scalar(select(func.count()).select_from(Follow)) == 0
