"""Activating a roster account: the teacher proves who they are with the one-time code
the ministry gave them, and chooses their password. No e-mail round trip."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, ActivationCode, User
from fedi.domain import codes
from fedi.domain.accounts import check_password
from fedi.domain.passwords import hash_password
from fedi.errors import ValidationFailed

FIELD = "code"
NO_MATCH = "This username and code do not match. Check both, as printed on your sheet."
EXPIRED = (
    "This activation code has expired. Ask your school or ministry for a new one "
    "(they can issue it with: jamii roster reissue USERNAME)."
)
USED = (
    "This activation code has already been used. Log in with the password you chose, "
    "or ask your school or ministry for a new code."
)


async def issue_code(session: AsyncSession, user: User, *, valid_for: timedelta) -> str:
    """A new one-time code for ``user``; any earlier unused code stops working."""
    now = utcnow()
    await session.execute(
        update(ActivationCode)
        .where(ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None))
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    code = codes.new_code()
    session.add(
        ActivationCode(user_id=user.id, code_hash=codes.digest(code), expires_at=now + valid_for)
    )
    await session.flush()
    return code


async def reissue(session: AsyncSession, username: str, *, valid_for: timedelta) -> str:
    user = await session.scalar(
        select(User)
        .join(Account, Account.id == User.account_id)
        .where(Account.username_lower == username.lower(), Account.domain.is_(None))
    )
    if user is None:
        raise ValidationFailed(f"No local account named {username}", field="username")
    return await issue_code(session, user, valid_for=valid_for)


async def activate(session: AsyncSession, username: str, code: str, password: str) -> User:
    """Set the password and confirm the account, spending the code. The same answer for an
    unknown username and a wrong code; an expired or spent code says so and what to do."""
    found = (
        await session.execute(
            select(ActivationCode, User)
            .join(User, User.id == ActivationCode.user_id)
            .join(Account, Account.id == User.account_id)
            .where(
                ActivationCode.code_hash == codes.digest(code),
                Account.username_lower == username.strip().lower(),
                Account.domain.is_(None),
            )
        )
    ).first()
    if found is None:
        raise ValidationFailed(NO_MATCH, field=FIELD)
    activation, user = found
    if activation.used_at is not None:
        raise ValidationFailed(USED, field=FIELD)
    if activation.expires_at <= utcnow():
        raise ValidationFailed(EXPIRED, field=FIELD)
    check_password(password)
    spent = await session.execute(
        update(ActivationCode)
        .where(ActivationCode.id == activation.id, ActivationCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:  # another request spent it a moment ago
        raise ValidationFailed(USED, field=FIELD)
    user.password_hash = hash_password(password)
    user.confirmed_at = utcnow()
    await session.flush()
    return user
