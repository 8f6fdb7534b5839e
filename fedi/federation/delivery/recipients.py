"""Whose inboxes an activity goes to: shared inboxes once per server, never our own."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Follow


async def follower_inboxes(session: AsyncSession, account_id: int) -> list[str]:
    """The remote followers' inboxes, each server's shared inbox once where it has one."""
    inbox = func.coalesce(Account.shared_inbox_url, Account.inbox_url)
    rows = await session.scalars(
        select(inbox)
        .join(Follow, Follow.account_id == Account.id)
        .where(Follow.target_account_id == account_id, Account.domain.is_not(None))
        .distinct()
    )
    return [row for row in rows if row]


async def account_inboxes(session: AsyncSession, account_ids: Iterable[int]) -> list[str]:
    """Personal inboxes of remote accounts (for direct addressing: a shared inbox would do,
    but Mastodon delivers mentions to the personal inbox and so do we)."""
    ids = list(account_ids)
    if not ids:
        return []
    rows = await session.scalars(
        select(Account.inbox_url).where(Account.id.in_(ids), Account.domain.is_not(None))
    )
    return [row for row in rows if row]


def unique(*groups: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(inbox for group in groups for inbox in group))
