"""Keys for the LibreTranslate-compatible API: a ministry lends its engine to neighbours.

Keys come from ``[translation] api_keys`` in instance.toml or from the command line
(``jamii translation keys add NAME``), which stores only their SHA-256: a leaked database
gives nobody a working key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import TranslationApiKey
from fedi.db.writes import execute_counting
from fedi.errors import Conflict, ValidationFailed

MAX_NAME = 100


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def key_name(session: AsyncSession, configured: Sequence[str], key: str) -> str | None:
    """Who holds ``key`` (a name to count its requests under), or None if it is no key."""
    if not key:
        return None
    hashed = digest(key)
    for index, known in enumerate(configured):
        if hmac.compare_digest(digest(known), hashed):
            return f"config:{index}"
    name = await session.scalar(
        select(TranslationApiKey.name).where(TranslationApiKey.key_sha256 == hashed)
    )
    return f"key:{name}" if name is not None else None


async def add_key(session: AsyncSession, name: str) -> str:
    """A new key for ``name`` (shown once; only its hash is kept)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed(f"A key's name is 1 to {MAX_NAME} characters", field="name")
    taken = await session.scalar(select(TranslationApiKey.id).where(TranslationApiKey.name == name))
    if taken is not None:
        raise Conflict(f"There is already a key named {name}")
    key = secrets.token_urlsafe(32)
    session.add(TranslationApiKey(name=name, key_sha256=digest(key)))
    await session.flush()
    return key


async def list_keys(session: AsyncSession) -> list[tuple[str, str]]:
    """(name, created at ISO 8601) of every key made on the command line."""
    rows = await session.execute(
        select(TranslationApiKey.name, TranslationApiKey.created_at).order_by(
            TranslationApiKey.name
        )
    )
    return [(name, created.isoformat(timespec="seconds")) for name, created in rows]


async def remove_key(session: AsyncSession, name: str) -> bool:
    removed = await execute_counting(
        session, delete(TranslationApiKey).where(TranslationApiKey.name == name.strip())
    )
    return removed > 0
