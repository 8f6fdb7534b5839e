"""Invites: codes an admin makes so that teachers can sign up where strangers cannot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Invite
from fedi.domain import codes
from fedi.errors import ValidationFailed

FIELD = "invite_code"
UNKNOWN = "This invite code is not known here. Check it, or ask whoever invited you for a new one."
EXPIRED = "This invite has expired. Ask your school or ministry for a new invite."
USED_UP = "This invite has already been used as many times as allowed. Ask for a new invite."
MAX_DAYS = 365


async def create_invite(
    session: AsyncSession,
    *,
    created_by: Account | None = None,
    max_uses: int | None = None,
    expires_in: timedelta | None = None,
) -> Invite:
    if max_uses is not None and not 1 <= max_uses <= 100_000:
        raise ValidationFailed("Uses must be between 1 and 100000", field="max_uses")
    if expires_in is not None and not timedelta(0) < expires_in <= timedelta(days=MAX_DAYS):
        raise ValidationFailed(f"Expiry must be between 1 and {MAX_DAYS} days", field="expires_in")
    invite = Invite(
        code=codes.new_code(),
        created_by_id=created_by.id if created_by else None,
        max_uses=max_uses,
        uses=0,
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(invite)
    await session.flush()
    return invite


async def recent_invites(session: AsyncSession, limit: int = 100) -> Sequence[Invite]:
    return (await session.scalars(select(Invite).order_by(Invite.id.desc()).limit(limit))).all()


def is_usable(invite: Invite) -> bool:
    expired = invite.expires_at is not None and invite.expires_at <= utcnow()
    used_up = invite.max_uses is not None and invite.uses >= invite.max_uses
    return not expired and not used_up


async def usable_invite(session: AsyncSession, code: str) -> Invite:
    """The invite behind ``code``, or a refusal saying why it cannot be used and what to do."""
    invite = await session.scalar(select(Invite).where(Invite.code == codes.normalise(code)))
    if invite is None:
        raise ValidationFailed(UNKNOWN, field=FIELD)
    if invite.expires_at is not None and invite.expires_at <= utcnow():
        raise ValidationFailed(EXPIRED, field=FIELD)
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        raise ValidationFailed(USED_UP, field=FIELD)
    return invite


async def use_invite(session: AsyncSession, invite: Invite) -> None:
    """Count one use, atomically: two sign-ups racing for an invite's last use get one."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses),
        )
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise ValidationFailed(USED_UP, field=FIELD)
    await session.refresh(invite)
