"""Moderating a community: moderators added and removed, members banned and unbanned.

Our Groups tell their members' servers (``community.moderated``: the moderator's Add,
Remove, Block or Undo{Block}, announced by the Group, as Lemmy does), so a banned teacher
is refused at home too, before their post travels. What a remote Group announces about
itself is applied by ``apply_remote``: only to that Group's own roles.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, CommunityRole
from fedi.domain import follows
from fedi.domain.communities import moderators, role_of
from fedi.domain.events import emit
from fedi.errors import NotFound, ValidationFailed

REMOTE_ACTIONS = ("ban", "unban", "add_moderator", "remove_moderator")


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


async def _tell(
    session: AsyncSession,
    group: Account,
    action: str,
    account: Account,
    by: Account | None,
    reason: str = "",
) -> None:
    await emit(
        session,
        group,
        "community.moderated",
        action=action,
        account_id=account.id,
        moderator_id=by.id if by is not None else None,
        reason=reason,
    )


async def add_moderator(
    session: AsyncSession, group: Account, account: Account, *, by: Account | None = None
) -> None:
    if account.actor_type == "Group":
        raise ValidationFailed("A community cannot moderate a community", field="account_id")
    if await role_of(session, group.id, account.id) == "moderator":
        return
    await _set_role(session, group, account, "moderator")
    await _tell(session, group, "add_moderator", account, by)


async def remove_moderator(
    session: AsyncSession, group: Account, account: Account, *, by: Account | None = None
) -> None:
    if await role_of(session, group.id, account.id) != "moderator":
        raise NotFound("Not a moderator of this community")
    if len(await moderators(session, group.id)) <= 1:
        raise ValidationFailed("A community keeps at least one moderator", field="account_id")
    await _set_role(session, group, account, None)
    await _tell(session, group, "remove_moderator", account, by)


async def ban(
    session: AsyncSession,
    group: Account,
    account: Account,
    reason: str = "",
    *,
    by: Account | None = None,
) -> None:
    """Ban ``account``: it leaves the community and may neither rejoin nor post."""
    if await role_of(session, group.id, account.id) == "moderator":
        raise ValidationFailed("Remove the moderator role before banning", field="account_id")
    if account.id == group.id:
        raise ValidationFailed("A community cannot ban itself", field="account_id")
    await _set_role(session, group, account, "banned", reason[:500])
    await follows.remove_silently(session, account, group)
    await _tell(session, group, "ban", account, by, reason[:500])


async def unban(
    session: AsyncSession, group: Account, account: Account, *, by: Account | None = None
) -> None:
    if await role_of(session, group.id, account.id) != "banned":
        return
    await _set_role(session, group, account, None)
    await _tell(session, group, "unban", account, by)


async def apply_remote(
    session: AsyncSession, group: Account, action: str, account: Account, reason: str = ""
) -> None:
    """What a remote Group announced about its own roles, mirrored here so our teachers
    are refused at home (a ban) and its moderators known. Nothing is sent on."""
    if group.is_local or action not in REMOTE_ACTIONS:
        return
    current = await role_of(session, group.id, account.id)
    if action == "ban":
        await _set_role(session, group, account, "banned", reason[:500])
        await follows.remove_silently(session, account, group)
    elif action == "add_moderator":
        await _set_role(session, group, account, "moderator")
    elif (action, current) in (("unban", "banned"), ("remove_moderator", "moderator")):
        await _set_role(session, group, account, None)
