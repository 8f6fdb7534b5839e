"""Loading statuses as ``StatusView``s in a fixed, small number of queries.

A timeline page costs two queries whatever it holds: the page's rows (with authors and
the viewer's flags), then their media, mentions and hashtags together — plus one for
boosted originals when the page has boosts, and one for polls when it has polls. Never
one query per status.

The statements are built once, here, with bound parameters: building SQLAlchemy
expressions per request measured as half of this path's cost (docs/benchmarks.md). Core
rows, not ORM objects, because this is the hottest read path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    TypeDecorator,
    any_,
    bindparam,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import (
    Account,
    Bookmark,
    Favourite,
    MediaAttachment,
    Mention,
    Status,
    StatusPin,
    StatusTag,
    Tag,
)
from fedi.db.prepared import Plan, Prepared, Rows, fetch_all, run
from fedi.db.reads import Reads, dialect_of
from fedi.db.repositories.polls import load_polls
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
    Status.has_poll,
)
N_STATUS_COLUMNS = len(_STATUS_COLUMNS)
N_ACCOUNT_COLUMNS = len(_ACCOUNT_COLUMNS)
_REBLOG_OF = 6
_HAS_POLL = 19

VIEWER: BindParameter[int] = bindparam("viewer_id")
_MINE = Status.__table__.alias("mine")
_VIEWER_FLAGS = (
    exists().where(Favourite.status_id == Status.id, Favourite.account_id == VIEWER),
    exists().where(_MINE.c.reblog_of_id == Status.id, _MINE.c.account_id == VIEWER),
    exists().where(Bookmark.status_id == Status.id, Bookmark.account_id == VIEWER),
    # A pin is always its author's: this is true only on the viewer's own pinned posts.
    exists().where(StatusPin.status_id == Status.id, StatusPin.account_id == VIEWER),
)
_NO_FLAGS = (literal(False), literal(False), literal(False), literal(False))


def view_rows(viewer: bool) -> Select[*tuple[Any, ...]]:
    """Statuses with their authors and (for a signed-in viewer) the viewer's flags.

    Timelines add their own WHERE, ORDER BY and LIMIT; parameters: ``viewer_id``.
    """
    flags = _VIEWER_FLAGS if viewer else _NO_FLAGS
    return select(*_STATUS_COLUMNS, *_ACCOUNT_COLUMNS, *flags).join(
        Account, Account.id == Status.account_id
    )


class _IdsAsJSON(TypeDecorator[list[int]]):
    """A list of ids bound as one JSON text, which SQLite's ``json_each`` reads as rows."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: list[int] | None, dialect: Dialect) -> str | None:
        return None if value is None else orjson.dumps(value).decode()


def _in_ids(column: Any, dialect: str) -> ColumnElement[bool]:
    # The page's ids as ONE parameter: one statement for pages of any length, and no
    # expansion of an IN list on every request (SQLAlchemy's post-compile step measured ~7%
    # of a home timeline's CPU, benchmarks/home_http.py). PostgreSQL takes an array; SQLite
    # a JSON list, read by json_each (the same index look-ups as "IN (?, ?, …)").
    if dialect == "postgresql":
        return column == any_(_ID_ARRAY)  # type: ignore[no-any-return]
    return column.in_(select(_ID_ROWS.c.value))  # type: ignore[no-any-return]


_ID_ARRAY: BindParameter[Any] = bindparam("ids", type_=ARRAY(BigInteger()))
_ID_ROWS = func.json_each(bindparam("ids", type_=_IdsAsJSON())).table_valued("value")


def _by_ids(viewer: bool, dialect: str) -> Select[*tuple[Any, ...]]:
    return view_rows(viewer).where(_in_ids(Status.id, dialect))


# Media, mentions and hashtags of a page in ONE round trip (each round trip through the
# async driver costs more than the rows it brings): (status, kind, order, id, six texts,
# meta) — kind "a" attachment, "m" mention, "t" hashtag.
_NO_TEXT = null().cast(String)


def _extras_statement(dialect: str) -> CompoundSelect[*tuple[Any, ...]]:
    return union_all(
        select(
            MediaAttachment.status_id,
            literal("a"),
            MediaAttachment.id,
            MediaAttachment.id,
            MediaAttachment.type,
            MediaAttachment.mime_type,
            MediaAttachment.file_name,
            MediaAttachment.remote_url,
            MediaAttachment.description,
            MediaAttachment.blurhash,
            MediaAttachment.meta,
        ).where(_in_ids(MediaAttachment.status_id, dialect)),
        select(
            Mention.status_id,
            literal("m"),
            Mention.id,
            Account.id,
            Account.username,
            Account.domain,
            Account.url,
            Account.uri,
            _NO_TEXT,
            _NO_TEXT,
            null().cast(JSON),
        )
        .join(Account, Account.id == Mention.account_id)
        .where(_in_ids(Mention.status_id, dialect)),
        select(
            StatusTag.status_id,
            literal("t"),
            Tag.id,
            Tag.id,
            Tag.name,
            _NO_TEXT,
            _NO_TEXT,
            _NO_TEXT,
            _NO_TEXT,
            _NO_TEXT,
            null().cast(JSON),
        )
        .join(Tag, Tag.id == StatusTag.tag_id)
        .where(_in_ids(StatusTag.status_id, dialect)),
    )


