"""Committed signals → events for each subscriber, rendered as the REST API renders them.

One task per process reads the signals in commit order and, only for streams someone is
listening to, loads the rows and decides who may see them:

- user streams: the post must belong on that reader's home timeline (the very rule
  ``GET /api/v1/timelines/home`` pages by, asked for all streaming readers in one query),
  rendered with the reader's own flags (a new post, which has none yet, once for all);
  notifications go to their recipient only;
- public and hashtag streams: public posts only (never boosts, unlisted, followers-only or
  direct), rendered once for everyone, and never to an account that blocks the author or
  that the author blocks;
- a revoked token closes the streams opened with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.api.presenters import Presenter, present_notifications
from fedi.db.models import Block, Follow, Notification, Status
from fedi.db.repositories.statuses import load_views
from fedi.domain import community_posts, streams, timelines
from fedi.streaming.hub import Event, Hub, Stream, Subscriber

log = structlog.get_logger(__name__)

USER: Stream = ("user",)
NOTIFICATIONS: Stream = ("user:notification",)
BACKLOG = 10_000  # signals waiting for the fan-out task; beyond this they are dropped


def public_streams(local: bool, tags: Iterable[str], media: bool) -> list[Stream]:
    """Every public stream a public post (or its deletion) belongs to."""
    origin = "public:local" if local else "public:remote"
    found: list[Stream] = [("public",), (origin,)]
    if media:
        found += [("public:media",), (f"{origin}:media",)]
    for tag in tags:
        found.append(("hashtag", tag))
        if local:
            found.append(("hashtag:local", tag))
    return found


class Fanout:
    def __init__(self, hub: Hub, readers: async_sessionmaker[AsyncSession], presenter: Presenter):
        self.hub = hub
        self.readers = readers
        self.presenter = presenter
        self._signals: asyncio.Queue[streams.Signal] = asyncio.Queue(BACKLOG)
        self._rendered: dict[tuple[int, int | None], str | None] = {}

    def publish(self, signals: Iterable[streams.Signal]) -> None:
        """Called at commit (never blocks): the signals wait for the fan-out task."""
        if not self.hub.subscribers:
            return  # nobody listens in this process: nothing to render
        for signal in signals:
            try:
                self._signals.put_nowait(signal)
            except asyncio.QueueFull:
                log.warning("stream_signal_dropped", kind=signal.get("kind"))

    async def run(self) -> None:
        while True:
            signal = await self._signals.get()
            try:
                await self.handle(signal)
            except Exception:  # one bad signal must not stop every stream
                log.exception("stream_fanout_failed", kind=signal.get("kind"))

    async def handle(self, signal: streams.Signal) -> None:
        kind = signal["kind"]
        if kind == streams.TOKENS_REVOKED:
            self.hub.revoke(signal["token_ids"])
            return
        self._rendered.clear()
        async with self.readers() as session:
            if kind == streams.STATUS_CREATED:
                await self._status(session, signal["status_id"], "update")
            elif kind == streams.STATUS_UPDATED:
                await self._status(session, signal["status_id"], "status.update")
            elif kind == streams.STATUS_DELETED:
                await self._deleted(session, signal)
            elif kind == streams.NOTIFICATION:
                await self._notification(session, signal["notification_id"], signal["account_id"])

    async def _status(self, session: AsyncSession, status_id: int, name: str) -> None:
        status = await session.get(Status, status_id)
        if status is None:
            return  # deleted since: its delete event follows
        readers = [
            s for s in self.hub.listeners(USER) if s.account_id and s.allows("read:statuses")
        ]
        at_home = await timelines.home_readers(
            session, status_id, {s.account_id for s in readers if s.account_id}
        )
        # A new post (not a boost) carries no reader's favourite, boost or bookmark yet: one
        # rendering serves every reader. Edits and boosts are rendered for each reader.
        shared = name == "update" and status.reblog_of_id is None
        for subscriber in readers:
            reader = subscriber.account_id
            if reader not in at_home:
                continue
            payload = await self._render(session, status_id, None if shared else reader)
            if payload is not None:
                subscriber.deliver(Event(USER, name, payload))
        if status.visibility != "public" or status.reblog_of_id is not None:
            return
        if await community_posts.private_community_of(session, status.id) is not None:
            return  # a private community's post is for its members' home streams only
        views = await load_views(session, [status_id], None)
        if not views:
            return
        view = views[0]
        wanted = public_streams(status.local, [t.lower() for t in view.tags], bool(view.media))
        listening = [(stream, self.hub.listeners(stream)) for stream in wanted]
        if not any(listeners for _, listeners in listening):
            return
        payload = self.presenter.status(view).model_dump_json()
        shunned = await _blocked_either_way(session, status.account_id)
        for stream, listeners in listening:
            for subscriber in listeners:
                if subscriber.account_id not in shunned:
                    subscriber.deliver(Event(stream, name, payload))

    async def _render(
        self, session: AsyncSession, status_id: int, reader: int | None
    ) -> str | None:
        """The status as ``reader`` sees it (None: as anyone sees it), cached per signal."""
        key = (status_id, reader)
        if key not in self._rendered:
            views = await load_views(session, [status_id], reader)
            self._rendered[key] = (
                self.presenter.status(views[0]).model_dump_json() if views else None
            )
        return self._rendered[key]

    async def _deleted(self, session: AsyncSession, signal: dict[str, Any]) -> None:
        payload = str(signal["status_id"])
        author = signal["account_id"]
        subscribers = [s for s in self.hub.listeners(USER) if s.account_id is not None]
        if subscribers:
            # Those who could have seen it: the author, those it mentioned and, unless it
            # was direct, the author's followers.
            could_see = {author, *signal["mentioned_ids"]}
            if signal["visibility"] != "direct":
                candidates = {s.account_id for s in subscribers} - could_see
                could_see |= set(
                    await session.scalars(
                        select(Follow.account_id).where(
                            Follow.target_account_id == author,
                            Follow.account_id.in_(list(candidates)),
                        )
                    )
                )
            for subscriber in subscribers:
                if subscriber.account_id in could_see:
                    subscriber.deliver(Event(USER, "delete", payload))
        if signal["visibility"] != "public" or signal["boost"]:
            return
        for stream in public_streams(signal["local"], signal["tags"], media=True):
            for subscriber in self.hub.listeners(stream):
                subscriber.deliver(Event(stream, "delete", payload))

    async def _notification(
        self, session: AsyncSession, notification_id: int, recipient: int
    ) -> None:
        subscribers: list[tuple[Stream, Subscriber]] = [
            (stream, s)
            for stream in (USER, NOTIFICATIONS)
            for s in self.hub.listeners(stream)
            if s.account_id == recipient and s.allows("read:notifications")
        ]
        if not subscribers:
            return
        found = await session.get(Notification, notification_id)
        if found is None:
            return
        presented = await present_notifications(self.presenter, session, recipient, [found])
        if not presented:
            return
        payload = presented[0].model_dump_json()
        for stream, subscriber in subscribers:
            subscriber.deliver(Event(stream, "notification", payload))


async def _blocked_either_way(session: AsyncSession, author_id: int) -> set[int | None]:
    rows = await session.execute(
        select(Block.account_id, Block.target_account_id).where(
            (Block.account_id == author_id) | (Block.target_account_id == author_id)
        )
    )
    return {a if b == author_id else b for a, b in rows}
