"""Polls: a teacher asks colleagues a question with a few answers; they vote until it ends.

The same rules serve votes from our client API and votes arriving from other servers.
Mastodon's limits are ours (and are published in /api/v1/instance so clients respect them).
A vote on a remote poll is counted here at once and sent to the poll's server, which stays
the authority: its next Update{Question} replaces our counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Poll, PollVote, Status
from fedi.domain import notifications
from fedi.domain.events import emit
from fedi.domain.interactions import visible_status
from fedi.errors import NotFound, ValidationFailed
from fedi.ids import new_id
from fedi.jobs import enqueue

if TYPE_CHECKING:
    from fedi.jobs.worker import JobContext

MIN_OPTIONS = 2
MAX_OPTIONS = 4
MAX_OPTION_CHARS = 50
MIN_EXPIRATION = 300  # seconds
MAX_EXPIRATION = 2_629_746  # about a month, as Mastodon
LIMITS = {
    "max_options": MAX_OPTIONS,
    "max_characters_per_option": MAX_OPTION_CHARS,
    "min_expiration": MIN_EXPIRATION,
    "max_expiration": MAX_EXPIRATION,
}
# Votes on one of our polls are announced (Update{Question}) at most this often: a class
# voting together sends followers one update, not thirty.
UPDATE_DEBOUNCE = timedelta(seconds=3)
POLL_ENDED = "poll.ended"  # the job that tells voters and the author the results are in


@dataclass(frozen=True)
class PollDraft:
    """A poll as a client submits it with a post (or an edit of it)."""

    options: tuple[str, ...]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


def check_draft(draft: PollDraft) -> None:
    """Mastodon's rules for a new poll; every message names the field it is about."""
    if len(draft.options) < MIN_OPTIONS:
        raise ValidationFailed(
            f"A poll needs at least {MIN_OPTIONS} options", field="poll[options]"
        )
    if len(draft.options) > MAX_OPTIONS:
        raise ValidationFailed(f"A poll has at most {MAX_OPTIONS} options", field="poll[options]")
    for option in draft.options:
        if not option.strip():
            raise ValidationFailed("Poll options can't be blank", field="poll[options]")
        if len(option) > MAX_OPTION_CHARS:
            raise ValidationFailed(
                f"Poll options are at most {MAX_OPTION_CHARS} characters", field="poll[options]"
            )
    if len({option.strip() for option in draft.options}) != len(draft.options):
        raise ValidationFailed("Poll options must differ", field="poll[options]")
    if draft.expires_in < MIN_EXPIRATION:
        raise ValidationFailed(
            f"A poll lasts at least {MIN_EXPIRATION} seconds", field="poll[expires_in]"
        )
    if draft.expires_in > MAX_EXPIRATION:
        raise ValidationFailed(
            f"A poll lasts at most {MAX_EXPIRATION} seconds", field="poll[expires_in]"
        )


def is_expired(poll: Poll, now: datetime | None = None) -> bool:
    return poll.expires_at is not None and poll.expires_at <= (now or utcnow())


async def _schedule_end(session: AsyncSession, poll: Poll) -> None:
    """The end-of-poll notifications, due when the poll ends. An edit that moves the end
    schedules another job; the stale one sees a different ``expires_at`` and does nothing."""
    if poll.expires_at is None or is_expired(poll):
        return
    await enqueue(
        session,
        POLL_ENDED,
        {"poll_id": poll.id, "expires_at": poll.expires_at.isoformat()},
        run_at=poll.expires_at,
    )


async def attach(session: AsyncSession, status: Status, draft: PollDraft) -> Poll:
    """Give a new local post its poll (the draft was checked before the post was written)."""
    poll = Poll(
        id=status.id,
        account_id=status.account_id,
        options=list(draft.options),
        tallies=[0] * len(draft.options),
        multiple=draft.multiple,
        hide_totals=draft.hide_totals,
        expires_at=utcnow() + timedelta(seconds=draft.expires_in),
        votes_count=0,
        voters_count=0,
    )
    status.has_poll = True
    session.add(poll)
    await session.flush()
    await _schedule_end(session, poll)
    return poll


async def _reset(session: AsyncSession, poll: Poll) -> None:
    await session.execute(delete(PollVote).where(PollVote.poll_id == poll.id))
    poll.tallies = [0] * len(poll.options)
    poll.votes_count = 0
    poll.voters_count = 0


