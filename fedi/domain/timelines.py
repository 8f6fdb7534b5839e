"""Timelines (home, local, public, an account's posts) and thread context.

Each timeline page is one query for its rows (authors and the viewer's flags included),
then one batched load of media, mentions and hashtags. The home timeline is computed on
read (pull model), which measured fast enough at a national pilot's size (PERFORMANCE.md).
Statements are built once per shape and reused with bound parameters: building them per
request cost as much as running them (docs/benchmarks.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.visitors import replacement_traverse

from fedi.db.base import UTCDateTime, utcnow
from fedi.db.models import (
    Account,
    AccountList,
    Bookmark,
    Favourite,
    Follow,
    ListAccount,
    MediaAttachment,
    Mention,
    Mute,
    Status,
    StatusTag,
    Tag,
)
from fedi.db.prepared import Plan, Prepared, run
from fedi.db.reads import Reads, dialect_of
from fedi.db.repositories.statuses import (
    VIEWER,
    Loaded,
    load_views,
    loading,
    view_rows,
    views_of,
)
from fedi.db.repositories.views import StatusView
from fedi.domain.interactions import visible_status
from fedi.domain.mutes import in_force, muted_by
from fedi.domain.pagination import Page, apply_page
from fedi.domain.visibility import community_reader, outside_private_communities, visible_to

MAX_CONTEXT = 4096
AUTHOR: BindParameter[int] = bindparam("author_id")
TAG_NAME: BindParameter[str] = bindparam("tag_name")
LIST: BindParameter[int] = bindparam("list_id")
# Mutes may expire: every statement that reads them compares with the request's time.
NOW: BindParameter[Any] = bindparam("now", type_=UTCDateTime())


def _in_authors(
    column: Any, authors: Select[int] | CompoundSelect[int], dialect: str
) -> ColumnElement[bool]:
    # PostgreSQL plans "IN (subquery UNION ALL …)" as a nested loop over every followed
    # account (4.5 ms at 100 follows); "= ANY(ARRAY(subquery))" reads the array once (0.9 ms).
    if dialect == "postgresql":
        return column == any_(func.array(authors.scalar_subquery()))  # type: ignore[no-any-return]
    return column.in_(authors)  # type: ignore[no-any-return]


def _not_muted() -> ColumnElement[bool]:
    """The post's author is not muted by the viewer. NOT EXISTS on the mutes table (an anti
    join): PostgreSQL cannot estimate "<> ALL(array)" and may then trade an ordered index
    scan for a sort of every candidate row."""
    return ~exists().where(
        Mute.account_id == VIEWER, Mute.target_account_id == Status.account_id, in_force(NOW)
    )


async def _without_muted_boosts(
    session: Reads,
    viewer_id: int,
    fetch: Callable[[Page], Awaitable[list[StatusView]]],
    page: Page,
) -> list[StatusView]:
    """``fetch(page)`` less boosts of posts by muted accounts (Mastodon hides those too),
    refilled from beyond the page so it stays full while there is more to read.

    Done here rather than in SQL: any per-row look-up of the boosted post's author made
    PostgreSQL give up the home timeline's ordered index scan (5–8× slower, measured with
    benchmarks/timeline.py), while boosts of muted accounts are rare.
    """
    views = await fetch(page)
    if not any(v.reblog is not None for v in views):
        return views
    muted = set(await session.scalars(muted_by(viewer_id, utcnow())))
    if not muted:
        return views
    kept: list[StatusView] = []
    while True:
        fresh = [v for v in views if v.reblog is None or v.reblog.account.id not in muted]
        # min_id pages read upwards: each refill is newer than what was kept.
        kept = fresh + kept if page.min_id is not None else kept + fresh
        if len(views) < page.limit or len(kept) >= page.limit:
            break
        if page.min_id is not None:
            page = dataclasses.replace(page, min_id=views[0].id)
        else:
            page = dataclasses.replace(page, max_id=views[-1].id)
        views = await fetch(page)
    return kept[-page.limit :] if page.min_id is not None else kept[: page.limit]


def _exclusive_members() -> Select[int]:
    """Accounts in the viewer's exclusive lists: their posts are read there, not at home."""
    return (
        select(ListAccount.account_id)
        .join(AccountList, AccountList.id == ListAccount.list_id)
        .where(AccountList.account_id == VIEWER, AccountList.exclusive.is_(True))
    )


# Written into the statement, not bound: a bound IN list is re-rendered by SQLAlchemy on
# every execution (its "post-compile" step, ~4% of a home timeline's CPU under py-spy).
_SHOWN_AT_HOME: list[ColumnElement[Any]] = [
    literal_column(f"'{v}'") for v in ("public", "unlisted", "private")
]


