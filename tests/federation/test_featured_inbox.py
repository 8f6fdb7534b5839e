"""Add and Remove from remote actors: only an actor's own post, added to its own featured
collection (as Mastodon federates pins), is recorded as a pin; anything else is dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from fedi.db.models import Account, Status, StatusPin
from tests.federation.remote import (
    RemoteActor,
    RemoteServer,
    count,
    deliver,
    ke,
    one,
    remote_server,
    settle,
)
from tests.servers import Instance

__all__ = ["ke"]


@pytest.fixture
async def host() -> AsyncIterator[RemoteServer]:
    async with remote_server() as server:
        yield server


def _featuring(server: RemoteServer, username: str) -> RemoteActor:
    return server.actor(username, featured=server.url(f"/users/{username}/collections/featured"))


async def _accepted(ke: Instance, activity: dict[str, Any], signer: RemoteActor) -> None:
    answer = await deliver(ke, activity, signer=signer)
    assert answer.status_code == 202, answer.text
    await settle(ke)


async def _pins(ke: Instance, uri: str) -> int:
    status: Status | None = await one(ke, Status, Status.uri == uri)
    assert status is not None
    return await count(ke, StatusPin, StatusPin.status_id == status.id)


async def test_a_remote_pin_is_recorded_and_removed(ke: Instance, host: RemoteServer) -> None:
    mallory = _featuring(host, "mallory")
    eve = _featuring(host, "eve")
    featured = mallory.extra["featured"]
    note = mallory.note("My best worksheet")
    host.publish(note)
    await _accepted(ke, mallory.create(note), mallory)

    # Added elsewhere than her featured collection: not a pin.
    await _accepted(ke, mallory.wrap("Add", note["id"], target=mallory.followers), mallory)
    assert await _pins(ke, note["id"]) == 0
    # Eve features Mallory's post in her own collection: not hers to feature.
    await _accepted(ke, eve.wrap("Add", note["id"], target=eve.extra["featured"]), eve)
    assert await _pins(ke, note["id"]) == 0
    # Eve adds to Mallory's collection: not her collection.
    await _accepted(ke, eve.wrap("Add", note["id"], target=featured), eve)
    assert await _pins(ke, note["id"]) == 0

    await _accepted(ke, mallory.wrap("Add", note["id"], target=featured), mallory)
    assert await _pins(ke, note["id"]) == 1
    author: Account | None = await one(ke, Account, Account.uri == mallory.uri)
    assert author is not None
    assert author.featured_url == featured
    pin: StatusPin | None = await one(ke, StatusPin, StatusPin.account_id == author.id)
    assert pin is not None

    # Eve cannot remove it; Mallory can.
    await _accepted(ke, eve.wrap("Remove", note["id"], target=featured), eve)
    assert await _pins(ke, note["id"]) == 1
    await _accepted(ke, mallory.wrap("Remove", note["id"], target=featured), mallory)
    assert await _pins(ke, note["id"]) == 0


async def test_a_pinned_post_not_seen_before_is_fetched(ke: Instance, host: RemoteServer) -> None:
    mallory = _featuring(host, "mallory")
    note = mallory.note("Pinned before we ever met")
    host.publish(note)
    await _accepted(ke, mallory.wrap("Add", note["id"], target=mallory.extra["featured"]), mallory)
    assert host.gets(note["id"]) == 1
    assert await _pins(ke, note["id"]) == 1
