"""Notifications: who hears about what, once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Notification
from fedi.db.models.notifications import NOTIFICATION_TYPES
from fedi.domain import streams
from fedi.domain.mutes import muted_by
from fedi.domain.pagination import Page, apply_page
from fedi.errors import NotFound, ValidationFailed


async def notify(
    session: AsyncSession,
    *,
    recipient: Account,
    sender_id: int,
    type: str,
    status_id: int | None = None,
) -> Notification | None:
    """Record a notification for a local recipient, at most once per event.

    The dedupe key names the event (type, sender, status), so a replayed like or a follow
    repeated after an unfollow-refollow race yields one row, never two. Remote recipients and
    self-notifications are skipped here so no caller has to remember to.
    """
    if type not in NOTIFICATION_TYPES:
        raise ValueError(f"unknown notification type {type}")
    # A poll's end is news to its author too (Mastodon notifies them "from" themselves).
    if not recipient.is_local or (recipient.id == sender_id and type != "poll"):
        return None
    key = f"{type}:{sender_id}:{status_id or ''}"
    existing = await session.scalar(
        select(Notification).where(
            Notification.account_id == recipient.id, Notification.dedupe_key == key
        )
    )
    if existing is not None:
        return existing
    notification = Notification(
        account_id=recipient.id,
        from_account_id=sender_id,
        type=type,
        status_id=status_id,
        dedupe_key=key,
    )
    session.add(notification)
    await session.flush()
    streams.notification_created(session, notification.id, recipient.id)
    return notification


async def withdraw(
    session: AsyncSession, *, recipient_id: int, sender_id: int, type: str, status_id: int | None
) -> None:
    """Remove the notification of an event that was undone (an unfollow, an un-favourite)."""
    key = f"{type}:{sender_id}:{status_id or ''}"
    await session.execute(
        delete(Notification).where(
            Notification.account_id == recipient_id, Notification.dedupe_key == key
        )
    )


@dataclass(frozen=True)
class NotificationFilter:
    types: Collection[str] = ()
    exclude_types: Collection[str] = ()
    account_id: int | None = None  # only those from this account


async def list_notifications(
    session: AsyncSession,
    viewer: Account,
    page: Page,
    filters: NotificationFilter = NotificationFilter(),
) -> list[Notification]:
    for name in (*filters.types, *filters.exclude_types):
        if name not in NOTIFICATION_TYPES:
            raise ValidationFailed(f"Unknown notification type {name}", field="types")
    # Accounts muted with their notifications stay silent, for as long as the mute lasts.
    muted = muted_by(viewer.id, utcnow(), notifications=True)
    query = select(Notification).where(
        Notification.account_id == viewer.id, Notification.from_account_id.not_in(muted)
    )
    if filters.types:
        query = query.where(Notification.type.in_(list(filters.types)))
    if filters.exclude_types:
        query = query.where(Notification.type.not_in(list(filters.exclude_types)))
    if filters.account_id is not None:
        query = query.where(Notification.from_account_id == filters.account_id)
    rows = await session.scalars(apply_page(query, Notification.id, page))
    return page.ordered(list(rows))


async def get_notification(
    session: AsyncSession, viewer: Account, notification_id: int
) -> Notification:
    """One of the viewer's notifications; anyone else's answers as unknown."""
    found = await session.scalar(
        select(Notification).where(
            Notification.account_id == viewer.id, Notification.id == notification_id
        )
    )
    if found is None:
        raise NotFound()
    return found


async def dismiss(session: AsyncSession, viewer: Account, notification_id: int) -> None:
    await session.execute(
        delete(Notification).where(
            Notification.account_id == viewer.id, Notification.id == notification_id
        )
    )


async def clear(session: AsyncSession, viewer: Account) -> None:
    await session.execute(delete(Notification).where(Notification.account_id == viewer.id))
