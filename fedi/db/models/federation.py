"""Federation bookkeeping: activities already received, and what we know of each peer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fedi.db.base import Base, utcnow

# The longest activity id we can record (the inbox refuses longer ones with a 400).
ACTIVITY_ID_LENGTH = 2048


class ReceivedActivity(Base):
    """The id of every activity accepted by the inbox: a second delivery is a no-op."""

    __tablename__ = "received_activities"

    uri: Mapped[str] = mapped_column(String(ACTIVITY_ID_LENGTH), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Peer(Base):
    """A remote host we deliver to: which signature scheme it takes, and whether it answers.

    A host failing for days is marked unavailable (deliveries to it are parked, not retried
    forever); the first request that succeeds, or the first activity it sends us, clears it.
    """

    __tablename__ = "peers"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    signature_scheme: Mapped[str] = mapped_column(String(16), default="cavage")
    first_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    unavailable_since: Mapped[datetime | None] = mapped_column(default=None)
