"""Timelines from a Mastodon client: home, public, hashtag, bookmarks and favourites, paged
with Link headers exactly as Mastodon writes them (Mastodon.py's fetch_next follows them)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.conftest import Database
from tests.federation.trio import Peer, eventually, federation
from tests.servers import Instance, free_port, serve, write_instance

__all__ = ["close_clients", "federation", "ke"]
_LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(header)}


async def test_the_home_timeline_pages_like_mastodon(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    await call(amina.account_follow, baraka_id)
    posted = [await call(baraka.status_post, f"Lesson {n}") for n in range(5)]
    ids = [str(s["id"]) for s in reversed(posted)]

    page = await call(amina.timeline_home, limit=2)
    seen = [str(s["id"]) for s in page]
    while (page := await call(amina.fetch_next, page)) is not None:
        seen += [str(s["id"]) for s in page]
    assert seen == ids

    auth = await headers(ke, "amina")
    first = await ke.client.get("/api/v1/timelines/home", params={"limit": 2}, headers=auth)
    assert [s["id"] for s in first.json()] == ids[:2]
    found = links(first.headers["link"])
    assert found == {
        "next": f"{ke.url}/api/v1/timelines/home?limit=2&max_id={ids[1]}",
        "prev": f"{ke.url}/api/v1/timelines/home?limit=2&min_id={ids[0]}",
    }
    newer = await ke.client.get(
        "/api/v1/timelines/home", params={"min_id": ids[3], "limit": 2}, headers=auth
    )
    assert [s["id"] for s in newer.json()] == [ids[1], ids[2]]  # just above, newest first
    since = await ke.client.get(
        "/api/v1/timelines/home", params={"since_id": ids[3], "limit": 2}, headers=auth
    )
    assert [s["id"] for s in since.json()] == [ids[0], ids[1]]  # the newest, down to it
    empty = await ke.client.get("/api/v1/timelines/home", params={"min_id": ids[0]}, headers=auth)
    assert empty.json() == []
    assert "link" not in empty.headers


async def test_home_shows_followers_only_posts_with_the_readers_flags(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    await call(amina.account_follow, (await call(baraka.account_verify_credentials))["id"])
    private = await call(baraka.status_post, "Staff room only", visibility="private")
    await call(amina.status_favourite, private["id"])
    home = await call(amina.timeline_home)
    assert [(s["id"], s["favourited"]) for s in home] == [(private["id"], True)]
    public = await call(amina.timeline_public)
    assert public == []


async def test_the_public_timeline_filters_and_keeps_them_in_links(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    for n in range(3):
        await call(amina.status_post, f"Open lesson {n}")
    await call(amina.status_post, "Not listed", visibility="unlisted")
    local = await ke.client.get("/api/v1/timelines/public", params={"local": "true", "limit": 2})
    assert [s["content"] for s in local.json()] == ["<p>Open lesson 2</p>", "<p>Open lesson 1</p>"]
    next_url = links(local.headers["link"])["next"]
    assert next_url.startswith(f"{ke.url}/api/v1/timelines/public?local=true&limit=2&max_id=")
    rest = await ke.client.get(next_url)
    assert [s["content"] for s in rest.json()] == ["<p>Open lesson 0</p>"]
    remote = await ke.client.get("/api/v1/timelines/public", params={"remote": "true"})
    assert remote.json() == []
    media = await ke.client.get("/api/v1/timelines/public", params={"only_media": "1"})
    assert media.json() == []

    signed_in = await call(amina.timeline_public, local=True)
    assert len(signed_in) == 3


async def test_a_hashtag_timeline(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    tagged = await call(amina.status_post, "Fractions #Maths")
    await call(amina.status_post, "Poetry #swahili")
    await call(amina.status_post, "Quiet #maths", visibility="unlisted")
    found = await call(amina.timeline_hashtag, "maths")
    assert [s["id"] for s in found] == [tagged["id"]]
    anonymous = await ke.client.get("/api/v1/timelines/tag/MATHS", params={"local": "true"})
    assert [s["id"] for s in anonymous.json()] == [str(tagged["id"])]
    assert links(anonymous.headers["link"])["next"].startswith(
        f"{ke.url}/api/v1/timelines/tag/MATHS?local=true&max_id="
    )
    assert (await ke.client.get("/api/v1/timelines/tag/nothing")).json() == []


async def test_bookmarks_and_favourites_page_by_when_they_were_marked(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    older = await call(amina.status_post, "Older lesson")
    newer = await call(amina.status_post, "Newer lesson")
    for status in (newer, older):  # the older post is marked last, so it comes first
        await call(amina.status_bookmark, status["id"])
        await call(amina.status_favourite, status["id"])
    for method, path in ((amina.bookmarks, "bookmarks"), (amina.favourites, "favourites")):
        page = await call(method, limit=1)
        assert [s["id"] for s in page] == [older["id"]]
        rest = await call(amina.fetch_next, page)
        assert rest is not None
        assert [s["id"] for s in rest] == [newer["id"]]

        raw = await ke.client.get(
            f"/api/v1/{path}", params={"limit": 1}, headers=await headers(ke, "amina")
        )
        cursor = links(raw.headers["link"])["next"].rsplit("max_id=", 1)[1]
        assert cursor not in (str(older["id"]), str(newer["id"]))  # the mark's id


async def test_invalid_paging_parameters_are_refused_naming_them(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    for name in ("max_id", "since_id", "min_id", "limit"):
        response = await ke.client.get(
            "/api/v1/timelines/home", params={name: "soon"}, headers=auth
        )
        assert response.status_code == 422
        assert name in response.json()["error"]
    huge = await ke.client.get("/api/v1/timelines/home", params={"limit": 500}, headers=auth)
    assert huge.status_code == 200  # clamped to 40, as Mastodon does


@pytest.fixture
async def closed(database: Database, tmp_path: Path) -> AsyncIterator[Instance]:
    """An instance whose ministry keeps the public timelines for signed-in teachers."""
    config = write_instance(
        tmp_path,
        code="tz",
        port=free_port(),
        database_url=database.url,
        extra="[features]\npublic_timeline = false\n",
    )
    async with serve(config) as instance:
        yield instance


async def test_closed_public_timelines_need_a_signed_in_teacher(closed: Instance) -> None:
    anonymous = await closed.client.get("/api/v1/timelines/public")
    tag = await closed.client.get("/api/v1/timelines/tag/maths")
    assert anonymous.status_code == tag.status_code == 422
    auth = await headers(closed, "neema")
    signed_in = await closed.client.get("/api/v1/timelines/public", headers=auth)
    assert signed_in.status_code == 200


async def test_fatou_follows_amina_across_borders_from_her_client(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, _ = federation
    amina = await mastodon(ke.instance, "amina")
    fatou = await mastodon(sn.instance, "fatou")
    amina_uri = (await call(amina.account_verify_credentials))["uri"]
    # Senegal learns of Amina the way a search with resolve would (Mastodon's lookup itself
    # only finds accounts the server already knows).
    await sn.account(amina_uri)

    found = await call(fatou.account_lookup, f"amina@{ke.instance.config.domain}")
    assert found["uri"] == amina_uri
    asked = await call(fatou.account_follow, found["id"])
    assert asked["requested"] is True  # until Kenya answers with an Accept

    async def following() -> bool:
        relation = (await call(fatou.account_relationships, found["id"]))[0]
        return bool(relation["following"])

    await eventually(following, wake=[ke, sn])
    posted = await call(amina.status_post, "Karibu! Fractions with paper strips", language="sw")

    async def delivered() -> list[str]:
        return [s["uri"] for s in await call(fatou.timeline_home)]

    home = await eventually(delivered, wake=[ke, sn])
    assert home == [posted["uri"]]
    [remote] = await call(fatou.timeline_home)
    assert remote["account"]["acct"] == f"amina@{ke.instance.config.domain}"
    assert remote["language"] == "sw"
    assert (await call(fatou.account_verify_credentials))["following_count"] == 1
