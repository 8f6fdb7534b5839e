"""Moderating a community's people: moderators added and removed, members banned and
unbanned — by its moderators, ranked (``fedi.domain.community_rank``).

One set of functions for every path: a moderator of ours acting through the API, a remote
moderator's activity reaching our Group's inbox, our teacher moderating a remote community,
and a remote Group's announcement of its decision (``Acting.announced``). Each is a no-op
when nothing changes (a decision arrives again when its Group announces it back), and each
change is logged and told (``community_modlog.decided``).
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, CommunityRole
from fedi.domain import community_modlog, community_rank, follows
from fedi.domain.communities import moderators, role_of
from fedi.domain.community_rank import Acting
from fedi.errors import NotFound, ValidationFailed


async def _set_role(
    session: AsyncSession, group: Account, account: Account, role: str | None, reason: str = ""
) -> None:
    await session.execute(
        delete(CommunityRole).where(
            CommunityRole.community_id == group.id, CommunityRole.account_id == account.id
        )
    )
    if role is not None:
        session.add(
            CommunityRole(community_id=group.id, account_id=account.id, role=role, reason=reason)
        )
    await session.flush()


def _acting(by: Account | None, acting: Acting | None) -> Acting:
    return acting if acting is not None else Acting(by=by)


async def _keeps_a_moderator(session: AsyncSession, group: Account, announced: bool) -> None:
    # A remote Group's word is its own affair; ours always keeps one moderator.
    if not announced and len(await moderators(session, group.id)) <= 1:
        raise ValidationFailed("A community keeps at least one moderator", field="account_id")


async def add_moderator(
    session: AsyncSession,
    group: Account,
    account: Account,
    *,
    by: Account | None = None,
    acting: Acting | None = None,
) -> None:
    acting = _acting(by, acting)
    await community_rank.authorize(session, group, acting)
    if account.actor_type == "Group":
        raise ValidationFailed("A community cannot moderate a community", field="account_id")
    if await role_of(session, group.id, account.id) == "moderator":
        return
    await _set_role(session, group, account, "moderator")
    await community_modlog.decided(session, group, "add_moderator", acting, account=account)


async def remove_moderator(
    session: AsyncSession,
    group: Account,
    account: Account,
    *,
    by: Account | None = None,
    acting: Acting | None = None,
) -> None:
    acting = _acting(by, acting)
    await community_rank.authorize(session, group, acting, over=account)
    if await role_of(session, group.id, account.id) != "moderator":
        if acting.announced:
            return
        raise NotFound("Not a moderator of this community")
    await _keeps_a_moderator(session, group, acting.announced)
    await _set_role(session, group, account, None)
    await community_modlog.decided(session, group, "remove_moderator", acting, account=account)


async def ban(
    session: AsyncSession,
    group: Account,
    account: Account,
    reason: str = "",
    *,
    by: Account | None = None,
    acting: Acting | None = None,
) -> None:
    """Ban ``account``: it leaves the community and may neither rejoin nor post. A
    moderator is banned only by one who outranks them (and loses the role)."""
    acting = _acting(by, acting)
    await community_rank.authorize(session, group, acting, over=account)
    if account.id == group.id:
        raise ValidationFailed("A community cannot ban itself", field="account_id")
    if acting.by is not None and account.id == acting.by.id:
        raise ValidationFailed("A moderator cannot ban themselves", field="account_id")
    current = await role_of(session, group.id, account.id)
    if current == "banned":
        return
    if current == "moderator":
        await _keeps_a_moderator(session, group, acting.announced)
    reason = reason[: community_modlog.MAX_REASON]
    await _set_role(session, group, account, "banned", reason)
    await follows.remove_silently(session, account, group)
    await community_modlog.decided(session, group, "ban", acting, account=account, reason=reason)


async def unban(
    session: AsyncSession,
    group: Account,
    account: Account,
    *,
    by: Account | None = None,
    acting: Acting | None = None,
) -> None:
    acting = _acting(by, acting)
    await community_rank.authorize(session, group, acting)
    if await role_of(session, group.id, account.id) != "banned":
        return
    await _set_role(session, group, account, None)
    await community_modlog.decided(session, group, "unban", acting, account=account)


async def learn_moderator(session: AsyncSession, group: Account, account: Account) -> None:
    """A remote Group's moderators collection lists ``account``: recorded as it says
    (nothing to log or tell: no decision was taken here)."""
    if group.is_local or await role_of(session, group.id, account.id) == "moderator":
        return
    await _set_role(session, group, account, "moderator")
