"""Likes of community posts flow through the community, as Lemmy federates votes.

João (mz) posts in "maths" on ke; Fatou (sn) likes it from Senegal: her Like goes to João
and to the Group, which announces it to the members' servers. Amina (ke) likes it at the
community's home: the Group announces her Like too. Fatou takes hers back: the Undo flows
the same way. Every server counts the same likes. A Person cannot relay a like, and a
Group cannot relay one for a post of another community. Three real instances on loopback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from fedi.db.models import Account, Status
from fedi.domain import interactions
from fedi.domain.communities import Settings
from fedi.federation.delivery.communities import announce, like_of
from fedi.federation.wire.common import AS_CONTEXT
from tests.federation.communities import (
    create_community,
    is_member_on,
    join_all,
    join_community,
    post_as,
)
from tests.federation.remote import settle
from tests.federation.trio import Peer, eventually, federation

__all__ = ["federation"]


async def _likes(peer: Peer, uri: str) -> int | None:
    async with peer.session() as session:
        found = await session.scalar(select(Status.favourites_count).where(Status.uri == uri))
        return None if found is None else int(found)


def counted(peer: Peer, uri: str, expected: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await _likes(peer, uri) == expected

    return check


async def _like(peer: Peer, who: Account, uri: str, *, undo: bool = False) -> None:
    async with peer.session() as session, session.begin():
        liker = await session.get(Account, who.id)
        status = await session.scalar(select(Status).where(Status.uri == uri))
        assert liker is not None
        assert status is not None
        if undo:
            await interactions.unfavourite(session, liker, status.id)
        else:
            await interactions.favourite(session, liker, status.id)


async def test_likes_of_a_community_post_reach_every_members_server(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    joao = await mz.teacher("joao")
    maths = await create_community(ke, amina, Settings(name="maths", display_name="Mathematics"))
    await join_all(maths, (sn, fatou), (mz, joao), wake=everyone)

    handle = f"@maths@{ke.instance.config.domain}"
    post = await post_as(mz, joao, f"{handle} Fractions with paper strips", title="Fractions")
    for peer in (ke, sn):
        await eventually(counted(peer, post.uri, 0), wake=everyone)

    # Fatou's like, from Senegal: to João's server and to the Group, which relays it.
    await _like(sn, fatou, post.uri)
    for peer in everyone:
        await eventually(counted(peer, post.uri, 1), wake=everyone)
    # Amina's, at the community's home: the Group announces it to sn and mz.
    await _like(ke, amina, post.uri)
    for peer in everyone:
        await eventually(counted(peer, post.uri, 2), wake=everyone)
    # Fatou takes hers back: the Undo reaches the Group, which relays it too.
    await _like(sn, fatou, post.uri, undo=True)
    for peer in everyone:
        await eventually(counted(peer, post.uri, 1), wake=everyone)


async def test_a_like_relayed_by_a_person_or_for_another_community_is_ignored(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    maths = await create_community(ke, amina, Settings(name="maths"))
    sciences = await create_community(ke, amina, Settings(name="sciences"))
    await join_community(sn, fatou, maths.uri)
    await join_community(sn, fatou, sciences.uri)
    await eventually(lambda: is_member_on(sn, fatou, maths), wake=everyone)
    await eventually(lambda: is_member_on(sn, fatou, sciences), wake=everyone)
    post = await post_as(ke, amina, f"@maths@{ke.instance.config.domain} Ratios", title="Ratios")
    await eventually(counted(sn, post.uri, 0), wake=everyone)

    async with ke.session() as session:
        group = await session.get(Account, sciences.id)
        person = await session.get(Account, amina.id)
        status = await session.scalar(select(Status).where(Status.uri == post.uri))
        assert group is not None
        assert person is not None
        assert status is not None
        like = like_of(person, f"{amina.uri}#likes/forged", status)
        # "sciences" relaying a like of a "maths" post; Amina "relaying" her own like.
        wrong_group = {"@context": AS_CONTEXT, **announce(group, like)}
        by_person = {**wrong_group, "actor": person.uri, "id": f"{amina.uri}#relay"}
    for document, sender in ((wrong_group, sciences), (by_person, amina)):
        await ke.send(sender.id, f"{sn.instance.url}/inbox", document)
    await eventually(lambda: sn.received(wrong_group, by_person), wake=everyone)
    await settle(sn.instance)
    assert await _likes(sn, post.uri) == 0
