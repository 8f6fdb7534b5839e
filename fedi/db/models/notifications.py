"""Notifications shown to a local account."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin

NOTIFICATION_TYPES = (
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "update",
    "admin.report",
    "moved",
    "poll",
)


class Notification(IdMixin, CreatedMixin, Base):
    """``dedupe_key`` makes a replayed like or follow produce one notification, not two."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("account_id", "dedupe_key"),
        Index("ix_notifications_account_id_id", "account_id", "id"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    from_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    status_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), default=None
    )
    dedupe_key: Mapped[str] = mapped_column(String(128))
    read: Mapped[bool] = mapped_column(default=False)