async def replace(session: AsyncSession, status: Status, draft: PollDraft | None) -> None:
    """An edit's poll, as Mastodon: no poll in the edit removes it; changed options or a
    changed single/multiple choice discard the votes cast so far (they answered another
    question); the poll runs ``expires_in`` from the edit."""
    existing = await session.get(Poll, status.id) if status.has_poll else None
    if draft is None:
        if existing is not None:
            await session.delete(existing)
            status.has_poll = False
            await session.flush()
        return
    if existing is None:
        await attach(session, status, draft)
        return
    changed = list(draft.options) != existing.options or draft.multiple != existing.multiple
    existing.options = list(draft.options)
    existing.multiple = draft.multiple
    existing.hide_totals = draft.hide_totals
    existing.expires_at = utcnow() + timedelta(seconds=draft.expires_in)
    if changed:
        await _reset(session, existing)
    await session.flush()
    await _schedule_end(session, existing)


async def poll_of(session: AsyncSession, viewer: Account | None, poll_id: int) -> Poll:
    """A poll the viewer may see (its post is visible to them), else NotFound."""
    status = await visible_status(session, viewer, poll_id)
    poll = await session.get(Poll, status.id) if status.has_poll else None
    if poll is None:
        raise NotFound()
    return poll


async def _locked(session: AsyncSession, poll_id: int) -> Poll:
    """The poll as last committed, kept from other writers until this transaction ends:
    two votes at once must not both read the same tallies and write back one vote fewer.

    A no-op UPDATE does it on both databases: on PostgreSQL it locks the row; on SQLite
    (which reads outside transactions) it opens the write transaction first, so the read
    that follows sees every vote committed before.
    """
    await session.execute(
        update(Poll)
        .where(Poll.id == poll_id)
        .values(votes_count=Poll.votes_count)
        .execution_options(synchronize_session=False)
    )
    poll = await session.get(Poll, poll_id, populate_existing=True)
    if poll is None:
        raise NotFound()
    return poll


def _tally(poll: Poll, choices: Sequence[int], *, new_voter: bool) -> None:
    counts = poll.counts()
    for choice in choices:
        counts[choice] += 1
    poll.tallies = counts  # a new list: the JSON column sees the change
    poll.votes_count += len(choices)
    if new_voter:
        poll.voters_count = (poll.voters_count or 0) + 1


async def _own_choices(session: AsyncSession, poll_id: int, account_id: int) -> list[int]:
    found = await session.scalars(
        select(PollVote.choice).where(
            PollVote.poll_id == poll_id, PollVote.account_id == account_id
        )
    )
    return list(found)


async def schedule_update(session: AsyncSession, poll: Poll) -> None:
    """Announce our poll's new counts to its readers soon, once for a burst of votes.

    One conditional UPDATE decides, so that of two concurrent votes only one queues the
    job; a vote while an Update is still due rides on that one (it reads the counts when
    it runs).
    """
    author = await session.get(Account, poll.account_id)
    if author is None or not author.is_local:
        return
    now = utcnow()
    due = now + UPDATE_DEBOUNCE
    result = await session.execute(
        update(Poll)
        .where(Poll.id == poll.id, or_(Poll.update_due_at.is_(None), Poll.update_due_at <= now))
        .values(update_due_at=due)
        .execution_options(synchronize_session=False)
    )
    if isinstance(result, CursorResult) and result.rowcount == 1:
        await emit(session, author, "poll.updated", run_at=due, status_id=poll.id)


async def vote(session: AsyncSession, voter: Account, poll_id: int, choices: Sequence[int]) -> Poll:
    """A local teacher's vote: refused (422) on an ended poll, one's own poll, a second
    vote, an unknown option, or several options on a single-choice poll."""
    poll = await _locked(session, (await poll_of(session, voter, poll_id)).id)
    status = await session.get(Status, poll.id)
    assert status is not None
    if is_expired(poll):
        raise ValidationFailed("The poll has already ended", field="choices")
    if poll.account_id == voter.id:
        raise ValidationFailed("You cannot vote in your own poll", field="choices")
    if not choices:
        raise ValidationFailed("Choose at least one option", field="choices")
    if any(not 0 <= choice < len(poll.options) for choice in choices):
        raise ValidationFailed("That is not an option of this poll", field="choices")
    if len(set(choices)) != len(choices):
        raise ValidationFailed("An option is chosen once", field="choices")
    if len(choices) > 1 and not poll.multiple:
        raise ValidationFailed("This poll takes a single choice", field="choices")
    if await _own_choices(session, poll.id, voter.id):
        raise ValidationFailed("You have already voted on this poll", field="choices")
    votes = []
    for choice in choices:
        vote_id = new_id()
        votes.append(
            PollVote(
                id=vote_id,
                poll_id=poll.id,
                account_id=voter.id,
                choice=choice,
                # Only a vote sent elsewhere needs an id other servers can refer to.
                uri=None if status.local else f"{voter.uri}#votes/{vote_id}",
            )
        )
    session.add_all(votes)
    _tally(poll, choices, new_voter=True)
    await session.flush()
    if status.local:
        await schedule_update(session, poll)
    else:
        for item in votes:
            await emit(session, voter, "vote.created", vote_id=item.id)
    return poll


