"""Translations of statuses ("renditions"): one per status version, language and engine."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin


class Rendition(IdMixin, CreatedMixin, Base):
    """A status's texts in another language, as one engine and model version made them.

    ``edit_version`` is the status version translated (``fedi.domain.renditions``): an edit
    makes a new version, so older renditions stop being served without being deleted at once.
    ``engine`` is ``argos``/``libretranslate`` for ours and ``remote:<host>`` for a
    translation another server sent in its ``contentMap``.
    """

    __tablename__ = "renditions"
    __table_args__ = (
        # The lookup "this version of this status in this language" reads the prefix.
        UniqueConstraint(
            "status_id",
            "edit_version",
            "language",
            "engine",
            "model_version",
            name="uq_renditions_version_language_engine",
        ),
    )

    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"))
    edit_version: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8))
    source_language: Mapped[str] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(300))
    model_version: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    # [[attachment id, description], ...] and [option, ...]
    media_descriptions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    poll_options: Mapped[list[str]] = mapped_column(JSON, default=list)


class TranslationApiKey(IdMixin, CreatedMixin, Base):
    """A key a neighbouring server uses on the LibreTranslate-compatible API
    (``jamii translation keys add NAME``); only its SHA-256 is stored."""

    __tablename__ = "translation_api_keys"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