def _home_filter(dialect: str) -> ColumnElement[bool]:
    # Muted accounts and members of exclusive lists leave the set of authors itself: one
    # array read once, which keeps PostgreSQL's ordered index scan (benchmarks/timeline.py).
    followed = select(Follow.target_account_id).where(
        Follow.account_id == VIEWER,
        Follow.target_account_id.not_in(muted_by(VIEWER, NOW)),
    )
    authors = followed.where(Follow.target_account_id.not_in(_exclusive_members())).union_all(
        select(VIEWER)
    )
    # Replies to a muted account stay hidden; replies to a list member still show.
    known = followed.union_all(select(VIEWER))
    boosts_wanted = select(Follow.target_account_id).where(
        Follow.account_id == VIEWER, Follow.show_reblogs.is_(True)
    )
    mentions_me = exists().where(Mention.status_id == Status.id, Mention.account_id == VIEWER)
    return and_(
        _in_authors(Status.account_id, authors, dialect),
        or_(
            Status.account_id == VIEWER,
            Status.visibility.in_(_SHOWN_AT_HOME),
            mentions_me,
        ),
        community_reader(VIEWER),
        # Replies show only when the reader knows both sides of the conversation, as in
        # Mastodon: a self-thread, or a reply to someone the reader follows (or to them).
        or_(
            Status.in_reply_to_account_id.is_(None),
            Status.in_reply_to_account_id == Status.account_id,
            _in_authors(Status.in_reply_to_account_id, known, dialect),
        ),
        or_(
            Status.reblog_of_id.is_(None),
            Status.account_id == VIEWER,
            _in_authors(Status.account_id, boosts_wanted, dialect),
        ),
    )


_STATEMENTS: dict[tuple[Hashable, ...], Prepared] = {}


def _statement(
    shape: tuple[Hashable, ...],
    condition: Callable[[], ColumnElement[bool]],
    page: Page,
    viewer: bool,
) -> Prepared:
    key = (
        *shape,
        viewer,
        page.max_id is not None,
        page.since_id is not None,
        page.min_id is not None,
    )
    statement = _STATEMENTS.get(key)
    if statement is None:
        query = view_rows(viewer).where(condition())
        if page.max_id is not None:
            query = query.where(Status.id < bindparam("max_id"))
        if page.since_id is not None:
            query = query.where(Status.id > bindparam("since_id"))
        if page.min_id is not None:
            query = query.where(Status.id > bindparam("min_id")).order_by(Status.id.asc())
        else:
            query = query.order_by(Status.id.desc())
        statement = _STATEMENTS[key] = Prepared(query.limit(bindparam("limit")))
    return statement


async def _page(
    session: Reads,
    shape: tuple[Hashable, ...],
    condition: Callable[[], ColumnElement[bool]],
    page: Page,
    viewer_id: int | None,
    **params: Any,
) -> list[StatusView]:
    dialect = dialect_of(session)
    statement = _statement((dialect, *shape), condition, page, viewer_id is not None)
    values = {
        "viewer_id": viewer_id,
        "max_id": page.max_id,
        "since_id": page.since_id,
        "min_id": page.min_id,
        "limit": page.limit,
        "now": utcnow(),
        **params,
    }

    def reads() -> Plan[Loaded]:
        rows = yield statement, values
        return (yield from loading(page.ordered(rows), viewer_id, dialect))

    # The page, then its boosts' originals and its media…: one thread hand-over on SQLite.
    return await views_of(session, await run(session, reads()), viewer_id)


async def home(session: Reads, viewer: Account, page: Page) -> list[StatusView]:
    """Posts and boosts of the accounts the viewer follows, and the viewer's own (on a
    session or a bare connection, ``fedi.db.reads``)."""
    return await home_of(session, viewer.id, page)


async def home_of(session: Reads, viewer_id: int, page: Page) -> list[StatusView]:
    """``home`` for a viewer known by id (the API's hot path builds no ``Account``)."""
    dialect = dialect_of(session)

    async def fetch(cursor: Page) -> list[StatusView]:
        return await _page(session, ("home",), lambda: _home_filter(dialect), cursor, viewer_id)

    return await _without_muted_boosts(session, viewer_id, fetch, page)


_HOME_READERS: dict[str, Select[Any]] = {}