async def receive_vote(
    session: AsyncSession, voter: Account, status: Status, option: str, uri: str
) -> bool:
    """A remote account's vote Note on one of our polls; False if it is no vote on it
    (then it is an ordinary reply). A vote that breaks a rule is swallowed, not stored."""
    if not status.local or not status.has_poll:
        return False
    try:
        poll = await _locked(session, status.id)
    except NotFound:
        return False  # deleted meanwhile
    if option not in poll.options:
        return False
    if is_expired(poll) or voter.id == poll.account_id:
        return True
    choice = poll.options.index(option)
    earlier = await _own_choices(session, poll.id, voter.id)
    if choice in earlier or (earlier and not poll.multiple):
        return True
    session.add(PollVote(poll_id=poll.id, account_id=voter.id, choice=choice, uri=uri[:2048]))
    _tally(poll, [choice], new_voter=not earlier)
    await session.flush()
    await schedule_update(session, poll)
    return True


@dataclass(frozen=True)
class RemotePoll:
    """A poll as another server describes it (a Question's options and counts)."""

    options: tuple[str, ...]
    tallies: tuple[int, ...]
    multiple: bool
    expires_at: datetime | None
    voters_count: int | None


async def store_remote(session: AsyncSession, status: Status, found: RemotePoll | None) -> None:
    """Keep a remote post's poll as its origin last described it.

    Changed options discard our record of who voted (as Mastodon does on an edit); otherwise
    the origin's counts replace ours, which only ever anticipated them.
    """
    existing = await _locked(session, status.id) if status.has_poll else None
    if found is None:
        if existing is not None:
            await session.delete(existing)
            status.has_poll = False
            await session.flush()
        return
    if existing is None:
        existing = Poll(id=status.id, account_id=status.account_id, votes_count=0)
        session.add(existing)
        status.has_poll = True
    elif list(found.options) != existing.options:
        await _reset(session, existing)
    moved = existing.expires_at != found.expires_at
    existing.options = list(found.options)
    existing.tallies = list(found.tallies)
    existing.multiple = found.multiple
    existing.expires_at = found.expires_at
    existing.votes_count = sum(found.tallies)
    existing.voters_count = found.voters_count
    await session.flush()
    if moved:
        await _schedule_end(session, existing)


async def end(session: AsyncSession, poll_id: int, expected_end: str) -> None:
    """The poll has ended: its author and every local voter hear of it, once.

    A job whose ``expected_end`` no longer matches was scheduled before an edit moved the
    end; the edit scheduled the right one.
    """
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.expires_at is None or poll.expires_at.isoformat() != expected_end:
        return
    author = await session.get(Account, poll.account_id)
    if author is None:
        return
    voters = await session.scalars(
        select(Account)
        .where(Account.id.in_(select(PollVote.account_id).where(PollVote.poll_id == poll.id)))
        .where(Account.domain.is_(None))
    )
    for recipient in [author, *voters]:
        await notifications.notify(
            session, recipient=recipient, sender_id=author.id, type="poll", status_id=poll.id
        )
    # Our poll's readers elsewhere learn it is closed, with the final counts.
    await emit(session, author, "poll.updated", status_id=poll.id)


async def end_job(payload: Mapping[str, Any], context: JobContext) -> None:
    """The ``poll.ended`` job: ``end`` in one transaction, settled in the same commit."""
    async with context.sessions() as session, session.begin():
        await end(session, int(payload["poll_id"]), str(payload["expires_at"]))
        await context.complete_in(session)
