"""What local and remote posts share once stored: the edit history and removal.

One place for both paths: a local teacher's edit or delete, and an author's Update or
Delete arriving from another server, keep history and counters by the same rules.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Poll, Status, StatusEdit, Tombstone
from fedi.db.writes import insert_ignore
from fedi.domain import streams


async def _snapshot(session: AsyncSession, status: Status) -> StatusEdit:
    poll = await session.get(Poll, status.id) if status.has_poll else None
    return StatusEdit(
        status_id=status.id,
        account_id=status.account_id,
        content=status.content,
        text=status.text,
        spoiler_text=status.spoiler_text,
        sensitive=status.sensitive,
        language=status.language,
        poll_options=list(poll.options) if poll is not None else None,
    )


async def before_edit(session: AsyncSession, status: Status) -> None:
    """Call before changing a post: its first edit also records the original, dated then."""
    has_history = await session.scalar(
        select(StatusEdit.id).where(StatusEdit.status_id == status.id).limit(1)
    )
    if has_history is None:
        original = await _snapshot(session, status)
        original.created_at = status.created_at
        session.add(original)


async def after_edit(session: AsyncSession, status: Status) -> None:
    """Call after changing a post (and its poll): the new version joins the history (and
    streams hear)."""
    await session.flush()
    session.add(await _snapshot(session, status))
    streams.status_updated(session, status)


async def tombstone(session: AsyncSession, uri: str, account_id: int | None) -> None:
    """Remember a deleted URI, so a late copy of it is never stored again."""
    await insert_ignore(
        session, Tombstone, [{"uri": uri, "account_id": account_id, "deleted_at": utcnow()}]
    )


async def remove(session: AsyncSession, status: Status) -> None:
    """Delete a stored post or boost, keeping its author's and its parent's counters right."""
    await streams.status_deleted(session, status)
    if status.reblog_of_id is None:
        await session.execute(
            update(Account)
            .where(Account.id == status.account_id)
            .values(statuses_count=Account.statuses_count - 1)
        )
    else:
        await session.execute(
            update(Status)
            .where(Status.id == status.reblog_of_id)
            .values(reblogs_count=Status.reblogs_count - 1)
        )
    if status.in_reply_to_id is not None:
        await session.execute(
            update(Status)
            .where(Status.id == status.in_reply_to_id)
            .values(replies_count=Status.replies_count - 1)
        )
    await session.execute(delete(Status).where(Status.id == status.id))
