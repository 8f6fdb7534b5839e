"""A private community's posts stay with its members (docs/communities.md).

On ke, Amina's private "staffroom" has Fatou (sn) and Neema (ke) as members; Baraka (ke)
and João (mz) are not members — João even follows Amina. What Amina and Fatou post there
reaches the members' servers and is readable by members only: not by anonymous readers,
non-members (local or remote), public timelines, search, nor an ActivityPub fetch that is
unsigned or signed by a server without a member. Three real instances on loopback.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fedi.db.models import Account, CommunityPost, Follow, FollowRequest
from fedi.domain import communities
from fedi.domain.communities import Settings
from fedi.federation.fetcher.errors import FetchError
from tests.api.scopes import bearer, token_for
from tests.federation.communities import create_community, join_community, post_as
from tests.federation.remote import settle
from tests.federation.trio import Peer, eventually, federation

__all__ = ["federation"]

AP = {"Accept": "application/activity+json"}


async def _approve(ke: Peer, group: Account, uri: str) -> None:
    async with ke.session() as session, session.begin():
        target = await session.get(Account, group.id)
        applicant = await session.scalar(select(Account).where(Account.uri == uri))
        assert target is not None
        assert applicant is not None
        await communities.approve(session, target, applicant)


async def _ids(peer: Peer, path: str, token: dict[str, str] | None = None) -> list[str]:
    answer = await peer.instance.client.get(path, headers=token or {})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    items = body["statuses"] if isinstance(body, dict) else body
    return [item["id"] for item in items] + [
        item["reblog"]["id"] for item in items if item.get("reblog")
    ]


async def test_private_community_posts_reach_members_only(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    neema = await ke.teacher("neema")
    await ke.teacher("baraka")
    fatou = await sn.teacher("fatou")
    joao = await mz.teacher("joao")
    staffroom = await create_community(ke, amina, Settings(name="staffroom", visibility="private"))
    plaza = await create_community(ke, amina, Settings(name="plaza"))

    await join_community(ke, neema, staffroom.uri)
    await _approve(ke, staffroom, neema.uri)
    await join_community(sn, fatou, staffroom.uri)
    await eventually(lambda: _requested(ke, staffroom), wake=everyone)
    await _approve(ke, staffroom, fatou.uri)
    # João follows Amina: her public posts reach Mozambique, her staffroom posts must not.
    amina_on_mz = await mz.account(amina.uri)
    await mz.follow(joao, amina_on_mz)

    async def joao_follows() -> bool:
        async with ke.session() as session:
            return bool(
                await session.scalar(
                    select(Follow.id)
                    .join(Account, Account.id == Follow.account_id)
                    .where(Account.uri == joao.uri, Follow.target_account_id == amina.id)
                )
            )

    await eventually(joao_follows, wake=everyone)

    secret = await post_as(
        ke, amina, "Timetable sekretplan for the inspection", community_id=staffroom.id
    )
    public = await post_as(ke, amina, "Open sekretplan lesson", community_id=plaza.id)
    from_sn = await post_as(
        sn, fatou, f"@staffroom@{ke.instance.config.domain} Ma sekretplan aussi"
    )
    await eventually(lambda: mz.status(public.uri), wake=everyone)
    on_sn = await eventually(lambda: sn.status(secret.uri), wake=everyone)
    fatou_on_ke = await eventually(lambda: ke.status(from_sn.uri), wake=everyone)
    for peer in everyone:
        await settle(peer.instance)
    # Nothing of the staffroom reached Mozambique, though João follows Amina.
    assert await mz.status(secret.uri) is None
    assert await mz.status(from_sn.uri) is None
    async with sn.session() as session:
        assert await session.get(CommunityPost, on_sn.id) is not None

    # The API on ke: anonymous readers and Baraka get 404; Neema (member) reads it.
    baraka_token = bearer(await token_for(ke.instance, "baraka", "read"))
    neema_token = bearer(await token_for(ke.instance, "neema", "read"))
    for post in (secret, fatou_on_ke):
        path = f"/api/v1/statuses/{post.id}"
        assert (await ke.instance.client.get(path)).status_code == 404
        assert (await ke.instance.client.get(path, headers=baraka_token)).status_code == 404
        assert (await ke.instance.client.get(path, headers=neema_token)).status_code == 200
    hidden = {str(secret.id), str(fatou_on_ke.id)}
    local = "/api/v1/timelines/public?local=true"
    assert str(public.id) in await _ids(ke, local)
    assert not hidden & set(await _ids(ke, local))
    assert not hidden & set(await _ids(ke, "/api/v1/timelines/public"))
    assert not hidden & set(await _ids(ke, f"/api/v1/accounts/{staffroom.id}/statuses"))
    search = "/api/v2/search?q=sekretplan&type=statuses"
    assert str(public.id) in await _ids(ke, search, baraka_token)
    assert not hidden & set(await _ids(ke, search, baraka_token))
    assert hidden <= set(await _ids(ke, search, neema_token))
    assert str(secret.id) in await _ids(ke, "/api/v1/timelines/home", neema_token)

    # The web pages, for anonymous readers: neither the thread nor the community's page.
    page = await ke.instance.client.get(f"/@amina/{secret.id}", headers={"Accept": "text/html"})
    assert page.status_code == 404
    page = await ke.instance.client.get("/@staffroom", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Timetable" not in page.text

    # On sn, the member's server: Fatou reads it, anonymous readers do not.
    fatou_token = bearer(await token_for(sn.instance, "fatou", "read"))
    path = f"/api/v1/statuses/{on_sn.id}"
    assert (await sn.instance.client.get(path)).status_code == 404
    assert (await sn.instance.client.get(path, headers=fatou_token)).status_code == 200
    assert str(on_sn.id) not in await _ids(sn, "/api/v1/timelines/public")

    # ActivityPub: unsigned, or signed by mz (no member there), is 404; sn's signed fetch
    # (a member lives there) gets the Note. The Group's outbox lists none of it.
    note_path = secret.uri.split(ke.instance.config.domain, 1)[1]
    assert (await ke.instance.client.get(note_path, headers=AP)).status_code == 404
    mz_federation = mz.instance.state.federation
    sn_federation = sn.instance.state.federation
    assert mz_federation is not None
    assert sn_federation is not None
    with pytest.raises(FetchError):
        await mz_federation.fetch(secret.uri)
    _, document = await sn_federation.fetch(secret.uri)
    assert document["id"] == secret.uri
    outbox = await ke.instance.client.get("/users/staffroom/outbox?page=true", headers=AP)
    assert outbox.status_code == 200
    assert secret.uri not in outbox.text
    public_note = public.uri.split(ke.instance.config.domain, 1)[1]
    assert (await ke.instance.client.get(public_note, headers=AP)).status_code == 200


async def _requested(ke: Peer, group: Account) -> bool:
    async with ke.session() as session:
        found = await session.scalar(
            select(FollowRequest.id).where(FollowRequest.target_account_id == group.id)
        )
        return found is not None
