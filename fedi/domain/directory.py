"""Finding accounts: by handle, by name, and the lists a profile or a post shows.

Lists (followers, following, follow requests, who favourited or boosted a post) are paged
by the row that links the accounts — the follow, the favourite, the boost — as Mastodon
does, so each page comes back as ``Listed``: the accounts and those rows' ids (the cursors
a Link header needs). Suspended accounts are left out everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from fedi.db.base import utcnow
from fedi.db.models import Account, Favourite, Follow, FollowRequest, Mute, Status
from fedi.db.repositories.accounts import account_views
from fedi.db.repositories.views import AccountView
from fedi.domain.interactions import visible_status
from fedi.domain.mutes import in_force
from fedi.domain.pagination import Page, apply_page
from fedi.domain.site import Site
from fedi.domain.visibility import blocks_between
from fedi.errors import NotFound

MAX_QUERY = 100


class AccountResolver(Protocol):
    """Finds an account on another server by its handle (WebFinger, then its actor).

    Implemented by federation (``fedi.federation.resolve``); the domain only asks. None when
    the server is blocked, unreachable or answers nonsense: a search then finds nothing.
    """

    async def account(self, username: str, domain: str) -> Account | None: ...


@dataclass(frozen=True)
class Listed:
    accounts: list[AccountView]
    cursors: list[int]


async def known_account(session: AsyncSession, account_id: int) -> Account:
    """An account anyone may look at; suspended and unknown ids answer the same."""
    account = await session.get(Account, account_id)
    if account is None or account.suspended_at is not None:
        raise NotFound()
    return account


async def listed(
    session: AsyncSession, query: Select[int, int], cursor: InstrumentedAttribute[int], page: Page
) -> Listed:
    """``query`` selects (cursor, account id) pairs, paged by the ``cursor`` column."""
    paged = cast("Select[int, int]", apply_page(cast("Select[Any]", query), cursor, page))
    rows = page.ordered(list(await session.execute(paged)))
    views = {view.id: view for view in await account_views(session, [r[1] for r in rows])}
    kept = [row for row in rows if row[1] in views]
    return Listed(accounts=[views[row[1]] for row in kept], cursors=[row[0] for row in kept])


async def followers(session: AsyncSession, account_id: int, page: Page) -> Listed:
    await known_account(session, account_id)
    query = (
        select(Follow.id, Follow.account_id)
        .join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id == account_id, Account.suspended_at.is_(None))
    )
    return await listed(session, query, Follow.id, page)


async def following(session: AsyncSession, account_id: int, page: Page) -> Listed:
    await known_account(session, account_id)
    query = (
        select(Follow.id, Follow.target_account_id)
        .join(Account, Account.id == Follow.target_account_id)
        .where(Follow.account_id == account_id, Account.suspended_at.is_(None))
    )
    return await listed(session, query, Follow.id, page)


async def muted(session: AsyncSession, viewer: Account, page: Page) -> Listed:
    """The accounts the viewer mutes now, most recently muted first (paged by mute)."""
    query = (
        select(Mute.id, Mute.target_account_id)
        .join(Account, Account.id == Mute.target_account_id)
        .where(Mute.account_id == viewer.id, in_force(utcnow()), Account.suspended_at.is_(None))
    )
    return await listed(session, query, Mute.id, page)


async def follow_requests(session: AsyncSession, viewer: Account, page: Page) -> Listed:
    """Accounts waiting for the viewer's approval, newest request first."""
    query = (
        select(FollowRequest.id, FollowRequest.account_id)
        .join(Account, Account.id == FollowRequest.account_id)
        .where(FollowRequest.target_account_id == viewer.id, Account.suspended_at.is_(None))
    )
    return await listed(session, query, FollowRequest.id, page)


async def favourited_by(
    session: AsyncSession, viewer: Account | None, status_id: int, page: Page
) -> Listed:
    status = await visible_status(session, viewer, status_id)
    query = (
        select(Favourite.id, Favourite.account_id)
        .join(Account, Account.id == Favourite.account_id)
        .where(Favourite.status_id == status.id, Account.suspended_at.is_(None))
    )
    return await listed(session, query, Favourite.id, page)


