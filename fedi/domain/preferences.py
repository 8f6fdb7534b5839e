"""A teacher's settings: interface language, the languages they read, translation on/off."""

from __future__ import annotations

from collections.abc import Sequence
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


def reads_as_written(chosen: Sequence[str], *, asked: bool | None, unless_chosen: bool) -> bool:
    """True when ``shown_languages`` is [] whatever else is stored: asked for the original,
    or (``unless_chosen``) following settings that chose no reading language. Lets a hot
    read skip loading the rest."""
    if asked is False:
        return True
    return asked is None and unless_chosen and not chosen


async def shown_languages(
    session: AsyncSession, user: User, *, asked: bool | None, unless_chosen: bool, fallback: str
) -> list[str]:
    """The languages to show other people's posts in, most preferred first; [] for as
    written. One rule for the client API's timelines and the pages.

    ``asked`` is this request's explicit choice (the API's ``translate``), None to follow
    the teacher's settings. Settings: the reading languages they chose, unless translation
    is switched off. ``unless_chosen``: a teacher who never chose reading languages reads
    as written (the API, for clients that know nothing of translation); otherwise the
    language they write in, else their interface language, is assumed (the pages).
    """
    chosen = list(user.reading_languages or [])
    if reads_as_written(chosen, asked=asked, unless_chosen=unless_chosen):
        return []
    if asked is None and not (await reading_preferences(session, user)).translate:
        return []
    return chosen or [user.default_language or user.locale or fallback]
