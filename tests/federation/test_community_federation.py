"""A community of practice on ke gathers teachers from sn and mz (FEP-1b12).

Fatou (sn) and João (mz) join "maths" on ke from their own instances; Fatou asks to join the
private "literacy" and Amina, its moderator, lets her in. Fatou posts in maths from Senegal
and João reads it in Mozambique. A banned member and a non-member are refused with a Reject
and nothing of theirs is stored or relayed; an Announce forged by a Person is ignored.
Three real instances on loopback, real signatures, every step checked where it lands.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fedi.db.models import (
    Account,
    CommunityPost,
    Follow,
    FollowRequest,
    Job,
    Status,
)
from fedi.domain import communities, community_moderation, statuses
from fedi.domain.communities import Settings
from fedi.domain.statuses import Draft
from fedi.errors import Forbidden
from fedi.federation.wire.common import AS_CONTEXT, PUBLIC
from tests.api.scopes import bearer, token_for
from tests.federation.communities import (
    create_community,
    is_member_on,
    join_all,
    post_as,
    role_on,
    was_rejected,
)
from tests.federation.remote import settle
from tests.federation.trio import Peer, eventually, federation

__all__ = ["federation"]


async def test_teachers_from_three_countries_share_a_community(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    joao = await mz.teacher("joao")
    maths = await create_community(ke, amina, Settings(name="maths", display_name="Mathematics"))
    literacy = await create_community(ke, amina, Settings(name="literacy", visibility="private"))

    # Joining a public community from another instance: accepted at once.
    await join_all(maths, (sn, fatou), (mz, joao), wake=everyone)
    assert await is_member_on(ke, fatou, maths)
    assert await ke.count(Follow, Follow.target_account_id == maths.id) == 2

    # A private community, joined through the JSON API on sn by its handle: the request
    # waits on ke until its moderator accepts.
    await sn.account(literacy.uri)
    handle = f"literacy@{ke.instance.config.domain}"
    token = bearer(await token_for(sn.instance, "fatou", "read write"))
    joined = await sn.instance.client.post(
        f"/api/jamii/v1/communities/{handle}/join", headers=token
    )
    assert joined.status_code == 200, joined.text
    assert joined.json()["membership"]["requested"]
    assert joined.json()["local"] is False
    await eventually(
        lambda: ke.count(FollowRequest, FollowRequest.target_account_id == literacy.id),
        wake=everyone,
    )
    assert not await is_member_on(sn, fatou, literacy)
    async with ke.session() as session, session.begin():
        group = await session.get(Account, literacy.id)
        applicant = await session.scalar(select(Account).where(Account.uri == fatou.uri))
        assert group is not None
        assert applicant is not None
        await communities.approve(session, group, applicant)
    await eventually(lambda: is_member_on(sn, fatou, literacy), wake=everyone)

    # Fatou posts in maths from Senegal; ke relays it; João reads it in Mozambique.
    handle = f"@maths@{ke.instance.config.domain}"
    post = await post_as(
        sn, fatou, f"{handle} Les fractions avec des bandes de papier", title="Fractions"
    )
    on_ke = await eventually(lambda: ke.status(post.uri), wake=everyone)
    on_mz = await eventually(lambda: mz.status(post.uri), wake=everyone)
    assert "bandes de papier" in on_mz.content
    async with ke.session() as session:
        filed = await session.get(CommunityPost, on_ke.id)
        assert filed is not None
        assert (filed.community_id, filed.title) == (maths.id, "Fractions")

    async def filed_on_mz() -> CommunityPost | None:
        async with mz.session() as session:
            found: CommunityPost | None = await session.get(CommunityPost, on_mz.id)
            return found

    filed_mz = await eventually(filed_on_mz, wake=everyone)
    async with mz.session() as session:
        group_on_mz = await session.get(Account, filed_mz.community_id)
        assert group_on_mz is not None
        assert group_on_mz.uri == maths.uri

    # Mastodon-style readers see the Group's boost (its Announce{Note}, which may arrive
    # after the Announce{Create}).
    async def boosted_on_mz() -> Status | None:
        async with mz.session() as session:
            found: Status | None = await session.scalar(
                select(Status).where(
                    Status.reblog_of_id == on_mz.id, Status.account_id == filed_mz.community_id
                )
            )
            return found

    await eventually(boosted_on_mz, wake=everyone)

    # João replies from Mozambique: the reply joins the thread's community on ke.
    reply = await post_as(mz, joao, "Obrigado! Vou experimentar.", in_reply_to_id=on_mz.id)
    reply_on_ke = await eventually(lambda: ke.status(reply.uri), wake=everyone)
    assert reply_on_ke.in_reply_to_id == on_ke.id
    async with ke.session() as session:
        assert await session.get(CommunityPost, reply_on_ke.id) is not None
    await eventually(lambda: sn.status(reply.uri), wake=everyone)

    # Fatou edits in Senegal: ke relays the Update, and Mozambique fetches the new version.
    async with sn.session() as session, session.begin():
        author = await session.get(Account, fatou.id)
        assert author is not None
        await statuses.edit(
            session,
            sn.site,
            author,
            post.id,
            Draft(text=f"{handle} Les fractions avec des bandes de papier pliées"),
        )

    async def edited_on_mz() -> Status | None:
        found = await mz.status(post.uri)
        return found if found and "pliées" in found.content else None

    await eventually(edited_on_mz, wake=everyone)

    # Fatou deletes it: ke relays the Delete; Mozambique checks with Senegal and drops it.
    async with sn.session() as session, session.begin():
        author = await session.get(Account, fatou.id)
        assert author is not None
        await statuses.delete_status(session, author, post.id)

    async def gone_everywhere() -> bool:
        return await ke.status(post.uri) is None and await mz.status(post.uri) is None

    await eventually(gone_everywhere, wake=everyone)


async def _refused_on_ke(ke: Peer, mz: Peer, author: Account, text: str) -> None:
    """``author`` on mz posts in ke's maths: ke answers Reject and keeps nothing."""
    everyone = [ke, mz]
    before = await ke.count(Status)
    post = await post_as(mz, author, text)
    await eventually(lambda: was_rejected(mz, f"{ke.instance.url}/users/maths"), wake=everyone)
    await settle(ke.instance)
    assert await ke.status(post.uri) is None
    assert await ke.count(Status) == before
    assert await ke.count(CommunityPost) == 0
    announced = [job.payload.get("event") for job in await _jobs(ke)]
    assert "community.announced" not in announced
    assert "community.refused" in announced


