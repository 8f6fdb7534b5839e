"""Test data made through the real domain services (no hand-inserted rows)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account
from fedi.domain import follows, statuses
from fedi.domain.accounts import Registration, register
from fedi.domain.site import Site
from fedi.ids import new_id

KE = Site(domain="ke.test", base_url="https://ke.test", primary_language="en", post_length=500)


async def teacher(
    session: AsyncSession, username: str, *, site: Site = KE, locked: bool = False
) -> Account:
    account, _ = await register(
        session,
        site,
        Registration(
            username=username,
            email=f"{username}@school.example",
            password="correct horse battery",
            display_name=username.title(),
        ),
    )
    account.locked = locked
    await session.flush()
    return account


async def remote_teacher(session: AsyncSession, username: str, domain: str) -> Account:
    """A remote account as federation will store it (no key pair, no login)."""
    uri = f"https://{domain}/users/{username}"
    account = Account(
        id=new_id(),
        username=username,
        username_lower=username.lower(),
        domain=domain,
        uri=uri,
        url=f"https://{domain}/@{username}",
        inbox_url=f"{uri}/inbox",
        fields=[],
        also_known_as=[],
    )
    session.add(account)
    await session.flush()
    return account


async def say(
    session: AsyncSession, author: Account, text: str, *, site: Site = KE, **draft: object
) -> int:
    status = await statuses.post(session, site, author, statuses.Draft(text=text, **draft))  # type: ignore[arg-type]
    return status.id


async def befriend(session: AsyncSession, follower: Account, target: Account) -> None:
    await follows.follow(session, follower, target)
