"""Which remote domains this instance talks to: instance.toml's policy plus operators' rules.

Checked on every inbox request before any body work, so the answer comes from memory; the
rules are reloaded from the database at most every ``refresh_seconds`` (so a `jamii
federation block` from the CLI takes effect within that time in running servers).
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.config import InstanceConfig
from fedi.config.normalise import normalise_domain as normalise_config_domain
from fedi.db.models import DomainRule

MAX_DECISIONS = 10_000


def normalise_domain(domain: str) -> str | None:
    """``host[:port]`` as the configuration compares domains, or None if it is not one."""
    try:
        return normalise_config_domain(domain)
    except ValueError:
        return None


def _matches(domain: str, rules: frozenset[str]) -> bool:
    """A rule for ``example.org`` also covers ``sub.example.org`` (as Mastodon's blocks do)."""
    if domain in rules:
        return True
    host = domain.split(":", 1)[0]
    parts = host.split(".")
    return any(".".join(parts[i:]) in rules for i in range(1, len(parts) - 1))


class DomainPolicy:
    def __init__(
        self,
        config: InstanceConfig,
        sessions: async_sessionmaker[AsyncSession],
        *,
        refresh_seconds: float = 30.0,
    ) -> None:
        self._config = config
        self._sessions = sessions
        self._refresh_seconds = refresh_seconds
        self._loaded_at = float("-inf")
        # instance.toml's lists were normalised when the configuration was loaded.
        self._blocked = frozenset(config.federation.blocked_domains)
        self._allowed = frozenset(config.federation.allowed_domains)
        self._db_blocked: frozenset[str] = frozenset()
        self._db_allowed: frozenset[str] = frozenset()
        # Decisions by domain as given, for the rules loaded now: every inbox request asks
        # (twice), and normalising and matching cost more than the verification's hashing.
        self._decisions: dict[str, bool] = {}

    async def refresh(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < self._refresh_seconds:
            return
        async with self._sessions() as session:
            rows = list(await session.execute(select(DomainRule.domain, DomainRule.policy)))
        self._db_blocked = frozenset(d for d, p in rows if p == "block")
        self._db_allowed = frozenset(d for d, p in rows if p == "allow")
        self._decisions = {}
        self._loaded_at = time.monotonic()

    def allows(self, domain: str) -> bool:
        """May we receive from and deliver to ``domain``? (Call ``refresh`` first.)"""
        decision = self._decisions.get(domain)
        if decision is None:
            if len(self._decisions) >= MAX_DECISIONS:
                self._decisions = {}
            decision = self._decisions[domain] = self._decide(domain)
        return decision

    def _decide(self, domain: str) -> bool:
        if not self._config.features.federation:
            return False
        normal = normalise_domain(domain)
        if normal is None:
            return False
        domain = normal
        if domain == self._config.domain:
            return True
        if _matches(domain, self._blocked | self._db_blocked):
            return False
        if self._config.federation.policy == "allowlist":
            return _matches(domain, self._allowed | self._db_allowed)
        return True


async def set_rule(
    session: AsyncSession, domain: str, policy: str | None, reason: str = ""
) -> None:
    """Record (or with ``policy=None`` remove) an operator's rule for a domain."""
    normal = normalise_domain(domain)
    if normal is None:
        raise ValueError(f"{domain!r} is not a domain (host or host:port)")
    domain = normal
    existing = await session.get(DomainRule, domain)
    if policy is None:
        if existing is not None:
            await session.delete(existing)
        return
    if existing is None:
        session.add(DomainRule(domain=domain, policy=policy, reason=reason))
    else:
        existing.policy = policy
        existing.reason = reason


async def list_rules(session: AsyncSession) -> list[DomainRule]:
    """The operators' rules (``jamii federation list``, the admin page), by domain."""
    return list(await session.scalars(select(DomainRule).order_by(DomainRule.domain)))
