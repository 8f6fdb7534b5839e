"""What we know of each remote host we deliver to: its signature scheme and its health."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Peer
from fedi.db.writes import insert_ignore

# A host that has failed every delivery for this long is parked: new deliveries to it are
# dropped until it speaks to us again (an activity in our inbox) or answers a delivery.
UNAVAILABLE_AFTER = timedelta(days=3)


async def peer(session: AsyncSession, domain: str) -> Peer:
    await insert_ignore(session, Peer, [{"domain": domain}])
    found = await session.get(Peer, domain)
    assert found is not None
    return found


async def succeeded(session: AsyncSession, domain: str) -> None:
    await session.execute(
        update(Peer)
        .where(Peer.domain == domain)
        .values(
            last_success_at=utcnow(),
            first_failure_at=None,
            unavailable_since=None,
        )
    )


async def failed(session: AsyncSession, domain: str) -> None:
    record = await peer(session, domain)
    now = utcnow()
    record.last_failure_at = now
    if record.first_failure_at is None:
        record.first_failure_at = now
    elif record.unavailable_since is None and now - record.first_failure_at > UNAVAILABLE_AFTER:
        record.unavailable_since = now


async def heard_from(session: AsyncSession, domain: str) -> None:
    """A host that delivers to us is up again: resume delivering to it."""
    await session.execute(
        update(Peer)
        .where(Peer.domain == domain, Peer.unavailable_since.is_not(None))
        .values(unavailable_since=None, first_failure_at=None)
    )


async def use_scheme(session: AsyncSession, domain: str, scheme: str) -> None:
    await peer(session, domain)
    await session.execute(update(Peer).where(Peer.domain == domain).values(signature_scheme=scheme))
