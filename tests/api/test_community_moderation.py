"""Moderating a community through Jamii's JSON API: removing, restoring, locking and
pinning threads, the threads list and the modlog — and the errors: a non-moderator is
refused with 403 and an unknown post is a 404, with nothing changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from fedi.db.models import CommunityPost, ModlogEntry
from tests.api.client_api import close_clients, headers
from tests.api.oauth_flow import ke
from tests.servers import Instance

__all__ = ["close_clients", "ke"]
BASE = "/api/jamii/v1/communities"


async def _thread(ke: Instance, username: str, text: str, **extra: Any) -> str:
    response = await ke.client.post(
        f"{BASE}/maths/posts", json={"status": text, **extra}, headers=await headers(ke, username)
    )
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


async def _snapshot(ke: Instance) -> tuple[list[tuple[Any, ...]], int]:
    async with ke.state.sessions() as session:
        rows = await session.execute(
            select(
                CommunityPost.status_id,
                CommunityPost.removed_at,
                CommunityPost.locked_at,
                CommunityPost.pinned_at,
            ).order_by(CommunityPost.status_id)
        )
        logged = await session.scalar(select(func.count()).select_from(ModlogEntry))
        return [tuple(r) for r in rows], int(logged or 0)


async def test_moderators_remove_restore_lock_and_pin_threads(ke: Instance) -> None:
    amina = await headers(ke, "amina")
    created = await ke.client.post(BASE, json={"name": "maths"}, headers=amina)
    assert created.status_code == 200, created.text
    baraka = await headers(ke, "baraka")
    await ke.client.post(f"{BASE}/maths/join", headers=baraka)
    first = await _thread(ke, "baraka", "Starters please", title="Starters")
    second = await _thread(ke, "baraka", "Buy my course", title="Offer")

    listed = (await ke.client.get(f"{BASE}/maths/posts")).json()
    assert [t["id"] for t in listed] == [second, first]
    assert listed[0]["title"] == "Offer"

    removed = await ke.client.post(
        f"{BASE}/maths/posts/{second}/remove", json={"reason": "Advertising"}, headers=amina
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed"]
    assert [t["id"] for t in (await ke.client.get(f"{BASE}/maths/posts")).json()] == [first]
    restored = await ke.client.post(f"{BASE}/maths/posts/{second}/restore", headers=amina)
    assert not restored.json()["removed"]

    await ke.client.post(f"{BASE}/maths/posts/{first}/pin", headers=amina)
    listed = (await ke.client.get(f"{BASE}/maths/posts")).json()
    assert [t["id"] for t in listed] == [first, second]
    assert listed[0]["pinned"]

    await ke.client.post(f"{BASE}/maths/posts/{first}/lock", headers=amina)
    refused = await ke.client.post(
        f"{BASE}/maths/posts", json={"status": "Me too", "in_reply_to_id": first}, headers=baraka
    )
    assert refused.status_code == 403
    assert "locked" in refused.json()["error"]
    # A moderator may still answer in a locked thread.
    await _thread(ke, "amina", "Closed: see the new thread", in_reply_to_id=first)
    await ke.client.post(f"{BASE}/maths/posts/{first}/unlock", headers=amina)
    await _thread(ke, "baraka", "Thanks", in_reply_to_id=first)

    log = (await ke.client.get(f"{BASE}/maths/modlog")).json()
    assert [e["action"] for e in log] == ["unlock", "lock", "pin", "restore_post", "remove_post"]
    assert log[-1]["reason"] == "Advertising"
    assert log[-1]["moderator"]["acct"] == "amina"
    assert log[-1]["status_id"] == second


async def test_a_non_moderator_and_an_unknown_post_change_nothing(ke: Instance) -> None:
    amina = await headers(ke, "amina")
    await ke.client.post(BASE, json={"name": "maths"}, headers=amina)
    await ke.client.post(BASE, json={"name": "secret", "visibility": "private"}, headers=amina)
    baraka = await headers(ke, "baraka")
    await ke.client.post(f"{BASE}/maths/join", headers=baraka)
    thread = await _thread(ke, "baraka", "A thread")
    elsewhere = await ke.client.post(
        "/api/v1/statuses", json={"status": "Not in a community"}, headers=baraka
    )
    before = await _snapshot(ke)

    for action in ("remove", "restore", "lock", "unlock", "pin", "unpin"):
        response = await ke.client.post(f"{BASE}/maths/posts/{thread}/{action}", headers=baraka)
        assert response.status_code == 403, (action, response.text)
        assert "moderators" in response.json()["error"]
    for status_id in ("999999", "abc", elsewhere.json()["id"]):
        response = await ke.client.post(f"{BASE}/maths/posts/{status_id}/remove", headers=amina)
        assert response.status_code == 404, (status_id, response.text)
        assert "error" in response.json()
    missing = await ke.client.post(f"{BASE}/nothing/posts/{thread}/remove", headers=amina)
    assert missing.status_code == 404
    assert (await ke.client.post(f"{BASE}/maths/posts/{thread}/remove")).status_code == 401
    assert await _snapshot(ke) == before

    # A private community's modlog is for its moderators.
    assert (await ke.client.get(f"{BASE}/secret/modlog")).status_code == 403
    assert (await ke.client.get(f"{BASE}/secret/modlog", headers=baraka)).status_code == 403
    assert (await ke.client.get(f"{BASE}/secret/modlog", headers=amina)).status_code == 200
    assert (await ke.client.get(f"{BASE}/secret/posts", headers=baraka)).status_code == 403
    assert (await ke.client.get(f"{BASE}/maths/modlog")).status_code == 200
