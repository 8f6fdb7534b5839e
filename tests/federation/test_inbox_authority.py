"""Who may do what: SECURITY.md's origin and authority rules, applied after a delivery is in.

Every delivery here is properly signed and accepted (202); what is checked is what the
worker then does with it. Mallory and Eve share one server (host A); Bob is on another
(host B). Amina teaches on Kenya's instance, which receives everything. A refused
activity changes nothing, and where the rule is "fetch it from its origin" the origin's
request log shows the fetch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from fedi.db.models import (
    Account,
    Favourite,
    Follow,
    FollowRequest,
    Notification,
    ReceivedActivity,
    Status,
    StatusEdit,
    Tombstone,
)
from fedi.domain import follows, statuses
from fedi.domain.statuses import Draft
from fedi.federation.actors import resolve_account
from fedi.federation.wire import PUBLIC
from tests.federation.remote import (
    RemoteActor,
    RemoteServer,
    count,
    deliver,
    ke,
    local_teacher,
    one,
    private_key,
    public_pem,
    remote_server,
    settle,
)
from tests.servers import Instance

__all__ = ["ke"]


@pytest.fixture
async def host_a() -> AsyncIterator[RemoteServer]:
    async with remote_server() as server:
        yield server


@pytest.fixture
async def host_b() -> AsyncIterator[RemoteServer]:
    async with remote_server() as server:
        yield server


@pytest.fixture
def mallory(host_a: RemoteServer) -> RemoteActor:
    return host_a.actor("mallory")


@pytest.fixture
def eve(host_a: RemoteServer) -> RemoteActor:
    return host_a.actor("eve")


@pytest.fixture
def bob(host_b: RemoteServer) -> RemoteActor:
    return host_b.actor("bob")


async def accepted(ke: Instance, activity: dict[str, Any], signer: RemoteActor) -> None:
    """Deliver, expect 202, and wait for the worker to have processed it."""
    answer = await deliver(ke, activity, signer=signer)
    assert answer.status_code == 202, answer.text
    await settle(ke)


async def posted(ke: Instance, author: RemoteActor, text: str) -> dict[str, Any]:
    """A note by ``author``, published on its server and delivered to us."""
    note = author.note(text)
    author.server.publish(note)
    await accepted(ke, author.create(note), author)
    assert await one(ke, Status, Status.uri == note["id"]) is not None
    return note


async def status(ke: Instance, uri: str) -> Status | None:
    found: Status | None = await one(ke, Status, Status.uri == uri)
    return found


# -- notes change and go only by their author ------------------------------------------------


async def test_an_update_of_a_note_by_someone_else_is_not_applied(
    ke: Instance, mallory: RemoteActor, eve: RemoteActor
) -> None:
    note = await posted(ke, mallory, "My lesson plan")

    # Eve embeds Mallory's note with new content: not hers, so it is fetched from its origin,
    # which says Mallory wrote it.
    forged = {**note, "content": "<p>Eve's version</p>"}
    gets_before = mallory.server.gets(note["id"])
    await accepted(ke, eve.wrap("Update", forged), eve)
    assert mallory.server.gets(note["id"]) == gets_before + 1
    # Eve claims the note as her own: the stored post is still Mallory's.
    await accepted(ke, eve.wrap("Update", {**forged, "attributedTo": eve.uri}), eve)

    stored = await status(ke, note["id"])
    assert stored is not None
    assert "My lesson plan" in stored.content
    assert stored.edited_at is None
    assert await count(ke, StatusEdit) == 0

    # Mallory herself may edit it.
    edited = {**note, "content": "<p>My revised lesson plan</p>"}
    await accepted(ke, mallory.wrap("Update", edited), mallory)
    stored = await status(ke, note["id"])
    assert stored is not None
    assert "revised" in stored.content


async def test_a_delete_of_a_note_on_another_server_is_refused(
    ke: Instance, mallory: RemoteActor, bob: RemoteActor
) -> None:
    note = await posted(ke, bob, "Bob's worksheet")
    await accepted(ke, mallory.wrap("Delete", {"id": note["id"], "type": "Tombstone"}), mallory)
    assert await status(ke, note["id"]) is not None
    assert await count(ke, Tombstone) == 0

    # Nor can she tombstone a post of Bob's before it reaches us.
    later = bob.note("Bob's next worksheet")
    bob.server.publish(later)
    await accepted(ke, mallory.wrap("Delete", later["id"]), mallory)
    await accepted(ke, bob.create(later), bob)
    assert await status(ke, later["id"]) is not None
    assert await count(ke, Tombstone) == 0


async def test_a_delete_of_someone_elses_note_does_not_delete_it(
    ke: Instance, mallory: RemoteActor, eve: RemoteActor
) -> None:
    note = await posted(ke, mallory, "Mallory's notes")
    await accepted(ke, eve.wrap("Delete", {"id": note["id"], "type": "Tombstone"}), eve)
    assert await status(ke, note["id"]) is not None
    assert await count(ke, Tombstone, Tombstone.uri == note["id"]) == 0

    # Eve, on the same server, tombstones a post of Mallory's before it arrives: the post,
    # when it comes, is still stored.
    later = mallory.note("Mallory's next notes")
    await accepted(ke, eve.wrap("Delete", later["id"]), eve)
    await accepted(ke, mallory.create(later), mallory)
    assert await status(ke, later["id"]) is not None

    # Mallory herself deletes hers, and a tombstone stays.
    await accepted(ke, mallory.wrap("Delete", {"id": note["id"], "type": "Tombstone"}), mallory)
    assert await status(ke, note["id"]) is None
    assert await count(ke, Tombstone, Tombstone.uri == note["id"]) == 1


async def test_a_create_arriving_after_its_delete_stays_deleted(
    ke: Instance, mallory: RemoteActor
) -> None:
    note = mallory.note("posted and deleted at once")
    await accepted(ke, mallory.wrap("Delete", {"id": note["id"], "type": "Tombstone"}), mallory)
    await accepted(ke, mallory.create(note), mallory)
    assert await status(ke, note["id"]) is None
    assert await count(ke, Tombstone, Tombstone.uri == note["id"]) == 1


async def test_an_update_overtaking_its_create_keeps_the_latest_version(
    ke: Instance, mallory: RemoteActor
) -> None:
    first = mallory.note("first draft")
    latest = {**first, "content": "<p>final version</p>", "updated": "2024-05-06T08:00:00Z"}
    await accepted(ke, mallory.wrap("Update", latest), mallory)
    await accepted(ke, mallory.create(first), mallory)
    stored = await status(ke, first["id"])
    assert stored is not None
    assert "final version" in stored.content
    assert await count(ke, Status) == 1


# -- actors update only themselves, never their key -------------------------------------------


async def test_an_update_of_another_actor_is_refused(
    ke: Instance, mallory: RemoteActor, eve: RemoteActor
) -> None:
    await posted(ke, eve, "hello")  # Kenya knows Eve
    hijack = {**eve.document(), "name": "Eve (hacked)", "inbox": mallory.inbox}
    await accepted(ke, mallory.wrap("Update", hijack), mallory)
    stored = await one(ke, Account, Account.uri == eve.uri)
    assert stored.display_name == "Eve"
    assert stored.inbox_url == eve.inbox


async def test_an_update_of_oneself_never_replaces_the_key(
    ke: Instance, host_a: RemoteServer, mallory: RemoteActor
) -> None:
    await posted(ke, mallory, "hello")
    original_pem = mallory.document()["publicKey"]["publicKeyPem"]
    new_key = private_key("mallory-rotated")
    profile = mallory.document()
    profile["name"] = "Mallory M."
    profile["publicKey"] = {**profile["publicKey"], "publicKeyPem": public_pem(new_key)}
    await accepted(ke, mallory.wrap("Update", profile), mallory)

    stored = await one(ke, Account, Account.uri == mallory.uri)
    assert stored.display_name == "Mallory M."  # the profile changed…
    assert stored.public_key_pem == original_pem  # …the key did not
    assert stored.public_key_id == mallory.key_id

    # A delivery signed with the key from the payload: her server still publishes the old
    # one, so it fails even after refetching.
    create = mallory.create(mallory.note("signed with the payload's key"))
    answer = await deliver(ke, create, signer=mallory, key=new_key)
    assert answer.status_code == 401
    assert await count(ke, ReceivedActivity, ReceivedActivity.uri == create["id"]) == 0


async def test_an_announce_whose_actor_is_not_the_signer_is_401(
    ke: Instance, mallory: RemoteActor, eve: RemoteActor, bob: RemoteActor
) -> None:
    note = await posted(ke, bob, "worth sharing")
    boost = eve.wrap("Announce", note["id"], to=[PUBLIC])
    answer = await deliver(ke, boost, signer=mallory)
    assert answer.status_code == 401
    assert await count(ke, ReceivedActivity, ReceivedActivity.uri == boost["id"]) == 0
    assert await count(ke, Status) == 1  # only Bob's note; no boost


async def test_an_accept_from_someone_other_than_the_target_is_not_applied(
    ke: Instance, host_a: RemoteServer, mallory: RemoteActor, eve: RemoteActor
) -> None:
    amina = await local_teacher(ke, "amina")
    federation = ke.state.federation
    assert federation is not None
    async with ke.state.sessions() as session, session.begin():
        target = await resolve_account(federation, session, mallory.uri)
        follower = await session.get(Account, amina.id)
        assert follower is not None
        request = await follows.follow(session, follower, target)
        follow_uri = request.uri
    follow = {"id": follow_uri, "type": "Follow", "actor": amina.uri, "object": mallory.uri}

    for verb in ("Accept", "Reject"):
        await accepted(ke, eve.wrap(verb, follow), eve)
        assert await count(ke, FollowRequest) == 1
        assert await count(ke, Follow) == 0

    await accepted(ke, mallory.wrap("Accept", follow), mallory)
    assert await count(ke, FollowRequest) == 0
    assert await count(ke, Follow, Follow.account_id == amina.id) == 1


# -- replays are no-ops, never toggles ----------------------------------------------------------


async def _favourites(ke: Instance, status_id: int) -> tuple[int, int, int]:
    row = await one(ke, Status, Status.id == status_id)
    return (
        await count(ke, Favourite),
        row.favourites_count,
        await count(ke, Notification, Notification.type == "favourite"),
    )


async def test_replayed_likes_follows_and_undos_never_toggle(
    ke: Instance, mallory: RemoteActor, eve: RemoteActor
) -> None:
    amina = await local_teacher(ke, "amina")
    async with ke.state.sessions() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        post = await statuses.post(session, ke.state.site, author, Draft(text="Fractions!"))

    like = mallory.wrap("Like", post.uri)
    await accepted(ke, like, mallory)
    assert await _favourites(ke, post.id) == (1, 1, 1)
    await accepted(ke, like, mallory)  # the same delivery again
    await accepted(ke, mallory.wrap("Like", post.uri), mallory)  # the same like, a new id
    assert await _favourites(ke, post.id) == (1, 1, 1)

    await accepted(ke, eve.wrap("Undo", like), eve)  # not Eve's like to undo
    assert await _favourites(ke, post.id) == (1, 1, 1)
    await accepted(ke, mallory.wrap("Undo", like), mallory)
    assert await _favourites(ke, post.id) == (0, 0, 0)
    await accepted(ke, mallory.wrap("Undo", like), mallory)  # undone twice: still undone
    assert await _favourites(ke, post.id) == (0, 0, 0)

    follow = mallory.wrap("Follow", amina.uri)
    await accepted(ke, follow, mallory)
    await accepted(ke, mallory.wrap("Follow", amina.uri), mallory)
    assert await count(ke, Follow) == 1
    assert (await one(ke, Account, Account.id == amina.id)).followers_count == 1
    for _ in range(2):
        await accepted(ke, mallory.wrap("Undo", follow), mallory)
        assert await count(ke, Follow) == 0
        assert (await one(ke, Account, Account.id == amina.id)).followers_count == 0


# -- embedded objects are trusted only from their author's own server -------------------------


async def test_an_embedded_note_by_someone_else_is_fetched_from_its_origin(
    ke: Instance, host_a: RemoteServer, mallory: RemoteActor, eve: RemoteActor
) -> None:
    real = eve.note("Eve's real words")
    host_a.publish(real)
    forged = {**real, "content": "<p>words Eve never wrote</p>"}
    await accepted(ke, mallory.create(forged), mallory)
    assert host_a.gets(real["id"]) == 1
    assert await count(ke, Status) == 0


@pytest.mark.parametrize("origin_says", ["bob", "mallory"])
async def test_an_embedded_note_on_another_server_is_fetched_and_not_trusted(
    ke: Instance, host_b: RemoteServer, mallory: RemoteActor, bob: RemoteActor, origin_says: str
) -> None:
    real = bob.note("Bob's real words")
    if origin_says == "mallory":
        # Host B even vouches for Mallory: a note on B is still not hers to create from A.
        real["attributedTo"] = mallory.uri
    host_b.publish(real)
    forged = {**real, "attributedTo": mallory.uri, "content": "<p>forged</p>"}
    await accepted(ke, mallory.create(forged), mallory)
    assert host_b.gets(real["id"]) == 1
    assert await count(ke, Status) == 0


async def test_a_note_given_by_reference_is_fetched_from_its_origin(
    ke: Instance, host_a: RemoteServer, mallory: RemoteActor
) -> None:
    note = mallory.note("fetched, not embedded")
    host_a.publish(note)
    await accepted(ke, mallory.create(note["id"]), mallory)
    # verify() and receive() each resolve the note: one fetch apiece, nothing cached between.
    assert host_a.gets(note["id"]) >= 1
    stored = await status(ke, note["id"])
    assert stored is not None
    assert "fetched, not embedded" in stored.content


async def test_an_announce_fetches_the_boosted_note_rather_than_trusting_it(
    ke: Instance, host_b: RemoteServer, mallory: RemoteActor, bob: RemoteActor
) -> None:
    real = bob.note("Bob's real words")
    host_b.publish(real)
    forged = {**real, "content": "<p>forged by the booster</p>"}
    await accepted(ke, mallory.wrap("Announce", forged, to=[PUBLIC]), mallory)
    assert host_b.gets(real["id"]) == 1
    original = await status(ke, real["id"])
    assert original is not None
    assert "Bob's real words" in original.content
    async with ke.state.sessions() as session:
        boost = await session.scalar(select(Status).where(Status.reblog_of_id == original.id))
    assert boost is not None
