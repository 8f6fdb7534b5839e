"""Posts that arrive from other servers: stored once, edited and deleted only by their author.

The same rules as local posts apply where they can (sanitised HTML, mentions, hashtags,
notifications, counters); what differs is that the HTML was written elsewhere and the URI
is the origin server's.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.dml import ReturningInsert

from fedi.db.base import utcnow
from fedi.db.models import Account, MediaAttachment, Status, Tombstone
from fedi.domain import history, languages, notifications, polls, renditions, streams
from fedi.domain.content import Rendered, store_links
from fedi.domain.html import html_to_text, sanitize_html
from fedi.domain.polls import RemotePoll
from fedi.domain.site import SUPPORTED_LANGUAGES, Site
from fedi.ids import id_at


@dataclass(frozen=True)
class IncomingMedia:
    url: str
    mime_type: str
    description: str = ""
    blurhash: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IncomingPost:
    uri: str
    url: str | None
    html: str
    visibility: str
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to: Status | None = None
    mentioned: list[Account] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    published: datetime | None = None
    media: list[IncomingMedia] = field(default_factory=list)
    # The other entries of contentMap (summaryMap): the origin's translations of the post,
    # with its poll's answers; kept as renditions so nobody translates twice.
    renditions: dict[str, renditions.Rendered] = field(default_factory=dict)
    poll: RemotePoll | None = None


_statuses = cast(Table, Status.__table__)
# (attribute, column) of every mapped column: a returned row becomes a Status.
_STATUS_FIELDS = [
    (prop.key, prop.columns[0])
    for prop in sa_inspect(Status).column_attrs
    if prop.columns[0].table is _statuses
]


@lru_cache(maxsize=2)
def _insert_new_for(dialect: str) -> ReturningInsert[Any]:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_statuses).on_conflict_do_nothing().returning(*_statuses.c)


async def _insert_new(session: AsyncSession, values: dict[str, Any]) -> Status | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING every column (built once per dialect); the
    row as a Status of the session, or None if the post was there already.

    Core, not the ORM's INSERT … RETURNING: this is the statement every received post
    makes, and the ORM's bulk path cost ~3× a Core statement here (docs/benchmarks.md).
    Every column comes back, defaults included, so the object is complete as if loaded.
    """
    statement = _insert_new_for(session.get_bind().dialect.name)
    row = (await session.execute(statement, values)).first()
    if row is None:
        return None
    mapping = row._mapping
    status = Status(**{key: mapping[column] for key, column in _STATUS_FIELDS})
    make_transient_to_detached(status)
    session.add(status)
    return status


# session.info key: new posts whose INSERT waits for ``insert_held_statuses``, as a
# ``HeldStatuses``.
HELD_STATUSES = "jamii.received.held_statuses"
# Every column's value when the INSERT gives none: their defaults are plain values, so a
# held post's object can be complete before its row exists.
_COLUMN_DEFAULTS = {
    column.key: getattr(column.default, "arg", None)
    if column.default is not None and column.default.is_scalar
    else None
    for column in _statuses.c
}


@dataclass
class HeldStatuses:
    # URIs among the batch's posts already stored when it began: theirs is the usual
    # INSERT, which finds the row there and takes it.
    present: set[str]
    rows: list[dict[str, Any]] = field(default_factory=list)


async def hold_status_inserts(session: AsyncSession, uris: list[str]) -> None:
    """Insert the plain new posts this session receives only at ``insert_held_statuses``,
    all in one statement.

    Only for a session whose posts no other activity of it reads meanwhile (a worker's
    batch of Creates, none replying to another of the batch, no post twice): a held post
    is in the session, not yet in the database. Which posts are plain is decided one by
    one (``receive_post``): no media, poll, mention or translation, and not a reply (which
    its thread's community may file), all of which write rows pointing at it.
    """
    found = await session.scalars(select(_statuses.c.uri).where(_statuses.c.uri.in_(uris)))
    session.info[HELD_STATUSES] = HeldStatuses(present=set(found))


class HeldStatusMissing(Exception):
    """A held post was stored meanwhile by someone else: the batch must be applied again,
    one activity at a time (``fedi.federation.inbox.batch``)."""


async def insert_held_statuses(session: AsyncSession) -> None:
    """The posts held since ``hold_status_inserts``, one multi-row INSERT. Before anything
    pointing at them (hashtag links) and before the commit."""
    held: HeldStatuses | None = session.info.pop(HELD_STATUSES, None)
    if held is None or not held.rows:
        return
    statement = _insert_held_for(session.get_bind().dialect.name)
    inserted = (await session.execute(statement, held.rows)).all()
    if len(inserted) != len(held.rows):
        # Another writer stored one of them after the batch looked (PostgreSQL, a second
        # worker): what this session did for it (counts, links, signals) would be wrong.
        raise HeldStatusMissing(f"{len(held.rows) - len(inserted)} held posts already stored")


