"""Communities from clients: Amina creates "Mathematics, secondary" through Jamii's JSON
API; Baraka finds it in his Mastodon app as a group account, follows it to join and posts
to it by mentioning it; a private community's join requests wait for its moderator."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from fedi.db.models import CommunityPost, Status
from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.servers import Instance

__all__ = ["close_clients", "ke"]
BASE = "/api/jamii/v1/communities"
MATHS: dict[str, Any] = {
    "name": "maths",
    "display_name": "Mathematics, secondary",
    "description": "Lesson ideas for Forms 1-4.",
    "subject": "mathematics",
    "grade_levels": ["Form 1", "Form 2"],
    "languages": ["en", "sw"],
    "rules": ["Be kind", "Share your sources"],
    "posting_policy": "members",
}


async def _create(ke: Instance, username: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await ke.client.post(BASE, json=body, headers=await headers(ke, username))
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_community_created_joined_and_posted_to_from_clients(ke: Instance) -> None:
    created = await _create(ke, "amina", MATHS)
    assert created["acct"] == f"maths@{ke.config.domain}"
    assert created["membership"]["moderator"]
    assert created["rules"] == MATHS["rules"]
    assert created["visibility"] == "public"

    listed = (await ke.client.get(BASE)).json()
    assert [c["name"] for c in listed] == ["maths"]
    shown = (await ke.client.get(f"{BASE}/maths")).json()
    assert shown["display_name"] == "Mathematics, secondary"
    assert shown["membership"] is None

    # Baraka's Mastodon app sees a group account; following it joins the community.
    baraka = await mastodon(ke, "baraka")
    group = await call(baraka.account_lookup, "maths")
    assert group["group"] is True
    assert group["id"] == created["id"]
    relationship = await call(baraka.account_follow, group["id"])
    assert relationship["following"]

    # Mentioning the community posts in it; the community boosts it to its members.
    status = await call(baraka.status_post, "@maths Fractions with paper strips!")
    async with ke.state.sessions() as session:
        filed = await session.get(CommunityPost, int(status["id"]))
        assert filed is not None
        boost = await session.scalar(select(Status).where(Status.reblog_of_id == filed.status_id))
        assert boost is not None
        assert boost.account_id == int(group["id"])
    statuses = await call(baraka.account_statuses, group["id"])
    assert statuses[0]["reblog"]["id"] == status["id"]

    # The JSON API posts a titled thread.
    response = await ke.client.post(
        f"{BASE}/maths/posts",
        json={"status": "Share your best starter activities", "title": "Starters"},
        headers=await headers(ke, "baraka"),
    )
    assert response.status_code == 200, response.text

    # Neema is not a member: refused with a reason, nothing posted.
    neema = await headers(ke, "neema")
    refused = await ke.client.post(f"{BASE}/maths/posts", json={"status": "Hello?"}, headers=neema)
    assert refused.status_code == 403
    assert "members" in refused.json()["error"]
    refused = await ke.client.post(
        "/api/v1/statuses", json={"status": "@maths Hello?"}, headers=neema
    )
    assert refused.status_code == 403

    # Members are for moderators to see.
    members = await ke.client.get(f"{BASE}/maths/members", headers=await headers(ke, "amina"))
    assert [m["acct"] for m in members.json()] == ["baraka"]
    assert (await ke.client.get(f"{BASE}/maths/members", headers=neema)).status_code == 403


async def test_a_private_community_s_moderator_answers_join_requests(ke: Instance) -> None:
    await _create(ke, "amina", {"name": "literacy", "visibility": "private"})
    asked = await ke.client.post(f"{BASE}/literacy/join", headers=await headers(ke, "baraka"))
    assert asked.json()["membership"]["requested"]
    amina = await headers(ke, "amina")
    waiting = (await ke.client.get(f"{BASE}/literacy/requests", headers=amina)).json()
    assert [w["acct"] for w in waiting] == ["baraka"]
    answer = await ke.client.post(
        f"{BASE}/literacy/requests/{waiting[0]['id']}/authorize", headers=amina
    )
    standing = {"member": True, "requested": False, "moderator": False, "banned": False}
    assert answer.json() == standing

    banned = await ke.client.post(
        f"{BASE}/literacy/bans/{waiting[0]['id']}", json={"reason": "spam"}, headers=amina
    )
    assert banned.json()["banned"]
    assert not banned.json()["member"]
    again = await ke.client.post(f"{BASE}/literacy/join", headers=await headers(ke, "baraka"))
    assert again.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "bad name"}, "name"),
        ({"name": "ok", "visibility": "hidden"}, "visibility"),
        ({"name": "ok", "posting_policy": "all"}, "posting_policy"),
        ({"name": "ok", "rules": {"a": {"b": 1}}}, "rules"),
    ],
)
async def test_bad_community_input_is_a_422_naming_the_field(
    ke: Instance, body: dict[str, Any], field: str
) -> None:
    response = await ke.client.post(BASE, json=body, headers=await headers(ke, "amina"))
    assert response.status_code == 422, response.text
    assert field.replace("_", " ") in response.json()["error"].lower()
    assert (await ke.client.get(BASE)).json() == []


async def test_the_group_actor_and_its_handle(ke: Instance) -> None:
    await _create(ke, "amina", MATHS)
    domain = ke.config.domain
    finger = await ke.client.get(
        "/.well-known/webfinger", params={"resource": f"acct:maths@{domain}"}
    )
    assert finger.status_code == 200
    actor = await ke.client.get("/users/maths", headers={"Accept": "application/activity+json"})
    document = actor.json()
    assert document["type"] == "Group"
    assert document["attributedTo"] == f"{ke.url}/users/maths/moderators"
    assert document["postingRestrictedToMods"] is False
    assert document["followers"] == f"{ke.url}/users/maths/followers"
    assert document["publicKey"]["id"] == f"{ke.url}/users/maths#main-key"
    names = {f["name"]: f["value"] for f in document["attachment"]}
    assert names["Subject"] == "mathematics"
    assert names["Rule 2"] == "Share your sources"
    moderators = (await ke.client.get("/users/maths/moderators")).json()
    assert moderators["orderedItems"] == [f"{ke.url}/users/amina"]

    # Members are counted for peers, never listed.
    await ke.client.post(f"{BASE}/maths/join", headers=await headers(ke, "baraka"))
    for url in ("/users/maths/followers", "/users/maths/followers?page=true"):
        members = (await ke.client.get(url)).json()
        assert members["totalItems"] == 1
        assert "first" not in members
        assert "orderedItems" not in members


async def test_a_community_has_a_page_with_its_rules(ke: Instance) -> None:
    await _create(ke, "amina", {**MATHS, "rules": ["Be kind", "<script>alert(1)</script>"]})
    page = await ke.client.get("/@maths", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Mathematics, secondary" in page.text
    assert "<li>Be kind</li>" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


async def test_community_endpoints_need_a_token_with_the_right_scope(ke: Instance) -> None:
    await _create(ke, "amina", MATHS)
    reader = await headers(ke, "baraka", "read")
    for method, path in (
        ("POST", BASE),
        ("POST", f"{BASE}/maths/join"),
        ("POST", f"{BASE}/maths/posts"),
    ):
        assert (await ke.client.request(method, path)).status_code == 401
        assert (await ke.client.request(method, path, headers=reader)).status_code == 403
    assert (await ke.client.get(f"{BASE}/maths/members")).status_code == 401
