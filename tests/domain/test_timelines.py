"""Timelines and threads: who sees what, in which order, page by page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Status
from fedi.domain import follows, interactions, mutes, timelines
from fedi.domain.pagination import Page
from fedi.ids import new_id
from tests.factories import KE, remote_teacher, say, teacher


async def test_home_shows_followed_teachers_own_posts_and_boosts_but_not_strangers(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    stranger = await teacher(session, "stranger")
    await follows.follow(session, amina, baraka)

    mine = await say(session, amina, "My own post")
    followed = await say(session, baraka, "Followers-only lesson", visibility="private")
    unseen = await say(session, stranger, "Public but not followed")
    boost = await interactions.reblog(session, KE, baraka, unseen)
    direct_other = await say(session, baraka, "@stranger just between us", visibility="direct")
    direct_me = await say(session, baraka, "@amina just between us", visibility="direct")

    home = await timelines.home(session, amina, Page())
    ids = [view.id for view in home]
    assert ids == [direct_me, boost.id, followed, mine]
    assert direct_other not in ids
    assert unseen not in ids
    boosted = home[1]
    assert boosted.reblog is not None
    assert boosted.reblog.id == unseen
    assert boosted.reblog.account.username == "stranger"
    assert home[2].visibility == "private"


async def test_home_hides_replies_to_people_the_reader_does_not_follow(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    stranger = await teacher(session, "stranger")
    await follows.follow(session, amina, baraka)
    question = await say(session, stranger, "Any tips?")
    to_stranger = await say(session, baraka, "@stranger Try this", in_reply_to_id=question)
    own_thread = await say(session, baraka, "Part 1")
    self_reply = await say(session, baraka, "Part 2", in_reply_to_id=own_thread)

    ids = [view.id for view in await timelines.home(session, amina, Page())]
    assert ids == [self_reply, own_thread]
    assert to_stranger not in ids


async def test_pagination_matches_mastodon(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    posts = [await say(session, amina, f"Post {n}") for n in range(7)]
    newest_first = list(reversed(posts))

    async def page(**bounds: int) -> list[int]:
        return [v.id for v in await timelines.home(session, amina, Page(limit=3, **bounds))]

    assert await page() == newest_first[:3]
    assert await page(max_id=newest_first[2]) == newest_first[3:6]
    assert await page(since_id=posts[4]) == newest_first[:2]
    # min_id pages forwards: the three just above it, still newest first.
    assert await page(min_id=posts[1]) == [posts[4], posts[3], posts[2]]


async def test_public_timelines_carry_only_public_original_posts(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    fatou = await remote_teacher(session, "fatou", "sn.test")
    public = await say(session, amina, "Open to all")
    await say(session, amina, "Quiet", visibility="unlisted")
    await say(session, amina, "Friends", visibility="private")
    await interactions.reblog(session, KE, amina, public)
    remote_id = new_id()
    session.add(
        Status(
            id=remote_id,
            uri="https://sn.test/notes/1",
            account_id=fatou.id,
            content="<p>Bonjour</p>",
            visibility="public",
            local=False,
            thread_id=remote_id,
        )
    )
    await session.flush()

    everything = [v.id for v in await timelines.public(session, None, Page())]
    local = [v.id for v in await timelines.public(session, None, Page(), local_only=True)]
    remote = [v.id for v in await timelines.public(session, None, Page(), remote_only=True)]
    assert everything == [remote_id, public]
    assert local == [public]
    assert remote == [remote_id]


async def test_a_thread_reads_in_order_and_hides_what_the_reader_may_not_see(
    session: AsyncSession,
) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    neema = await teacher(session, "neema")
    root = await say(session, amina, "How do you teach fractions?")
    first = await say(session, baraka, "Paper strips", in_reply_to_id=root)
    deeper = await say(session, amina, "Which size?", in_reply_to_id=first)
    second = await say(session, neema, "Pizza drawings", in_reply_to_id=root)
    hidden = await say(
        session, baraka, "@amina private aside", in_reply_to_id=root, visibility="direct"
    )

    for_neema = await timelines.context(session, neema, first)
    assert [v.id for v in for_neema.ancestors] == [root]
    assert [v.id for v in for_neema.descendants] == [deeper]

    from_root = await timelines.context(session, neema, root)
    assert [v.id for v in from_root.descendants] == [first, deeper, second]
    for_amina = await timelines.context(session, amina, root)
    assert hidden in [v.id for v in for_amina.descendants]


async def test_an_account_page_shows_what_the_viewer_may_see(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    public = await say(session, amina, "Public")
    private = await say(session, amina, "Followers only", visibility="private")

    anonymous = await timelines.account_statuses(session, None, amina.id, Page())
    assert [v.id for v in anonymous] == [public]
    await follows.follow(session, baraka, amina)
    follower = await timelines.account_statuses(session, baraka, amina.id, Page())
    assert [v.id for v in follower] == [private, public]
    replies_excluded = await timelines.account_statuses(
        session, baraka, amina.id, Page(), timelines.AccountStatusFilter(exclude_replies=True)
    )
    assert len(replies_excluded) == 2


async def test_home_readers_agrees_with_each_readers_home_timeline(session: AsyncSession) -> None:
    """The streaming API asks ``home_readers`` of every new post; it must name exactly the
    readers whose home timeline shows the post."""
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    chidi = await teacher(session, "chidi")
    stranger = await teacher(session, "stranger")
    readers = [amina, baraka, chidi, stranger]
    await follows.follow(session, amina, baraka)
    await follows.follow(session, chidi, baraka)
    await follows.follow(session, chidi, amina)
    dina = await teacher(session, "dina")
    await follows.follow(session, dina, baraka)
    await mutes.mute(session, dina, baraka)  # follows, but muted: not on her home
    readers.append(dina)
    plain = await say(session, baraka, "A lesson")
    private = await say(session, baraka, "Staff room", visibility="private")
    direct = await say(session, baraka, "@amina between us", visibility="direct")
    stray = await say(session, stranger, "Nobody follows me")
    self_thread = await say(session, baraka, "And part two", in_reply_to_id=plain)
    reply_to_stranger = await say(session, baraka, "Replying to a stranger", in_reply_to_id=stray)
    boost = (await interactions.reblog(session, KE, amina, stray)).id
    own = await say(session, stranger, "My own")
    statuses = [plain, private, direct, self_thread, reply_to_stranger, stray, boost, own]

    homes = {
        r.id: {v.id for v in await timelines.home(session, r, Page(limit=40))} for r in readers
    }
    for status_id in statuses:
        expected = {r.id for r in readers if status_id in homes[r.id]}
        found = await timelines.home_readers(session, status_id, {r.id for r in readers})
        assert found == expected, status_id
    assert await timelines.home_readers(session, plain, set()) == set()
