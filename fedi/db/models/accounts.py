"""Actors (local teachers and remote accounts), their keys, logins and teacher profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin, utcnow


class Account(IdMixin, CreatedMixin, Base):
    """Any actor we know: a local teacher (``domain`` is NULL) or a remote one.

    Counters are kept on the row because every status and profile view shows them and
    counting follows on each read would cost a scan of the follows table.
    """

    __tablename__ = "accounts"
    __table_args__ = (
        # Usernames are unique per domain and compared without case, as Mastodon does. Local
        # accounts have no domain, and NULLs never collide in a unique index, hence two.
        Index("uq_accounts_username_domain", "username_lower", "domain", unique=True),
        Index(
            "uq_accounts_local_username",
            "username_lower",
            unique=True,
            sqlite_where=text("domain IS NULL"),
            postgresql_where=text("domain IS NULL"),
        ),
    )

    username: Mapped[str] = mapped_column(String(64))
    username_lower: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str | None] = mapped_column(String(255), default=None)
    actor_type: Mapped[str] = mapped_column(String(16), default="Person")
    display_name: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    inbox_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    shared_inbox_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    outbox_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    followers_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    following_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    featured_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    public_key_id: Mapped[str | None] = mapped_column(String(2048), default=None)
    public_key_pem: Mapped[str | None] = mapped_column(Text, default=None)
    locked: Mapped[bool] = mapped_column(default=False)
    discoverable: Mapped[bool] = mapped_column(default=True)
    bot: Mapped[bool] = mapped_column(default=False)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    also_known_as: Mapped[list[str]] = mapped_column(JSON, default=list)
    moved_to_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    avatar_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    header_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    statuses_count: Mapped[int] = mapped_column(default=0)
    followers_count: Mapped[int] = mapped_column(default=0)
    following_count: Mapped[int] = mapped_column(default=0)
    last_status_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def is_local(self) -> bool:
        return self.domain is None

    def acct(self) -> str:
        """``user`` for local accounts, ``user@domain`` for remote ones (Mastodon's ``acct``)."""
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


class AccountKey(Base):
    """A local actor's private key, kept apart so no account query ever loads it by accident."""

    __tablename__ = "account_keys"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    private_key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(IdMixin, CreatedMixin, Base):
    """The log-in of a local teacher: e-mail, password hash, role and sign-up state."""

    __tablename__ = "users"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    email: Mapped[str] = mapped_column(String(320))
    email_lower: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")
    approved: Mapped[bool] = mapped_column(default=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    default_language: Mapped[str | None] = mapped_column(String(8), default=None)
    default_visibility: Mapped[str] = mapped_column(String(16), default="public")
    default_sensitive: Mapped[bool] = mapped_column(default=False)
    # The languages the teacher reads (Jamii preference ``reading_languages``): timelines
    # asked with ``translate=true`` show stored renditions in the first of these that exists.
    reading_languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)


class TeacherProfile(Base):
    """What colleagues want to know about a teacher: school, subjects, grades, languages."""

    __tablename__ = "teacher_profiles"
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    school: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    grade_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
