"""What a teacher chose about reading: whether posts in other languages are translated for
them. (The languages they read are ``User.reading_languages``, shared with the client API's
``source[reading_languages]``.) The translation layer reads this; the settings page writes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, utcnow


class ReadingPreferences(Base):
    __tablename__ = "reading_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    translate: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
