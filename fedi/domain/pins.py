"""Pinned posts: a teacher features up to five of their own posts on their profile.

The rules are Mastodon's (its StatusPinValidator): only one's own posts, never a boost or a
direct post, at most five for a local account (remote actors' pins, learnt from their
Add/Remove activities, are theirs to limit). Pins of public and unlisted posts federate.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Status, StatusPin
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import StatusView
from fedi.domain.events import emit
from fedi.domain.interactions import visible_status
from fedi.domain.pagination import Page
from fedi.domain.visibility import OPEN_VISIBILITIES, visible_to
from fedi.errors import ValidationFailed

MAX_PINS = 5
# Remote actors' pins are theirs to limit; a profile shows this many at most.
ALL_PINS = Page(limit=40)


async def _pinned(session: AsyncSession, account_id: int, status_id: int) -> StatusPin | None:
    found: StatusPin | None = await session.scalar(
        select(StatusPin).where(
            StatusPin.account_id == account_id, StatusPin.status_id == status_id
        )
    )
    return found


async def pin(session: AsyncSession, account: Account, status_id: int) -> Status:
    """Pin one of the account's own posts; pinning it again changes nothing."""
    status = await visible_status(session, account, status_id)
    if status.account_id != account.id:
        raise ValidationFailed("Someone else's post cannot be pinned", field="id")
    if status.visibility == "direct":
        raise ValidationFailed("Direct posts cannot be pinned", field="id")
    if await _pinned(session, account.id, status.id) is not None:
        return status
    count = await session.scalar(
        select(func.count()).select_from(StatusPin).where(StatusPin.account_id == account.id)
    )
    if account.is_local and (count or 0) >= MAX_PINS:
        raise ValidationFailed(f"You can pin at most {MAX_PINS} posts: unpin one first", field="id")
    session.add(StatusPin(account_id=account.id, status_id=status.id))
    await session.flush()
    if status.visibility in OPEN_VISIBILITIES:
        await emit(session, account, "pin.created", status_id=status.id)
    return status


async def unpin(session: AsyncSession, account: Account, status_id: int) -> Status:
    """Unpin one of the account's posts; unpinning a post that is not pinned changes nothing."""
    status = await visible_status(session, account, status_id)
    found = await _pinned(session, account.id, status.id)
    if found is not None:
        await session.delete(found)
        await session.flush()
        if status.visibility in OPEN_VISIBILITIES:
            await emit(session, account, "pin.deleted", status_uri=status.uri)
    return status


async def pinned(
    session: AsyncSession, viewer: Account | None, author_id: int, page: Page = ALL_PINS
) -> list[StatusView]:
    """The author's pinned posts that ``viewer`` may see, most recently pinned first.

    The cursors bound the posts' ids, as Mastodon's do; the order stays the pins' own.
    """
    viewer_id = viewer.id if viewer else None
    query = (
        select(Status.id)
        .join(StatusPin, StatusPin.status_id == Status.id)
        .where(StatusPin.account_id == author_id, visible_to(viewer_id))
    )
    if page.max_id is not None:
        query = query.where(Status.id < page.max_id)
    for lower in (page.since_id, page.min_id):
        if lower is not None:
            query = query.where(Status.id > lower)
    ids = list(await session.scalars(query.order_by(StatusPin.id.desc()).limit(page.limit)))
    return await load_views(session, ids, viewer_id)


async def record_remote(session: AsyncSession, account: Account, status: Status) -> None:
    """A remote actor featured one of its posts (an Add to its featured collection)."""
    if status.account_id != account.id or status.reblog_of_id is not None:
        raise ValidationFailed("only an author's own post can be featured", field="object")
    if await _pinned(session, account.id, status.id) is None:
        session.add(StatusPin(account_id=account.id, status_id=status.id))
        await session.flush()


async def forget_remote(session: AsyncSession, account: Account, status: Status) -> None:
    await session.execute(
        delete(StatusPin).where(
            StatusPin.account_id == account.id, StatusPin.status_id == status.id
        )
    )
