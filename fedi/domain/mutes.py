"""Muting: a teacher stops seeing an account without it knowing (nothing federates).

A mute may end by itself (``duration`` seconds, as in Mastodon); an expired mute is simply
ignored everywhere, so no job has to sweep it away on time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Mute
from fedi.errors import ValidationFailed

# Mastodon accepts any number of seconds; a century is "for good" in all but name.
MAX_DURATION = 100 * 365 * 24 * 3600


def in_force(now: datetime | ColumnElement[Any]) -> ColumnElement[bool]:
    """A condition on ``Mute``: the mute has not expired at ``now`` (a value or a bind)."""
    return or_(Mute.expires_at.is_(None), Mute.expires_at > now)


def muted_by(viewer_id: Any, now: Any, *, notifications: bool = False) -> Select[int]:
    """The accounts ``viewer_id`` mutes now (only those muted with their notifications, if
    ``notifications``). Both arguments may be bound parameters of a prebuilt statement."""
    query = select(Mute.target_account_id).where(Mute.account_id == viewer_id, in_force(now))
    if notifications:
        query = query.where(Mute.hide_notifications.is_(True))
    return query


async def mute(
    session: AsyncSession,
    account: Account,
    target: Account,
    *,
    notifications: bool = True,
    duration: int = 0,
) -> Mute:
    """Mute ``target``; muting again replaces the options and the end time, as Mastodon."""
    if account.id == target.id:
        raise ValidationFailed("You cannot mute yourself", field="id")
    if not 0 <= duration <= MAX_DURATION:
        raise ValidationFailed("duration must be a number of seconds", field="duration")
    expires_at = utcnow() + timedelta(seconds=duration) if duration else None
    found = await session.scalar(
        select(Mute).where(Mute.account_id == account.id, Mute.target_account_id == target.id)
    )
    if found is None:
        found = Mute(account_id=account.id, target_account_id=target.id)
        session.add(found)
    found.hide_notifications = notifications
    found.expires_at = expires_at
    await session.flush()
    return found


async def unmute(session: AsyncSession, account: Account, target: Account) -> None:
    await session.execute(
        delete(Mute).where(Mute.account_id == account.id, Mute.target_account_id == target.id)
    )


async def expiries(
    session: AsyncSession, viewer: Account, account_ids: list[int]
) -> dict[int, datetime | None]:
    """When each of these mutes ends (None: never), for the mutes list's ``mute_expires_at``."""
    rows = await session.execute(
        select(Mute.target_account_id, Mute.expires_at).where(
            Mute.account_id == viewer.id, Mute.target_account_id.in_(account_ids)
        )
    )
    return {row[0]: row[1] for row in rows}
