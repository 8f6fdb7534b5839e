"""The hub's own rules: bounded queues drop a slow subscriber, revocation closes by token,
leaving forgets a subscriber everywhere."""

from __future__ import annotations

from fedi.streaming.hub import QUEUE_SIZE, Event, Hub, Subscriber

EVENT = Event(("public",), "update", "{}")


def test_a_subscriber_that_falls_behind_is_dropped_not_waited_for() -> None:
    hub = Hub()
    slow = Subscriber(token_id=None, account_id=None, scopes=frozenset())
    hub.join(slow)
    hub.subscribe(slow, ("public",))
    for _ in range(QUEUE_SIZE):
        slow.deliver(EVENT)
    assert not slow.closed.is_set()
    slow.deliver(EVENT)  # one too many: never blocks the publisher, closes the subscriber
    assert slow.closed.is_set()
    assert slow.close_reason == "too slow: events were dropped"
    assert slow.queue.qsize() == QUEUE_SIZE


async def test_revoking_a_token_closes_only_its_subscribers() -> None:
    hub = Hub()
    first = Subscriber(token_id=1, account_id=7, scopes=frozenset({"read"}))
    second = Subscriber(token_id=1, account_id=7, scopes=frozenset({"read"}))
    other = Subscriber(token_id=2, account_id=8, scopes=frozenset({"read"}))
    for subscriber in (first, second, other):
        hub.join(subscriber)
        hub.subscribe(subscriber, ("user",))
    hub.revoke([1])
    assert (first.closed.is_set(), second.closed.is_set(), other.closed.is_set()) == (
        True,
        True,
        False,
    )
    assert await first.next(0.01) is None  # a closed subscriber answers at once
    for subscriber in (first, second):
        hub.leave(subscriber)
    assert hub.listeners(("user",)) == [other]
    assert len(hub) == 1


async def test_next_waits_for_an_event_or_times_out() -> None:
    hub = Hub()
    reader = Subscriber(token_id=None, account_id=None, scopes=frozenset())
    hub.join(reader)
    assert await reader.next(0.01) is None
    reader.deliver(EVENT)
    assert await reader.next(0.01) == EVENT
