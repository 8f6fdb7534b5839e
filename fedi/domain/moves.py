"""Moving: a teacher changes home instance and takes their followers along."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Follow
from fedi.domain import follows
from fedi.domain.events import emit
from fedi.errors import Forbidden, NotFound, ValidationFailed


async def move_account(session: AsyncSession, account: Account, target: Account) -> None:
    """Point ``account`` at its new home ``target``, which must name it in alsoKnownAs.

    Local followers are moved here; remote followers' servers are told with a Move and
    move theirs (see the inbox's Move handler, which checks the same alias rule).
    """
    if account.id == target.id:
        raise ValidationFailed("An account cannot move to itself", field="target")
    if account.uri not in (target.also_known_as or []):
        raise ValidationFailed(
            "The new account must list this one as an alias (alsoKnownAs) first", field="target"
        )
    account.moved_to_account_id = target.id
    local_followers = list(
        await session.scalars(
            select(Account)
            .join(Follow, Follow.account_id == Account.id)
            .where(Follow.target_account_id == account.id, Account.domain.is_(None))
        )
    )
    for follower in local_followers:
        await follows.unfollow(session, follower, account)
        try:
            await follows.follow(session, follower, target)
        except (Forbidden, NotFound, ValidationFailed):
            continue
    await emit(session, account, "account.moved", target_id=target.id)
