"""The hub: who listens to which stream, and a bounded queue per listener.

Publishing never waits for a listener. Each subscriber has a bounded queue; one that falls
that far behind (a stalled client, a dead connection not yet noticed) is dropped and its
connection closed, so a slow reader can never hold back a post for everyone else. The
client reconnects and catches up through the REST timelines, as Mastodon clients do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

import structlog

from fedi.domain.scopes import allows

log = structlog.get_logger(__name__)

# ("user",), ("public:local",), ("hashtag", "maths"): what Mastodon puts in an event's
# "stream" field, and the key the hub files subscribers under.
Stream = tuple[str, ...]
QUEUE_SIZE = 256


@dataclass(frozen=True)
class Event:
    stream: Stream
    name: str  # update, status.update, delete, notification
    payload: str  # JSON text (a status, a notification) or a bare id for delete


@dataclass(eq=False)
class Subscriber:
    """One open connection: an SSE response (one stream) or a WebSocket (any number)."""

    token_id: int | None
    account_id: int | None
    scopes: frozenset[str]
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    streams: set[Stream] = field(default_factory=set)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_reason: str = ""

    def allows(self, scope: str) -> bool:
        return allows(self.scopes, scope)

    def deliver(self, event: Event) -> None:
        if self.closed.is_set():
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            log.info("stream_subscriber_dropped", account_id=self.account_id, reason="slow")
            self.close("too slow: events were dropped")

    def close(self, reason: str) -> None:
        if not self.closed.is_set():
            self.close_reason = reason
            self.closed.set()

    async def next(self, seconds: float) -> Event | None:
        """The next event; None after ``seconds`` of silence or once closed."""
        if not self.queue.empty():
            return self.queue.get_nowait()
        getter = asyncio.ensure_future(self.queue.get())
        closer = asyncio.ensure_future(self.closed.wait())
        try:
            done, _ = await asyncio.wait(
                {getter, closer}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closer.cancel()
            if not getter.done():
                getter.cancel()
        if getter in done or (getter.done() and not getter.cancelled()):
            return getter.result()
        return None


class Hub:
    """Subscribers of one process, filed by stream, by account and by token."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self._by_stream: dict[Stream, set[Subscriber]] = {}
        self._by_token: dict[int, set[Subscriber]] = {}

    def __len__(self) -> int:
        return len(self.subscribers)

    def join(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)
        if subscriber.token_id is not None:
            self._by_token.setdefault(subscriber.token_id, set()).add(subscriber)

    def leave(self, subscriber: Subscriber) -> None:
        for stream in list(subscriber.streams):
            self.unsubscribe(subscriber, stream)
        self.subscribers.discard(subscriber)
        if subscriber.token_id is not None:
            holders = self._by_token.get(subscriber.token_id, set())
            holders.discard(subscriber)
            if not holders:
                self._by_token.pop(subscriber.token_id, None)
        subscriber.close("left")

    def subscribe(self, subscriber: Subscriber, stream: Stream) -> None:
        subscriber.streams.add(stream)
        self._by_stream.setdefault(stream, set()).add(subscriber)

    def unsubscribe(self, subscriber: Subscriber, stream: Stream) -> None:
        subscriber.streams.discard(stream)
        listeners = self._by_stream.get(stream)
        if listeners is not None:
            listeners.discard(subscriber)
            if not listeners:
                del self._by_stream[stream]

    def listeners(self, stream: Stream) -> list[Subscriber]:
        return list(self._by_stream.get(stream, ()))

    def streams(self) -> list[Stream]:
        return list(self._by_stream)

    def revoke(self, token_ids: Iterable[int]) -> None:
        """Close every stream opened with these tokens: a revoked log-in reads nothing more."""
        for token_id in token_ids:
            for subscriber in list(self._by_token.get(token_id, ())):
                subscriber.close("the access token was revoked")
