"""Read markers: where a teacher stopped reading home and notifications, so another device
(or client) opens at the same place. ``version`` counts changes, as Mastodon's lock version."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Marker
from fedi.errors import ValidationFailed

TIMELINES = ("home", "notifications")


async def markers(
    session: AsyncSession, account: Account, timelines: Collection[str]
) -> dict[str, Marker]:
    """The account's markers for the named timelines (unknown names are simply absent)."""
    wanted = [name for name in timelines if name in TIMELINES]
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Marker).where(Marker.account_id == account.id, Marker.timeline.in_(wanted))
    )
    return {row.timeline: row for row in rows}


async def save(
    session: AsyncSession, account: Account, positions: Mapping[str, int]
) -> dict[str, Marker]:
    """Set each named timeline's last read id; an unchanged id keeps its version."""
    for name in positions:
        if name not in TIMELINES:
            raise ValidationFailed(f"Unknown timeline {name}", field=name)
    saved = await markers(session, account, list(positions))
    now = utcnow()
    for name, last_read_id in positions.items():
        marker = saved.get(name)
        if marker is None:
            marker = Marker(
                account_id=account.id, timeline=name, last_read_id=last_read_id, version=0
            )
            marker.updated_at = now
            session.add(marker)
            saved[name] = marker
        elif marker.last_read_id != last_read_id:
            marker.last_read_id = last_read_id
            marker.version += 1
            marker.updated_at = now
    await session.flush()
    return saved
