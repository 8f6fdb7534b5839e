"""Posting in a community: who may, and what the Group does with an accepted post.

One rule for every path: a local teacher posting through the client API or the JSON API,
and a post from another server arriving in the Group's inbox, are checked by ``refusal``
(bans, membership, the posting policy). An accepted post is filed under the community
(its FEP-1b12 ``audience``) and, for our own communities, announced to the members: a
boost by the Group (Mastodon shows it; it federates as ``Announce{Note}``) and the
unchanged activity wrapped in ``Announce{Create}`` (what Lemmy and FEP-1b12 peers read).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Community, CommunityPost, Follow, Status
from fedi.db.writes import insert_ignore
from fedi.domain import communities, community_threads, interactions
from fedi.domain.communities import CommunityView
from fedi.domain.community_relay import community_of
from fedi.domain.events import emit
from fedi.domain.site import Site
from fedi.domain.visibility import visible_to
from fedi.errors import Forbidden, NotFound, ValidationFailed

OPEN = ("public", "unlisted")
MAX_TITLE = 300
LOCKED = "This thread is locked: it takes no new replies"


def _answers_anyway(group: Account, author: Account, role: str | None) -> bool:
    # Moderators (and the Group) post whatever the thread's state, as in Lemmy.
    return role == "moderator" or author.id == group.id


async def locked_for(
    session: AsyncSession, group: Account, author: Account, parent: Status
) -> bool:
    """Whether ``author``'s reply to ``parent`` falls in a locked thread that refuses it
    (what ``refusal`` says): the pages ask it to hide the reply link."""
    role = await communities.role_of(session, group.id, author.id)
    if _answers_anyway(group, author, role):
        return False
    return await community_threads.locked(session, parent)


async def refusal(
    session: AsyncSession, view: CommunityView, author: Account, parent: Status | None = None
) -> str | None:
    """Why ``author`` may not post in the community (replying to ``parent``), or None when
    they may. Moderators may still answer in a locked thread, as in Lemmy."""
    role = await communities.role_of(session, view.account.id, author.id)
    if role == "banned":
        return "You are banned from this community"
    if _answers_anyway(view.account, author, role):
        return None
    if parent is not None and await community_threads.locked(session, parent):
        return LOCKED
    policy = view.community.posting_policy
    if policy == "moderators":
        return "Only moderators may post in this community"
    member = await communities.is_member(session, view.account.id, author.id)
    if (policy == "members" or view.account.locked) and not member:
        return "Only members may post in this community"
    return None


async def _first_group(session: AsyncSession, candidates: Iterable[Account]) -> Account | None:
    for account in candidates:
        if account.actor_type == "Group" and account.suspended_at is None:
            return account
    return None


async def target(
    session: AsyncSession,
    author: Account,
    *,
    visibility: str,
    mentioned: list[Account],
    parent: Status | None,
    community_id: int | None,
    title: str = "",
) -> CommunityView | None:
    """The community a local post goes to — named explicitly, mentioned, or its thread's —
    checked before anything is written (a refusal is a 403 naming the rule)."""
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"Title is longer than {MAX_TITLE} characters", field="title")
    group: Account | None = None
    if community_id is not None:
        group = await session.get(Account, community_id)
        if group is None or group.actor_type != "Group" or group.suspended_at is not None:
            raise NotFound("Community not found", field="community_id")
        if visibility not in OPEN:
            raise ValidationFailed(
                "Posts in a community are public or unlisted", field="visibility"
            )
    elif visibility in OPEN:
        group = await _first_group(session, mentioned)
        if group is None and parent is not None:
            group = await community_of(session, parent.id)
    if group is None:
        if title:
            raise ValidationFailed("Only a post in a community has a title", field="title")
        return None
    view = await communities.find(session, group)
    if view is None:
        return None
    if group.is_local:
        reason = await refusal(session, view, author, parent)
        if reason is not None:
            raise Forbidden(reason)
    else:
        # A remote community judges for itself; what we know of its rules spares a
        # post that would only come back as a Reject.
        role = await communities.role_of(session, group.id, author.id)
        if role == "banned":
            raise Forbidden("You are banned from this community")
        if view.community.posting_policy == "moderators" and role != "moderator":
            raise Forbidden("Only moderators may post in this community")
    return view


async def file(
    session: AsyncSession,
    site: Site,
    view: CommunityView,
    status: Status,
    *,
    title: str = "",
    activity: dict[str, Any] | None = None,
) -> bool:
    """Record ``status`` as the community's; a local Group then announces it to members.

    ``activity`` is the Create as it reached the Group's inbox (relayed unchanged); None
    for a local post, whose Create the delivery builds. False if it was filed already.
    """
    # The database decides: a Group's two Announces of one post may file it at once.
    filed = await insert_ignore(
        session,
        CommunityPost,
        [
            {
                "status_id": status.id,
                "community_id": view.account.id,
                "title": title.strip(),
                "created_at": utcnow(),
            }
        ],
    )
    if not filed:
        return False
    if view.account.is_local:
        await interactions.reblog(session, site, view.account, status.id, visibility="public")
        await emit(
            session,
            view.account,
            "community.announced",
            change="Create",
            status_id=status.id,
            author_id=status.account_id,
            activity=activity,
        )
    return True


async def changed(
    session: AsyncSession,
    status: Status,
    kind: str,
    *,
    activity: dict[str, Any] | None = None,
    deletion: dict[str, Any] | None = None,
) -> None:
    """A community post was edited (``Update``) or deleted (``Delete``): our Group relays
    the change to its members as it relayed the post. Called before a deletion's rows go.

    ``activity`` is the author's activity when it came from another server; a local
    author's is built at delivery (from ``deletion``, the deletion's event payload).
    """
    group = await community_of(session, status.id)
    if group is None or not group.is_local:
        return  # a remote community hears of it from the author's server directly
    await emit(
        session,
        group,
        "community.announced",
        change=kind,
        status_id=status.id,
        author_id=status.account_id,
        activity=activity,
        deletion=deletion,
    )


async def refuse_remote(
    session: AsyncSession, view: CommunityView, author: Account, activity: dict[str, Any]
) -> None:
    """Answer a refused post from another server with a Reject of its Create."""
    await emit(
        session,
        view.account,
        "community.refused",
        author_id=author.id,
        activity={
            "id": activity.get("id"),
            "type": activity.get("type"),
            "actor": author.uri,
            "object": _object_id(activity),
        },
    )


def _object_id(activity: dict[str, Any]) -> Any:
    obj = activity.get("object")
    return obj.get("id") if isinstance(obj, dict) else obj


async def local_groups(session: AsyncSession, uris: Iterable[str]) -> list[CommunityView]:
    """Our communities among ``uris`` (a Note's audience, to, cc and mentions)."""
    wanted = list(dict.fromkeys(uris))
    if not wanted:
        return []
    rows = await session.scalars(
        select(Account).where(
            Account.uri.in_(wanted), Account.domain.is_(None), Account.actor_type == "Group"
        )
    )
    views = [await communities.find(session, account) for account in rows]
    return [v for v in views if v is not None]


async def private_community_of(
    session: AsyncSession, status_id: int, reblog_of_id: int | None = None
) -> int | None:
    """The private community a post (or the post a boost boosts) belongs to, if any."""
    ids = [status_id] if reblog_of_id is None else [status_id, reblog_of_id]
    found: int | None = await session.scalar(
        select(CommunityPost.community_id)
        .join(Community, Community.account_id == CommunityPost.community_id)
        .where(CommunityPost.status_id.in_(ids), Community.visibility == "private")
        .limit(1)
    )
    return found


async def may_fetch_private(
    session: AsyncSession, community_id: int, signer: Account | None
) -> bool:
    """Whether the signer of a fetch may read a private community's posts: a member, or
    any actor (its instance actor, typically) of a server where a member lives — that
    server fetches the post for its members after the Group's Announce."""
    if signer is None:
        return False
    if signer.id == community_id:
        return True
    member = Follow.target_account_id == community_id
    if signer.domain is None:
        found = await session.scalar(
            select(Follow.id).where(member, Follow.account_id == signer.id).limit(1)
        )
    else:
        found = await session.scalar(
            select(Follow.id)
            .join(Account, Account.id == Follow.account_id)
            .where(member, Account.domain == signer.domain)
            .limit(1)
        )
    return found is not None


async def threads(
    session: AsyncSession,
    viewer: Account | None,
    group_id: int,
    *,
    limit: int = 20,
    max_id: int | None = None,
) -> list[int]:
    """The ids of a community's threads (its posts that answer nothing) the viewer may
    read — a private community's only for its members (``visible_to``) — in the order of
    ``community_threads.threads``: pinned first, then newest; removed ones left out."""
    posts = await community_threads.threads(
        session,
        group_id,
        limit=limit,
        max_id=max_id,
        readable=visible_to(viewer.id if viewer is not None else None),
    )
    return [post.status_id for post in posts]


async def may_start_threads(session: AsyncSession, view: CommunityView, author: Account) -> bool:
    """Whether the pages offer ``author`` the form for a new thread: our community's rule,
    or what we know of a remote one's (its ban, its policy, and membership when it says
    only members post; the remote community still judges the post itself)."""
    if view.account.is_local:
        return await refusal(session, view, author) is None
    role = await communities.role_of(session, view.account.id, author.id)
    if role == "banned":
        return False
    policy = view.community.posting_policy
    if policy == "moderators":
        return role == "moderator"
    if policy == "members" or view.account.locked:
        return await communities.is_member(session, view.account.id, author.id)
    return True
