"""OAuth 2 clients (Mastodon's "apps"), authorisation codes and access tokens.

Codes and tokens are stored only as SHA-256 hashes: a leaked database or backup gives no one
a working token. The client secret is kept as issued, because Mastodon's API hands it back
(``/api/v1/apps``) and clients compare it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin


class Application(IdMixin, CreatedMixin, Base):
    """A registered client (Tusky, toot, a school's own tool): its name, redirect URIs and
    the widest scopes any of its tokens may carry."""

    __tablename__ = "oauth_applications"

    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(2048), default=None)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[str] = mapped_column(String(2048), default="read")
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret: Mapped[str] = mapped_column(String(64))


class AuthorizationCode(IdMixin, CreatedMixin, Base):
    """A one-time code handed to a client's redirect URI after a teacher consents."""

    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_applications.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    scopes: Mapped[str] = mapped_column(String(2048))
    code_challenge: Mapped[str | None] = mapped_column(String(128), default=None)
    code_challenge_method: Mapped[str | None] = mapped_column(String(8), default=None)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class AccessToken(IdMixin, CreatedMixin, Base):
    """A bearer token: a teacher's (``user_id``) or an app's own (client_credentials)."""

    __tablename__ = "oauth_access_tokens"
    __table_args__ = (
        # A reused code revokes what it issued (RFC 6749 §4.1.2); this finds those tokens.
        Index("ix_oauth_access_tokens_authorization_code_id", "authorization_code_id"),
        Index("ix_oauth_access_tokens_user_id", "user_id"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_applications.id", ondelete="CASCADE"), default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    authorization_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_authorization_codes.id", ondelete="SET NULL"), default=None
    )
    scopes: Mapped[str] = mapped_column(String(2048))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