@lru_cache(maxsize=2)
def _insert_held_for(dialect: str) -> ReturningInsert[Any]:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(_statuses).on_conflict_do_nothing().returning(_statuses.c.id)


def _hold(session: AsyncSession, values: dict[str, Any], post: IncomingPost) -> Status | None:
    """A plain new post's object, its INSERT held for the batch's end; None when it must be
    inserted now."""
    held: HeldStatuses | None = session.info.get(HELD_STATUSES)
    if held is None or post.uri in held.present:
        return None
    if post.media or post.poll is not None or post.mentioned or post.renditions:
        return None
    if post.in_reply_to is not None:
        return None  # a reply may be filed in its thread's community, pointing at it
    row = {**_COLUMN_DEFAULTS, **values}
    held.rows.append(row)
    held.present.add(post.uri)
    status = Status(**{key: row[column.key] for key, column in _STATUS_FIELDS})
    make_transient_to_detached(status)
    session.add(status)
    return status


_accounts = cast(Table, Account.__table__)
_COUNT_POSTS = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("author_id"))
    .values(
        statuses_count=_accounts.c.statuses_count + bindparam("posts"),
        last_status_at=bindparam("published"),
    )
)
# session.info key: authors' counters held back until ``count_held_posts`` (a worker
# applying many deliveries in one transaction), as [(author id, published), …].
HELD_COUNTS = "jamii.received.held_counts"


def hold_post_counts(session: AsyncSession) -> None:
    """Count the posts this session receives only at ``count_held_posts``.

    Many posts by the same few authors in one long transaction would otherwise lock each
    author's row from their first post to the commit, and two workers doing the same would
    wait on each other (or deadlock, taking the rows in different orders).
    """
    session.info[HELD_COUNTS] = []


async def count_held_posts(session: AsyncSession) -> None:
    """Count the posts held since ``hold_post_counts``: each author's row updated once, in
    id order (every worker takes the rows in the same order), by one statement."""
    held: list[tuple[int, datetime]] = session.info.pop(HELD_COUNTS, None) or []
    per_author: dict[int, tuple[int, datetime]] = {}
    for author_id, published in held:
        posts, _ = per_author.get(author_id, (0, published))
        per_author[author_id] = (posts + 1, published)  # the last one, as one by one
    if not per_author:
        return
    # One statement, many parameter sets: one round trip for the whole batch.
    await session.execute(
        _COUNT_POSTS,
        [
            {"author_id": author_id, "posts": posts, "published": published}
            for author_id, (posts, published) in sorted(per_author.items())
        ],
    )


_tombstones = cast(Table, Tombstone.__table__)
_TOMBSTONE = select(_tombstones.c.account_id).where(_tombstones.c.uri == bindparam("uri"))


def _media_type(mime_type: str) -> str:
    kind = mime_type.split("/", 1)[0]
    return {"image": "image", "video": "video", "audio": "audio"}.get(kind, "document")


# session.info key: URIs found without a tombstone by ``check_tombstones``.
UNTOMBSTONED = "jamii.received.untombstoned"


async def check_tombstones(session: AsyncSession, uris: list[str]) -> None:
    """Look up many posts' tombstones in one query; ``is_tombstoned`` then answers for the
    ones without, with no query of its own. Only for a session that deletes nothing
    meanwhile (a worker applying a batch of Creates): a tombstone it added would be missed.
    """
    if not uris:
        return
    found = set(await session.scalars(select(_tombstones.c.uri).where(_tombstones.c.uri.in_(uris))))
    session.info[UNTOMBSTONED] = set(uris) - found


async def is_tombstoned(session: AsyncSession, uri: str, author: Account | None = None) -> bool:
    """Whether ``uri`` was deleted; with ``author``, deleted by that author (or by its server).

    A Delete from another account on the same server must not keep the real author's post
    out when it arrives.
    """
    if uri in session.info.get(UNTOMBSTONED, ()):
        return False
    # A Core statement built once, not the ORM's get: asked for every post that arrives.
    found = (await session.execute(_TOMBSTONE, {"uri": uri})).first()
    if found is None:
        return False
    return author is None or found.account_id in (None, author.id)


