"""What we know of each remote host we deliver to: its signature scheme and its health.

Kept in memory and written to the database only when something changes (a first
failure, a host parked or back, a scheme switch): writing it around every POST made
each delivery three write transactions, and fan-out queued on the write lock
(docs/benchmarks.md). Each process re-reads a host's row after ``REFRESH_SECONDS``, so
what another worker learned reaches this one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.db.base import utcnow
from fedi.db.models import Peer
from fedi.db.writes import insert_ignore

# A host that has failed every delivery for this long is parked: new deliveries to it are
# dropped until it speaks to us again (an activity in our inbox) or answers a delivery.
UNAVAILABLE_AFTER = timedelta(days=3)
REFRESH_SECONDS = 60.0


@dataclass
class PeerState:
    scheme: str
    first_failure_at: datetime | None
    unavailable_since: datetime | None
    loaded_at: float

    @property
    def healthy(self) -> bool:
        return self.first_failure_at is None and self.unavailable_since is None


class PeerBook:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._known: dict[str, PeerState] = {}

    async def get(self, domain: str) -> PeerState:
        state = self._known.get(domain)
        if state is not None and time.monotonic() - state.loaded_at < REFRESH_SECONDS:
            return state
        async with self._sessions() as session, session.begin():
            await insert_ignore(session, Peer, [{"domain": domain}])
            row = await session.get(Peer, domain)
            assert row is not None
            state = PeerState(
                row.signature_scheme, row.first_failure_at, row.unavailable_since, time.monotonic()
            )
        self._known[domain] = state
        return state

    async def _write(self, domain: str, **values: object) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(update(Peer).where(Peer.domain == domain).values(**values))

    async def succeeded(self, domain: str) -> None:
        state = await self.get(domain)
        if state.healthy:
            return  # nothing changed: no write
        state.first_failure_at = state.unavailable_since = None
        await self._write(
            domain, last_success_at=utcnow(), first_failure_at=None, unavailable_since=None
        )

    async def failed(self, domain: str) -> None:
        state = await self.get(domain)
        now = utcnow()
        if state.first_failure_at is None:
            state.first_failure_at = now
        elif state.unavailable_since is None and now - state.first_failure_at > UNAVAILABLE_AFTER:
            state.unavailable_since = now
        await self._write(
            domain,
            last_failure_at=now,
            first_failure_at=state.first_failure_at,
            unavailable_since=state.unavailable_since,
        )

    async def use_scheme(self, domain: str, scheme: str) -> None:
        state = await self.get(domain)
        state.scheme = scheme
        await self._write(domain, signature_scheme=scheme)

    def forget(self, domain: str) -> None:
        """Drop what this process holds of ``domain`` (its row changed elsewhere)."""
        self._known.pop(domain, None)


async def heard_from(session: AsyncSession, domain: str) -> None:
    """A host that delivers to us is up again: resume delivering to it."""
    await session.execute(
        update(Peer)
        .where(Peer.domain == domain, Peer.unavailable_since.is_not(None))
        .values(unavailable_since=None, first_failure_at=None)
    )
