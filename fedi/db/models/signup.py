"""How teachers get an account without an e-mail round trip: invites and roster activation.

Activation codes are secrets handed out on paper: only their SHA-256 is stored, as for
OAuth codes. Invite codes are shown again on the admin page, so they are kept as issued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin


class Invite(IdMixin, CreatedMixin, Base):
    """A sign-up code (and its link ``/invite/<code>``) an admin made: limited in uses
    and time when the admin chose so."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    max_uses: Mapped[int | None] = mapped_column(default=None)
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class ActivationCode(IdMixin, CreatedMixin, Base):
    """The one-time code a ministry hands a teacher imported from its roster; the teacher
    enters it with their username to choose a password."""

    __tablename__ = "activation_codes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
