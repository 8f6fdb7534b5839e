"""Posting, replying, editing and deleting."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Mention, Notification, Status, StatusEdit, Tag, Tombstone
from fedi.domain import statuses
from fedi.domain.statuses import Draft
from fedi.errors import NotFound, ValidationFailed
from tests.factories import KE, remote_teacher, say, teacher


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)  # type: ignore[arg-type]
    return int(await session.scalar(query) or 0)


async def test_a_post_becomes_safe_html_with_links_mentions_and_hashtags(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    fatou = await remote_teacher(session, "fatou", "sn.test")

    status_id = await say(
        session,
        amina,
        "Fractions with paper strips, thanks @baraka and @fatou@sn.test! "
        "https://example.org/lesson #Maths <script>alert(1)</script>",
        language="en",
    )
    status = await session.get(Status, status_id)
    assert status is not None
    assert status.uri == f"https://ke.test/users/amina/statuses/{status_id}"
    assert status.thread_id == status.id
    assert "<script>" not in status.content
    assert "&lt;script&gt;" in status.content
    assert 'href="https://ke.test/@baraka"' in status.content
    assert 'href="https://sn.test/@fatou"' in status.content
    assert 'href="https://ke.test/tags/Maths"' in status.content
    assert 'href="https://example.org/lesson"' in status.content
    assert status.language == "en"
    mentioned = set(
        await session.scalars(select(Mention.account_id).where(Mention.status_id == status_id))
    )
    assert mentioned == {baraka.id, fatou.id}
    assert await session.scalar(select(Tag.name_lower)) == "maths"
    # Only the local teacher is notified here; the remote one hears through federation.
    notified = list(await session.scalars(select(Notification.account_id)))
    assert notified == [baraka.id]
    await session.refresh(amina)
    assert amina.statuses_count == 1


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (Draft(text="   "), "status"),
        (Draft(text="x" * 501), "status"),
        (Draft(text="hello", visibility="everyone"), "visibility"),
        (Draft(text="hello", language="english"), "language"),
        (Draft(text="hello", media_ids=(1, 2, 3, 4, 5)), "media_ids"),
        (Draft(text="hello", media_ids=(12345,)), "media_ids"),
    ],
)
async def test_bad_posts_are_refused_and_nothing_is_written(
    session: AsyncSession, draft: Draft, field: str
) -> None:
    amina = await teacher(session, "amina")
    with pytest.raises(ValidationFailed) as refused:
        await statuses.post(session, KE, amina, draft)
    assert refused.value.field == field
    assert await _count(session, Status) == 0
    await session.refresh(amina)
    assert amina.statuses_count == 0


async def test_a_reply_joins_the_thread_and_counts(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    first = await say(session, amina, "How do you teach fractions?")
    reply = await say(session, baraka, "@amina With paper strips.", in_reply_to_id=first)
    nested = await say(session, amina, "@baraka Thank you!", in_reply_to_id=reply)

    rows = {s.id: s for s in await session.scalars(select(Status))}
    assert rows[reply].thread_id == first
    assert rows[nested].thread_id == first
    assert rows[reply].in_reply_to_account_id == amina.id
    await session.refresh(rows[first])
    assert rows[first].replies_count == 1


async def test_nobody_can_reply_to_a_post_they_cannot_see(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    secret = await say(session, amina, "Followers only", visibility="private")
    with pytest.raises(NotFound):
        await say(session, baraka, "peek", in_reply_to_id=secret)
    with pytest.raises(NotFound):
        await say(session, baraka, "into the void", in_reply_to_id=999)
    assert await _count(session, Status) == 1


async def test_an_edit_keeps_the_history_and_notifies_new_mentions_only(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    neema = await teacher(session, "neema")
    status_id = await say(session, amina, "Lesson plan for @baraka", language="en")

    await statuses.edit(
        session, KE, amina, status_id, Draft(text="Lesson plan for @baraka and @neema")
    )
    await statuses.edit(
        session, KE, amina, status_id, Draft(text="Final plan for @baraka", spoiler_text="long")
    )

    edits = list(
        await session.scalars(
            select(StatusEdit.text).where(StatusEdit.status_id == status_id).order_by(StatusEdit.id)
        )
    )
    assert edits == [
        "Lesson plan for @baraka",
        "Lesson plan for @baraka and @neema",
        "Final plan for @baraka",
    ]
    status = await session.get(Status, status_id)
    assert status is not None
    assert status.edited_at is not None
    assert status.sensitive
    assert status.spoiler_text == "long"
    assert status.language == "en"
    mentions = await _count(session, Notification, Notification.type == "mention")
    assert mentions == 2  # baraka once (not again on edit), neema once
    assert await _count(session, Notification, Notification.account_id == neema.id) == 1
    assert await _count(session, Notification, Notification.account_id == baraka.id) == 1


async def test_only_the_author_may_edit_or_delete(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    status_id = await say(session, amina, "Mine")
    with pytest.raises(NotFound):
        await statuses.edit(session, KE, baraka, status_id, Draft(text="Now mine"))
    with pytest.raises(NotFound):
        await statuses.delete_status(session, baraka, status_id)
    status = await session.get(Status, status_id)
    assert status is not None
    assert status.text == "Mine"


async def test_a_deleted_post_leaves_a_tombstone_and_its_replies(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    first = await say(session, amina, "Question")
    reply = await say(session, baraka, "Answer", in_reply_to_id=first)
    await session.commit()

    deleted = await statuses.delete_status(session, amina, first)
    await session.commit()
    assert deleted.text == "Question"
    assert await session.get(Tombstone, deleted.uri) is not None
    remaining = await session.get(Status, reply)
    assert remaining is not None
    await session.refresh(remaining)
    assert remaining.in_reply_to_id is None
    assert remaining.thread_id == first
    author = await session.get(Account, amina.id)
    assert author is not None
    await session.refresh(author)
    assert author.statuses_count == 0
