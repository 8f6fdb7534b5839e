"""A teacher's public profile: name, bio, and what colleagues look for (school, subjects…)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, TeacherProfile
from fedi.domain.content import render
from fedi.domain.events import emit
from fedi.domain.site import Site
from fedi.errors import ValidationFailed

MAX_ITEMS = 20
MAX_ITEM_LENGTH = 60
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class ProfileUpdate:
    """Only the fields given (not None) change."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    school: str | None = None
    country: str | None = None
    subjects: list[str] | None = None
    grade_levels: list[str] | None = None
    languages: list[str] | None = None


def _clean_list(name: str, values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values if v.strip()]
    if len(cleaned) > MAX_ITEMS:
        raise ValidationFailed(f"At most {MAX_ITEMS} {name}", field=name)
    if any(len(v) > MAX_ITEM_LENGTH for v in cleaned):
        raise ValidationFailed(
            f"Each of {name} must be at most {MAX_ITEM_LENGTH} characters", field=name
        )
    return list(dict.fromkeys(cleaned))


def _validate(update: ProfileUpdate) -> None:
    if update.display_name is not None and len(update.display_name) > 100:
        raise ValidationFailed("Display name is longer than 100 characters", field="display_name")
    if update.note is not None and len(update.note) > 2000:
        raise ValidationFailed("Bio is longer than 2000 characters", field="note")
    if update.school is not None and len(update.school) > 200:
        raise ValidationFailed("School is longer than 200 characters", field="school")
    if update.country is not None and update.country and not COUNTRY_RE.match(update.country):
        raise ValidationFailed("Country must be a two-letter code such as KE", field="country")
    for code in update.languages or []:
        if not LANGUAGE_RE.match(code):
            raise ValidationFailed(f"'{code}' is not a language code such as sw", field="languages")


async def update_profile(
    session: AsyncSession,
    site: Site,
    account: Account,
    profile: TeacherProfile,
    update: ProfileUpdate,
) -> None:
    """Apply a profile change; every field is validated before any is written."""
    _validate(update)
    subjects = _clean_list("subjects", update.subjects) if update.subjects is not None else None
    grades = (
        _clean_list("grade_levels", update.grade_levels)
        if update.grade_levels is not None
        else None
    )
    languages = _clean_list("languages", update.languages) if update.languages is not None else None
    note_html = (await render(session, site, update.note)).html if update.note is not None else None

    if update.display_name is not None:
        account.display_name = update.display_name
    if update.note is not None and note_html is not None:
        account.note = note_html
    if update.locked is not None:
        account.locked = update.locked
    if update.school is not None:
        profile.school = update.school.strip()
    if update.country is not None:
        profile.country = update.country or None
    if subjects is not None:
        profile.subjects = subjects
    if grades is not None:
        profile.grade_levels = grades
    if languages is not None:
        profile.languages = languages
    await session.flush()
    await emit(session, account, "account.updated")
