"""Lists: a teacher groups accounts they follow, and reads each group as its own timeline.

Mastodon's rules: a list holds only accounts its owner follows (unfollowing drops them from
every list: a member row hangs off the follow), an account is in a list once, a teacher has
at most 50 lists, and ``replies_policy`` says which replies the list's timeline shows.
Someone else's list is as unknown as a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, AccountList, Follow, ListAccount
from fedi.domain.directory import Listed, known_account, listed
from fedi.domain.pagination import Page
from fedi.errors import NotFound, ValidationFailed

REPLIES_POLICIES = ("followed", "list", "none")
MAX_LISTS = 50
MAX_TITLE = 256
MAX_ADDED = 100  # account ids in one request


def _title(title: str | None) -> str:
    if title is None or not title.strip():
        raise ValidationFailed("Validation failed: Title can't be blank", field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"title is longer than {MAX_TITLE} characters", field="title")
    return title.strip()


def _policy(policy: str) -> str:
    if policy not in REPLIES_POLICIES:
        raise ValidationFailed(
            "replies_policy must be one of " + ", ".join(REPLIES_POLICIES),
            field="replies_policy",
        )
    return policy


async def create(
    session: AsyncSession,
    owner: Account,
    title: str | None,
    *,
    replies_policy: str | None = None,
    exclusive: bool = False,
) -> AccountList:
    made = AccountList(
        account_id=owner.id,
        title=_title(title),
        replies_policy=_policy(replies_policy or "list"),
        exclusive=exclusive,
    )
    count = await session.scalar(
        select(func.count()).select_from(AccountList).where(AccountList.account_id == owner.id)
    )
    if (count or 0) >= MAX_LISTS:
        raise ValidationFailed(f"You can have at most {MAX_LISTS} lists", field="title")
    session.add(made)
    await session.flush()
    return made


async def owned(session: AsyncSession, owner: Account, list_id: int) -> AccountList:
    found = await session.get(AccountList, list_id)
    if found is None or found.account_id != owner.id:
        raise NotFound()
    return found


async def update(
    session: AsyncSession,
    owner: Account,
    list_id: int,
    *,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> AccountList:
    """Change what is given; what is left out keeps its value."""
    found = await owned(session, owner, list_id)
    if title is not None:
        found.title = _title(title)
    if replies_policy is not None:
        found.replies_policy = _policy(replies_policy)
    if exclusive is not None:
        found.exclusive = exclusive
    await session.flush()
    return found


async def remove(session: AsyncSession, owner: Account, list_id: int) -> None:
    found = await owned(session, owner, list_id)
    await session.delete(found)
    await session.flush()


async def all_lists(session: AsyncSession, owner: Account) -> list[AccountList]:
    return list(
        await session.scalars(
            select(AccountList).where(AccountList.account_id == owner.id).order_by(AccountList.id)
        )
    )


async def lists_with(session: AsyncSession, owner: Account, account_id: int) -> list[AccountList]:
    """The owner's lists that hold ``account_id`` (GET /api/v1/accounts/:id/lists)."""
    await known_account(session, account_id)
    return list(
        await session.scalars(
            select(AccountList)
            .join(ListAccount, ListAccount.list_id == AccountList.id)
            .where(AccountList.account_id == owner.id, ListAccount.account_id == account_id)
            .order_by(AccountList.id)
        )
    )


async def members(session: AsyncSession, owner: Account, list_id: int, page: Page) -> Listed:
    """The list's accounts, most recently added first (paged by membership)."""
    found = await owned(session, owner, list_id)
    query = select(ListAccount.id, ListAccount.account_id).where(ListAccount.list_id == found.id)
    return await listed(session, query, ListAccount.id, page)


async def add_members(
    session: AsyncSession, owner: Account, list_id: int, account_ids: Sequence[int]
) -> None:
    """Add followed accounts; one that is not followed, or already in the list, refuses
    the whole request (422, as Mastodon), and nothing is added."""
    found = await owned(session, owner, list_id)
    if not account_ids:
        raise ValidationFailed("account_ids is missing", field="account_ids")
    if len(account_ids) > MAX_ADDED:
        raise ValidationFailed(f"at most {MAX_ADDED} account_ids at once", field="account_ids")
    for account_id in dict.fromkeys(account_ids):
        await known_account(session, account_id)
        follow_id = await session.scalar(
            select(Follow.id).where(
                Follow.account_id == owner.id, Follow.target_account_id == account_id
            )
        )
        if follow_id is None:
            raise ValidationFailed(
                "Validation failed: Account is not followed", field="account_ids"
            )
        present = await session.scalar(
            select(ListAccount.id).where(
                ListAccount.list_id == found.id, ListAccount.account_id == account_id
            )
        )
        if present is not None:
            raise ValidationFailed(
                "Validation failed: Account has already been taken", field="account_ids"
            )
        session.add(ListAccount(list_id=found.id, account_id=account_id, follow_id=follow_id))
    await session.flush()


async def remove_members(
    session: AsyncSession, owner: Account, list_id: int, account_ids: Sequence[int]
) -> None:
    found = await owned(session, owner, list_id)
    await session.execute(
        delete(ListAccount).where(
            ListAccount.list_id == found.id, ListAccount.account_id.in_(list(account_ids))
        )
    )
