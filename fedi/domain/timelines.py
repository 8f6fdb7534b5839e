"""Timelines (home, local, public, an account's posts) and thread context.

Each timeline is one query for a page of ids under Mastodon's pagination, then one batched
load of the views. The home timeline is computed on read (pull model), which measured fast
enough at a national pilot's size (see PERFORMANCE.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Follow, MediaAttachment, Mention, Status
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import StatusView
from fedi.domain.interactions import visible_status
from fedi.domain.pagination import Page, apply_page
from fedi.domain.visibility import visible_to

MAX_CONTEXT = 4096


def _home_filter(viewer_id: int) -> ColumnElement[bool]:
    followed = select(Follow.target_account_id).where(Follow.account_id == viewer_id)
    authors = followed.union_all(select(literal(viewer_id)))
    boosts_wanted = select(Follow.target_account_id).where(
        Follow.account_id == viewer_id, Follow.show_reblogs.is_(True)
    )
    mentions_me = exists().where(Mention.status_id == Status.id, Mention.account_id == viewer_id)
    return and_(
        Status.account_id.in_(authors),
        or_(
            Status.account_id == viewer_id,
            Status.visibility.in_(("public", "unlisted", "private")),
            mentions_me,
        ),
        # Replies show only when the reader knows both sides of the conversation, as in
        # Mastodon: a self-thread, or a reply to someone the reader follows (or to them).
        or_(
            Status.in_reply_to_account_id.is_(None),
            Status.in_reply_to_account_id == Status.account_id,
            Status.in_reply_to_account_id.in_(authors),
        ),
        or_(
            Status.reblog_of_id.is_(None),
            Status.account_id == viewer_id,
            Status.account_id.in_(boosts_wanted),
        ),
    )


async def _page(
    session: AsyncSession, condition: ColumnElement[bool], page: Page, viewer_id: int | None
) -> list[StatusView]:
    query = apply_page(select(Status.id).where(condition), Status.id, page)
    ids = page.ordered(list(await session.scalars(query)))
    return await load_views(session, ids, viewer_id)


async def home(session: AsyncSession, viewer: Account, page: Page) -> list[StatusView]:
    """Posts and boosts of the accounts the viewer follows, and the viewer's own."""
    return await _page(session, _home_filter(viewer.id), page, viewer.id)


async def public(
    session: AsyncSession,
    viewer: Account | None,
    page: Page,
    *,
    local_only: bool = False,
    remote_only: bool = False,
) -> list[StatusView]:
    """Public posts (never unlisted, followers-only or direct; never boosts)."""
    condition = and_(Status.visibility == "public", Status.reblog_of_id.is_(None))
    if local_only:
        condition = and_(condition, Status.local.is_(True))
    if remote_only:
        condition = and_(condition, Status.local.is_(False))
    return await _page(session, condition, page, viewer.id if viewer else None)


@dataclass(frozen=True)
class AccountStatusFilter:
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    only_media: bool = False


async def account_statuses(
    session: AsyncSession,
    viewer: Account | None,
    author_id: int,
    page: Page,
    filters: AccountStatusFilter = AccountStatusFilter(),
) -> list[StatusView]:
    """An account's posts that the viewer may see."""
    condition = and_(Status.account_id == author_id, visible_to(viewer.id if viewer else None))
    if filters.exclude_replies:
        condition = and_(
            condition,
            or_(
                Status.in_reply_to_id.is_(None),
                Status.in_reply_to_account_id == Status.account_id,
            ),
        )
    if filters.exclude_reblogs:
        condition = and_(condition, Status.reblog_of_id.is_(None))
    if filters.only_media:
        condition = and_(condition, _has_media())
    return await _page(session, condition, page, viewer.id if viewer else None)


def _has_media() -> ColumnElement[bool]:
    return exists().where(MediaAttachment.status_id == Status.id)


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
