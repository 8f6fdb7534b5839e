"""What clients watching a stream must hear about, once the change is committed.

A domain service notes a signal on its session (a new or edited post, a deletion, a
notification, a revoked token); nothing leaves the session until its transaction commits,
so a post that rolls back never reaches a timeline. ``fedi.streaming`` picks the signals up
at commit and turns them into events for each subscriber. Signals carry ids only: whoever
renders them reads the committed rows, with the viewer's own flags.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Mention, Status, StatusTag, Tag

PENDING = "jamii.streams.pending"

STATUS_CREATED = "status.created"
STATUS_UPDATED = "status.updated"
STATUS_DELETED = "status.deleted"
NOTIFICATION = "notification"
TOKENS_REVOKED = "tokens.revoked"
SIGNALS = (STATUS_CREATED, STATUS_UPDATED, STATUS_DELETED, NOTIFICATION, TOKENS_REVOKED)

Signal = dict[str, Any]


def note(session: AsyncSession, kind: str, **data: Any) -> None:
    """Remember a signal until the session's transaction ends (sent only if it commits)."""
    if kind not in SIGNALS:
        raise ValueError(f"unknown stream signal {kind}")
    session.info.setdefault(PENDING, []).append({"kind": kind, **data})


def status_created(session: AsyncSession, status: Status) -> None:
    note(session, STATUS_CREATED, status_id=status.id)


def status_updated(session: AsyncSession, status: Status) -> None:
    note(session, STATUS_UPDATED, status_id=status.id)


async def status_deleted(session: AsyncSession, status: Status) -> None:
    """Who could see the post is captured now: after the commit its rows are gone."""
    mentioned = list(
        await session.scalars(select(Mention.account_id).where(Mention.status_id == status.id))
    )
    tags = list(
        await session.scalars(
            select(Tag.name_lower)
            .join(StatusTag, StatusTag.tag_id == Tag.id)
            .where(StatusTag.status_id == status.id)
        )
    )
    note(
        session,
        STATUS_DELETED,
        status_id=status.id,
        account_id=status.account_id,
        visibility=status.visibility,
        local=status.local,
        boost=status.reblog_of_id is not None,
        mentioned_ids=mentioned,
        tags=tags,
    )


def notification_created(session: AsyncSession, notification_id: int, account_id: int) -> None:
    note(session, NOTIFICATION, notification_id=notification_id, account_id=account_id)


def tokens_revoked(session: AsyncSession, token_ids: list[int]) -> None:
    if token_ids:
        note(session, TOKENS_REVOKED, token_ids=token_ids)


def take(session_info: dict[Any, Any]) -> list[Signal]:
    """The signals noted since the last commit or rollback, forgotten here."""
    pending: list[Signal] = session_info.pop(PENDING, [])
    return pending
