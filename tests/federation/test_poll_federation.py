"""A poll crosses borders: Amina in Kenya asks, Fatou in Senegal votes, João in Mozambique
(a follower) sees the new counts — real instances on loopback, real signed deliveries."""

from __future__ import annotations

from sqlalchemy import func, select, update

from fedi.db.base import utcnow
from fedi.db.models import Account, Follow, Job, Notification, Poll, PollVote, Status
from fedi.domain import polls, statuses
from fedi.domain.polls import PollDraft
from fedi.domain.statuses import Draft
from tests.federation.trio import Peer, eventually, federation

__all__ = ["federation"]

METHODS = ("Phonics", "Whole language", "Shared reading")


async def _follow(follower: Peer, who: Account, author_uri: str, everyone: list[Peer]) -> None:
    await follower.follow(who, await follower.account(author_uri))

    async def accepted() -> int:
        return await follower.count(Follow, Follow.account_id == who.id)

    await eventually(accepted, wake=everyone)


async def _poll(peer: Peer, uri: str) -> Poll | None:
    async with peer.session() as session:
        status = await session.scalar(select(Status).where(Status.uri == uri))
        if status is None or not status.has_poll:
            return None
        return await session.get(Poll, status.id)


async def test_a_vote_from_senegal_reaches_kenya_and_mozambique(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    joao = await mz.teacher("joao")
    await _follow(sn, fatou, amina.uri, everyone)
    await _follow(mz, joao, amina.uri, everyone)

    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        question = await statuses.post(
            session,
            ke.site,
            author,
            Draft(
                text="Which reading method works in your class?",
                language="en",
                poll=PollDraft(options=METHODS, expires_in=3600),
            ),
        )

    # The Question arrives with its options; nobody has voted yet.
    on_sn = await eventually(lambda: _poll(sn, question.uri), wake=everyone)
    assert on_sn.options == list(METHODS)
    assert on_sn.counts() == [0, 0, 0]
    assert not on_sn.multiple
    assert on_sn.expires_at is not None
    on_mz = await eventually(lambda: _poll(mz, question.uri), wake=everyone)
    assert on_mz.counts() == [0, 0, 0]

    # Fatou votes in Senegal: counted there at once, then sent to Kenya alone.
    async with sn.session() as session, session.begin():
        voter = await session.get(Account, fatou.id)
        assert voter is not None
        counted = await polls.vote(session, voter, on_sn.id, [2])
        assert counted.counts() == [0, 0, 1]

    async def counted_on_ke() -> Poll | None:
        poll = await _poll(ke, question.uri)
        return poll if poll is not None and poll.counts() == [0, 0, 1] else None

    on_ke = await eventually(counted_on_ke, wake=everyone)
    assert on_ke.voters_count == 1
    async with ke.session() as session:
        # The vote is a vote, not a reply shown under the question.
        replies = await session.scalar(
            select(func.count()).select_from(Status).where(Status.in_reply_to_id == question.id)
        )
        assert replies == 0
        [vote] = list(await session.scalars(select(PollVote)))
        assert vote.choice == 2
        assert vote.uri is not None
        assert vote.uri.startswith(fatou.uri)

    # Kenya's Update{Question} (after the debounce) brings the count to Mozambique.
    async def counted_on_mz() -> Poll | None:
        poll = await _poll(mz, question.uri)
        return poll if poll is not None and poll.counts() == [0, 0, 1] else None

    updated = await eventually(counted_on_mz, wake=everyone, within=30.0)
    assert updated.voters_count == 1
    async with mz.session() as session:
        copy = await session.scalar(select(Status).where(Status.uri == question.uri))
        assert copy is not None
        assert copy.edited_at is None  # new counts are not an edit

    # The clock reaches the end (the poll.ended jobs are made due now): Amina hears in
    # Kenya, Fatou — who voted — hears in Senegal, where the poll's copy ended too.
    for peer in (ke, sn):
        async with peer.session() as session, session.begin():
            await session.execute(
                update(Job).where(Job.kind == polls.POLL_ENDED).values(run_at=utcnow())
            )

    async def notified(peer: Peer, account_id: int) -> int:
        async with peer.session() as session:
            found = await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.type == "poll", Notification.account_id == account_id)
            )
            return int(found or 0)

    assert await eventually(lambda: notified(ke, amina.id), wake=everyone) == 1
    assert await eventually(lambda: notified(sn, fatou.id), wake=everyone) == 1
    assert await notified(mz, joao.id) == 0  # João only read it
