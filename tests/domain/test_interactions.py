"""Favourites, boosts and bookmarks: counted once, notified once, undone cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Bookmark, Favourite, Notification, Status
from fedi.domain import follows, interactions
from fedi.errors import NotFound, ValidationFailed
from tests.factories import KE, say, teacher


async def _status(session: AsyncSession, status_id: int) -> Status:
    status = await session.get(Status, status_id)
    assert status is not None
    await session.refresh(status)
    return status


async def test_a_favourite_repeated_counts_and_notifies_once(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    post = await say(session, amina, "Lesson: fractions with paper strips")

    await interactions.favourite(session, baraka, post)
    await interactions.favourite(session, baraka, post)

    assert (await _status(session, post)).favourites_count == 1
    assert await session.scalar(select(func.count()).select_from(Favourite)) == 1
    assert list(await session.scalars(select(Notification.type))) == ["favourite"]

    await interactions.unfavourite(session, baraka, post)
    await interactions.unfavourite(session, baraka, post)
    assert (await _status(session, post)).favourites_count == 0
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0


async def test_a_boost_is_a_status_pointing_at_the_original(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    post = await say(session, amina, "Share this please")

    boost = await interactions.reblog(session, KE, baraka, post)
    again = await interactions.reblog(session, KE, baraka, boost.id)  # via the boost itself

    assert again.id == boost.id
    assert boost.reblog_of_id == post
    assert (await _status(session, post)).reblogs_count == 1
    assert list(await session.scalars(select(Notification.type))) == ["reblog"]

    await interactions.unreblog(session, baraka, post)
    assert (await _status(session, post)).reblogs_count == 0
    assert await session.get(Status, boost.id) is None


async def test_followers_only_and_direct_posts_cannot_be_boosted_by_others(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    await follows.follow(session, baraka, amina)
    private = await say(session, amina, "For my followers", visibility="private")
    with pytest.raises(ValidationFailed):
        await interactions.reblog(session, KE, baraka, private)
    own = await interactions.reblog(session, KE, amina, private)
    assert own.reblog_of_id == private
    assert (await _status(session, private)).reblogs_count == 1


async def test_hidden_posts_answer_like_missing_ones(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    secret = await say(session, amina, "@nobody direct note", visibility="direct")
    for action in (interactions.favourite, interactions.bookmark):
        with pytest.raises(NotFound):
            await action(session, baraka, secret)
    with pytest.raises(NotFound):
        await interactions.favourite(session, baraka, 424242)
    assert await session.scalar(select(func.count()).select_from(Favourite)) == 0


async def test_bookmarks_are_private_and_idempotent(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    post = await say(session, amina, "A plan worth keeping")
    await interactions.bookmark(session, baraka, post)
    await interactions.bookmark(session, baraka, post)
    assert await session.scalar(select(func.count()).select_from(Bookmark)) == 1
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0
    await interactions.unbookmark(session, baraka, post)
    assert await session.scalar(select(func.count()).select_from(Bookmark)) == 0
