"""A post's versions: its edit history, the source it was written as, the draft to edit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, MediaAttachment, Poll, Status, StatusEdit
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import AccountView, MediaView
from fedi.domain.interactions import visible_status
from fedi.domain.polls import MIN_EXPIRATION, PollDraft
from fedi.domain.statuses import Draft
from fedi.errors import NotFound


@dataclass(frozen=True)
class Revision:
    """One version of a post, oldest first in a history; the last is the current one."""

    content: str
    spoiler_text: str
    sensitive: bool
    created_at: datetime
    account: AccountView
    media: list[MediaView] = field(default_factory=list)
    poll_options: list[str] | None = None


async def history(session: AsyncSession, viewer: Account | None, status_id: int) -> list[Revision]:
    """Every version of a post the viewer may see; a post never edited has one.

    Versions before the current one list no media: edits keep the text, not the media
    the post carried then.
    """
    status = await visible_status(session, viewer, status_id)
    current = (await load_views(session, [status.id], viewer.id if viewer else None))[0]
    edits = list(
        await session.scalars(
            select(StatusEdit).where(StatusEdit.status_id == status.id).order_by(StatusEdit.id)
        )
    )
    if not edits:
        return [
            Revision(
                content=current.content,
                spoiler_text=current.spoiler_text,
                sensitive=current.sensitive,
                created_at=current.edited_at or current.created_at,
                account=current.account,
                media=current.media,
                poll_options=current.poll.options if current.poll else None,
            )
        ]
    return [
        Revision(
            content=edit.content,
            spoiler_text=edit.spoiler_text,
            sensitive=edit.sensitive,
            created_at=edit.created_at,
            account=current.account,
            media=current.media if position == len(edits) - 1 else [],
            poll_options=edit.poll_options,
        )
        for position, edit in enumerate(edits)
    ]


async def source(session: AsyncSession, viewer: Account | None, status_id: int) -> Status:
    """The post as written (plain text and warning), for a client's edit form."""
    return await visible_status(session, viewer, status_id)


async def current_draft(session: AsyncSession, editor: Account, status_id: int) -> Draft:
    """The author's post as a draft, the starting point of an edit.

    Clients send only what changed (Mastodon keeps media, warning and language that an
    edit leaves out), so an edit is this draft with the client's changes applied.
    """
    status = await session.get(Status, status_id)
    if status is None or status.account_id != editor.id or status.reblog_of_id is not None:
        raise NotFound()
    media_ids = await session.scalars(
        select(MediaAttachment.id)
        .where(MediaAttachment.status_id == status.id)
        .order_by(MediaAttachment.id)
    )
    return Draft(
        text=status.text,
        visibility=status.visibility,
        language=status.language,
        in_reply_to_id=status.in_reply_to_id,
        spoiler_text=status.spoiler_text,
        sensitive=status.sensitive,
        media_ids=tuple(media_ids),
        poll=await _poll_draft(session, status),
    )


async def _poll_draft(session: AsyncSession, status: Status) -> PollDraft | None:
    """The post's poll as a draft, running from now as long as it has left."""
    poll = await session.get(Poll, status.id) if status.has_poll else None
    if poll is None:
        return None
    left = (poll.expires_at - utcnow()).total_seconds() if poll.expires_at else MIN_EXPIRATION
    return PollDraft(
        options=tuple(poll.options),
        expires_in=max(MIN_EXPIRATION, int(left)),
        multiple=poll.multiple,
        hide_totals=poll.hide_totals,
    )