async def _jobs(peer: Peer) -> list[Job]:
    async with peer.session() as session:
        return list(await session.scalars(select(Job).where(Job.kind == "federate")))


async def test_a_banned_member_and_a_non_member_are_refused(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    joao = await mz.teacher("joao")
    ana = await mz.teacher("ana")
    maths = await create_community(ke, amina, Settings(name="maths", posting_policy="members"))
    await join_all(maths, (mz, joao), wake=everyone)
    await mz.account(maths.uri)  # Ana's instance knows the community (Ana is no member)

    handle = f"@maths@{ke.instance.config.domain}"
    await _refused_on_ke(ke, mz, ana, f"{handle} Olá a todos!")

    # Where only moderators post, João's own instance knows it from the Group's document.
    notices = await create_community(
        ke, amina, Settings(name="notices", posting_policy="moderators")
    )
    await join_all(notices, (mz, joao), wake=everyone)
    before = await mz.count(Status)
    with pytest.raises(Forbidden):
        await post_as(mz, joao, f"@notices@{ke.instance.config.domain} Posso?")
    assert await mz.count(Status) == before

    async with ke.session() as session, session.begin():
        group = await session.get(Account, maths.id)
        banned = await session.scalar(select(Account).where(Account.uri == joao.uri))
        assert group is not None
        assert banned is not None
        await community_moderation.ban(session, group, banned, "spam")
    await _refused_on_ke(ke, mz, joao, f"{handle} Compre agora!")
    assert await ke.count(Follow, Follow.target_account_id == maths.id) == 0


async def test_a_forged_announce_is_ignored(federation: tuple[Peer, Peer, Peer]) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    moussa = await sn.teacher("moussa")
    joao = await mz.teacher("joao")
    maths = await create_community(ke, amina, Settings(name="maths"))
    await join_all(maths, (mz, joao), wake=everyone)
    post = await post_as(sn, fatou, "Not for any community")

    # Moussa (a Person) pretends to relay it as the community's, signed with his own key.
    forged = {
        "@context": AS_CONTEXT,
        "id": f"{moussa.uri}#forged-announce",
        "type": "Announce",
        "actor": moussa.uri,
        "audience": maths.uri,
        "to": [PUBLIC],
        "object": {
            "id": f"{post.uri}/activity",
            "type": "Create",
            "actor": fatou.uri,
            "audience": maths.uri,
            "object": post.uri,
        },
    }
    await sn.send(moussa.id, f"{mz.instance.url}/inbox", forged)
    await eventually(lambda: mz.received(forged), wake=everyone)
    await settle(mz.instance)
    assert await mz.status(post.uri) is None
    assert await mz.count(CommunityPost) == 0

    # Even the Group itself cannot delete a member's post that its origin still serves.
    await join_all(maths, (sn, fatou), wake=everyone)
    handle = f"@maths@{ke.instance.config.domain}"
    kept = await post_as(sn, fatou, f"{handle} Geometry with string")
    await eventually(lambda: mz.status(kept.uri), wake=everyone)
    deleting = {
        "@context": AS_CONTEXT,
        "id": f"{maths.uri}/announces/forged-delete",
        "type": "Announce",
        "actor": maths.uri,
        "to": [PUBLIC],
        "object": {
            "id": f"{kept.uri}#delete",
            "type": "Delete",
            "actor": fatou.uri,
            "object": {"id": kept.uri, "type": "Tombstone"},
        },
    }
    await ke.send(maths.id, f"{mz.instance.url}/inbox", deleting)
    await eventually(lambda: mz.received(deleting), wake=everyone)
    await settle(mz.instance)
    assert await mz.status(kept.uri) is not None


async def test_bans_and_moderators_reach_members_servers(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    joao = await mz.teacher("joao")
    maths = await create_community(ke, amina, Settings(name="maths"))
    literacy = await create_community(ke, amina, Settings(name="literacy"))
    await join_all(maths, (sn, fatou), (mz, joao), wake=everyone)

    async def moderate(action: str, member: Account) -> None:
        async with ke.session() as session, session.begin():
            group = await session.get(Account, maths.id)
            moderator = await session.get(Account, amina.id)
            subject = await session.scalar(select(Account).where(Account.uri == member.uri))
            assert group is not None
            assert subject is not None
            if action == "ban":
                await community_moderation.ban(session, group, subject, "spam", by=moderator)
            elif action == "unban":
                await community_moderation.unban(session, group, subject, by=moderator)
            else:
                await community_moderation.add_moderator(session, group, subject, by=moderator)

    # Amina bans João: Mozambique learns it, ends his membership and refuses him at home.
    await moderate("ban", joao)

    async def banned_on_mz() -> bool:
        return await role_on(mz, maths, joao) == "banned"

    await eventually(banned_on_mz, wake=everyone)
    assert not await is_member_on(mz, joao, maths)
    with pytest.raises(Forbidden):
        await post_as(mz, joao, f"@maths@{ke.instance.config.domain} Compre agora!")

    await moderate("unban", joao)

    async def unbanned_on_mz() -> bool:
        return await role_on(mz, maths, joao) is None

    await eventually(unbanned_on_mz, wake=everyone)

    # Fatou becomes a moderator: Senegal knows.
    await moderate("add_moderator", fatou)

    async def moderator_on_sn() -> bool:
        return await role_on(sn, maths, fatou) == "moderator"

    await eventually(moderator_on_sn, wake=everyone)

    # Another Group cannot ban anyone from maths.
    forged = {
        "@context": AS_CONTEXT,
        "id": f"{literacy.uri}/announces/forged-ban",
        "type": "Announce",
        "actor": literacy.uri,
        "to": [PUBLIC],
        "object": {
            "id": f"{literacy.uri}/bans/forged",
            "type": "Block",
            "actor": literacy.uri,
            "object": joao.uri,
            "target": maths.uri,
        },
    }
    await ke.send(literacy.id, f"{mz.instance.url}/inbox", forged)
    await eventually(lambda: mz.received(forged), wake=everyone)
    await settle(mz.instance)
    assert await role_on(mz, maths, joao) is None
