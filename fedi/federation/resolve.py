"""Search's ``resolve=true``: accounts by handle and objects by URL, from their own servers.

Every request goes through the safe fetcher (SSRF rules, time and size caps), GETs are
signed by the instance actor, a blocked server is never contacted, and one search spends at
most ``SEARCH_BUDGET`` fetches (a post's reply chain included). Whatever goes wrong — an
unreachable host, a refusal, a document that is not what it claims — the search simply
finds nothing, as Mastodon answers.
"""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Status
from fedi.errors import Forbidden
from fedi.federation.actors import (
    ACTOR_TYPES,
    REFRESH_AFTER,
    host_of,
    parse_actor,
    resolve_account,
    store_actor,
)
from fedi.federation.context import Federation
from fedi.federation.convert.incoming import NOTE_TYPES, store_fetched_note
from fedi.federation.fetcher import FetchBudget, FetchError
from fedi.federation.policy import normalise_domain
from fedi.federation.webfinger import finger

log = structlog.get_logger(__name__)

# WebFinger, the actor, and a confirming WebFinger; or a post, its author and a few parents.
SEARCH_BUDGET = 8


class FederatedResolver:
    """``fedi.domain.search.Resolver`` over the network, for one search request."""

    def __init__(
        self, federation: Federation, session: AsyncSession, budget: FetchBudget | None = None
    ) -> None:
        self.federation = federation
        self.session = session
        self.budget = budget or FetchBudget(remaining=SEARCH_BUDGET)

    async def allows(self, host: str) -> bool:
        """Whether this instance talks to ``host`` (its domain is not blocked)."""
        await self.federation.policy.refresh()
        return self.federation.policy.allows(host)

    async def account(self, username: str, domain: str) -> Account | None:
        """The account ``username@domain``: known and fresh, or found through WebFinger."""
        host = normalise_domain(domain)
        if host is None or host == self.federation.site.domain or not await self.allows(host):
            return None
        known: Account | None = await self.session.scalar(
            select(Account).where(
                Account.username_lower == username.lower(), Account.domain == host
            )
        )
        fetched_at = known.fetched_at if known is not None else None
        if known is not None and fetched_at is not None and utcnow() - fetched_at < REFRESH_AFTER:
            return known
        try:
            if known is not None:
                return await resolve_account(
                    self.federation, self.session, known.uri, budget=self.budget, refresh=True
                )
            return await self._finger_and_fetch(username, host)
        except (FetchError, Forbidden) as error:
            log.info("resolve.account_failed", host=host, error=type(error).__name__)
            return known

    async def _finger_and_fetch(self, username: str, host: str) -> Account | None:
        href = await finger(self.federation, username, host, self.budget)
        if not await self.allows(host_of(href)):
            return None
        ident, document = await self.federation.fetch(href, self.budget)
        actor = parse_actor(document)
        if actor.id != ident:
            return None
        actor_host = host_of(actor.id)
        name = actor.preferred_username or ""
        if (name.lower(), actor_host) != (username.lower(), host) and not (
            # The handle was an alias (another host's WebFinger, another name): believe it
            # only if the actor's own server names that actor under its own handle.
            name and await finger(self.federation, name, actor_host, self.budget) == actor.id
        ):
            log.info("resolve.handle_unconfirmed", host=host)
            return None
        return await store_actor(self.session, actor, key_from_origin=True)

    async def url(self, url: str) -> Account | Status | None:
        """The actor or post at ``url``, fetched from its origin and stored."""
        host = host_of(url)
        if not host or not await self.allows(host):
            return None
        try:
            ident, document = await self.federation.fetch(url, self.budget)
            if not await self.allows(host_of(ident)):
                return None
            kind = document.get("type")
            if kind in ACTOR_TYPES:
                actor = parse_actor(document)
                if actor.id != ident:
                    return None
                return await store_actor(self.session, actor, key_from_origin=True)
            if kind in NOTE_TYPES:
                return await store_fetched_note(
                    self.federation, self.session, ident, document, self.budget
                )
        except (FetchError, Forbidden) as error:
            log.info("resolve.url_failed", host=host, error=type(error).__name__)
        return None
