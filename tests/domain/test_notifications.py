"""Notifications: listed newest first, filtered by type, never duplicated."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.domain import follows, interactions, notifications
from fedi.domain.notifications import NotificationFilter
from fedi.domain.pagination import Page
from fedi.errors import ValidationFailed
from tests.factories import KE, remote_teacher, say, teacher


async def test_a_teacher_sees_follows_mentions_and_likes_and_can_filter_them(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    await follows.follow(session, baraka, amina)
    post = await say(session, amina, "Lesson plan")
    await say(session, baraka, "@amina Thanks!")
    await interactions.favourite(session, baraka, post)
    await interactions.reblog(session, KE, baraka, post)

    every = await notifications.list_notifications(session, amina, Page())
    assert [n.type for n in every] == ["reblog", "favourite", "mention", "follow"]
    only = await notifications.list_notifications(
        session, amina, Page(), NotificationFilter(types=["mention", "follow"])
    )
    assert [n.type for n in only] == ["mention", "follow"]
    without = await notifications.list_notifications(
        session, amina, Page(), NotificationFilter(exclude_types=["favourite", "reblog"])
    )
    assert [n.type for n in without] == ["mention", "follow"]

    await notifications.dismiss(session, amina, every[0].id)
    assert len(await notifications.list_notifications(session, amina, Page())) == 3
    await notifications.clear(session, amina)
    assert await notifications.list_notifications(session, amina, Page()) == []


async def test_remote_accounts_and_self_actions_produce_no_notifications(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    fatou = await remote_teacher(session, "fatou", "sn.test")
    post = await say(session, amina, "@fatou@sn.test bonjour")
    await interactions.favourite(session, amina, post)
    assert (
        await notifications.notify(
            session, recipient=fatou, sender_id=amina.id, type="mention", status_id=post
        )
        is None
    )
    assert await notifications.list_notifications(session, amina, Page()) == []


async def test_unknown_types_are_refused_by_name(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    with pytest.raises(ValidationFailed) as refused:
        await notifications.list_notifications(
            session, amina, Page(), NotificationFilter(types=["poke"])
        )
    assert refused.value.field == "types"
