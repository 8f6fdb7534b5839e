"""Search (Mastodon's /api/v2/search): accounts, posts and hashtags, and objects by URL.

- Accounts: ``fedi.domain.directory.search`` (handles and names), with ``resolve`` asking
  the account's own server about a handle we do not know yet.
- Posts: Mastodon searches only posts the reader interacted with unless full-text search
  is configured. Jamii searches the words of every post the reader may see (public posts,
  their own, those addressed to them, followers-only posts of people they follow; unlisted
  posts only from those last three), case-insensitively, with every word required. Signed-in
  readers only, as in Mastodon. Blocks either way hide a post.
- Hashtags: names starting with the query, shortest first (Mastodon's database search).
- A URL: ours maps to our own account or post without any request; one we already know
  answers from the database; any other is fetched from its origin only with ``resolve``.

Nothing here talks to other servers: that is the ``Resolver`` federation passes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Follow, Mention, Status, Tag
from fedi.db.repositories.accounts import account_views
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import AccountView, StatusView
from fedi.domain import directory
from fedi.domain.interactions import visible_status
from fedi.domain.site import Site
from fedi.domain.visibility import blocks_between, visible_to
from fedi.errors import NotFound, ValidationFailed

TYPES = ("accounts", "statuses", "hashtags")
DEFAULT_LIMIT = 20
MAX_LIMIT = 40
MAX_QUERY = 500
MAX_TERMS = 8
MAX_TERM = 100
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_URL = re.compile(r"\Ahttps?://", re.IGNORECASE)
_USERNAME = r"[A-Za-z0-9_]{1,30}"
_ACCOUNT_PATH = re.compile(rf"/(?:@|users/)({_USERNAME})/?")
_STATUS_PATH = re.compile(rf"/(?:@({_USERNAME})|users/({_USERNAME})/statuses)/([0-9]{{1,19}})/?")
_REMOTE_ACCOUNT_PATH = re.compile(rf"/@({_USERNAME})@([^/@]+)/?")


class Resolver(directory.AccountResolver, Protocol):
    """Federation's side of ``resolve``: accounts by handle, objects by URL."""

    async def url(self, url: str) -> Account | Status | None:
        """The account or post at ``url`` on another server, fetched from its origin and
        stored; None when it is neither, or is blocked, unreachable or refused."""
        ...


@dataclass(frozen=True)
class Query:
    text: str
    type: str | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    following: bool = False
    account_id: int | None = None
    max_id: int | None = None
    min_id: int | None = None
    exclude_unreviewed: bool = False

    def __post_init__(self) -> None:
        if self.type is not None and self.type not in TYPES:
            raise ValidationFailed("type must be accounts, statuses or hashtags", field="type")
        if self.offset < 0:
            raise ValidationFailed("offset must be zero or more", field="offset")

    def wants(self, kind: str) -> bool:
        return self.type is None or self.type == kind

    @property
    def skip(self) -> int:
        """Mastodon pages past the first only within one type; a mixed search ignores it."""
        return self.offset if self.type is not None else 0


@dataclass
class Results:
    accounts: list[AccountView] = field(default_factory=list)
    statuses: list[StatusView] = field(default_factory=list)
    hashtags: list[Tag] = field(default_factory=list)


async def search(
    session: AsyncSession,
    site: Site,
    viewer: Account | None,
    query: Query,
    resolver: Resolver | None = None,
) -> Results:
    """What ``viewer`` (None: anonymous) finds for ``query``; ``resolver`` only with
    ``resolve=true``, for a signed-in teacher."""
    text = query.text.strip()[:MAX_QUERY]
    results = Results()
    if not text or query.limit <= 0:
        return results
    if _URL.match(text):
        if query.skip == 0:
            await _by_url(session, site, viewer, text, query, resolver, results)
        return results
    if query.wants("accounts") and not text.startswith("#"):
        results.accounts = await directory.search(
            session,
            site,
            viewer,
            text,
            limit=query.limit,
            offset=query.skip,
            following_only=query.following,
            resolver=resolver,
        )
    if query.wants("statuses") and viewer is not None:
        results.statuses = await statuses(session, viewer, text, query)
    if query.wants("hashtags") and "@" not in text:
        results.hashtags = await hashtags(session, text, limit=query.limit, offset=query.skip)
    return results


def terms(text: str) -> list[str]:
    """The words (or "quoted phrases") a post must all contain, lower-cased."""
    found: list[str] = []
    for quoted, word in _TERM.findall(text):
        term = (quoted or word).strip().lower()[:MAX_TERM]
        if term and term not in found:
            found.append(term)
    return found[:MAX_TERMS]


def _contains(term: str) -> ColumnElement[bool]:
    pattern = "%" + directory.escape_like(term) + "%"
    # ILIKE on PostgreSQL; lower() LIKE lower() on SQLite (whose lower() folds ASCII only).
    return or_(
        Status.text.ilike(pattern, escape="\\"),
        Status.spoiler_text.ilike(pattern, escape="\\"),
    )


def _searchable_by(viewer_id: int) -> ColumnElement[bool]:
    """Posts a reader finds by their words: what they may see, except other people's
    unlisted posts (kept out of discovery, as from public timelines) unless the reader
    follows the author or is addressed."""
    follows_author = exists().where(
        Follow.account_id == viewer_id, Follow.target_account_id == Status.account_id
    )
    addressed = exists().where(Mention.status_id == Status.id, Mention.account_id == viewer_id)
    return and_(
        visible_to(viewer_id),
        or_(
            Status.visibility != "unlisted",
            Status.account_id == viewer_id,
            follows_author,
            addressed,
        ),
    )


