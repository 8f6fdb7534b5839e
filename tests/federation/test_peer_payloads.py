"""What Mastodon, GoToSocial, Lemmy and Misskey actually send, parsed and processed.

The payloads in ``tests/fixtures/peers/`` follow each project's published examples (see the
README there) with two hosts swapped in: ``http://peer.localhost`` for the other server and
``http://home.localhost`` for us. Each is first read with our wire models; then, for a real
exchange, the peer host is rewritten to a fake server on loopback that publishes the actor
documents (with keys we hold), the home host to Kenya's running instance, and the payload is
signed, delivered, processed by the worker and read back from the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from fedi.db.models import (
    Account,
    Community,
    CommunityPost,
    Favourite,
    Follow,
    FollowRequest,
    MediaAttachment,
    Mention,
    Notification,
    Poll,
    Status,
    StatusTag,
    Tag,
    Tombstone,
)
from fedi.domain import communities, follows, statuses
from fedi.domain.polls import PollDraft
from fedi.domain.statuses import Draft
from fedi.federation.actors import ACTOR_TYPES, parse_actor, resolve_account
from fedi.federation.convert.incoming import NOTE_TYPES, parse_note
from fedi.federation.wire import PUBLIC, Activity, Note
from fedi.federation.wire import PublicKey as WirePublicKey
from tests.federation.remote import (
    KeyHolder,
    RemoteServer,
    count,
    deliver,
    delivered,
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

FIXTURES = Path(__file__).parent.parent / "fixtures" / "peers"
PEER = "http://peer.localhost"
HOME = "http://home.localhost"
AMINA_POST = f"{HOME}/users/amina/statuses/1"
AMINA_FOLLOW = f"{HOME}/users/amina#follows/FOLLOW"
PAYLOADS = sorted(FIXTURES.glob("*/*.json"))


def _raw(name: str) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((FIXTURES / name).read_bytes())
    return document


# -- every payload reads with our wire models ------------------------------------------------


def _read_activity(document: dict[str, Any]) -> Activity:
    activity = Activity.model_validate(document)
    inner = activity.object
    if isinstance(inner, dict) and inner.get("type") in NOTE_TYPES:
        assert parse_note(inner) is not None, "the embedded note does not parse"
    elif isinstance(inner, dict) and "actor" in inner:
        _read_activity(inner)  # an activity inside an activity: Undo{Like}, Announce{Create}
    elif isinstance(inner, dict) and inner.get("type") in ACTOR_TYPES:
        parse_actor(inner)
    return activity


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_payload_reads_with_our_wire_models(path: Path) -> None:
    document = _raw(f"{path.parent.name}/{path.name}")
    kind = document["type"]
    if path.stem == "main_key":
        # GoToSocial's key stub: a partial actor, read only for its key.
        key = WirePublicKey.model_validate(document["publicKey"])
        assert key.id.endswith("/main-key")
        assert key.owner == document["id"]
    elif kind in ACTOR_TYPES:
        actor = parse_actor(document)
        assert actor.public_key is not None
        assert actor.inbox.startswith(PEER)
    elif kind in NOTE_TYPES:
        assert Note.model_validate(document).attributed_to.startswith(PEER)
    else:
        activity = _read_activity(document)
        assert activity.actor.startswith(PEER)
        assert activity.object_id is not None


def test_the_shapes_that_vary_between_peers_fold_into_one() -> None:
    # GoToSocial: one address as a bare string, one tag as a bare object.
    gts = Activity.model_validate(_raw("gotosocial/create_note_followers_only.json"))
    assert gts.to == [f"{PEER}/users/baraka/followers"]
    note = parse_note(gts.object)
    assert note is not None
    assert [t.type for t in note.tag] == ["Mention"]
    # Lemmy: a Page with a title, and its community named in `audience`.
    page = parse_note(_raw("lemmy/page.json"))
    assert page is not None
    assert page.name == "Fractions with paper strips"
    assert page.audience == f"{PEER}/c/maths"
    # Misskey: the quote and the MFM source ride along, ignored; the HTML content is what counts.
    misskey = parse_note(_raw("misskey/create_note.json")["object"])
    assert misskey is not None
    assert misskey.content is not None
    assert "RE:" in misskey.content
    # Mastodon's Delete names a Tombstone: the object's id is what is deleted.
    delete = Activity.model_validate(_raw("mastodon/delete.json"))
    assert delete.object_type == "Tombstone"
    assert delete.object_id == f"{PEER}/users/claire/statuses/113306831140126616"


# -- and each is processed end to end --------------------------------------------------------


@dataclass
class Peer:
    """The fake server standing in for one peer software, with its actors published."""

    software: str
    server: RemoteServer
    home: Instance
    rewrites: dict[str, str] = field(default_factory=dict)

    def load(self, name: str) -> dict[str, Any]:
        text = (FIXTURES / self.software / name).read_text(encoding="utf-8")
        for placeholder, real in self.rewrites.items():
            text = text.replace(placeholder, real)
        text = text.replace(PEER, self.server.base).replace(HOME, self.home.url)
        document: dict[str, Any] = orjson.loads(text)
        return document

    @property
    def key(self) -> Any:
        return private_key(f"peer-{self.software}")

    def publish_actor(self, name: str) -> KeyHolder:
        """Publish an actor fixture with our public key in it; who signs as that actor."""
        document = self.load(name)
        document["publicKey"]["publicKeyPem"] = public_pem(self.key)
        self.server.publish(document)
        key_id = document["publicKey"]["id"]
        if key_id.endswith("/main-key"):
            stub = self.load("main_key.json")
            stub["publicKey"]["publicKeyPem"] = public_pem(self.key)
            self.server.publish(stub, path=key_id.removeprefix(self.server.base))
        return KeyHolder(key_id, self.key)

    async def send(self, name: str, signer: KeyHolder) -> dict[str, Any]:
        activity = self.load(name)
        answer = await deliver(self.home, activity, signer=signer)
        assert answer.status_code == 202, answer.text
        await settle(self.home)
        return activity


@pytest.fixture
async def server() -> AsyncIterator[RemoteServer]:
    async with remote_server() as fake:
        yield fake


@pytest.fixture
async def amina(ke: Instance) -> Account:
    return await local_teacher(ke, "amina")


@pytest.fixture
async def aminas_post(ke: Instance, amina: Account) -> Status:
    async with ke.state.sessions() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        return await statuses.post(
            session, ke.state.site, author, Draft(text="Fractions with paper strips!")
        )


def peer(software: str, server: RemoteServer, ke: Instance, post: Status) -> Peer:
    return Peer(software, server, ke, {AMINA_POST: post.uri})


@dataclass(frozen=True)
class Expected:
    visibility: str
    text: str
    language: str | None = None  # the peer's, or detected when it gave none
    mentions_amina: bool = False
    tags: frozenset[str] = frozenset()
    media: int = 0
    spoiler: str = ""
    sensitive: bool = False


CREATES = {
    "mastodon/create_note.json": Expected(
        "public",
        "bandes de papier",
        language="fr",
        mentions_amina=True,
        tags=frozenset({"maths"}),
        media=1,
        spoiler="Fractions (corrigé inclus)",
        sensitive=True,
    ),
    "mastodon/create_note_unlisted_reply.json": Expected(
        "unlisted", "tried it with my class", language="en", mentions_amina=True
    ),
    "mastodon/create_direct_message.json": Expected(
        "direct", "mpango wa somo", language="sw", mentions_amina=True
    ),
    "gotosocial/create_note.json": Expected(
        "public", "habari za asubuhi", language="en", tags=frozenset({"kiswahili"}), media=1
    ),
    "gotosocial/create_note_followers_only.json": Expected(
        "private", "swap worksheets", language="en", mentions_amina=True
    ),
    # Lemmy and Misskey send no language: it is detected.
    "lemmy/create_page.json": Expected("public", "Fold a strip of paper", language="en"),
    "lemmy/create_note.json": Expected(
        "public", "class of forty", language="en", mentions_amina=True
    ),
    "misskey/create_note.json": Expected(
        "public",
        "Uso as tiras de papel",
        language="pt",
        mentions_amina=True,
        tags=frozenset({"fracoes"}),
        media=1,
        spoiler="tiras de papel",
        sensitive=True,
    ),
}


async def _tags(ke: Instance, status_id: int) -> set[str]:
    async with ke.state.sessions() as session:
        names = await session.scalars(
            select(Tag.name_lower)
            .join(StatusTag, StatusTag.tag_id == Tag.id)
            .where(StatusTag.status_id == status_id)
        )
        return set(names)


@pytest.mark.parametrize("name", sorted(CREATES))
async def test_each_peers_posts_are_stored_as_they_were_meant(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status, name: str
) -> None:
    software, file = name.split("/")
    other = peer(software, server, ke, aminas_post)
    signer = other.publish_actor("person.json")
    if software == "lemmy":
        other.server.publish(other.load("page.json"))  # what the comment replies to
    create = await other.send(file, signer)
    expected = CREATES[name]

    stored = await one(ke, Status, Status.uri == create["object"]["id"])
    assert stored is not None, "the post was not stored"
    assert expected.text in stored.content
    assert stored.visibility == expected.visibility
    assert stored.language == expected.language
    assert stored.spoiler_text == expected.spoiler
    assert stored.sensitive == expected.sensitive
    assert await _tags(ke, stored.id) == expected.tags
    assert (
        await count(ke, MediaAttachment, MediaAttachment.status_id == stored.id) == expected.media
    )
    notified = await count(
        ke,
        Notification,
        Notification.account_id == amina.id,
        Notification.type == "mention",
        Notification.status_id == stored.id,
    )
    mentioned = await count(
        ke, Mention, Mention.status_id == stored.id, Mention.account_id == amina.id
    )
    assert (notified, mentioned) == ((1, 1) if expected.mentions_amina else (0, 0))

    if file == "create_note_unlisted_reply.json":
        assert stored.in_reply_to_id == aminas_post.id
    if name == "lemmy/create_note.json":
        parent = await one(ke, Status, Status.uri == f"{server.base}/post/55143")
        assert parent is not None, "the post replied to was not fetched from its origin"
        assert stored.in_reply_to_id == parent.id


async def test_hostile_html_in_a_peers_post_is_sanitised(
    ke: Instance, server: RemoteServer, aminas_post: Status
) -> None:
    mastodon = peer("mastodon", server, ke, aminas_post)
    signer = mastodon.publish_actor("person.json")
    create = mastodon.load("create_note.json")
    hostile = (
        create["object"]["content"]
        + '<script>alert("xss")</script><img src=x onerror="alert(1)">'
        + '<a href="javascript:alert(1)" onclick="alert(2)">click</a>'
    )
    create["object"]["content"] = hostile
    create["object"]["contentMap"] = {"fr": hostile}
    assert (await deliver(ke, create, signer=signer)).status_code == 202
    await settle(ke)

    stored = await one(ke, Status, Status.uri == create["object"]["id"])
    assert stored is not None
    lowered = stored.content.lower()
    for forbidden in ("<script", "onerror", "onclick", "javascript:", "<img"):
        assert forbidden not in lowered
    assert "bandes de papier" in stored.content
    assert stored.language == "fr"


# -- a conversation with each peer, in its own shapes ------------------------------------------


async def _favourites(ke: Instance, post: Status) -> int:
    row = await one(ke, Status, Status.id == post.id)
    assert row.favourites_count == await count(ke, Favourite, Favourite.status_id == post.id)
    return int(row.favourites_count)


async def test_a_mastodon_teacher_follows_likes_boosts_edits_and_leaves(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status
) -> None:
    mastodon = peer("mastodon", server, ke, aminas_post)
    claire = mastodon.publish_actor("person.json")

    follow = await mastodon.send("follow.json", claire)
    assert await count(ke, Follow, Follow.account_id != amina.id) == 1
    accept = await delivered(ke, server, "Accept")
    assert accept["object"]["id"] == follow["id"]

    await mastodon.send("like.json", claire)
    assert await _favourites(ke, aminas_post) == 1
    await mastodon.send("undo_like.json", claire)
    assert await _favourites(ke, aminas_post) == 0

    await mastodon.send("announce.json", claire)
    assert (await one(ke, Status, Status.id == aminas_post.id)).reblogs_count == 1

    await mastodon.send("update_person.json", claire)
    account = await one(ke, Account, Account.uri == f"{server.base}/users/claire")
    assert account.display_name == "Claire Diop (Lycée Blaise Diagne)"

    create = await mastodon.send("create_note.json", claire)
    await mastodon.send("delete.json", claire)
    assert await one(ke, Status, Status.uri == create["object"]["id"]) is None
    assert await count(ke, Tombstone, Tombstone.uri == create["object"]["id"]) == 1

    await mastodon.send("undo_follow.json", claire)
    assert await count(ke, Follow) == 0


async def test_a_gotosocial_teacher_signs_with_a_main_key_path(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status
) -> None:
    gts = peer("gotosocial", server, ke, aminas_post)
    baraka = gts.publish_actor("person.json")  # keyId …/users/baraka/main-key, a stub there

    await gts.send("follow.json", baraka)
    assert await count(ke, Follow) == 1
    account = await one(ke, Account, Account.uri == f"{server.base}/users/baraka")
    assert account.public_key_id == f"{server.base}/users/baraka/main-key"

    await gts.send("like.json", baraka)
    assert await _favourites(ke, aminas_post) == 1

    create = await gts.send("create_note.json", baraka)
    assert await one(ke, Status, Status.uri == create["object"]["id"]) is not None
    await gts.send("delete.json", baraka)
    assert await one(ke, Status, Status.uri == create["object"]["id"]) is None


async def test_a_lemmy_community_accepts_amina_and_its_members_talk_to_her(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status
) -> None:
    lemmy = peer("lemmy", server, ke, aminas_post)
    wanjiru = lemmy.publish_actor("person.json")
    community = lemmy.publish_actor("group.json")

    # Amina asks to join the maths community; Lemmy's Accept names our Follow.
    federation = ke.state.federation
    assert federation is not None
    async with ke.state.sessions() as session, session.begin():
        group = await resolve_account(federation, session, f"{server.base}/c/maths")
        assert group.actor_type == "Group"
        # Stored as a community, with what its Group document says.
        described = await session.get(Community, group.id)
        assert described is not None
        assert described.moderators_url == f"{server.base}/c/maths/moderators"
        assert described.posting_policy == "anyone"
        follower = await session.get(Account, amina.id)
        assert follower is not None
        request = await follows.follow(session, follower, group)
    assert isinstance(request, FollowRequest)
    lemmy.rewrites[AMINA_FOLLOW] = request.uri
    await lemmy.send("accept.json", community)
    assert await count(ke, FollowRequest) == 0
    assert await count(ke, Follow, Follow.account_id == amina.id) == 1

    await lemmy.send("like_note.json", wanjiru)
    assert await _favourites(ke, aminas_post) == 1
    await lemmy.send("undo_like_note.json", wanjiru)
    assert await _favourites(ke, aminas_post) == 0

    create = await lemmy.send("create_page.json", wanjiru)
    page_id = create["object"]["id"]
    assert await one(ke, Status, Status.uri == page_id) is not None
    await lemmy.send("delete_page.json", wanjiru)
    assert await one(ke, Status, Status.uri == page_id) is None


async def test_a_lemmy_community_announcing_a_post_delivers_it(
    ke: Instance, server: RemoteServer, aminas_post: Status
) -> None:
    lemmy = peer("lemmy", server, ke, aminas_post)
    lemmy.publish_actor("person.json")
    community = lemmy.publish_actor("group.json")
    server.publish(lemmy.load("page.json"))
    announce = await lemmy.send("announce_create_page.json", community)
    page_id = announce["object"]["object"]["id"]
    page = await one(ke, Status, Status.uri == page_id)
    assert page is not None
    # Filed under the Lemmy community, with the thread's title.
    filed = await one(ke, CommunityPost, CommunityPost.status_id == page.id)
    assert filed.title == "Fractions with paper strips"
    group = await one(ke, Account, Account.id == filed.community_id)
    assert group.uri == f"{server.base}/c/maths"


async def test_a_lemmy_user_joins_our_community_and_posts_a_thread_in_it(
    ke: Instance, server: RemoteServer, aminas_post: Status
) -> None:
    lemmy = peer("lemmy", server, ke, aminas_post)
    wanjiru = lemmy.publish_actor("person.json")
    async with ke.state.sessions() as session, session.begin():
        view = await communities.create(
            session, ke.state.site, communities.Settings(name="maths"), creator=None
        )
        group_id = view.account.id

    await lemmy.send("follow_home_community.json", wanjiru)
    accept = await delivered(ke, server, "Accept")
    assert accept["actor"] == f"{ke.url}/users/maths"
    assert await count(ke, Follow, Follow.target_account_id == group_id) == 1

    create = await lemmy.send("create_page_home_community.json", wanjiru)
    page = await one(ke, Status, Status.uri == create["object"]["id"])
    assert page is not None
    filed = await one(ke, CommunityPost, CommunityPost.status_id == page.id)
    assert (filed.community_id, filed.title) == (group_id, "Cutting fractions from a paper plate")

    # The Group relays Lemmy's Create unchanged (and boosts the post, for Mastodon).
    await delivered(ke, server, "Announce")

    def relayed() -> list[dict[str, Any]]:
        return [
            a
            for a in server.deliveries()
            if a.get("type") == "Announce" and isinstance(a.get("object"), dict)
        ]

    worker = ke.state.worker
    assert worker is not None
    deadline = asyncio.get_running_loop().time() + 10
    while not relayed():
        assert asyncio.get_running_loop().time() < deadline, "no Announce{Create} in time"
        worker.wake()
        await asyncio.sleep(0.02)
    wrapped = relayed()[0]
    assert wrapped["actor"] == f"{ke.url}/users/maths"
    assert wrapped["object"]["id"] == create["id"]
    assert wrapped["object"]["object"]["name"] == "Cutting fractions from a paper plate"


async def test_a_misskey_teacher_reacts_updates_and_deletes(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status
) -> None:
    misskey = peer("misskey", server, ke, aminas_post)
    tomas = misskey.publish_actor("person.json")

    await misskey.send("follow.json", tomas)
    assert await count(ke, Follow) == 1

    # A reaction arrives as a Like with the emoji in `content` (and `_misskey_reaction`).
    await misskey.send("like.json", tomas)
    assert await _favourites(ke, aminas_post) == 1
    await misskey.send("undo_like.json", tomas)
    assert await _favourites(ke, aminas_post) == 0

    await misskey.send("update_person.json", tomas)
    account = await one(ke, Account, Account.uri == f"{server.base}/users/9kq3x7b2aa")
    assert account.display_name == "Tomás 🧮📐"
    assert account.username == "tomas"

    create = await misskey.send("create_note.json", tomas)
    note = await one(ke, Status, Status.uri == create["object"]["id"])
    assert note is not None
    assert PUBLIC in create["object"]["to"]
    await misskey.send("delete.json", tomas)
    assert await one(ke, Status, Status.uri == create["object"]["id"]) is None


async def test_a_mastodon_poll_and_a_mastodon_vote(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status
) -> None:
    mastodon = peer("mastodon", server, ke, aminas_post)
    claire = mastodon.publish_actor("person.json")

    # Claire's Question is stored with its poll; her Update brings new counts, no edit.
    create = await mastodon.send("create_question.json", claire)
    stored = await one(ke, Status, Status.uri == create["object"]["id"])
    assert stored is not None
    assert stored.has_poll
    poll = await one(ke, Poll, Poll.id == stored.id)
    assert poll.options == ["Syllabique", "Globale"]
    assert poll.counts() == [2, 1]
    assert poll.voters_count == 3
    assert not poll.multiple
    assert poll.expires_at is not None
    assert poll.expires_at.year == 2099
    await mastodon.send("update_question.json", claire)
    poll = await one(ke, Poll, Poll.id == stored.id)
    assert poll.counts() == [3, 2]
    assert poll.voters_count == 5
    assert (await one(ke, Status, Status.id == stored.id)).edited_at is None

    # Claire votes on Amina's poll the way Mastodon does: counted, not a reply.
    async with ke.state.sessions() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        question = await statuses.post(
            session,
            ke.state.site,
            author,
            Draft(
                text="Which reading method works in your class?",
                poll=PollDraft(("Phonics", "Whole language", "Shared reading"), 3600),
            ),
        )
    await peer("mastodon", server, ke, question).send("create_vote.json", claire)
    counted = await one(ke, Poll, Poll.id == question.id)
    assert counted.counts() == [0, 0, 1]
    assert counted.voters_count == 1
    assert await count(ke, Status, Status.in_reply_to_id == question.id) == 0
