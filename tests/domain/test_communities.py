"""Communities on one instance: creating, joining, private requests, bans, posting rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Community, CommunityPost, Follow, FollowRequest, Job, Status
from fedi.domain import communities, community_moderation, community_posts
from fedi.domain.communities import Settings
from fedi.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import KE, say, teacher


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)  # type: ignore[arg-type]
    return int(await session.scalar(query) or 0)


async def test_a_community_is_a_group_actor_with_its_creator_as_moderator(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    view = await communities.create(
        session,
        KE,
        Settings(
            name="maths",
            display_name="Mathematics, secondary",
            description="Lessons & ideas\n\nfor Form 1-4",
            subject="mathematics",
            grade_levels=["Form 1", "Form 2"],
            languages=["en", "SW"],
            rules=["Be kind"],
        ),
        creator=amina,
    )
    group = view.account
    assert group.actor_type == "Group"
    assert group.uri == "https://ke.test/users/maths"
    assert group.note == "<p>Lessons &amp; ideas</p><p>for Form 1-4</p>"
    assert not group.locked
    assert view.community.languages == ["en", "sw"]
    assert await communities.is_moderator(session, group, amina)
    assert [m.id for m in await communities.moderators(session, group.id)] == [amina.id]
    found = await communities.local(session, "MATHS")
    assert found.account.id == group.id


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (Settings(name="no spaces"), "name"),
        (Settings(name="inbox"), "name"),
        (Settings(name="maths", visibility="secret"), "visibility"),
        (Settings(name="maths", posting_policy="everyone"), "posting_policy"),
        (Settings(name="maths", rules=[""]), "rules"),
        (Settings(name="maths", languages=["english"]), "languages"),
        (Settings(name="maths", avatar_url="javascript:alert(1)"), "avatar_url"),
    ],
)
async def test_bad_settings_are_refused_and_nothing_is_written(
    session: AsyncSession, settings: Settings, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await communities.create(session, KE, settings, creator=None)
    assert refused.value.field == field
    assert await _count(session, Account) == 0
    assert await _count(session, Community) == 0


async def test_a_taken_name_is_a_conflict(session: AsyncSession) -> None:
    await teacher(session, "maths")
    with pytest.raises(Conflict):
        await communities.create(session, KE, Settings(name="Maths"), creator=None)
    assert await _count(session, Community) == 0


def test_who_may_create_follows_the_instance_policy() -> None:
    assert communities.may_create("user", "teachers")
    assert not communities.may_create("user", "moderators")
    assert communities.may_create("moderator", "moderators")
    assert not communities.may_create("moderator", "admins")
    assert communities.may_create("admin", "admins")


async def test_private_communities_take_requests_a_moderator_answers(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    neema = await teacher(session, "neema")
    view = await communities.create(
        session, KE, Settings(name="literacy", visibility="private"), creator=amina
    )
    group = view.account
    assert group.locked
    assert isinstance(await communities.join(session, baraka, group), FollowRequest)
    assert isinstance(await communities.join(session, neema, group), FollowRequest)
    pending = await communities.members(session, group.id, pending=True)
    assert {p.id for p in pending} == {baraka.id, neema.id}

    await communities.approve(session, group, baraka)
    await communities.refuse(session, group, neema)
    assert await communities.is_member(session, group.id, baraka.id)
    assert not await communities.is_member(session, group.id, neema.id)
    assert await _count(session, FollowRequest) == 0
    assert await communities.leave(session, baraka, group)
    assert await _count(session, Follow) == 0


async def test_a_ban_removes_a_member_and_keeps_them_out(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    view = await communities.create(session, KE, Settings(name="maths"), creator=amina)
    group = view.account
    await communities.join(session, baraka, group)
    await community_moderation.ban(session, group, baraka, "spam")
    assert not await communities.is_member(session, group.id, baraka.id)
    with pytest.raises(Forbidden):
        await communities.join(session, baraka, group)
    with pytest.raises(Forbidden):
        await say(session, baraka, "@maths hello", visibility="public")
    with pytest.raises(ValidationFailed):
        await community_moderation.ban(session, group, amina)  # a moderator is not banned
    with pytest.raises(ValidationFailed):
        await community_moderation.remove_moderator(session, group, amina)  # the last one stays


async def test_posting_follows_the_policy_and_a_post_is_announced(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    neema = await teacher(session, "neema")
    view = await communities.create(session, KE, Settings(name="maths"), creator=amina)
    group = view.account
    await communities.join(session, baraka, group)

    statuses_before = await _count(session, Status)
    with pytest.raises(Forbidden) as refused:
        await say(session, neema, "@maths can I post?")
    assert "members" in refused.value.message
    assert await _count(session, Status) == statuses_before

    post_id = await say(session, baraka, "@maths Fractions with paper strips", title="Fractions")
    filed = await session.get(CommunityPost, post_id)
    assert filed is not None
    assert (filed.community_id, filed.title) == (group.id, "Fractions")
    boost = await session.scalar(select(Status).where(Status.reblog_of_id == post_id))
    assert boost is not None
    assert boost.account_id == group.id
    events = [job.payload["event"] for job in await session.scalars(select(Job))]
    assert "community.announced" in events

    # A reply in the thread belongs to the community without mentioning it.
    reply_id = await say(session, amina, "Lovely idea", in_reply_to_id=post_id)
    assert (await session.get(CommunityPost, reply_id)) is not None

    # Moderators-only: members are refused, moderators post.
    view.community.posting_policy = "moderators"
    with pytest.raises(Forbidden):
        await say(session, baraka, "@maths another one")
    await say(session, amina, "@maths Announcement")


async def test_a_title_needs_a_community_and_an_unknown_community_is_404(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    with pytest.raises(ValidationFailed) as refused:
        await say(session, amina, "Just a post", title="A title")
    assert refused.value.field == "title"
    with pytest.raises(NotFound):
        await say(session, amina, "Into nowhere", community_id=amina.id)
    assert await community_posts.community_of(session, 1) is None
