"""Media attachments: images, and documents such as lesson plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin

MEDIA_TYPES = ("image", "gifv", "video", "audio", "document", "unknown")


class MediaAttachment(IdMixin, CreatedMixin, Base):
    """An upload (``file_name`` under the data dir, random) or a remote file (``remote_url``).

    ``status_id`` stays NULL between upload and the post that uses it.
    """

    __tablename__ = "media_attachments"
    __table_args__ = (
        Index("ix_media_attachments_status_id", "status_id"),
        Index("ix_media_attachments_account_id", "account_id"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="SET NULL"), default=None
    )
    type: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str] = mapped_column(String(127))
    file_name: Mapped[str | None] = mapped_column(String(255), default=None)
    file_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    remote_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    blurhash: Mapped[str | None] = mapped_column(String(64), default=None)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
