"""Mutes, pins, lists and markers: the rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Job, Mute
from fedi.domain import (
    directory,
    follows,
    interactions,
    lists,
    markers,
    mutes,
    notifications,
    pins,
    relationships,
    timelines,
)
from fedi.domain.pagination import Page
from fedi.errors import NotFound, ValidationFailed
from tests.factories import KE, say, teacher


async def test_a_mute_hides_posts_and_boosts_everywhere_the_muter_reads(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    chausiku = await teacher(session, "chausiku")
    for followed in (baraka, chausiku):
        await follows.follow(session, amina, followed)
    loud = await say(session, baraka, "Loud #maths post")
    kept = await say(session, chausiku, "Quiet #maths post")
    boost = await interactions.reblog(session, KE, chausiku, loud)
    await mutes.mute(session, amina, baraka)

    home = [v.id for v in await timelines.home(session, amina, Page())]
    assert home == [kept]  # neither Baraka's post nor Chausiku's boost of it
    public = [v.id for v in await timelines.public(session, amina, Page())]
    assert public == [kept]
    tagged = [v.id for v in await timelines.tag(session, amina, "maths", Page())]
    assert tagged == [kept]
    # Others (and anonymous readers) still see everything.
    assert [v.id for v in await timelines.public(session, None, Page())] == [kept, loud]
    chausiku_home = [v.id for v in await timelines.home(session, chausiku, Page())]
    assert chausiku_home == [boost.id, kept]

    await mutes.unmute(session, amina, baraka)
    home = [v.id for v in await timelines.home(session, amina, Page())]
    assert home == [boost.id, kept, loud]


async def test_a_mute_with_a_duration_ends_by_itself(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    await follows.follow(session, amina, baraka)
    post = await say(session, baraka, "Back soon")
    await mutes.mute(session, amina, baraka, duration=3600)
    found = await relationships.relationship(session, amina, baraka.id)
    assert (found.muting, found.muting_notifications) == (True, True)
    assert await timelines.home(session, amina, Page()) == []

    await session.execute(
        update(Mute).values(expires_at=utcnow() - timedelta(seconds=1))
    )  # the hour has passed
    assert [v.id for v in await timelines.home(session, amina, Page())] == [post]
    found = await relationships.relationship(session, amina, baraka.id)
    assert (found.muting, found.muting_notifications) == (False, False)
    assert (await directory.muted(session, amina, Page())).accounts == []


async def test_muting_notifications_is_a_choice(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    post = await say(session, amina, "Ask me anything")
    await interactions.favourite(session, baraka, post)
    assert len(await notifications.list_notifications(session, amina, Page())) == 1

    await mutes.mute(session, amina, baraka, notifications=False)
    found = await relationships.relationship(session, amina, baraka.id)
    assert (found.muting, found.muting_notifications) == (True, False)
    assert len(await notifications.list_notifications(session, amina, Page())) == 1

    await mutes.mute(session, amina, baraka)  # again, now with notifications (the default)
    assert await notifications.list_notifications(session, amina, Page()) == []
    assert [a.id for a in (await directory.muted(session, amina, Page())).accounts] == [baraka.id]


async def test_muting_oneself_or_for_a_negative_time_is_refused(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    with pytest.raises(ValidationFailed):
        await mutes.mute(session, amina, amina)
    with pytest.raises(ValidationFailed) as refused:
        await mutes.mute(session, amina, baraka, duration=-5)
    assert refused.value.field == "duration"


async def test_pins_follow_mastodons_rules(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    theirs = await say(session, baraka, "Not yours")
    direct = await say(session, amina, "@baraka between us", visibility="direct")
    private = await say(session, amina, "Followers only", visibility="private")
    with pytest.raises(ValidationFailed):
        await pins.pin(session, amina, theirs)
    with pytest.raises(ValidationFailed):
        await pins.pin(session, amina, direct)
    with pytest.raises(NotFound):
        await pins.pin(session, amina, 123456789)

    posts = [await say(session, amina, f"Lesson {n}") for n in range(5)]
    for post in posts:
        await pins.pin(session, amina, post)
    await pins.pin(session, amina, posts[0])  # pinning again changes nothing
    with pytest.raises(ValidationFailed):  # a sixth
        await pins.pin(session, amina, private)

    await pins.unpin(session, amina, posts[1])
    await pins.pin(session, amina, private)  # followers-only posts may be pinned (Mastodon)
    mine = [v.id for v in await pins.pinned(session, amina, amina.id)]
    assert mine == [private, posts[4], posts[3], posts[2], posts[0]]
    assert all(v.pinned for v in await pins.pinned(session, amina, amina.id))
    # Strangers see the public ones only, and never as "pinned" by them.
    seen = await pins.pinned(session, baraka, amina.id)
    assert [v.id for v in seen] == [posts[4], posts[3], posts[2], posts[0]]
    assert not any(v.pinned for v in seen)


async def test_pinning_federates_only_open_posts(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    public = await say(session, amina, "Open")
    private = await say(session, amina, "Closed", visibility="private")

    async def events() -> list[str]:
        jobs = await session.scalars(select(Job).where(Job.kind == "federate"))
        return [j.payload["event"] for j in jobs if j.payload["event"].startswith("pin.")]

    await pins.pin(session, amina, private)
    assert await events() == []
    await pins.pin(session, amina, public)
    await pins.unpin(session, amina, public)
    assert sorted(await events()) == ["pin.created", "pin.deleted"]


async def test_lists_hold_followed_accounts_only(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    stranger = await teacher(session, "stranger")
    await follows.follow(session, amina, baraka)
    made = await lists.create(session, amina, "Maths department")
    assert (made.replies_policy, made.exclusive) == ("list", False)

    with pytest.raises(ValidationFailed) as refused:
        await lists.add_members(session, amina, made.id, [stranger.id])
    assert refused.value.field == "account_ids"
    await lists.add_members(session, amina, made.id, [baraka.id])
    with pytest.raises(ValidationFailed):  # already there
        await lists.add_members(session, amina, made.id, [baraka.id])
    listed = await lists.members(session, amina, made.id, Page())
    assert [a.id for a in listed.accounts] == [baraka.id]
    assert [x.id for x in await lists.lists_with(session, amina, baraka.id)] == [made.id]

    # Someone else's list is as unknown as a missing one.
    with pytest.raises(NotFound):
        await lists.owned(session, baraka, made.id)
    with pytest.raises(NotFound):
        await lists.add_members(session, baraka, made.id, [amina.id])

    # Unfollowing takes the account out of every list.
    await follows.unfollow(session, amina, baraka)
    assert (await lists.members(session, amina, made.id, Page())).accounts == []


async def test_list_fields_are_checked(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    with pytest.raises(ValidationFailed) as refused:
        await lists.create(session, amina, "  ")
    assert refused.value.field == "title"
    with pytest.raises(ValidationFailed) as refused:
        await lists.create(session, amina, "Form 2", replies_policy="everyone")
    assert refused.value.field == "replies_policy"
    made = await lists.create(session, amina, "Form 2", replies_policy="none")
    changed = await lists.update(session, amina, made.id, exclusive=True)
    assert (changed.title, changed.replies_policy, changed.exclusive) == ("Form 2", "none", True)
    await lists.remove(session, amina, made.id)
    assert await lists.all_lists(session, amina) == []


async def test_a_list_timeline_and_its_replies_policy(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    chausiku = await teacher(session, "chausiku")
    stranger = await teacher(session, "stranger")
    for followed in (baraka, chausiku):
        await follows.follow(session, amina, followed)
    made = await lists.create(session, amina, "Science", replies_policy="list")
    await lists.add_members(session, amina, made.id, [baraka.id])

    post = await say(session, baraka, "Photosynthesis")
    await say(session, chausiku, "Not in the list")  # not a member
    to_list = await say(session, baraka, "Part 2", in_reply_to_id=post)
    question = await say(session, chausiku, "A question")
    to_followed = await say(session, baraka, "@chausiku answer", in_reply_to_id=question)
    asked = await say(session, stranger, "Anyone?")
    await say(session, baraka, "@stranger answer", in_reply_to_id=asked)  # never shown

    async def shown() -> list[int]:
        return [v.id for v in await timelines.list_timeline(session, amina, made, Page())]

    assert await shown() == [to_list, post]
    made = await lists.update(session, amina, made.id, replies_policy="followed")
    assert await shown() == [to_followed, to_list, post]
    made = await lists.update(session, amina, made.id, replies_policy="none")
    assert await shown() == [to_list, post]


async def test_an_exclusive_list_keeps_its_members_off_home(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    await follows.follow(session, amina, baraka)
    post = await say(session, baraka, "Staff meeting at 3")
    made = await lists.create(session, amina, "Staff", exclusive=True)
    await lists.add_members(session, amina, made.id, [baraka.id])
    assert await timelines.home(session, amina, Page()) == []
    assert [v.id for v in await timelines.list_timeline(session, amina, made, Page())] == [post]
    await lists.update(session, amina, made.id, exclusive=False)
    assert [v.id for v in await timelines.home(session, amina, Page())] == [post]


async def test_markers_count_their_changes(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    assert await markers.markers(session, amina, ["home"]) == {}
    saved = await markers.save(session, amina, {"home": 10, "notifications": 7})
    assert (saved["home"].last_read_id, saved["home"].version) == (10, 0)
    first = saved["home"].updated_at
    saved = await markers.save(session, amina, {"home": 12})
    assert (saved["home"].last_read_id, saved["home"].version) == (12, 1)
    assert saved["home"].updated_at >= first
    saved = await markers.save(session, amina, {"home": 12})  # no change, no new version
    assert saved["home"].version == 1
    found = await markers.markers(session, amina, ["home", "notifications", "elsewhere"])
    assert {name: m.last_read_id for name, m in found.items()} == {"home": 12, "notifications": 7}
    with pytest.raises(ValidationFailed):
        await markers.save(session, amina, {"elsewhere": 1})


async def test_a_page_thinned_by_muted_boosts_is_refilled(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    chausiku = await teacher(session, "chausiku")
    await follows.follow(session, amina, chausiku)
    await mutes.mute(session, amina, baraka)
    before = await say(session, amina, "Before it all")
    loud = [await say(session, baraka, f"Loud {n}") for n in range(4)]
    first = await say(session, chausiku, "First")
    for post in loud:
        await interactions.reblog(session, KE, chausiku, post)
    last = await say(session, chausiku, "Last")

    newest = await timelines.home(session, amina, Page(limit=2))
    assert [v.id for v in newest] == [last, first]
    upwards = await timelines.home(session, amina, Page(min_id=before, limit=2))
    assert [v.id for v in upwards] == [last, first]
    everything = await timelines.home(session, amina, Page(limit=10))
    assert [v.id for v in everything] == [last, first, before]
