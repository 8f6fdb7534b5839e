"""What a teacher arranges for their own reading and profile: mutes, pinned posts, lists of
accounts (each its own timeline) and the read markers clients sync between devices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin, utcnow


class Mute(IdMixin, CreatedMixin, Base):
    """``account`` hides ``target``'s posts (and, with ``hide_notifications``, their
    notifications) until ``expires_at``, or for good when it is None."""

    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    hide_notifications: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


class StatusPin(IdMixin, CreatedMixin, Base):
    """A post its author features on their profile (local pins, and remote actors' pins
    learnt from their Add/Remove activities)."""

    __tablename__ = "status_pins"
    __table_args__ = (
        UniqueConstraint("account_id", "status_id"),
        Index("ix_status_pins_status_id", "status_id"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"))


class AccountList(IdMixin, CreatedMixin, Base):
    """A teacher's list of followed accounts (Mastodon's List), read as its own timeline."""

    __tablename__ = "lists"
    __table_args__ = (Index("ix_lists_account_id", "account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(256))
    replies_policy: Mapped[str] = mapped_column(String(16), default="list")
    # Members' posts show in this list only, not in the home timeline.
    exclusive: Mapped[bool] = mapped_column(default=False)


class ListAccount(IdMixin, Base):
    """A member of a list. It hangs off the follow: unfollowing removes it, as in Mastodon."""

    __tablename__ = "list_accounts"
    __table_args__ = (
        UniqueConstraint("list_id", "account_id"),
        Index("ix_list_accounts_account_id_list_id", "account_id", "list_id"),
        Index("ix_list_accounts_follow_id", "follow_id"),
    )

    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    follow_id: Mapped[int] = mapped_column(ForeignKey("follows.id", ondelete="CASCADE"))


class Marker(Base):
    """Where a teacher stopped reading a timeline (``home`` or ``notifications``)."""

    __tablename__ = "markers"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    timeline: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
