"""The durable job queue (transactional outbox): one row per side effect still to run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, CreatedMixin, IdMixin, utcnow

JOB_STATES = ("queued", "running", "done", "dead")


class Job(IdMixin, CreatedMixin, Base):
    """A unit of background work.

    A job is inserted in the same transaction as the row that caused it, so it exists exactly
    when its cause does. A worker's claim is a lease (``lease_token`` until ``lease_expires_at``):
    if the worker dies the lease lapses and another worker re-claims the job, and a worker whose
    lease was taken over cannot mark the job finished.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state_run_at", "state", "run_at"),
        Index("ix_jobs_state_lease_expires_at", "state", "lease_expires_at"),
    )

    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=20)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_token: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
