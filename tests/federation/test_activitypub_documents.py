"""A peer reads our teachers and their posts as ActivityPub documents, over real HTTP.

Amina teaches maths on ke; Baraka answers her question; their documents must be what
Mastodon and the rest expect (and what our own wire models read back).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fedi.api.negotiation import prefers_activity_json
from fedi.db.base import utcnow
from fedi.db.engine import session_factory
from fedi.db.models import Account, TeacherProfile
from fedi.domain.interactions import reblog
from fedi.domain.profiles import ProfileUpdate, update_profile
from fedi.domain.site import Site
from fedi.federation.wire import PUBLIC, Actor, Note
from tests.conftest import Database
from tests.factories import befriend, remote_teacher, say, teacher
from tests.servers import Instance, free_port, serve, write_instance

AP = {"Accept": "application/activity+json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
AP_CONTENT_TYPE = "application/activity+json; charset=utf-8"


def _varies_on_accept(vary: str) -> bool:
    # The gzip middleware may add Accept-Encoding beside it.
    return "accept" in {part.strip().lower() for part in vary.split(",")}


@pytest.fixture
async def ke(database: Database, tmp_path: Path) -> AsyncIterator[Instance]:
    port = free_port()
    config = write_instance(tmp_path, code="ke", port=port, database_url=database.url)
    async with serve(config) as instance:
        yield instance


@dataclass
class Staffroom:
    amina: int
    baraka: int
    question: int
    answer: int
    unlisted: int
    private: int
    direct: int
    boost: int


async def _staffroom(database: Database, instance: Instance) -> Staffroom:
    site = Site.from_config(instance.config)
    async with session_factory(database.engine)() as session, session.begin():
        amina = await teacher(session, "amina", site=site)
        baraka = await teacher(session, "baraka", site=site, locked=True)
        profile = await session.get(TeacherProfile, amina.id)
        assert profile is not None
        await update_profile(
            session,
            site,
            amina,
            profile,
            ProfileUpdate(school="Kibera Primary", subjects=["Maths", "Science"]),
        )
        question = await say(
            session, amina, "How do you teach fractions? #maths", site=site, language="en"
        )
        answer = await say(
            session,
            baraka,
            "@amina With paper strips",
            site=site,
            language="en",
            in_reply_to_id=question,
        )
        unlisted = await say(
            session, amina, "Staff meeting moved", site=site, visibility="unlisted"
        )
        private = await say(session, amina, "Followers only", site=site, visibility="private")
        direct = await say(session, amina, "@baraka psst", site=site, visibility="direct")
        boost = await reblog(session, site, amina, answer)
        return Staffroom(amina.id, baraka.id, question, answer, unlisted, private, direct, boost.id)


@pytest.mark.parametrize(
    ("accept", "peer"),
    [
        ("application/activity+json", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        ("application/json", True),
        ("Application/Activity+JSON", True),
        ("application/activity+json, text/html", True),
        ("text/html, application/activity+json;q=0.9", False),
        ("application/activity+json;q=0", False),
        (BROWSER["Accept"], False),
        ("*/*", False),
        ("", False),
    ],
)
def test_which_accept_headers_ask_for_activitypub(accept: str, peer: bool) -> None:
    assert prefers_activity_json(accept) is peer


@pytest.mark.parametrize(
    "accept",
    [
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/ld+json",
        "application/json",
        "text/html;q=0.5, application/activity+json",
    ],
)
async def test_a_peer_reads_a_teachers_actor(ke: Instance, database: Database, accept: str) -> None:
    await _staffroom(database, ke)
    response = await ke.client.get("/users/amina", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == AP_CONTENT_TYPE
    assert _varies_on_accept(response.headers["vary"])
    document = response.json()
    assert "https://www.w3.org/ns/activitystreams" in document["@context"]
    actor = Actor.model_validate(document)
    uri = f"{ke.url}/users/amina"
    assert actor.id == uri
    assert actor.type == "Person"
    assert actor.preferred_username == "amina"
    assert actor.name == "Amina"
    assert actor.url == f"{ke.url}/@amina"
    assert actor.inbox == f"{uri}/inbox"
    assert actor.outbox == f"{uri}/outbox"
    assert actor.followers == f"{uri}/followers"
    assert actor.following == f"{uri}/following"
    assert actor.featured == f"{uri}/collections/featured"
    assert actor.endpoints is not None
    assert actor.endpoints.shared_inbox == f"{ke.url}/inbox"
    assert actor.public_key is not None
    assert actor.public_key.id == f"{uri}#main-key"
    assert actor.public_key.owner == uri
    assert actor.public_key.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert actor.webfinger == f"acct:amina@{ke.config.domain}"
    assert actor.manually_approves_followers is False
    assert {(f.name, f.value) for f in actor.attachment} == {
        ("School", "Kibera Primary"),
        ("Subjects", "Maths, Science"),
    }
    assert all(f.type == "PropertyValue" for f in actor.attachment)


async def test_a_locked_teacher_approves_followers(ke: Instance, database: Database) -> None:
    await _staffroom(database, ke)
    actor = Actor.model_validate((await ke.client.get("/users/baraka", headers=AP)).json())
    assert actor.manually_approves_followers is True
    assert actor.attachment == []


@pytest.mark.parametrize("headers", [BROWSER, {}, {"Accept": "*/*"}])
async def test_a_browser_is_sent_to_the_profile_page(
    ke: Instance, database: Database, headers: dict[str, str]
) -> None:
    await _staffroom(database, ke)
    response = await ke.client.get("/users/amina", headers=headers)
    assert response.status_code == 302
    assert response.headers["location"] == f"{ke.url}/@amina"
    assert _varies_on_accept(response.headers["vary"])


async def test_the_profile_url_serves_the_actor_to_peers_and_the_page_to_people(
    ke: Instance, database: Database
) -> None:
    await _staffroom(database, ke)
    as_peer = await ke.client.get("/@amina", headers=AP)
    assert as_peer.status_code == 200
    assert as_peer.headers["content-type"] == AP_CONTENT_TYPE
    assert as_peer.json()["id"] == f"{ke.url}/users/amina"
    as_person = await ke.client.get("/@amina", headers=BROWSER)
    assert as_person.status_code == 200
    assert as_person.headers["content-type"].startswith("text/html")


async def test_unknown_and_suspended_teachers(ke: Instance, database: Database) -> None:
    ids = await _staffroom(database, ke)
    unknown = await ke.client.get("/users/nobody", headers=AP)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "Record not found"}
    for_a_person = await ke.client.get("/users/nobody", headers=BROWSER)
    assert for_a_person.status_code == 404
    assert for_a_person.headers["content-type"].startswith("text/html")
    # The instance actor lives at /actor, never as a teacher.
    await ke.client.get("/actor")
    assert (await ke.client.get("/users/actor", headers=AP)).status_code == 404

    async with session_factory(database.engine)() as session, session.begin():
        account = await session.get(Account, ids.baraka)
        assert account is not None
        account.suspended_at = utcnow()
    for path in ("/users/baraka", f"/users/baraka/statuses/{ids.answer}", "/users/baraka/outbox"):
        assert (await ke.client.get(path, headers=AP)).status_code == 410, path
    webfinger = await ke.client.get(
        "/.well-known/webfinger", params={"resource": f"acct:baraka@{ke.config.domain}"}
    )
    assert webfinger.status_code == 410


async def test_a_public_reply_as_a_note(ke: Instance, database: Database) -> None:
    ids = await _staffroom(database, ke)
    uri = f"{ke.url}/users/baraka/statuses/{ids.answer}"
    response = await ke.client.get(f"/users/baraka/statuses/{ids.answer}", headers=AP)
    assert response.status_code == 200
    assert response.headers["content-type"] == AP_CONTENT_TYPE
    assert _varies_on_accept(response.headers["vary"])
    document = response.json()
    assert "@context" in document
    note = Note.model_validate(document)
    amina, baraka = f"{ke.url}/users/amina", f"{ke.url}/users/baraka"
    assert note.id == uri
    assert note.attributed_to == baraka
    assert note.url == f"{ke.url}/@baraka/{ids.answer}"
    assert note.in_reply_to == f"{amina}/statuses/{ids.question}"
    assert "With paper strips" in (note.content or "")
    assert note.content_map == {"en": note.content}
    assert note.to == [PUBLIC]
    assert note.cc == [f"{baraka}/followers", amina]
    assert [(t.type, t.href, t.name) for t in note.tag] == [
        ("Mention", amina, f"@amina@{ke.config.domain}")
    ]
    assert note.published is not None
    assert note.published.endswith("Z")

    question = Note.model_validate(
        (await ke.client.get(f"/users/amina/statuses/{ids.question}", headers=AP)).json()
    )
    assert question.in_reply_to is None
    assert [(t.type, t.href, t.name) for t in question.tag] == [
        ("Hashtag", f"{ke.url}/tags/maths", "#maths")
    ]


async def test_an_unlisted_post_is_addressed_to_followers(ke: Instance, database: Database) -> None:
    ids = await _staffroom(database, ke)
    document = (await ke.client.get(f"/users/amina/statuses/{ids.unlisted}", headers=AP)).json()
    note = Note.model_validate(document)
    assert note.to == [f"{ke.url}/users/amina/followers"]
    assert note.cc == [PUBLIC]
    # No language given: the detected one is claimed, with the original first.
    assert document["contentMap"] == {"en": document["content"]}


@pytest.mark.parametrize(
    "which", ["private", "direct", "unknown", "not-a-number", "huge", "other-author", "boost"]
)
async def test_hidden_posts_answer_the_same_404(
    ke: Instance, database: Database, which: str
) -> None:
    ids = await _staffroom(database, ke)
    path = {
        "private": f"/users/amina/statuses/{ids.private}",
        "direct": f"/users/amina/statuses/{ids.direct}",
        "unknown": "/users/amina/statuses/12345",
        "not-a-number": "/users/amina/statuses/abc",
        "huge": f"/users/amina/statuses/{2**64}",
        "other-author": f"/users/amina/statuses/{ids.answer}",
        "boost": f"/users/amina/statuses/{ids.boost}",
    }[which]
    for suffix in ("", "/activity") if which != "boost" else ("",):
        response = await ke.client.get(path + suffix, headers=AP)
        assert response.status_code == 404, path + suffix
        assert response.json() == {"error": "Record not found"}


async def test_a_browser_is_sent_to_the_post_page(ke: Instance, database: Database) -> None:
    ids = await _staffroom(database, ke)
    response = await ke.client.get(f"/users/amina/statuses/{ids.question}", headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["location"] == f"{ke.url}/@amina/{ids.question}"
    # The post page's URL serves the Note to a peer.
    as_peer = await ke.client.get(f"/@amina/{ids.question}", headers=AP)
    assert as_peer.json()["id"] == f"{ke.url}/users/amina/statuses/{ids.question}"


async def test_a_post_and_a_boost_as_their_activities(ke: Instance, database: Database) -> None:
    ids = await _staffroom(database, ke)
    base = f"{ke.url}/users/amina/statuses"
    note = (await ke.client.get(f"/users/amina/statuses/{ids.question}", headers=AP)).json()
    response = await ke.client.get(f"/users/amina/statuses/{ids.question}/activity")
    assert response.status_code == 200
    assert response.headers["content-type"] == AP_CONTENT_TYPE
    create = response.json()
    assert create["id"] == f"{base}/{ids.question}/activity"
    assert create["type"] == "Create"
    assert create["actor"] == f"{ke.url}/users/amina"
    assert create["to"] == note["to"]
    assert create["cc"] == note["cc"]
    assert create["published"] == note["published"]
    assert create["object"] == {k: v for k, v in note.items() if k != "@context"}

    boost = (await ke.client.get(f"/users/amina/statuses/{ids.boost}/activity")).json()
    assert boost["id"] == f"{base}/{ids.boost}/activity"
    assert boost["type"] == "Announce"
    assert boost["object"] == f"{ke.url}/users/baraka/statuses/{ids.answer}"
    assert boost["to"] == [PUBLIC]
    assert f"{ke.url}/users/baraka" in boost["cc"]


async def test_the_outbox_pages_through_public_posts_newest_first(
    ke: Instance, database: Database
) -> None:
    ids = await _staffroom(database, ke)
    site = Site.from_config(ke.config)
    async with session_factory(database.engine)() as session, session.begin():
        amina = await session.get(Account, ids.amina)
        assert amina is not None
        more = [await say(session, amina, f"Lesson {n}", site=site) for n in range(20)]
    outbox_url = f"{ke.url}/users/amina/outbox"
    # question, unlisted, boost and 20 lessons; never the private or direct posts.
    expected = [*reversed(more), ids.boost, ids.unlisted, ids.question]

    response = await ke.client.get("/users/amina/outbox", headers=AP)
    assert response.status_code == 200
    assert response.headers["content-type"] == AP_CONTENT_TYPE
    collection = response.json()
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 23
    assert collection["first"] == f"{outbox_url}?page=true"
    assert collection["last"] == f"{outbox_url}?min_id=0&page=true"

    first = (await ke.client.get(collection["first"])).json()
    assert first["type"] == "OrderedCollectionPage"
    assert first["partOf"] == outbox_url
    assert "prev" not in first
    assert len(first["orderedItems"]) == 20
    assert first["next"] == f"{outbox_url}?max_id={expected[19]}&page=true"
    item = first["orderedItems"][0]
    assert item["type"] == "Create"
    assert "@context" not in item
    assert "@context" not in item["object"]
    Note.model_validate(item["object"])

    second = (await ke.client.get(first["next"])).json()
    items = second["orderedItems"]
    assert [i["type"] for i in items] == ["Announce", "Create", "Create"]
    assert items[0]["object"] == f"{ke.url}/users/baraka/statuses/{ids.answer}"
    assert items[2]["object"]["id"] == f"{ke.url}/users/amina/statuses/{ids.question}"
    assert "next" not in second
    assert second["prev"] == f"{outbox_url}?min_id={expected[20]}&page=true"

    back = (await ke.client.get(second["prev"])).json()
    assert back["orderedItems"] == first["orderedItems"]
    assert back["next"] == first["next"]

    last = (await ke.client.get(collection["last"])).json()
    assert len(last["orderedItems"]) == 20
    assert last["orderedItems"][-1]["object"]["id"].endswith(f"/{ids.question}")
    assert "next" not in last
    assert "prev" in last

    for bad_cursor in ("x", str(2**64), "-1"):
        bad = await ke.client.get(
            "/users/amina/outbox", params={"page": "true", "max_id": bad_cursor}
        )
        assert bad.status_code == 422, bad_cursor


async def test_followers_and_following(ke: Instance, database: Database) -> None:
    ids = await _staffroom(database, ke)
    site = Site.from_config(ke.config)
    async with session_factory(database.engine)() as session, session.begin():
        amina = await session.get(Account, ids.amina)
        assert amina is not None
        chidi = await teacher(session, "chidi", site=site)
        fatou = await remote_teacher(session, "fatou", "sn.example")
        gone = await remote_teacher(session, "gone", "spam.example")
        await befriend(session, chidi, amina)
        await befriend(session, gone, amina)
        await befriend(session, amina, chidi)
        gone.suspended_at = utcnow()
        # A remote follow arrives accepted; amina is not locked.
        await befriend(session, fatou, amina)

    followers_url = f"{ke.url}/users/amina/followers"
    collection = (await ke.client.get("/users/amina/followers", headers=AP)).json()
    assert collection["id"] == followers_url
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 2
    page = (await ke.client.get(collection["first"])).json()
    assert page["partOf"] == followers_url
    assert page["orderedItems"] == ["https://sn.example/users/fatou", f"{ke.url}/users/chidi"]
    assert "next" not in page

    following = (await ke.client.get("/users/amina/following", headers=AP)).json()
    assert following["totalItems"] == 1
    following_page = (await ke.client.get(following["first"])).json()
    assert following_page["orderedItems"] == [f"{ke.url}/users/chidi"]


async def test_featured_posts_are_an_empty_collection(ke: Instance, database: Database) -> None:
    await _staffroom(database, ke)
    response = await ke.client.get("/users/amina/collections/featured", headers=AP)
    assert response.status_code == 200
    assert response.headers["content-type"] == AP_CONTENT_TYPE
    assert response.json() == {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{ke.url}/users/amina/collections/featured",
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    }
