"""Another server finds our teachers and our instance: WebFinger, host-meta and NodeInfo.

Everything here goes over real HTTP to a real instance, as a peer's first requests would.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fedi import __version__
from fedi.db.engine import session_factory
from fedi.domain.interactions import reblog
from fedi.domain.site import Site
from fedi.federation.wire import Actor
from tests.conftest import Database
from tests.factories import say, teacher
from tests.servers import Instance, free_port, serve, write_instance

AP = {"Accept": "application/activity+json"}
SERVICE = "https://www.w3.org/ns/activitystreams#Service"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
NODEINFO = "http://nodeinfo.diaspora.software/ns/schema/"


@asynccontextmanager
async def _instance(database: Database, tmp_path: Path, extra: str = "") -> AsyncIterator[Instance]:
    port = free_port()
    config = write_instance(tmp_path, code="ke", port=port, database_url=database.url, extra=extra)
    async with serve(config) as instance:
        yield instance


@pytest.fixture
async def ke(database: Database, tmp_path: Path) -> AsyncIterator[Instance]:
    async with _instance(database, tmp_path) as instance:
        yield instance


def _site(instance: Instance) -> Site:
    return Site.from_config(instance.config)


async def _amina(database: Database, instance: Instance) -> None:
    async with session_factory(database.engine)() as session, session.begin():
        await teacher(session, "amina", site=_site(instance))


def _links(jrd: dict[str, object]) -> dict[str, str]:
    links = jrd["links"]
    assert isinstance(links, list)
    return {link["rel"]: link["href"] for link in links}


async def test_a_peer_finds_a_teacher_by_handle(ke: Instance, database: Database) -> None:
    await _amina(database, ke)
    domain = ke.config.domain
    response = await ke.client.get(
        "/.well-known/webfinger", params={"resource": f"acct:amina@{domain}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    jrd = response.json()
    assert jrd["subject"] == f"acct:amina@{domain}"
    assert jrd["aliases"] == [f"{ke.url}/@amina", f"{ke.url}/users/amina"]
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link == {
        "rel": "self",
        "type": "application/activity+json",
        "href": f"{ke.url}/users/amina",
    }
    assert _links(jrd)[PROFILE_PAGE] == f"{ke.url}/@amina"


@pytest.mark.parametrize(
    "resource",
    [
        "acct:AMINA@{domain}",
        "acct:@amina@{domain}",
        "@amina@{domain}",
        "amina@{domain}",
        "{url}/users/amina",
        "{url}/@amina",
        "{url}/@Amina/",
    ],
)
async def test_every_spelling_of_a_teacher_leads_to_the_same_subject(
    ke: Instance, database: Database, resource: str
) -> None:
    await _amina(database, ke)
    resource = resource.format(domain=ke.config.domain, url=ke.url)
    response = await ke.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 200, resource
    assert response.json()["subject"] == f"acct:amina@{ke.config.domain}"


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("acct:nobody@{domain}", 404),
        ("acct:amina@other.example", 404),
        ("https://other.example/users/amina", 404),
        ("{url}/users/amina/outbox", 404),
        ("acct:amina", 400),
        ("acct:amina@", 400),
        ("mailto:amina@{domain}", 400),
        ("garbage", 400),
        ("http:/amina", 400),
        ("   ", 400),
    ],
)
async def test_unknown_foreign_and_malformed_resources(
    ke: Instance, database: Database, resource: str, status: int
) -> None:
    await _amina(database, ke)
    resource = resource.format(domain=ke.config.domain, url=ke.url)
    response = await ke.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == status, resource
    assert response.headers["access-control-allow-origin"] == "*"
    assert "error" in response.json()


async def test_a_missing_resource_is_a_bad_request(ke: Instance) -> None:
    response = await ke.client.get("/.well-known/webfinger")
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "*"


async def test_the_rel_parameter_filters_links(ke: Instance, database: Database) -> None:
    await _amina(database, ke)
    response = await ke.client.get(
        "/.well-known/webfinger",
        params={"resource": f"acct:amina@{ke.config.domain}", "rel": "self"},
    )
    assert [link["rel"] for link in response.json()["links"]] == ["self"]


async def test_the_actor_document_names_the_handle_that_webfinger_confirms(
    ke: Instance, database: Database
) -> None:
    """FEP-2c59 and the loop-back check Mastodon makes: actor → handle → the same actor."""
    await _amina(database, ke)
    actor = Actor.model_validate((await ke.client.get("/users/amina", headers=AP)).json())
    assert actor.webfinger is not None
    jrd = (
        await ke.client.get("/.well-known/webfinger", params={"resource": actor.webfinger})
    ).json()
    assert jrd["subject"] == actor.webfinger
    assert _links(jrd)["self"] == actor.id


@pytest.mark.parametrize("resource", ["{url}/", "{url}", "acct:actor@{domain}", "{url}/actor"])
async def test_the_instance_actor_is_found_by_the_server_itself(
    ke: Instance, resource: str
) -> None:
    """FEP-d556: WebFinger for the server's own URL names its actor, which exists on first ask."""
    resource = resource.format(domain=ke.config.domain, url=ke.url)
    response = await ke.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 200
    jrd = response.json()
    links = _links(jrd)
    assert links[SERVICE] == links["self"] == f"{ke.url}/actor"
    assert jrd["subject"] == f"acct:actor@{ke.config.domain}"

    service_only = await ke.client.get(
        "/.well-known/webfinger", params={"resource": resource, "rel": SERVICE}
    )
    assert [link["rel"] for link in service_only.json()["links"]] == [SERVICE]


