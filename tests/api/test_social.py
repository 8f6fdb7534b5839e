"""Mutes, pins, lists and markers from a real Mastodon client (Mastodon.py), with Link
pagination and the refusals Mastodon gives."""

from __future__ import annotations

import re

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.servers import Instance

__all__ = ["close_clients", "ke"]
_LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(header)}


async def test_muting_from_a_client(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    others = [await mastodon(ke, name) for name in ("chausiku", "daudi", "esther")]
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    await call(amina.account_follow, baraka_id)
    hello = await call(baraka.status_post, "Hello staff room")
    assert [s["id"] for s in await call(amina.timeline_home)] == [hello["id"]]

    relationship = await call(amina.account_mute, baraka_id, notifications=False, duration=600)
    assert (relationship["muting"], relationship["muting_notifications"]) == (True, False)
    assert await call(amina.timeline_home) == []
    [muted] = await call(amina.mutes)
    assert muted["id"] == baraka_id
    assert muted["mute_expires_at"] is not None
    [again] = await call(amina.account_relationships, baraka_id)
    assert again["muting"] is True

    relationship = await call(amina.account_unmute, baraka_id)
    assert relationship["muting"] is False
    assert [s["id"] for s in await call(amina.timeline_home)] == [hello["id"]]

    # The mutes list pages with Link headers, newest mute first, as Mastodon's does.
    ids = []
    for other in others:
        other_id = (await call(other.account_verify_credentials))["id"]
        await call(amina.account_mute, other_id)
        ids.insert(0, other_id)
    page = await call(amina.mutes, limit=2)
    seen = [a["id"] for a in page]
    while (page := await call(amina.fetch_next, page)) is not None:
        seen += [a["id"] for a in page]
    assert seen == ids
    assert all(a["mute_expires_at"] is None for a in await call(amina.mutes))


async def test_a_muted_account_notifies_no_more(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    await call(baraka.account_follow, amina_id)
    assert [n["type"] for n in await call(amina.notifications)] == ["follow"]
    await call(amina.account_mute, baraka_id)
    assert await call(amina.notifications) == []


async def test_mute_refusals(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    auth = await headers(ke, "amina")
    unknown = await ke.client.post("/api/v1/accounts/99999999/mute", headers=auth)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "Record not found"}
    baraka = await mastodon(ke, "baraka")
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    bad = await ke.client.post(
        f"/api/v1/accounts/{baraka_id}/mute", json={"duration": "soon"}, headers=auth
    )
    assert bad.status_code == 422
    assert "duration" in bad.json()["error"]
    with pytest.raises(MastodonAPIError):
        await call(amina.account_mute, amina_id)


async def test_pinning_from_a_client(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    posts = [await call(amina.status_post, f"Lesson plan {n}") for n in range(6)]
    for post in posts[:5]:
        pinned = await call(amina.status_pin, post["id"])
        assert pinned["pinned"] is True
    with pytest.raises(MastodonAPIError) as refused:  # a sixth pin
        await call(amina.status_pin, posts[5]["id"])
    assert refused.value.args[1] == 422

    shown = await call(amina.account_statuses, amina_id, pinned=True)
    assert [s["id"] for s in shown] == [p["id"] for p in reversed(posts[:5])]
    assert all(s["pinned"] for s in shown)
    assert [s["pinned"] for s in await call(amina.account_statuses, amina_id, limit=2)] == [
        False,
        True,
    ]
    unpinned = await call(amina.status_unpin, posts[0]["id"])
    assert unpinned["pinned"] is False
    anyone = await ke.client.get(f"/api/v1/accounts/{amina_id}/statuses?pinned=true")
    assert [s["id"] for s in anyone.json()] == [str(p["id"]) for p in reversed(posts[1:5])]
    assert "link" not in anyone.headers  # one page: nothing for a client to loop on
    older = await ke.client.get(
        f"/api/v1/accounts/{amina_id}/statuses",
        params={"pinned": "true", "max_id": posts[3]["id"]},
    )
    assert [s["id"] for s in older.json()] == [str(posts[2]["id"]), str(posts[1]["id"])]
    assert await call(amina.fetch_next, shown) is None

    # Someone else's post: 422; a post nobody knows: 404.
    with pytest.raises(MastodonAPIError) as refused:
        await call(baraka.status_pin, posts[5]["id"])
    assert refused.value.args[1] == 422
    with pytest.raises(MastodonNotFoundError):
        await call(baraka.status_pin, 99999999)

    # The featured collection lists the public pins, as Notes.
    featured = await ke.client.get(
        "/users/amina/collections/featured", headers={"Accept": "application/activity+json"}
    )
    body = featured.json()
    assert body["type"] == "OrderedCollection"
    assert body["totalItems"] == 4
    assert [item["content"] for item in body["orderedItems"]] == [
        f"<p>Lesson plan {n}</p>" for n in (4, 3, 2, 1)
    ]


async def test_lists_from_a_client(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    members = [await mastodon(ke, name) for name in ("baraka", "chausiku", "daudi")]
    stranger = await mastodon(ke, "stranger")
    ids = [(await call(m.account_verify_credentials))["id"] for m in members]
    stranger_id = (await call(stranger.account_verify_credentials))["id"]
    for member_id in ids:
        await call(amina.account_follow, member_id)

    made = await call(amina.list_create, "Science department", replies_policy="followed")
    assert (made["title"], made["replies_policy"], made["exclusive"]) == (
        "Science department",
        "followed",
        False,
    )
    assert [x["id"] for x in await call(amina.lists)] == [made["id"]]
    await call(amina.list_accounts_add, made["id"], ids)
    with pytest.raises(MastodonAPIError) as refused:
        await call(amina.list_accounts_add, made["id"], [stranger_id])
    assert refused.value.args[1] == 422

    page = await call(amina.list_accounts, made["id"], limit=2)
    seen = [a["id"] for a in page]
    while (page := await call(amina.fetch_next, page)) is not None:
        seen += [a["id"] for a in page]
    assert seen == list(reversed(ids))
    auth = await headers(ke, "amina")
    everyone = await ke.client.get(
        f"/api/v1/lists/{made['id']}/accounts", params={"limit": 0}, headers=auth
    )
    assert len(everyone.json()) == 3
    assert "link" not in everyone.headers
    assert [x["id"] for x in await call(amina.account_lists, ids[0])] == [made["id"]]

    posts = [await call(m.status_post, f"Experiment {n}") for n, m in enumerate(members)]
    timeline = await call(amina.timeline_list, made["id"], limit=2)
    assert [s["id"] for s in timeline] == [posts[2]["id"], posts[1]["id"]]
    older = await call(amina.fetch_next, timeline)
    assert [s["id"] for s in older] == [posts[0]["id"]]
    first = await ke.client.get(
        f"/api/v1/timelines/list/{made['id']}", params={"limit": 2}, headers=auth
    )
    assert links(first.headers["link"]) == {
        "next": f"{ke.url}/api/v1/timelines/list/{made['id']}?limit=2&max_id={posts[1]['id']}",
        "prev": f"{ke.url}/api/v1/timelines/list/{made['id']}?limit=2&min_id={posts[2]['id']}",
    }

    updated = await call(amina.list_update, made["id"], "Sciences", exclusive=True)
    assert (updated["title"], updated["replies_policy"], updated["exclusive"]) == (
        "Sciences",
        "list",
        True,
    )
    assert await call(amina.timeline_home) == []  # exclusive: read in the list only
    await call(amina.list_accounts_delete, made["id"], [ids[0]])
    assert [s["id"] for s in await call(amina.timeline_home)] == [posts[0]["id"]]
    await call(amina.list_delete, made["id"])
    assert await call(amina.lists) == []


async def test_list_refusals(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    made = await call(amina.list_create, "Mine")
    auth = await headers(ke, "amina")
    for bad, field in (
        ({"title": ""}, "Title"),
        ({"title": "x", "replies_policy": "everyone"}, "replies_policy"),
        ({"title": "x", "exclusive": "perhaps"}, "exclusive"),
    ):
        response = await ke.client.post("/api/v1/lists", json=bad, headers=auth)
        assert response.status_code == 422, bad
        assert field in response.json()["error"]
    bad_ids = await ke.client.post(
        f"/api/v1/lists/{made['id']}/accounts", json={"account_ids": ["abc"]}, headers=auth
    )
    assert bad_ids.status_code == 422
    assert "account_ids" in bad_ids.json()["error"]
    # Baraka's view of Amina's list: the same 404 as a list that never was.
    for unknown in (made["id"], 99999999):
        with pytest.raises(MastodonNotFoundError):
            await call(baraka.list, unknown)
        with pytest.raises(MastodonNotFoundError):
            await call(baraka.timeline_list, unknown)
        with pytest.raises(MastodonNotFoundError):
            await call(baraka.list_delete, unknown)
    assert [x["id"] for x in await call(amina.lists)] == [made["id"]]


async def test_markers_from_a_client(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    assert await call(amina.markers_get, ["home", "notifications"]) == {}
    saved = await call(amina.markers_set, ["home", "notifications"], [105, 33])
    assert (saved["home"]["last_read_id"], saved["home"]["version"]) == ("105", 0)
    assert saved["notifications"]["last_read_id"] == "33"

    # Form bodies, as Rails reads them: home[last_read_id]=…
    auth = await headers(ke, "amina")
    form = await ke.client.post("/api/v1/markers", data={"home[last_read_id]": "110"}, headers=auth)
    assert form.status_code == 200
    assert form.json()["home"]["last_read_id"] == "110"
    assert form.json()["home"]["version"] == 1
    found = await call(amina.markers_get, ["home", "notifications"])
    assert found["home"]["last_read_id"] == "110"
    assert found["notifications"]["version"] == 0
    only_home = await ke.client.get("/api/v1/markers", params={"timeline[]": "home"}, headers=auth)
    assert list(only_home.json()) == ["home"]
    assert only_home.json()["home"]["updated_at"].endswith("Z")

    bad = await ke.client.post(
        "/api/v1/markers", json={"home": {"last_read_id": "latest"}}, headers=auth
    )
    assert bad.status_code == 422
    assert "last_read_id" in bad.json()["error"]
    missing = await ke.client.post("/api/v1/markers", json={"home": {}}, headers=auth)
    assert missing.status_code == 422
