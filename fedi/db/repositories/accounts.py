"""Loading accounts as ``AccountView``s, many at a time, and local teachers' profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, TeacherProfile
from fedi.db.repositories.views import AccountView

# AccountView's fields are named after Account's columns, in the order the view takes them.
_COLUMNS = tuple(getattr(Account, field.name) for field in fields(AccountView))


async def account_views(session: AsyncSession, ids: Sequence[int]) -> list[AccountView]:
    """Views of the given accounts in the given order (unknown ids are skipped)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = await session.execute(select(*_COLUMNS).where(Account.id.in_(wanted)))
    found = {row[0]: AccountView(*row) for row in rows}
    return [found[i] for i in ids if i in found]


async def teacher_profiles(session: AsyncSession, ids: Sequence[int]) -> dict[int, TeacherProfile]:
    """The teacher profiles of those accounts that have one (local teachers)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(TeacherProfile).where(TeacherProfile.account_id.in_(list(set(ids))))
    )
    return {profile.account_id: profile for profile in rows}
