"""Statuses (posts, replies and boosts), their edit history, mentions, tags and tombstones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import ONLY_ON, Base, CreatedMixin, IdMixin, utcnow

VISIBILITIES = ("public", "unlisted", "private", "direct")


class Status(IdMixin, CreatedMixin, Base):
    """A post, a reply (``in_reply_to_id``) or a boost (``reblog_of_id``, no content).

    ``thread_id`` is the id of the thread's first post, copied down each reply so a thread
    is read with one indexed query instead of walking the reply chain.
    """

    __tablename__ = "statuses"
    __table_args__ = (
        # The home timeline reads "latest statuses of these accounts": (account_id, id).
        Index("ix_statuses_account_id_id", "account_id", "id"),
        Index("ix_statuses_thread_id_id", "thread_id", "id"),
        Index("ix_statuses_in_reply_to_id", "in_reply_to_id"),
        Index("ix_statuses_reblog_of_id", "reblog_of_id"),
        # Public timelines: newest local public posts first.
        Index("ix_statuses_local_visibility_id", "local", "visibility", "id"),
        # Search by words (``fedi.domain.search``): ILIKE '%word%' on PostgreSQL reads these
        # trigram indexes instead of every post. SQLite has no such index: it scans.
        *(
            Index(
                f"ix_statuses_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
                info={ONLY_ON: "postgresql"},
            ).ddl_if(dialect="postgresql")
            for column in ("text", "spoiler_text")
        ),
        # One boost per account and status.
        Index(
            "uq_statuses_account_id_reblog_of_id",
            "account_id",
            "reblog_of_id",
            unique=True,
            sqlite_where=text("reblog_of_id IS NOT NULL"),
            postgresql_where=text("reblog_of_id IS NOT NULL"),
        ),
    )

    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="SET NULL"), default=None
    )
    in_reply_to_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    thread_id: Mapped[int | None] = mapped_column(default=None)
    reblog_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), default=None
    )
    content: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    sensitive: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    local: Mapped[bool] = mapped_column(default=True)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    replies_count: Mapped[int] = mapped_column(default=0)
    reblogs_count: Mapped[int] = mapped_column(default=0)
    favourites_count: Mapped[int] = mapped_column(default=0)
    # Whether a row in ``polls`` (same id) belongs to this status: timelines load polls
    # only for the statuses that have one, without asking the database which do.
    has_poll: Mapped[bool] = mapped_column(default=False, server_default=false())


class StatusEdit(IdMixin, CreatedMixin, Base):
    """One version of an edited status; the first edit also records the original."""

    __tablename__ = "status_edits"
    __table_args__ = (Index("ix_status_edits_status_id_id", "status_id", "id"),)

    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    sensitive: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    # The poll's option titles in this version (Mastodon's StatusEdit.poll), if it had one.
    poll_options: Mapped[list[str] | None] = mapped_column(JSON, default=None)


class Mention(IdMixin, Base):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("status_id", "account_id"),
        # Home timelines include direct posts that mention the reader.
        Index("ix_mentions_account_id_status_id", "account_id", "status_id"),
    )

    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))


class Tag(IdMixin, CreatedMixin, Base):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(256))
    name_lower: Mapped[str] = mapped_column(String(256), unique=True)


class StatusTag(Base):
    __tablename__ = "status_tags"
    __table_args__ = (Index("ix_status_tags_tag_id_status_id", "tag_id", "status_id"),)

    status_id: Mapped[int] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class Tombstone(Base):
    """The URI of a deleted object, kept so a Create arriving after its Delete stays deleted."""

    __tablename__ = "tombstones"

    uri: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
