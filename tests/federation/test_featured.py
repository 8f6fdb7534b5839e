"""Pinned posts across instances: pinning in Kenya sends Add to the follower's server in
Senegal, which records the pin; unpinning sends Remove; the featured collection lists it."""

from __future__ import annotations

from sqlalchemy import func, select

from fedi.db.models import Account, Follow, ReceivedActivity, Status, StatusPin
from fedi.domain import pins, statuses
from fedi.domain.statuses import Draft
from tests.federation.trio import Peer, eventually, federation

__all__ = ["federation"]


async def _pins_on(peer: Peer, status_id: int) -> int:
    async with peer.session() as session:
        query = select(func.count()).select_from(StatusPin).where(StatusPin.status_id == status_id)
        return int(await session.scalar(query) or 0)


async def _received(peer: Peer, fragment: str) -> list[str]:
    async with peer.session() as session:
        uris = await session.scalars(select(ReceivedActivity.uri))
        return [uri for uri in uris if fragment in uri]


async def test_pinning_reaches_followers_and_the_featured_collection(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    amina_on_sn = await sn.account(amina.uri)
    assert amina_on_sn.featured_url == f"{amina.uri}/collections/featured"
    await sn.follow(fatou, amina_on_sn)

    async def followed() -> int:
        async with sn.session() as session:
            found = await session.scalar(select(Follow.id).where(Follow.account_id == fatou.id))
            return 1 if found else 0

    await eventually(followed, wake=everyone)
    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        post = await statuses.post(session, ke.site, author, Draft(text="Our lesson study guide"))

    async def copy() -> Status | None:
        async with sn.session() as session:
            query = select(Status).where(Status.uri == post.uri)
            found: Status | None = await session.scalar(query)
            return found

    on_sn = await eventually(copy, wake=everyone)
    assert await _pins_on(sn, on_sn.id) == 0

    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        await pins.pin(session, author, post.id)
    await eventually(lambda: _pins_on(sn, on_sn.id), wake=everyone)
    [add] = await _received(sn, "#featured/add/")
    assert add.startswith(amina.uri)

    featured = await ke.instance.client.get(
        "/users/amina/collections/featured", headers={"Accept": "application/activity+json"}
    )
    body = featured.json()
    assert body["id"] == f"{amina.uri}/collections/featured"
    assert [item["id"] for item in body["orderedItems"]] == [post.uri]
    assert body["orderedItems"][0]["type"] == "Note"

    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        await pins.unpin(session, author, post.id)

    async def unpinned() -> bool:
        return await _pins_on(sn, on_sn.id) == 0

    await eventually(unpinned, wake=everyone)
    assert len(await _received(sn, "#featured/remove/")) == 1
