"""Roster import: the ministry's list of teachers becomes accounts, each waiting for its
teacher to activate it with a one-time code (no e-mail needed, see ``activation``)."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import TeacherProfile
from fedi.domain.accounts import Registration, register
from fedi.domain.activation import issue_code
from fedi.domain.site import SUPPORTED_LANGUAGES, Site
from fedi.errors import JamiiError, ValidationFailed

COLUMNS = ("username", "display_name", "email", "school", "subjects", "languages")
REQUIRED = ("username",)
MAX_ROWS = 50_000
# Roster teachers may have no address; ``.invalid`` (RFC 2606) can never receive mail and
# keeps the log-in table's one-address-per-user rule. They log in with their username.
NO_EMAIL_DOMAIN = "roster.invalid"


LANGUAGES_ALLOWED = "Languages must be among en, fr, pt, sw"


class RowRefused(ValidationFailed):
    """A bad row: ``line`` (of the file) and ``reason``, the broken rule's own message (the
    pages translate it; ``message`` is the command line's one-line English)."""

    def __init__(self, message: str, *, line: int, reason: str, field: str | None) -> None:
        super().__init__(message, field=field)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class RosterEntry:
    line: int
    username: str
    display_name: str = ""
    email: str = ""
    school: str = ""
    subjects: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Activation:
    """What the ministry hands one teacher: their username and one-time code."""

    username: str
    display_name: str
    code: str


def _items(value: str) -> tuple[str, ...]:
    # Lists inside one CSV cell: "maths; physics" (commas would need quoting in spreadsheets).
    return tuple(item.strip() for item in value.replace(",", ";").split(";") if item.strip())


def parse_roster(text: str) -> list[RosterEntry]:
    """Rows of a CSV with a header naming some of ``COLUMNS`` (``username`` required)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or not all(name in header for name in REQUIRED):
        raise ValidationFailed(
            f"The header must name some of {', '.join(COLUMNS)} (username is required); "
            f"found: {', '.join(header) or 'nothing'}",
            field="header",
        )
    reader.fieldnames = header
    entries: list[RosterEntry] = []
    for row in reader:
        if len(entries) >= MAX_ROWS:
            raise ValidationFailed(f"A roster may hold at most {MAX_ROWS} teachers")
        cells = {key: (value or "").strip() for key, value in row.items() if key}
        if not any(cells.values()):
            continue
        languages = tuple(code.lower() for code in _items(cells.get("languages", "")))
        strange = [code for code in languages if code not in SUPPORTED_LANGUAGES]
        if strange:
            raise RowRefused(
                f"line {reader.line_num}: languages must be among "
                f"{', '.join(SUPPORTED_LANGUAGES)}, not {', '.join(strange)}",
                line=reader.line_num,
                reason=LANGUAGES_ALLOWED,
                field="languages",
            )
        entries.append(
            RosterEntry(
                line=reader.line_num,
                username=cells.get("username", ""),
                display_name=cells.get("display_name", ""),
                email=cells.get("email", ""),
                school=cells.get("school", "")[:200],
                subjects=_items(cells.get("subjects", "")),
                languages=languages,
            )
        )
    return entries


async def import_roster(
    session: AsyncSession, site: Site, entries: list[RosterEntry], *, valid_for: timedelta
) -> list[Activation]:
    """One account per entry, each with a fresh activation code. A bad row stops the whole
    import (the caller's transaction rolls back), naming its line, so a corrected file can
    simply be imported again."""
    activations = []
    for entry in entries:
        registration = Registration(
            username=entry.username,
            email=entry.email or f"{entry.username}@{NO_EMAIL_DOMAIN}",
            # Unusable until activation: nobody knows it, and the account is unconfirmed.
            password=secrets.token_urlsafe(32),
            display_name=entry.display_name,
            confirmed=False,
            locale=entry.languages[0] if entry.languages else site.primary_language,
        )
        try:
            account, user = await register(session, site, registration)
        except JamiiError as exc:
            field = f" ({exc.field})" if exc.field else ""
            raise RowRefused(
                f"line {entry.line}, {entry.username or 'no username'}{field}: {exc.message}",
                line=entry.line,
                reason=exc.message,
                field=exc.field,
            ) from None
        profile = await session.scalar(
            select(TeacherProfile).where(TeacherProfile.account_id == account.id)
        )
        assert profile is not None  # register() makes one
        profile.school = entry.school
        profile.subjects = list(entry.subjects)
        profile.languages = list(entry.languages)
        code = await issue_code(session, user, valid_for=valid_for)
        activations.append(Activation(account.username, account.display_name, code))
    await session.flush()
    return activations


def codes_csv(base_url: str, activations: list[Activation]) -> str:
    """The sheet the ministry prints: username, display_name, activation_code, activate_at."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "display_name", "activation_code", "activate_at"])
    for item in activations:
        writer.writerow([item.username, item.display_name, item.code, f"{base_url}/activate"])
    return out.getvalue()