async def reblogged_by(
    session: AsyncSession, viewer: Account | None, status_id: int, page: Page
) -> Listed:
    status = await visible_status(session, viewer, status_id)
    query = (
        select(Status.id, Status.account_id)
        .join(Account, Account.id == Status.account_id)
        .where(Status.reblog_of_id == status.id, Account.suspended_at.is_(None))
    )
    return await listed(session, query, Status.id, page)


def _handle(site: Site, acct: str) -> tuple[str, str | None]:
    """``user``, ``@user``, ``user@host``, ``acct:user@host`` → (username, domain or None
    for ours)."""
    text = acct.strip()
    if text[:5].lower() == "acct:":
        text = text[5:]
    username, _, domain = text.lstrip("@").partition("@")
    domain = domain.strip().lower()
    return username.strip(), (None if domain in ("", site.domain.lower()) else domain)


async def lookup(session: AsyncSession, site: Site, acct: str) -> Account:
    """The account with this handle, if known here (Mastodon's lookup fetches nothing)."""
    username, domain = _handle(site, acct)
    if not username:
        raise NotFound()
    found = await session.scalar(
        select(Account).where(
            Account.username_lower == username.lower(),
            Account.domain.is_(None) if domain is None else Account.domain == domain,
            Account.suspended_at.is_(None),
        )
    )
    if found is None:
        raise NotFound()
    return found


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession,
    site: Site,
    viewer: Account | None,
    query: str,
    *,
    limit: int,
    offset: int = 0,
    following_only: bool = False,
    resolver: AccountResolver | None = None,
) -> list[AccountView]:
    """Local and known remote accounts whose handle starts with, or name contains, ``query``.

    Exact handles come first, then local teachers, then the most followed. With a
    ``resolver``, a full remote handle (``user@host``) unknown here is looked up on its
    server first, as Mastodon's ``resolve=true`` does. Accounts that block the viewer, or
    that the viewer blocks, are left out.
    """
    username, domain = _handle(site, query[:MAX_QUERY])
    if not username:
        return []
    resolved: Account | None = None
    if resolver is not None and domain is not None and offset == 0:
        resolved = await resolver.account(username, domain)
    prefix = escape_like(username.lower()) + "%"
    conditions = [
        Account.actor_type != "Application",
        or_(
            Account.username_lower.like(prefix, escape="\\"),
            func.lower(Account.display_name).like(
                "%" + escape_like(username.lower()) + "%", escape="\\"
            ),
        ),
    ]
    if "@" in query.strip().lstrip("@"):
        conditions.append(
            Account.domain.is_(None)
            if domain is None
            else Account.domain.like(escape_like(domain) + "%", escape="\\")
        )
    filters: list[ColumnElement[bool]] = [Account.suspended_at.is_(None)]
    if viewer is not None:
        filters.append(~blocks_between(viewer.id, Account.id))
        if following_only:
            filters.append(
                Account.id.in_(
                    select(Follow.target_account_id).where(Follow.account_id == viewer.id)
                )
            )
    exact = and_(
        Account.username_lower == username.lower(),
        Account.domain.is_(None) if domain is None else Account.domain == domain,
    )
    ids = list(
        await session.scalars(
            select(Account.id)
            .where(*conditions, *filters)
            .order_by(
                case((exact, 0), else_=1),
                case((Account.domain.is_(None), 0), else_=1),
                Account.followers_count.desc(),
                Account.id,
            )
            .limit(limit)
            .offset(max(offset, 0))
        )
    )
    if resolved is not None and resolved.id not in ids:
        # The resolved account may be named differently (its actor's preferredUsername):
        # it comes first, if the same filters let it through.
        allowed = await session.scalar(
            select(Account.id).where(Account.id == resolved.id, *filters)
        )
        if allowed is not None:
            ids = [resolved.id, *ids][:limit]
    return await account_views(session, ids)


async def follow_request_count(session: AsyncSession, account: Account, *, cap: int = 40) -> int:
    """Pending requests to follow ``account``, counted up to ``cap`` (as Mastodon's badge)."""
    capped = (
        select(FollowRequest.id).where(FollowRequest.target_account_id == account.id).limit(cap)
    )
    return int(await session.scalar(select(func.count()).select_from(capped.subquery())) or 0)
