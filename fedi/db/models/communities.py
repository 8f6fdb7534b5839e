"""Communities of practice: FEP-1b12 Groups, their settings, moderators, bans and posts.

A community *is* an account (``actor_type`` ``Group``): it has a handle, an inbox, a key
pair and followers like any actor, so WebFinger, signatures, follows and delivery need no
second path. What only a community has lives here, keyed by that account. Remote Groups
(a Lemmy community, another Jamii's) are stored the same way, with what their actor says.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin

VISIBILITIES = ("public", "private")
POSTING_POLICIES = ("members", "anyone", "moderators")
ROLES = ("moderator", "banned")


class Community(CreatedMixin, Base):
    """What a community is about and its rules; ``account_id`` is its Group actor."""

    __tablename__ = "communities"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(100), default="")
    grade_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    # public: joining is following; private: a join request waits for a moderator.
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    posting_policy: Mapped[str] = mapped_column(String(16), default="members")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    # Remote Groups publish their moderators here (FEP-1b12 ``attributedTo``).
    moderators_url: Mapped[str | None] = mapped_column(String(2048), default=None)


class CommunityRole(IdMixin, CreatedMixin, Base):
    """A moderator of a community, or someone banned from it: one role per person."""

    __tablename__ = "community_roles"
    __table_args__ = (UniqueConstraint("community_id", "account_id"),)

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.account_id", ondelete="CASCADE")
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")


class CommunityPost(CreatedMixin, Base):
    """A post (thread or reply) that belongs to a community: its FEP-1b12 ``audience``."""

    __tablename__ = "community_posts"
    __table_args__ = (
        Index("ix_community_posts_community_id_status_id", "community_id", "status_id"),
    )

    status_id: Mapped[int] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # A thread's title (the Note's ``name``, as Lemmy sends it); empty for replies.
    title: Mapped[str] = mapped_column(String(300), default="")
    # A moderator's removal hides the post from the community; the row (and the post)
    # stay, so a restore brings it back and the modlog can name it.
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
    removed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    removal_reason: Mapped[str] = mapped_column(Text, default="")
    # A locked thread takes no new replies; a pinned one comes first (the featured
    # collection).
    locked_at: Mapped[datetime | None] = mapped_column(default=None)
    pinned_at: Mapped[datetime | None] = mapped_column(default=None)


MODLOG_ACTIONS = (
    "ban",
    "unban",
    "add_moderator",
    "remove_moderator",
    "remove_post",
    "restore_post",
    "lock",
    "unlock",
    "pin",
    "unpin",
)


class ModlogEntry(IdMixin, CreatedMixin, Base):
    """One moderation action in a community, local or learnt from its remote Group.

    The post is kept by id without a foreign key: the log outlives a deleted post."""

    __tablename__ = "community_modlog"
    __table_args__ = (Index("ix_community_modlog_community_id_id", "community_id", "id"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    target_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )
    target_status_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