async def home_readers(session: AsyncSession, status_id: int, reader_ids: set[int]) -> set[int]:
    """Which of ``reader_ids`` have the status on their home timeline: the rule ``home``
    pages by, asked of one status for many readers in one query (the streaming API's user
    stream, for each new post): the same condition, with the reader as a column of the
    outer row instead of a bound parameter. The column is written as text so that subqueries refer
    to the outer row rather than adding ``accounts`` to their own FROM (``SELECT :viewer``
    in the followed-or-self union would otherwise list every account)."""
    if not reader_ids:
        return set()
    dialect = session.get_bind().dialect.name
    statement = _HOME_READERS.get(dialect)
    if statement is None:
        reader = aliased(Account, name="reader")
        outer_id = literal_column("reader.id", BigInteger)

        def as_reader(element: Any, **_: Any) -> Any:
            if isinstance(element, BindParameter) and element.key == VIEWER.key:
                return outer_id
            return None

        condition = replacement_traverse(_home_filter(dialect), {}, as_reader)
        statement = _HOME_READERS[dialect] = (
            select(reader.id)
            # One status against each reader: a join on the status id says so explicitly.
            .join_from(reader, Status, Status.id == bindparam("status_id"))
            .where(reader.id.in_(bindparam("reader_ids", expanding=True)), condition)
        )
    found = await session.scalars(
        statement,
        {"reader_ids": sorted(reader_ids), "status_id": status_id, NOW.key: utcnow()},
    )
    return set(found)


async def public(
    session: AsyncSession,
    viewer: Account | None,
    page: Page,
    *,
    local_only: bool = False,
    remote_only: bool = False,
    only_media: bool = False,
) -> list[StatusView]:
    """Public posts (never unlisted, followers-only or direct; never boosts), less those
    of accounts a signed-in viewer mutes."""

    def condition() -> ColumnElement[bool]:
        found = and_(
            outside_private_communities(),
            Status.visibility == "public",
            Status.reblog_of_id.is_(None),
        )
        if viewer is not None:
            found = and_(found, _not_muted())
        if local_only:
            found = and_(found, Status.local.is_(True))
        if remote_only:
            found = and_(found, Status.local.is_(False))
        if only_media:
            found = and_(found, _has_media())
        return found

    shape = ("public", local_only, remote_only, only_media)
    return await _page(session, shape, condition, page, viewer.id if viewer else None)


def _list_filter(dialect: str, replies_policy: str) -> ColumnElement[bool]:
    members = select(ListAccount.account_id).where(
        ListAccount.list_id == LIST, ListAccount.account_id.not_in(muted_by(VIEWER, NOW))
    )
    found = and_(_in_authors(Status.account_id, members, dialect), visible_to(VIEWER))
    own_thread = or_(
        Status.in_reply_to_account_id.is_(None),
        Status.in_reply_to_account_id == Status.account_id,
    )
    if replies_policy == "none":
        return and_(found, own_thread)
    if replies_policy == "list":
        return and_(
            found,
            or_(own_thread, _in_authors(Status.in_reply_to_account_id, members, dialect)),
        )
    # "followed": replies to anyone the reader follows, or to the reader.
    followed = select(Follow.target_account_id).where(Follow.account_id == VIEWER)
    return and_(
        found,
        or_(
            own_thread,
            Status.in_reply_to_account_id == VIEWER,
            _in_authors(Status.in_reply_to_account_id, followed, dialect),
        ),
    )


async def list_timeline(
    session: AsyncSession, viewer: Account, members_of: AccountList, page: Page
) -> list[StatusView]:
    """Posts and boosts of a list's members, replies kept by the list's policy. The caller
    has checked that the list is the viewer's."""
    dialect = session.get_bind().dialect.name
    policy = members_of.replies_policy

    async def fetch(cursor: Page) -> list[StatusView]:
        return await _page(
            session,
            ("list", policy),
            lambda: _list_filter(dialect, policy),
            cursor,
            viewer.id,
            list_id=members_of.id,
        )

    return await _without_muted_boosts(session, viewer.id, fetch, page)


@dataclass(frozen=True)
class AccountStatusFilter:
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    only_media: bool = False
    tagged: str | None = None  # only posts carrying this hashtag


async def account_statuses(
    session: AsyncSession,
    viewer: Account | None,
    author_id: int,
    page: Page,
    filters: AccountStatusFilter = AccountStatusFilter(),
) -> list[StatusView]:
    """An account's posts that the viewer may see."""
    signed_in = viewer is not None

    def condition() -> ColumnElement[bool]:
        found = and_(Status.account_id == AUTHOR, visible_to(VIEWER if signed_in else None))
        if filters.exclude_replies:
            found = and_(
                found,
                or_(
                    Status.in_reply_to_id.is_(None),
                    Status.in_reply_to_account_id == Status.account_id,
                ),
            )
        if filters.exclude_reblogs:
            found = and_(found, Status.reblog_of_id.is_(None))
        if filters.only_media:
            found = and_(found, _has_media())
        if filters.tagged is not None:
            found = and_(found, _has_tag())
        return found

    viewer_id = viewer.id if viewer else None
    shape = ("account", dataclasses.replace(filters, tagged=None), filters.tagged is not None)
    tag_name = filters.tagged.lstrip("#").lower() if filters.tagged is not None else None
    return await _page(
        session, shape, condition, page, viewer_id, author_id=author_id, tag_name=tag_name
    )


