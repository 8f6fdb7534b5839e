"""A teacher's settings: interface language, the languages they read, translation on/off."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import ReadingPreferences, User
from fedi.domain.site import SUPPORTED_LANGUAGES
from fedi.errors import ValidationFailed


async def reading_preferences(session: AsyncSession, user: User) -> ReadingPreferences:
    """The stored preferences, or the defaults (the interface language, translation on)."""
    found = await session.get(ReadingPreferences, user.id)
    return found or ReadingPreferences(user_id=user.id, languages=[user.locale], translate=True)


async def save_settings(
    session: AsyncSession,
    user: User,
    *,
    interface_language: str,
    reads: list[str],
    translate: bool,
) -> None:
    if interface_language not in SUPPORTED_LANGUAGES:
        raise ValidationFailed("Choose one of the languages offered", field="interface_language")
    unknown = [code for code in reads if code not in SUPPORTED_LANGUAGES]
    if unknown or len(set(reads)) != len(reads):
        raise ValidationFailed("Choose among the languages offered", field="languages")
    user.locale = interface_language
    found = await session.get(ReadingPreferences, user.id)
    if found is None:
        session.add(ReadingPreferences(user_id=user.id, languages=reads, translate=translate))
    else:
        found.languages = reads
        found.translate = translate
    await session.flush()
