"""Poll rules shared by the client API and federation: votes from afar, remote polls'
counts, the debounced Update, and who hears that a poll has ended."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Job, Notification, Poll, PollVote, Status
from fedi.domain import polls
from fedi.domain.polls import PollDraft, RemotePoll
from fedi.domain.received import IncomingPost, receive_post
from tests.factories import remote_teacher, say, teacher

METHODS = ("Phonics", "Whole language", "Shared reading")


async def _ask(session: AsyncSession, author: Account, **poll: object) -> Poll:
    status_id = await say(
        session,
        author,
        "Which reading method works in your class?",
        poll=PollDraft(options=METHODS, expires_in=3600, **poll),  # type: ignore[arg-type]
    )
    found = await session.get(Poll, status_id)
    assert found is not None
    return found


async def _events(session: AsyncSession, event: str) -> list[Job]:
    jobs = await session.scalars(select(Job).where(Job.kind == "federate"))
    return [job for job in jobs if job.payload["event"] == event]


async def test_votes_from_other_servers_are_counted_once(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    fatou = await remote_teacher(session, "fatou", "sn.test")
    poll = await _ask(session, amina)
    status = await session.get(Status, poll.id)
    assert status is not None
    vote_uri = f"{fatou.uri}#votes/1"

    assert await polls.receive_vote(session, fatou, status, "Shared reading", vote_uri)
    # The same vote again, or a second answer on a single-choice poll, changes nothing.
    assert await polls.receive_vote(session, fatou, status, "Shared reading", vote_uri)
    assert await polls.receive_vote(session, fatou, status, "Phonics", f"{fatou.uri}#votes/2")
    # A name that is no answer is no vote: the Note is an ordinary reply.
    assert not await polls.receive_vote(session, fatou, status, "Flashcards", "x")
    await session.refresh(poll)
    assert poll.counts() == [0, 0, 1]
    assert poll.voters_count == 1
    # Kenya will tell its readers, once for the burst.
    assert len(await _events(session, "poll.updated")) == 1


async def test_a_burst_of_votes_queues_one_update(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    poll = await _ask(session, amina, multiple=True)
    for name in ("baraka", "wanjiru", "otieno"):
        voter = await teacher(session, name)
        await polls.vote(session, voter, poll.id, [0, 1])
    assert poll.counts() == [3, 3, 0]
    assert poll.votes_count == 6
    assert poll.voters_count == 3
    [update] = await _events(session, "poll.updated")
    assert update.run_at > utcnow()  # it waits to gather the burst


async def test_an_ended_poll_tells_its_author_and_local_voters(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    fatou = await remote_teacher(session, "fatou", "sn.test")
    poll = await _ask(session, amina)
    status = await session.get(Status, poll.id)
    assert status is not None
    await polls.vote(session, baraka, poll.id, [0])
    await polls.receive_vote(session, fatou, status, "Phonics", f"{fatou.uri}#votes/1")
    assert poll.expires_at is not None
    scheduled = poll.expires_at.isoformat()

    # A job scheduled before an edit moved the end does nothing.
    await polls.end(session, poll.id, (poll.expires_at - timedelta(hours=1)).isoformat())
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0

    await polls.end(session, poll.id, scheduled)
    await polls.end(session, poll.id, scheduled)  # a retried job notifies once
    notified = list(
        await session.scalars(select(Notification.account_id).where(Notification.type == "poll"))
    )
    assert sorted(notified) == sorted([amina.id, baraka.id])


async def test_a_remote_poll_follows_its_origin(session: AsyncSession) -> None:
    fatou = await remote_teacher(session, "fatou", "sn.test")
    baraka = await teacher(session, "baraka")
    ends = utcnow() + timedelta(hours=1)
    post = IncomingPost(
        uri="https://sn.test/users/fatou/statuses/1",
        url=None,
        html="<p>Quelle méthode de lecture ?</p>",
        visibility="public",
        language="fr",
        poll=RemotePoll(("Syllabique", "Globale"), (4, 2), False, ends, 6),
    )
    status = await receive_post(session, fatou, post)
    assert status is not None
    assert status.has_poll

    # Baraka votes here: counted at once, and sent to Senegal as a Note.
    poll = await polls.vote(session, baraka, status.id, [1])
    assert poll.counts() == [4, 3]
    [vote] = list(await session.scalars(select(PollVote)))
    assert vote.uri == f"{baraka.uri}#votes/{vote.id}"
    [sent] = await _events(session, "vote.created")
    assert sent.payload["vote_id"] == vote.id

    # Senegal's counts replace ours; new options discard the votes cast on the old ones.
    await polls.store_remote(
        session, status, RemotePoll(("Syllabique", "Globale"), (5, 3), False, ends, 8)
    )
    assert poll.counts() == [5, 3]
    assert await session.scalar(select(func.count()).select_from(PollVote)) == 1
    await polls.store_remote(
        session, status, RemotePoll(("Syllabique", "Mixte"), (0, 0), False, ends, 0)
    )
    assert poll.counts() == [0, 0]
    assert await session.scalar(select(func.count()).select_from(PollVote)) == 0