async def test_the_instance_actor_document(ke: Instance) -> None:
    first = await ke.client.get("/actor", headers=AP)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/activity+json; charset=utf-8"
    document = first.json()
    actor = Actor.model_validate(document)
    assert actor.id == f"{ke.url}/actor"
    assert actor.type == "Application"
    assert actor.preferred_username == "actor"
    assert actor.inbox == f"{ke.url}/actor/inbox"
    assert actor.public_key is not None
    assert actor.public_key.id == f"{ke.url}/actor#main-key"
    assert actor.public_key.owner == actor.id
    assert actor.public_key.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert actor.endpoints is not None
    assert actor.endpoints.shared_inbox == f"{ke.url}/inbox"
    assert "followers" not in document
    assert "following" not in document

    # The same actor (and key) on every fetch, not a new one per request.
    again = (await ke.client.get("/actor")).json()
    assert again["publicKey"] == document["publicKey"]

    outbox = (await ke.client.get("/actor/outbox", headers=AP)).json()
    assert outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == 0
    assert outbox["orderedItems"] == []


async def test_host_meta_points_at_webfinger(ke: Instance) -> None:
    template = f"{ke.url}/.well-known/webfinger?resource={{uri}}"
    response = await ke.client.get("/.well-known/host-meta")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xrd+xml")
    root = ET.fromstring(response.text)  # noqa: S314 (our own document, not untrusted input)
    assert root.tag == "{http://docs.oasis-open.org/ns/xri/xrd-1.0}XRD"
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None
    assert link.attrib == {"rel": "lrdd", "template": template}

    as_json = (await ke.client.get("/.well-known/host-meta.json")).json()
    assert as_json == {"links": [{"rel": "lrdd", "template": template}]}


async def test_nodeinfo_is_discoverable(ke: Instance) -> None:
    response = await ke.client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    assert response.json() == {
        "links": [
            {"rel": f"{NODEINFO}2.0", "href": f"{ke.url}/nodeinfo/2.0"},
            {"rel": f"{NODEINFO}2.1", "href": f"{ke.url}/nodeinfo/2.1"},
        ]
    }


def _check_schema(document: dict[str, object], version: str) -> None:
    """The NodeInfo schema's shape: every object in it forbids other properties."""
    assert set(document) == {
        "version",
        "software",
        "protocols",
        "services",
        "openRegistrations",
        "usage",
        "metadata",
    }
    assert document["version"] == version
    software = document["software"]
    assert isinstance(software, dict)
    allowed = {"name", "version"} | ({"repository", "homepage"} if version == "2.1" else set())
    assert {"name", "version"} <= set(software) <= allowed
    assert software["name"] == "jamii"
    assert software["version"] == __version__
    assert document["protocols"] == ["activitypub"]
    assert document["services"] == {"inbound": [], "outbound": []}
    assert isinstance(document["openRegistrations"], bool)
    usage = document["usage"]
    assert isinstance(usage, dict)
    assert set(usage) <= {"users", "localPosts", "localComments"}
    assert set(usage["users"]) <= {"total", "activeMonth", "activeHalfyear"}


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_nodeinfo_counts_teachers_and_their_posts(
    ke: Instance, database: Database, version: str
) -> None:
    site = _site(ke)
    async with session_factory(database.engine)() as session, session.begin():
        amina = await teacher(session, "amina", site=site)
        baraka = await teacher(session, "baraka", site=site)
        await teacher(session, "chidi", site=site)  # registered, has not posted yet
        question = await say(session, amina, "Fractions?", site=site)
        await say(session, amina, "Just for followers", site=site, visibility="private")
        await say(session, baraka, "Paper strips", site=site, in_reply_to_id=question)
        await reblog(session, site, baraka, question)  # a boost is not a post
    # The instance actor has no login: it never counts as a user.
    await ke.client.get("/actor")

    response = await ke.client.get(f"/nodeinfo/{version}")
    assert response.status_code == 200
    assert response.headers["content-type"] == (f'application/json; profile="{NODEINFO}{version}#"')
    document = response.json()
    _check_schema(document, version)
    assert document["usage"] == {
        "users": {"total": 3, "activeMonth": 2, "activeHalfyear": 2},
        "localPosts": 3,
    }
    # instances/ke-like defaults: sign-up needs approval, translation bridges en and sw.
    assert document["openRegistrations"] is False
    metadata = document["metadata"]
    assert metadata["nodeName"] == "Test ke"
    assert metadata["languages"] == ["en", "sw"]
    assert metadata["translation"] == {"enabled": True, "languages": ["en", "sw"]}
    assert metadata["communities"] is True
    assert metadata["features"]["public_timeline"] is True
    assert metadata["federation"] == {"policy": "open"}


async def test_nodeinfo_follows_the_instance_configuration(
    database: Database, tmp_path: Path
) -> None:
    extra = '[registration]\npolicy = "open"\n[features]\ntranslation = false\n'
    async with _instance(database, tmp_path, extra) as instance:
        document = (await instance.client.get("/nodeinfo/2.1")).json()
        assert document["openRegistrations"] is True
        assert document["metadata"]["translation"] == {"enabled": False, "languages": []}
        assert document["metadata"]["features"]["translation"] is False
        assert document["usage"]["users"]["total"] == 0
