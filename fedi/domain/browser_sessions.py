"""Signed-in browsers: opening, finding and ending the sessions behind the pages' cookie."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, BrowserSession, User

LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class SignedIn:
    user: User
    account: Account


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def can_sign_in(user: User) -> bool:
    """Disabled, unapproved and not-yet-activated accounts cannot use the pages."""
    return not user.disabled and user.approved and user.confirmed_at is not None


async def open_session(session: AsyncSession, user: User) -> str:
    """A new session for ``user``; the token goes in the cookie, only its hash is kept."""
    token = secrets.token_urlsafe(32)
    session.add(
        BrowserSession(user_id=user.id, token_hash=_digest(token), expires_at=utcnow() + LIFETIME)
    )
    await session.flush()
    return token


async def signed_in(session: AsyncSession, token: str) -> SignedIn | None:
    row = (
        await session.execute(
            select(User, Account)
            .join(BrowserSession, BrowserSession.user_id == User.id)
            .join(Account, Account.id == User.account_id)
            .where(
                BrowserSession.token_hash == _digest(token), BrowserSession.expires_at > utcnow()
            )
        )
    ).first()
    if row is None:
        return None
    user, account = row
    return SignedIn(user, account) if can_sign_in(user) and account.suspended_at is None else None


async def close_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(BrowserSession).where(BrowserSession.token_hash == _digest(token)))


async def close_other_sessions(session: AsyncSession, user: User, keep: str) -> None:
    """After a password change: every other browser signed in as ``user`` is signed out."""
    await session.execute(
        delete(BrowserSession).where(
            BrowserSession.user_id == user.id, BrowserSession.token_hash != _digest(keep)
        )
    )
