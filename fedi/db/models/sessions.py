"""Browser sessions of the web pages: a random token in a cookie, its SHA-256 here.

A row rather than a signed cookie so that logging out (or a password change) ends the
session everywhere, and no signing key has to be shared between an instance's processes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin


class BrowserSession(IdMixin, CreatedMixin, Base):
    __tablename__ = "browser_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]
