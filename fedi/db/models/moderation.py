"""Blocks between accounts, reports to moderators, and the instance's domain rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin


class Block(IdMixin, CreatedMixin, Base):
    __tablename__ = "blocks"
    __table_args__ = (
        UniqueConstraint("account_id", "target_account_id"),
        Index("ix_blocks_target_account_id_account_id", "target_account_id", "account_id"),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    uri: Mapped[str | None] = mapped_column(String(2048), default=None, unique=True)


class Report(IdMixin, CreatedMixin, Base):
    """A report for this instance's moderators, from a local teacher or a remote Flag."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_target_account_id", "target_account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(2048), default=None, unique=True)
    forwarded: Mapped[bool] = mapped_column(default=False)
    resolved: Mapped[bool] = mapped_column(default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DomainRule(CreatedMixin, Base):
    """An operator's decision about a remote domain: ``block`` it or ``allow`` it.

    These add to the lists in instance.toml; the CLI (``jamii federation``) edits them.
    """

    __tablename__ = "domain_rules"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    policy: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
