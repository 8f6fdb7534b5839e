"""Reports: a teacher (or a remote server, by Flag) asks this instance's moderators to look."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Report, Status, User
from fedi.domain import notifications
from fedi.domain.events import emit
from fedi.errors import NotFound, ValidationFailed

MAX_COMMENT = 1000


async def file_report(
    session: AsyncSession,
    reporter: Account,
    target: Account,
    *,
    status_ids: Sequence[int] = (),
    comment: str = "",
    uri: str | None = None,
    forward: bool = False,
) -> Report:
    """Record a report and notify every local moderator and admin. Idempotent by ``uri``.

    ``forward`` also sends it to the reported account's own server, whose moderators can
    act on it; it goes out in the instance's name, never the reporter's (as Mastodon does).
    """
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(f"Comment is longer than {MAX_COMMENT} characters", field="comment")
    if uri is not None:
        existing = await session.scalar(select(Report).where(Report.uri == uri))
        if existing is not None:
            return existing
    # Only statuses of the reported account count: a report cannot drag in someone else's.
    owned = (
        list(
            await session.scalars(
                select(Status.id).where(
                    Status.id.in_(list(status_ids)), Status.account_id == target.id
                )
            )
        )
        if status_ids
        else []
    )
    report = Report(
        account_id=reporter.id,
        target_account_id=target.id,
        status_ids=owned,
        comment=comment,
        uri=uri,
        forwarded=forward and not target.is_local,
    )
    session.add(report)
    await session.flush()
    if report.forwarded:
        await emit(session, reporter, "report.forwarded", report_id=report.id)
    moderators = await session.scalars(
        select(Account)
        .join(User, User.account_id == Account.id)
        .where(User.role.in_(("moderator", "admin")), User.disabled.is_(False))
    )
    for moderator in moderators:
        await notifications.notify(
            session,
            recipient=moderator,
            sender_id=reporter.id,
            type="admin.report",
            status_id=None,
        )
    return report


# The moderation queue -----------------------------------------------------------------------

OUTCOMES = ("resolved", "dismissed")


async def open_reports(session: AsyncSession, limit: int = 50) -> list[Report]:
    """Reports no moderator has closed yet, oldest first (the queue's order)."""
    found = await session.scalars(
        select(Report).where(Report.resolved.is_(False)).order_by(Report.id).limit(limit)
    )
    return list(found)


async def close_report(
    session: AsyncSession, report_id: int, *, by: Account, outcome: str
) -> Report:
    """A moderator closes a report: ``resolved`` (acted on) or ``dismissed`` (nothing to do).
    Who closed it, when and how is kept with the report."""
    if outcome not in OUTCOMES:
        raise ValidationFailed("Choose resolve or dismiss", field="outcome")
    report = await session.get(Report, report_id)
    if report is None or report.resolved:
        raise NotFound("This report is already closed")
    report.resolved = True
    report.extra = {
        **(report.extra or {}),
        "outcome": outcome,
        "closed_by": by.id,
        "closed_at": utcnow().isoformat(),
    }
    return report