async def receive_post(
    session: AsyncSession,
    author: Account,
    post: IncomingPost,
    *,
    detect_in: Sequence[str] = SUPPORTED_LANGUAGES,
    site: Site | None = None,
) -> Status | None:
    """Store a remote post; the same post twice is stored once, a deleted one never again.

    A post that comes without a language gets one detected among ``detect_in``
    (``Site.detection_languages``; rules in ``fedi.domain.languages``). With ``site``, a
    public post is queued for translation into the instance's languages, as local ones are
    (those its server already translated are not translated again).
    """
    if await is_tombstoned(session, post.uri, author):
        return None
    html = sanitize_html(post.html)
    # Remote posts sort by when they were published (ids are time-sortable), not by when
    # they reached us — but never in the future, where they would pin the timeline's top.
    published = min(post.published or utcnow(), utcnow())
    status_id = id_at(published) | secrets.randbits(16)
    parent = post.in_reply_to
    text = html_to_text(html)
    language = await languages.for_remote_post(
        detect_in, text, post.language, spoiler_text=post.spoiler_text
    )
    values = {
        "id": status_id,
        "uri": post.uri,
        "url": post.url,
        "account_id": author.id,
        "in_reply_to_id": parent.id if parent else None,
        "in_reply_to_account_id": parent.account_id if parent else None,
        "thread_id": (parent.thread_id or parent.id) if parent else status_id,
        "content": html,
        "text": text,
        "spoiler_text": post.spoiler_text,
        "sensitive": post.sensitive or bool(post.spoiler_text),
        "language": language,
        "visibility": post.visibility,
        "local": False,
        "created_at": published,
    }
    # The same post twice (a re-delivery, or a Group's Announce{Create} and Announce{Note}
    # arriving together) is stored once: the database decides, and the later one takes the
    # stored row instead of failing. Inserting first spares the common case (a new post) a
    # look-up, and RETURNING gives the whole row. (Not a savepoint: on SQLite, a savepoint
    # opened before a transaction's first write commits on release.)
    status = _hold(session, values, post) or await _insert_new(session, values)
    if status is None:
        return await session.scalar(select(Status).where(Status.uri == post.uri))
    await _attach(session, author, status.id, post.media)
    await polls.store_remote(session, status, post.poll)
    await store_links(
        session, status.id, Rendered(html=html, mentioned=post.mentioned, tags=post.tags)
    )
    # Core on the table, built once: the ORM's UPDATE would also search the session for
    # the author to refresh, for a counter nothing here reads.
    held = session.info.get(HELD_COUNTS)
    if held is not None:
        held.append((author.id, published))
    else:
        await session.execute(
            _COUNT_POSTS, {"author_id": author.id, "posts": 1, "published": published}
        )
    if parent is not None:
        await session.execute(
            update(Status)
            .where(Status.id == parent.id)
            .values(replies_count=Status.replies_count + 1)
        )
    for account in post.mentioned:
        await notifications.notify(
            session, recipient=account, sender_id=author.id, type="mention", status_id=status.id
        )
    await renditions.save_remote(session, status, post.uri, post.renditions)
    if site is not None:
        await renditions.queue_translation(session, site, status)
    streams.status_created(session, status)
    return status


async def _attach(
    session: AsyncSession, author: Account, status_id: int, media: list[IncomingMedia]
) -> None:
    if not media:
        return
    for item in media:
        session.add(
            MediaAttachment(
                account_id=author.id,
                status_id=status_id,
                type=_media_type(item.mime_type),
                mime_type=item.mime_type,
                remote_url=item.url,
                description=item.description,
                blurhash=item.blurhash,
                meta=item.meta,
            )
        )
    await session.flush()


async def receive_edit(
    session: AsyncSession,
    author: Account,
    status: Status,
    post: IncomingPost,
    *,
    detect_in: Sequence[str] = SUPPORTED_LANGUAGES,
    site: Site | None = None,
) -> Status:
    """Apply an author's Update to their post, keeping the previous version in the history
    (with ``site``, the new version is queued for translation as ``receive_post`` does)."""
    if status.account_id != author.id:
        raise PermissionError("only the author edits a post")
    html = sanitize_html(post.html)
    text = html_to_text(html)
    language = await languages.for_remote_post(
        detect_in, text, post.language, spoiler_text=post.spoiler_text
    )
    await history.before_edit(session, status)
    status.content = html
    status.text = text
    status.spoiler_text = post.spoiler_text
    status.sensitive = post.sensitive or bool(post.spoiler_text)
    status.language = language or status.language
    status.edited_at = utcnow()
    await session.execute(delete(MediaAttachment).where(MediaAttachment.status_id == status.id))
    await _attach(session, author, status.id, post.media)
    await polls.store_remote(session, status, post.poll)
    await store_links(
        session,
        status.id,
        Rendered(html=html, mentioned=post.mentioned, tags=post.tags),
        replace=True,
    )
    await history.after_edit(session, status)
    await session.flush()
    await renditions.save_remote(session, status, post.uri, post.renditions)
    if site is not None:
        await renditions.queue_translation(session, site, status)
    return status


async def receive_delete(session: AsyncSession, author: Account, uri: str) -> bool:
    """Delete a remote post by its author; a tombstone stays even if we never had the post."""
    status = await session.scalar(select(Status).where(Status.uri == uri))
    if status is not None and status.account_id != author.id:
        return False  # someone else's post: neither deleted nor tombstoned
    await history.tombstone(session, uri, author.id)
    if status is None:
        return False
    await history.remove(session, status)
    return True
