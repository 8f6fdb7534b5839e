"""What every activity handler gets, and the one way a handler refuses an activity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Status
from fedi.federation.context import Federation
from fedi.federation.fetcher import FetchBudget
from fedi.federation.wire import Activity, Note


class Refused(Exception):
    """The activity breaks a rule (wrong owner, forged origin…): dropped, never retried."""


@dataclass
class Delivery:
    federation: Federation
    session: AsyncSession
    signer: Account
    activity: Activity
    budget: FetchBudget
    raw: dict[str, Any]
    # The activity's Note once checked (verify and receive both need it; parsed once).
    note: Note | None = None
    # The embedded object parsed as a Note before the batch's transaction, not yet checked.
    embedded: Note | None = None

    @property
    def site(self) -> Any:
        return self.federation.site

    @property
    def objects(self) -> list[str]:
        """Every object id, for activities whose object is a list (a Flag names several)."""
        items = self.raw.get("object")
        out: list[str] = []
        for item in items if isinstance(items, list) else [items]:
            ref = item.get("id") if isinstance(item, dict) else item
            if isinstance(ref, str):
                out.append(ref)
        return out[:50]

    async def local_account(self, uri: str | None) -> Account:
        """One of our accounts named by ``uri``, or Refused."""
        if uri is None:
            raise Refused("no object")
        account = await self.session.scalar(select(Account).where(Account.uri == uri))
        if account is None or not account.is_local:
            raise Refused("not one of our accounts")
        return account

    async def status_by_uri(self, uri: str | None) -> Status | None:
        if uri is None:
            return None
        found: Status | None = await self.session.scalar(select(Status).where(Status.uri == uri))
        return found


class Handler(Protocol):
    """One activity type: ``verify`` checks (no writes of its own), ``receive`` applies."""

    async def verify(self, delivery: Delivery) -> None: ...

    async def receive(self, delivery: Delivery) -> None: ...
