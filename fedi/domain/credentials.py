"""A teacher edits their own profile and posting defaults (Mastodon's update_credentials).

Mastodon clients know one kind of structured profile data: name/value fields. A teacher's
school, subjects, grades and languages are shown as four such fields (as the actor
document shows them to other servers), and fields sent back under those names update the
teacher profile itself; any other field is a free one the teacher chose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, TeacherProfile, User
from fedi.domain.html import escape_text
from fedi.domain.profiles import ProfileUpdate, update_profile
from fedi.domain.site import Site
from fedi.errors import ValidationFailed

SCHOOL, SUBJECTS, GRADES, LANGUAGES = "School", "Subjects", "Grades", "Languages"
TEACHER_FIELDS = (SCHOOL, SUBJECTS, GRADES, LANGUAGES)
_TEACHER_KEYS = frozenset(name.lower() for name in TEACHER_FIELDS)
MAX_FREE_FIELDS = 4
MAX_FIELD_NAME = 255
MAX_FIELD_VALUE = 2047
DEFAULT_PRIVACIES = ("public", "unlisted", "private")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
_LIST_SEPARATOR = re.compile(r"\s*[,;]\s*")


def teacher_fields(profile: TeacherProfile | None) -> list[dict[str, str]]:
    """The teacher profile as profile fields (plain text), leaving out empty ones."""
    if profile is None:
        return []
    values = (
        (SCHOOL, profile.school),
        (SUBJECTS, ", ".join(profile.subjects)),
        (GRADES, ", ".join(profile.grade_levels)),
        (LANGUAGES, ", ".join(profile.languages)),
    )
    return [{"name": name, "value": value} for name, value in values if value]


@dataclass(frozen=True)
class CredentialsUpdate:
    """What a client may change; None leaves a value as it is. ``fields`` replaces them all."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    fields: Sequence[tuple[str, str]] | None = None
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    # Jamii's own: the languages the teacher reads, most preferred first ([] clears them).
    reading_languages: Sequence[str] | None = None


MAX_READING_LANGUAGES = 8


def _check_reading(update: CredentialsUpdate) -> list[str] | None:
    if update.reading_languages is None:
        return None
    found: list[str] = []
    for item in update.reading_languages:
        for code in _split_list(item):
            code = code.lower()
            if not LANGUAGE_RE.match(code):
                raise ValidationFailed(
                    "Reading languages must be ISO 639 codes such as sw",
                    field="source[reading_languages]",
                )
            if code not in found:
                found.append(code)
    if len(found) > MAX_READING_LANGUAGES:
        raise ValidationFailed(
            f"At most {MAX_READING_LANGUAGES} reading languages",
            field="source[reading_languages]",
        )
    return found


def _split_list(value: str) -> list[str]:
    return [item for item in _LIST_SEPARATOR.split(value.strip()) if item]


def _profile_update(update: CredentialsUpdate) -> tuple[ProfileUpdate, list[dict[str, str]] | None]:
    """The teacher profile change and the free fields, from the fields as the client sent them."""
    base = ProfileUpdate(display_name=update.display_name, note=update.note, locked=update.locked)
    if update.fields is None:
        return base, None
    pairs = [(name.strip(), value.strip()) for name, value in update.fields]
    pairs = [(name, value) for name, value in pairs if name or value]
    teacher = {name.lower(): value for name, value in pairs if name.lower() in _TEACHER_KEYS}
    free = [(name, value) for name, value in pairs if name.lower() not in _TEACHER_KEYS]
    if len(free) > MAX_FREE_FIELDS:
        raise ValidationFailed(
            f"At most {MAX_FREE_FIELDS} profile fields besides {', '.join(TEACHER_FIELDS)}",
            field="fields_attributes",
        )
    for name, value in free:
        if not name:
            raise ValidationFailed("Every profile field needs a name", field="fields_attributes")
        if len(name) > MAX_FIELD_NAME or len(value) > MAX_FIELD_VALUE:
            raise ValidationFailed(
                f"Profile field names are at most {MAX_FIELD_NAME} characters and values "
                f"{MAX_FIELD_VALUE}",
                field="fields_attributes",
            )
    # Fields replace the whole list, as in Mastodon: a teacher field left out is cleared.
    profile = ProfileUpdate(
        display_name=update.display_name,
        note=update.note,
        locked=update.locked,
        school=teacher.get("school", ""),
        subjects=_split_list(teacher.get("subjects", "")),
        grade_levels=_split_list(teacher.get("grades", "")),
        languages=[code.lower() for code in _split_list(teacher.get("languages", ""))],
    )
    return profile, [{"name": name, "value": escape_text(value)} for name, value in free]


def _check_defaults(update: CredentialsUpdate) -> str | None:
    if update.privacy is not None and update.privacy not in DEFAULT_PRIVACIES:
        raise ValidationFailed(
            f"Default privacy must be one of {', '.join(DEFAULT_PRIVACIES)}",
            field="source[privacy]",
        )
    if update.language is None:
        return None
    language = update.language.strip().lower()
    if language and not LANGUAGE_RE.match(language):
        raise ValidationFailed(
            "Default language must be an ISO 639 code such as sw", field="source[language]"
        )
    return language


async def update_credentials(
    session: AsyncSession,
    site: Site,
    account: Account,
    user: User,
    profile: TeacherProfile | None,
    update: CredentialsUpdate,
) -> None:
    """Apply a client's profile change; every value is checked before any is written."""
    language = _check_defaults(update)
    reading = _check_reading(update)
    profile_update, free_fields = _profile_update(update)
    if profile is None:
        profile = TeacherProfile(account_id=account.id, subjects=[], grade_levels=[], languages=[])
        session.add(profile)
    await update_profile(session, site, account, profile, profile_update)
    if free_fields is not None:
        account.fields = free_fields
    if update.privacy is not None:
        user.default_visibility = update.privacy
    if update.sensitive is not None:
        user.default_sensitive = update.sensitive
    if language is not None:
        user.default_language = language or None
    if reading is not None:
        user.reading_languages = reading
    await session.flush()