def _has_media() -> ColumnElement[bool]:
    return exists().where(MediaAttachment.status_id == Status.id)


def _has_tag() -> ColumnElement[bool]:
    tag_id = select(Tag.id).where(Tag.name_lower == TAG_NAME).scalar_subquery()
    return exists().where(StatusTag.status_id == Status.id, StatusTag.tag_id == tag_id)


@dataclass(frozen=True)
class Context:
    ancestors: list[StatusView]
    descendants: list[StatusView]


async def context(session: AsyncSession, viewer: Account | None, status_id: int) -> Context:
    """The visible posts above and below a status in its thread, in reading order."""
    status = await visible_status(session, viewer, status_id)
    viewer_id = viewer.id if viewer else None
    thread_rows = list(
        await session.execute(
            select(Status.id, Status.in_reply_to_id)
            .where(
                Status.thread_id == (status.thread_id or status.id),
                Status.reblog_of_id.is_(None),
                visible_to(viewer_id),
            )
            .order_by(Status.id)
            .limit(MAX_CONTEXT)
        )
    )
    parent_of = {row[0]: row[1] for row in thread_rows}
    ancestors: list[int] = []
    cursor = status.in_reply_to_id
    while cursor is not None and cursor in parent_of and cursor not in ancestors:
        ancestors.append(cursor)
        cursor = parent_of[cursor]
    ancestors.reverse()

    children: dict[int, list[int]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    descendants: list[int] = []
    stack = list(reversed(children.get(status.id, [])))
    while stack:  # depth-first, oldest reply first: the order a reader follows a thread
        current = stack.pop()
        descendants.append(current)
        stack.extend(reversed(children.get(current, [])))
    return Context(
        ancestors=await load_views(session, ancestors, viewer_id),
        descendants=await load_views(session, descendants, viewer_id),
    )


async def tag(
    session: AsyncSession,
    viewer: Account | None,
    name: str,
    page: Page,
    *,
    local_only: bool = False,
    remote_only: bool = False,
    only_media: bool = False,
) -> list[StatusView]:
    """Public posts carrying a hashtag (never unlisted ones, never boosts), as in Mastodon,
    less those of accounts a signed-in viewer mutes."""

    def condition() -> ColumnElement[bool]:
        found = and_(
            outside_private_communities(),
            Status.visibility == "public",
            Status.reblog_of_id.is_(None),
            _has_tag(),
        )
        if viewer is not None:
            found = and_(found, _not_muted())
        if local_only:
            found = and_(found, Status.local.is_(True))
        if remote_only:
            found = and_(found, Status.local.is_(False))
        if only_media:
            found = and_(found, _has_media())
        return found

    shape = ("tag", local_only, remote_only, only_media)
    viewer_id = viewer.id if viewer else None
    return await _page(
        session, shape, condition, page, viewer_id, tag_name=name.lstrip("#").lower()
    )


@dataclass(frozen=True)
class Marked:
    """A page of bookmarked or favourited posts, and the bookmark or favourite ids that
    page them (Mastodon's cursors for these lists are the marks, not the posts)."""

    statuses: list[StatusView]
    cursors: list[int]


async def _marked(
    session: AsyncSession,
    viewer: Account,
    mark: type[Bookmark] | type[Favourite],
    page: Page,
) -> Marked:
    query = (
        select(mark.id, mark.status_id)
        .join(Status, Status.id == mark.status_id)
        .where(mark.account_id == viewer.id, visible_to(viewer.id))
    )
    paged = cast("Select[int, int]", apply_page(cast("Select[Any]", query), mark.id, page))
    rows = page.ordered(list(await session.execute(paged)))
    views = {v.id: v for v in await load_views(session, [row[1] for row in rows], viewer.id)}
    kept = [row for row in rows if row[1] in views]
    return Marked(statuses=[views[row[1]] for row in kept], cursors=[row[0] for row in kept])


async def bookmarks(session: AsyncSession, viewer: Account, page: Page) -> Marked:
    """The viewer's bookmarks, most recently bookmarked first."""
    return await _marked(session, viewer, Bookmark, page)


async def favourites(session: AsyncSession, viewer: Account, page: Page) -> Marked:
    """The posts the viewer favourited, most recently favourited first."""
    return await _marked(session, viewer, Favourite, page)
