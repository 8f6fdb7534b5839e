"""A teacher's settings: interface language, the languages they read, translation on/off."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import ReadingPreferences, User
from fedi.domain.site import SUPPORTED_LANGUAGES
from fedi.errors import ValidationFailed


@dataclass(frozen=True)
class Reading:
    languages: list[str]
    translate: bool


async def reading_preferences(session: AsyncSession, user: User) -> Reading:
    """The languages the teacher reads (by default the interface language) and whether other
    languages are translated for them (by default yes)."""
    found = await session.get(ReadingPreferences, user.id)
    return Reading(
        languages=list(user.reading_languages or [user.locale]),
        translate=found.translate if found is not None else True,
    )


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
    # The same field as the client API's source[reading_languages]: one choice, two doors.
    user.reading_languages = reads
    found = await session.get(ReadingPreferences, user.id)
    if found is None:
        session.add(ReadingPreferences(user_id=user.id, translate=translate))
    else:
        found.translate = translate
    await session.flush()
