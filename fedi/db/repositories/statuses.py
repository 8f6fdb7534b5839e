"""Loading statuses as ``StatusView``s in a fixed, small number of queries.

A page of 20 statuses costs five queries whatever it holds (rows with their authors and
the viewer's flags, boosted originals, media, mentions, tags): never one query per status.
SQLAlchemy Core rows, not ORM objects, because this is the hottest read path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, false, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import (
    Account,
    Bookmark,
    Favourite,
    MediaAttachment,
    Mention,
    Status,
    StatusTag,
    Tag,
)
from fedi.db.repositories.views import AccountView, MediaView, MentionView, StatusView

_ACCOUNT_COLUMNS = (
    Account.id,
    Account.username,
    Account.domain,
    Account.display_name,
    Account.note,
    Account.uri,
    Account.url,
    Account.actor_type,
    Account.locked,
    Account.bot,
    Account.avatar_url,
    Account.header_url,
    Account.fields,
    Account.created_at,
    Account.last_status_at,
    Account.statuses_count,
    Account.followers_count,
    Account.following_count,
)
_STATUS_COLUMNS = (
    Status.id,
    Status.uri,
    Status.url,
    Status.account_id,
    Status.in_reply_to_id,
    Status.in_reply_to_account_id,
    Status.reblog_of_id,
    Status.content,
    Status.text,
    Status.spoiler_text,
    Status.sensitive,
    Status.language,
    Status.visibility,
    Status.local,
    Status.created_at,
    Status.edited_at,
    Status.replies_count,
    Status.reblogs_count,
    Status.favourites_count,
)
_N_STATUS = len(_STATUS_COLUMNS)
_N_ACCOUNT = len(_ACCOUNT_COLUMNS)


def _flags(viewer_id: int | None) -> tuple[Any, ...]:
    if viewer_id is None:
        return (literal(False), literal(False), literal(False))
    original = Status.__table__.alias("mine")
    return (
        exists().where(Favourite.status_id == Status.id, Favourite.account_id == viewer_id),
        exists().where(original.c.reblog_of_id == Status.id, original.c.account_id == viewer_id),
        exists().where(Bookmark.status_id == Status.id, Bookmark.account_id == viewer_id),
    )


async def _rows(
    session: AsyncSession, ids: Sequence[int], viewer_id: int | None
) -> list[tuple[Any, ...]]:
    if not ids:
        return []
    query = (
        select(*_STATUS_COLUMNS, *_ACCOUNT_COLUMNS, *_flags(viewer_id))
        .join(Account, Account.id == Status.account_id)
        .where(Status.id.in_(list(ids)) if ids else false())
    )
    return [tuple(row) for row in await session.execute(query)]


def _account(row: tuple[Any, ...]) -> AccountView:
    return AccountView(*row[_N_STATUS : _N_STATUS + _N_ACCOUNT])


async def _media(session: AsyncSession, ids: list[int]) -> dict[int, list[MediaView]]:
    out: dict[int, list[MediaView]] = defaultdict(list)
    rows = await session.execute(
        select(
            MediaAttachment.status_id,
            MediaAttachment.id,
            MediaAttachment.type,
            MediaAttachment.mime_type,
            MediaAttachment.file_name,
            MediaAttachment.remote_url,
            MediaAttachment.description,
            MediaAttachment.blurhash,
            MediaAttachment.meta,
        )
        .where(MediaAttachment.status_id.in_(ids))
        .order_by(MediaAttachment.id)
    )
    for row in rows:
        out[row[0]].append(MediaView(*row[1:]))
    return out


async def _mentions(session: AsyncSession, ids: list[int]) -> dict[int, list[MentionView]]:
    out: dict[int, list[MentionView]] = defaultdict(list)
    rows = await session.execute(
        select(
            Mention.status_id,
            Account.id,
            Account.username,
            Account.domain,
            Account.url,
            Account.uri,
        )
        .join(Account, Account.id == Mention.account_id)
        .where(Mention.status_id.in_(ids))
        .order_by(Mention.id)
    )
    for row in rows:
        out[row[0]].append(MentionView(*row[1:]))
    return out


async def _tags(session: AsyncSession, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    rows = await session.execute(
        select(StatusTag.status_id, Tag.name)
        .join(Tag, Tag.id == StatusTag.tag_id)
        .where(StatusTag.status_id.in_(ids))
    )
    for status_id, name in rows:
        out[status_id].append(name)
    return out


async def load_views(
    session: AsyncSession, ids: Sequence[int], viewer_id: int | None
) -> list[StatusView]:
    """Views of the given statuses in the given order (missing ids are skipped)."""
    rows = {row[0]: row for row in await _rows(session, ids, viewer_id)}
    originals_needed = [r[6] for r in rows.values() if r[6] is not None and r[6] not in rows]
    if originals_needed:
        rows.update({row[0]: row for row in await _rows(session, originals_needed, viewer_id)})
    all_ids = list(rows)
    media = await _media(session, all_ids)
    mentions = await _mentions(session, all_ids)
    tags = await _tags(session, all_ids)

    def build(status_id: int) -> StatusView | None:
        row = rows.get(status_id)
        if row is None:
            return None
        reblog = build(row[6]) if row[6] is not None else None
        if row[6] is not None and reblog is None:
            return None
        return StatusView(
            id=row[0],
            uri=row[1],
            url=row[2],
            account=_account(row),
            in_reply_to_id=row[4],
            in_reply_to_account_id=row[5],
            reblog=reblog,
            content=row[7],
            text=row[8],
            spoiler_text=row[9],
            sensitive=row[10],
            language=row[11],
            visibility=row[12],
            local=row[13],
            created_at=row[14],
            edited_at=row[15],
            replies_count=row[16],
            reblogs_count=row[17],
            favourites_count=row[18],
            favourited=bool(row[-3]),
            reblogged=bool(row[-2]),
            bookmarked=bool(row[-1]),
            media=media.get(status_id, []),
            mentions=mentions.get(status_id, []),
            tags=tags.get(status_id, []),
        )

    return [view for view in (build(i) for i in ids) if view is not None]


async def account_view(session: AsyncSession, account_id: int) -> AccountView | None:
    row = (await session.execute(select(*_ACCOUNT_COLUMNS).where(Account.id == account_id))).first()
    return AccountView(*row) if row else None