_DIALECTS = ("sqlite", "postgresql")
_BY_IDS = {(v, d): Prepared(_by_ids(v, d)) for v in (True, False) for d in _DIALECTS}
_EXTRAS = {d: Prepared(_extras_statement(d)) for d in _DIALECTS}


def _account(row: Sequence[Any]) -> AccountView:
    return AccountView(*row[N_STATUS_COLUMNS : N_STATUS_COLUMNS + N_ACCOUNT_COLUMNS])


async def rows_by_ids(
    session: Reads, ids: Sequence[int], viewer_id: int | None
) -> list[Sequence[Any]]:
    if not ids:
        return []
    statement = _BY_IDS[viewer_id is not None, dialect_of(session)]
    return await fetch_all(session, statement, {"ids": list(ids), "viewer_id": viewer_id})


def _extras(
    found: Rows,
) -> tuple[dict[int, list[MediaView]], dict[int, list[MentionView]], dict[int, list[str]]]:
    media: dict[int, list[MediaView]] = defaultdict(list)
    mentions: dict[int, list[MentionView]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    for status_id, kind, _, ident, a, b, c, d, e, f, meta in sorted(
        found, key=lambda r: (r[1], r[2])
    ):
        if kind == "a":
            media[status_id].append(MediaView(ident, a, b, c, d, e or "", f, meta or {}))
        elif kind == "m":
            mentions[status_id].append(MentionView(ident, a, b, c, d))
        else:
            tags[status_id].append(a)
    return media, mentions, tags


@dataclass(frozen=True, slots=True)
class Loaded:
    """A page's rows, the rows of the posts its boosts boost, and their media, mentions
    and hashtags: all its views need but polls."""

    page: Sequence[Sequence[Any]]
    rows: dict[int, Sequence[Any]]
    extras: Rows


def loading(page: Sequence[Sequence[Any]], viewer_id: int | None, dialect: str) -> Plan[Loaded]:
    """The reads behind the views of rows selected with ``view_rows`` (a plan for
    ``fedi.db.prepared.run``: on SQLite, one thread hand-over with the page's own query)."""
    rows = {row[0]: row for row in page}
    originals = [r[_REBLOG_OF] for r in page if r[_REBLOG_OF] is not None]
    missing = [i for i in originals if i not in rows]
    if missing:
        query = _BY_IDS[viewer_id is not None, dialect], {"ids": missing, "viewer_id": viewer_id}
        rows.update({row[0]: row for row in (yield query)})
    # Core rows, no ORM: through Session.execute the ORM's result machinery measured
    # ~0.2 ms a statement.
    extras = (yield _EXTRAS[dialect], {"ids": list(rows)}) if rows else []
    return Loaded(page, rows, extras)


async def views_from_rows(
    session: Reads, page: Sequence[Sequence[Any]], viewer_id: int | None
) -> list[StatusView]:
    """Views for rows selected with ``view_rows``, in their order."""
    loaded = await run(session, loading(page, viewer_id, dialect_of(session)))
    return await views_of(session, loaded, viewer_id)


async def views_of(session: Reads, loaded: Loaded, viewer_id: int | None) -> list[StatusView]:
    """The views of a ``loading`` plan's page, in its order."""
    rows = loaded.rows
    media, mentions, tags = _extras(loaded.extras)
    # Polls cost a query only on pages that hold one (few posts do).
    with_polls = [status_id for status_id, row in rows.items() if row[_HAS_POLL]]
    polls = await load_polls(session, with_polls, viewer_id) if with_polls else {}

    def build(status_id: int) -> StatusView | None:
        row = rows.get(status_id)
        if row is None:
            return None
        reblog = build(row[_REBLOG_OF]) if row[_REBLOG_OF] is not None else None
        if row[_REBLOG_OF] is not None and reblog is None:
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
            favourited=bool(row[-4]),
            reblogged=bool(row[-3]),
            bookmarked=bool(row[-2]),
            pinned=bool(row[-1]),
            media=media.get(status_id, []),
            mentions=mentions.get(status_id, []),
            tags=tags.get(status_id, []),
            poll=polls.get(status_id),
        )

    return [view for view in (build(row[0]) for row in loaded.page) if view is not None]


async def load_views(
    session: AsyncSession, ids: Sequence[int], viewer_id: int | None
) -> list[StatusView]:
    """Views of the given statuses in the given order (missing ids are skipped)."""
    found = {row[0]: row for row in await rows_by_ids(session, ids, viewer_id)}
    return await views_from_rows(session, [found[i] for i in ids if i in found], viewer_id)


_ACCOUNT = select(*_ACCOUNT_COLUMNS).where(Account.id == bindparam("account_id"))


async def account_view(session: AsyncSession, account_id: int) -> AccountView | None:
    row = (await session.execute(_ACCOUNT, {"account_id": account_id})).first()
    return AccountView(*row) if row else None