async def statuses(
    session: AsyncSession, viewer: Account, text: str, query: Query
) -> list[StatusView]:
    """Posts containing every word of ``text`` that ``viewer`` may find, newest first."""
    words = terms(text)
    if not words:
        return []
    statement = (
        select(Status.id)
        .join(Account, Account.id == Status.account_id)
        .where(
            Status.reblog_of_id.is_(None),
            Account.suspended_at.is_(None),
            _searchable_by(viewer.id),
            ~blocks_between(viewer.id, Status.account_id),
            *(_contains(word) for word in words),
        )
    )
    if query.account_id is not None:
        statement = statement.where(Status.account_id == query.account_id)
    if query.max_id is not None:
        statement = statement.where(Status.id < query.max_id)
    if query.min_id is not None:
        statement = statement.where(Status.id > query.min_id)
    statement = statement.order_by(Status.id.desc()).limit(query.limit).offset(query.skip)
    ids = list(await session.scalars(statement))
    return await load_views(session, ids, viewer.id)


async def hashtags(session: AsyncSession, text: str, *, limit: int, offset: int = 0) -> list[Tag]:
    """Hashtags whose name starts with ``text`` (without its ``#``), shortest first.

    Every hashtag counts as reviewed: Jamii has no trend review queue, so
    ``exclude_unreviewed`` (which Mastodon.py sends by default) excludes nothing.
    """
    name = text.strip().lstrip("#").strip().lower()[:MAX_TERM]
    if not name or any(c.isspace() for c in name):
        return []
    pattern = directory.escape_like(name) + "%"
    found = await session.scalars(
        select(Tag)
        .where(Tag.name_lower.like(pattern, escape="\\"))
        .order_by(func.length(Tag.name_lower), Tag.name_lower)
        .limit(limit)
        .offset(offset)
    )
    return list(found)


# -- URLs -------------------------------------------------------------------------------------


async def local_object(session: AsyncSession, site: Site, url: str) -> Account | Status | None:
    """Our own account or post named by one of our URLs (``/@amina``, ``/users/amina``,
    ``/@amina/123``, ``/users/amina/statuses/123``; ``/@user@host`` for a known remote
    account), found without any request. None for anything else."""
    parts = urlsplit(url)
    path = parts.path
    if (status := _STATUS_PATH.fullmatch(path)) is not None:
        username = status.group(1) or status.group(2)
        found = await session.get(Status, int(status.group(3)))
        if found is None or not found.local:
            return None
        author = await session.get(Account, found.account_id)
        if author is None or author.username_lower != username.lower():
            return None
        return found
    if (account := _ACCOUNT_PATH.fullmatch(path)) is not None:
        return await _account_by_handle(session, account.group(1), None)
    if (remote := _REMOTE_ACCOUNT_PATH.fullmatch(path)) is not None:
        return await _account_by_handle(session, remote.group(1), remote.group(2).lower())
    return None


async def _account_by_handle(
    session: AsyncSession, username: str, domain: str | None
) -> Account | None:
    found: Account | None = await session.scalar(
        select(Account).where(
            Account.username_lower == username.lower(),
            Account.domain.is_(None) if domain is None else Account.domain == domain,
        )
    )
    return found


def is_local_url(site: Site, url: str) -> bool:
    return url.lower().startswith(site.base_url.lower() + "/")


async def known_object(session: AsyncSession, url: str) -> Account | Status | None:
    """A remote post or account we already hold under this URI."""
    status: Status | None = await session.scalar(select(Status).where(Status.uri == url))
    if status is not None:
        return status
    account: Account | None = await session.scalar(select(Account).where(Account.uri == url))
    return account


async def _by_url(
    session: AsyncSession,
    site: Site,
    viewer: Account | None,
    url: str,
    query: Query,
    resolver: Resolver | None,
    results: Results,
) -> None:
    if is_local_url(site, url):
        found = await local_object(session, site, url)
    else:
        found = await known_object(session, url)
        if found is None and resolver is not None:
            found = await resolver.url(url)
    if isinstance(found, Account) and query.wants("accounts"):
        if await _findable_account(session, viewer, found):
            results.accounts = await account_views(session, [found.id])
    elif isinstance(found, Status) and query.wants("statuses"):
        shown = await _findable_status(session, viewer, found)
        if shown is not None:
            viewer_id = viewer.id if viewer is not None else None
            results.statuses = await load_views(session, [shown.id], viewer_id)


async def _findable_account(
    session: AsyncSession, viewer: Account | None, account: Account
) -> bool:
    if account.suspended_at is not None:
        return False
    if viewer is None:
        return True
    blocked = await session.scalar(
        select(Account.id).where(Account.id == account.id, blocks_between(viewer.id, Account.id))
    )
    return blocked is None


async def _findable_status(
    session: AsyncSession, viewer: Account | None, status: Status
) -> Status | None:
    """The post (a boost's original) if ``viewer`` may see it and its author."""
    try:
        shown = await visible_status(session, viewer, status.id)
    except NotFound:
        return None
    author = await session.get(Account, shown.account_id)
    if author is None or not await _findable_account(session, viewer, author):
        return None
    return shown
