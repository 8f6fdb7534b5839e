"""Polls attached to statuses (Mastodon's polls, ActivityPub Questions) and their votes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin


class Poll(CreatedMixin, Base):
    """A status's poll. Its id is the status's id: a status has at most one poll, and the
    poll goes with its status.

    ``tallies`` holds each option's votes in option order. For our own polls it is counted
    from ``poll_votes`` as votes arrive; for a remote poll it is what the origin last told us
    (plus our teachers' votes since, until its next Update says otherwise).
    ``update_due_at`` is the debounce of Update{Question}: when the Update that will carry
    the latest votes is due. A vote queues one only when none is due any more, so nothing
    has to be cleared (and nothing stays stuck if a job never ran).
    """

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    tallies: Mapped[list[int]] = mapped_column(JSON, default=list)
    multiple: Mapped[bool] = mapped_column(default=False)
    hide_totals: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    votes_count: Mapped[int] = mapped_column(default=0)
    voters_count: Mapped[int | None] = mapped_column(default=0)
    update_due_at: Mapped[datetime | None] = mapped_column(default=None)

    def counts(self) -> list[int]:
        """The tallies, one per option (a remote poll may have sent fewer or none)."""
        found: list[Any] = list(self.tallies or [])
        return [int(found[i]) if i < len(found) else 0 for i in range(len(self.options))]


class PollVote(IdMixin, CreatedMixin, Base):
    """One account's choice in a poll; a multiple-choice poll takes several rows.

    ``uri`` is the vote Note's id (ours as sent, or a remote voter's as received).
    """

    __tablename__ = "poll_votes"
    __table_args__ = (
        UniqueConstraint("poll_id", "account_id", "choice"),
        Index("ix_poll_votes_account_id", "account_id"),
    )

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    choice: Mapped[int] = mapped_column()
    uri: Mapped[str | None] = mapped_column(String(2048), default=None)
