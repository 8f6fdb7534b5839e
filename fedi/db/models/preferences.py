"""What a teacher chose about reading: the languages they read and whether posts in other
languages are translated for them. The translation layer reads these; the settings page
writes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, utcnow


class ReadingPreferences(Base):
    __tablename__ = "reading_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    translate: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
