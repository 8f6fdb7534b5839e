"""Registering teachers and checking their log-in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, AccountKey, TeacherProfile, User
from fedi.domain.keys import new_key_pair
from fedi.domain.passwords import hash_password, needs_rehash, verify_password
from fedi.domain.site import Site
from fedi.errors import Conflict, JamiiError, ValidationFailed

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
# A deliberately loose check: the real proof of an address is a message reaching it.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
ROLES = ("user", "moderator", "admin")
# Names that would shadow the instance's own actors or pages.
RESERVED_USERNAMES = frozenset(
    {"actor", "admin", "about", "api", "inbox", "instance", "jamii", "oauth", "settings", "users"}
)


@dataclass(frozen=True)
class Registration:
    username: str
    email: str
    password: str
    display_name: str = ""
    role: str = "user"
    approved: bool = True
    confirmed: bool = True
    locale: str = "en"
    reserved_ok: bool = False


def check_password(password: str) -> None:
    """The one password rule, for sign-up, activation and password changes alike."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )


def registration_problems(reg: Registration) -> list[JamiiError]:
    """Every rule the registration breaks (a form shows them all at once), in field order."""
    problems: list[JamiiError] = []
    if not USERNAME_RE.match(reg.username):
        problems.append(
            ValidationFailed(
                "Username must be 1-30 letters, digits or underscores", field="username"
            )
        )
    elif reg.username.lower() in RESERVED_USERNAMES and not reg.reserved_ok:
        problems.append(ValidationFailed("Username is reserved", field="username"))
    if not EMAIL_RE.match(reg.email) or len(reg.email) > 320:
        problems.append(ValidationFailed("E-mail address is not valid", field="email"))
    try:
        check_password(reg.password)
    except ValidationFailed as exc:
        problems.append(exc)
    if reg.role not in ROLES:
        problems.append(ValidationFailed(f"Role must be one of {', '.join(ROLES)}", field="role"))
    if len(reg.display_name) > 100:
        problems.append(
            ValidationFailed("Display name is longer than 100 characters", field="display_name")
        )
    return problems


async def taken_problems(session: AsyncSession, reg: Registration) -> list[JamiiError]:
    """Whether the username or the e-mail address already belongs to someone."""
    problems: list[JamiiError] = []
    taken = await session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.username_lower == reg.username.lower(), Account.domain.is_(None))
    )
    if taken:
        problems.append(Conflict("Username is already taken", field="username"))
    email_taken = await session.scalar(
        select(func.count()).select_from(User).where(User.email_lower == reg.email.lower())
    )
    if email_taken:
        problems.append(Conflict("E-mail is already in use", field="email"))
    return problems


async def register(session: AsyncSession, site: Site, reg: Registration) -> tuple[Account, User]:
    """Create a local teacher with a key pair and an empty profile.

    Every rule is checked before anything is added, so a refused registration writes nothing.
    """
    problems = registration_problems(reg) or await taken_problems(session, reg)
    if problems:
        raise problems[0]

    private_pem, public_pem = await new_key_pair()
    uri = site.actor_uri(reg.username)
    account = Account(
        username=reg.username,
        username_lower=reg.username.lower(),
        domain=None,
        display_name=reg.display_name,
        uri=uri,
        url=site.profile_url(reg.username),
        inbox_url=site.inbox_url(reg.username),
        shared_inbox_url=site.shared_inbox_url(),
        outbox_url=f"{uri}/outbox",
        followers_url=f"{uri}/followers",
        following_url=f"{uri}/following",
        featured_url=f"{uri}/collections/featured",
        public_key_id=f"{uri}#main-key",
        public_key_pem=public_pem,
        fields=[],
        also_known_as=[],
    )
    session.add(account)
    await session.flush()
    user = User(
        account_id=account.id,
        email=reg.email,
        email_lower=reg.email.lower(),
        password_hash=hash_password(reg.password),
        role=reg.role,
        approved=reg.approved,
        confirmed_at=utcnow() if reg.confirmed else None,
        locale=reg.locale,
    )
    session.add_all(
        [
            user,
            AccountKey(account_id=account.id, private_key_pem=private_pem),
            TeacherProfile(account_id=account.id, subjects=[], grade_levels=[], languages=[]),
        ]
    )
    await session.flush()
    return account, user


async def authenticate(session: AsyncSession, login: str, password: str) -> User | None:
    """The user whose e-mail (or, without an ``@``, username) and password match, or None —
    the same answer (and about the same time) for an unknown login, a wrong password, or a
    disabled account. Teachers imported from a roster may have no e-mail address at all."""
    if "@" in login:
        query = select(User).where(User.email_lower == login.lower())
    else:
        query = (
            select(User)
            .join(Account, Account.id == User.account_id)
            .where(Account.username_lower == login.lower(), Account.domain.is_(None))
        )
    user = await session.scalar(query)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    return user


async def change_password(session: AsyncSession, user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one (a borrowed, signed-in phone
    must not be enough to take the account over)."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed("The current password is not right", field="current_password")
    try:
        check_password(new)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="new_password") from None
    user.password_hash = hash_password(new)
    await session.flush()


async def local_account(session: AsyncSession, username: str) -> Account | None:
    return await session.scalar(
        select(Account).where(Account.username_lower == username.lower(), Account.domain.is_(None))
    )
