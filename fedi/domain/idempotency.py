"""Posting once: a client that retries with the same ``Idempotency-Key`` gets the first post.

Phones on a school's patchy connection resend a post when the answer is lost; Mastodon
remembers the key for an hour, per account, and answers the retry with the status it
already made. Keys are stored hashed and their rows pruned as the account posts again.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, IdempotencyKey, Status
from fedi.domain.site import Site
from fedi.domain.statuses import Draft, post

WINDOW = timedelta(hours=1)
MAX_KEY = 512


def _digest(key: str) -> str:
    return hashlib.sha256(key[:MAX_KEY].encode()).hexdigest()


async def replay(session: AsyncSession, author: Account, key: str) -> Status | None:
    """The status posted under ``key`` within the hour, if it still exists."""
    status_id = await session.scalar(
        select(IdempotencyKey.status_id).where(
            IdempotencyKey.account_id == author.id,
            IdempotencyKey.key_hash == _digest(key),
            IdempotencyKey.created_at > utcnow() - WINDOW,
        )
    )
    return await session.get(Status, status_id) if status_id is not None else None


async def post_once(
    session: AsyncSession,
    site: Site,
    author: Account,
    draft: Draft,
    *,
    key: str | None,
    default_language: str | None = None,
) -> Status:
    """``statuses.post``, unless the same key already posted within the hour.

    Two retries racing each other both post; the unique key makes the second commit fail,
    and the caller answers it with ``replay``.
    """
    if key:
        earlier = await replay(session, author, key)
        if earlier is not None:
            return earlier
    status = await post(session, site, author, draft, default_language=default_language)
    if key:
        digest = _digest(key)
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.account_id == author.id,
                or_(
                    IdempotencyKey.key_hash == digest,
                    IdempotencyKey.created_at <= utcnow() - WINDOW,
                ),
            )
        )
        session.add(IdempotencyKey(account_id=author.id, key_hash=digest, status_id=status.id))
        await session.flush()
    return status
