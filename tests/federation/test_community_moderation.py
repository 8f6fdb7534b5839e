"""Moderating a community across three instances (FEP-1b12, Lemmy's activities).

"maths" lives on ke, moderated by Amina; she makes Fatou (sn) a moderator. From Senegal,
Fatou removes João's (mz) thread and bans him: ke applies it and announces it, and
Mozambique hides the post and refuses João at home. Moussa (sn), a member but no
moderator, sends a removal of his own: nothing changes. Amina locks her thread: a reply
from Mozambique is answered with Reject, a local teacher's with 403. She pins it: it is in
the Group's featured collection and first in the threads list. The modlog tells it all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fedi.db.models import Account, Block, ModlogEntry, Status
from fedi.domain import communities, community_moderation
from fedi.domain.communities import Settings
from fedi.federation.wire.common import AS_CONTEXT, PUBLIC
from tests.api.scopes import bearer, token_for
from tests.federation.communities import (
    create_community,
    filing_of,
    join_community,
    post_as,
    role_on,
    was_rejected,
)
from tests.federation.remote import settle
from tests.federation.trio import Peer, eventually, federation

__all__ = ["federation"]

BASE = "/api/jamii/v1/communities"


async def _id_on(peer: Peer, model: Any, uri: str) -> int:
    async with peer.session() as session:
        found = await session.scalar(select(model.id).where(model.uri == uri))
        assert found is not None, uri
        return int(found)


async def _modlog(peer: Peer, handle: str) -> list[tuple[str, str | None]]:
    response = await peer.instance.client.get(f"{BASE}/{handle}/modlog")
    assert response.status_code == 200, response.text
    return [
        (e["action"], e["moderator"]["acct"] if e["moderator"] else None)
        for e in reversed(response.json())
    ]


async def test_moderators_remove_ban_lock_and_pin_across_instances(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    ke_domain = ke.instance.config.domain
    amina = await ke.teacher("amina")
    neema = await ke.teacher("neema")
    fatou = await sn.teacher("fatou")
    moussa = await sn.teacher("moussa")
    joao = await mz.teacher("joao")
    maths = await create_community(ke, amina, Settings(name="maths"))
    await join_community(ke, neema, maths.uri)
    for peer, member in ((sn, fatou), (sn, moussa), (mz, joao)):
        await join_community(peer, member, maths.uri)

    async def members_on_ke() -> bool:
        async with ke.session() as session:
            found = await communities.members(session, maths.id)
            return len(found) == 4

    await eventually(members_on_ke, wake=everyone)

    # Amina makes Fatou a moderator; Senegal learns it from the Group's Add.
    async with ke.session() as session, session.begin():
        group = await session.get(Account, maths.id)
        moderator = await session.get(Account, amina.id)
        remote_fatou = await session.scalar(select(Account).where(Account.uri == fatou.uri))
        assert group is not None
        assert remote_fatou is not None
        await community_moderation.add_moderator(session, group, remote_fatou, by=moderator)

    async def fatou_moderates_on_sn() -> bool:
        return await role_on(sn, maths, fatou) == "moderator"

    await eventually(fatou_moderates_on_sn, wake=everyone)

    # João starts a thread from Mozambique; every instance files it under maths.
    handle = f"@maths@{ke_domain}"
    thread = await post_as(mz, joao, f"{handle} Compre agora!", title="Oferta")
    for peer in everyone:
        await eventually(lambda peer=peer: filing_of(peer, thread.uri), wake=everyone)  # type: ignore[misc]

    thread_on_mz = await _id_on(mz, Status, thread.uri)

    async def group_boost_on_mz() -> int | None:
        async with mz.session() as session:
            found: int | None = await session.scalar(
                select(Status.id)
                .join(Account, Account.id == Status.account_id)
                .where(Status.reblog_of_id == thread_on_mz, Account.uri == maths.uri)
            )
            return found

    await eventually(group_boost_on_mz, wake=everyone)

    # Moussa (no moderator) sends ke his own removal of it: nothing changes.
    moussa_on_sn = await _id_on(sn, Account, moussa.uri)
    group_inbox = f"{ke.instance.url}/users/maths/inbox"
    forged = {
        "@context": AS_CONTEXT,
        "id": f"{moussa.uri}/moderation/forged",
        "type": "Delete",
        "actor": moussa.uri,
        "object": thread.uri,
        "to": [PUBLIC],
        "cc": [maths.uri],
        "summary": "I do not like it",
    }
    await sn.send(moussa_on_sn, group_inbox, forged)
    await eventually(lambda: ke.received(forged), wake=everyone)
    await settle(ke.instance)
    filed_ke = await filing_of(ke, thread.uri)
    assert filed_ke is not None
    assert filed_ke.removed_at is None
    # Nor through his own server's API: 403 there, before anything travels.
    moussa_token = bearer(await token_for(sn.instance, "moussa", "read write"))
    thread_on_sn = await _id_on(sn, Status, thread.uri)
    refused = await sn.instance.client.post(
        f"{BASE}/maths@{ke_domain}/posts/{thread_on_sn}/remove", headers=moussa_token
    )
    assert refused.status_code == 403, refused.text

    # Fatou removes it from Senegal: ke removes it and announces it; Mozambique hides it.
    fatou_token = bearer(await token_for(sn.instance, "fatou", "read write"))
    removed = await sn.instance.client.post(
        f"{BASE}/maths@{ke_domain}/posts/{thread_on_sn}/remove",
        json={"reason": "Spam"},
        headers=fatou_token,
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed"]

    async def removed_on(peer: Peer) -> bool:
        found = await filing_of(peer, thread.uri)
        return found is not None and found.removed_at is not None

    await eventually(lambda: removed_on(ke), wake=everyone)
    await eventually(lambda: removed_on(mz), wake=everyone)
    listed = (await ke.instance.client.get(f"{BASE}/maths/posts")).json()
    assert thread.uri not in [t["status"]["uri"] for t in listed]
    thread_on_ke = await _id_on(ke, Status, thread.uri)
    async with ke.session() as session:
        boost = await session.scalar(
            select(Status.id).where(
                Status.reblog_of_id == thread_on_ke, Status.account_id == maths.id
            )
        )
        assert boost is None  # the Group's boost went with it: home timelines drop it
        entry = await session.scalar(select(ModlogEntry).where(ModlogEntry.action == "remove_post"))
        assert entry is not None
        assert entry.reason == "Spam"

    # On Mozambique too, the Group's boost goes (its Undo{Announce}): out of home timelines.
    async def unboosted_on_mz() -> bool:
        return await group_boost_on_mz() is None

    await eventually(unboosted_on_mz, wake=everyone)

    # She restores it (Undo{Delete}) — back on ke, with the Group's boost, and on mz.
    restored = await sn.instance.client.post(
        f"{BASE}/maths@{ke_domain}/posts/{thread_on_sn}/restore", headers=fatou_token
    )
    assert restored.status_code == 200, restored.text

    async def restored_on(peer: Peer) -> bool:
        found = await filing_of(peer, thread.uri)
        return found is not None and found.removed_at is None

    await eventually(lambda: restored_on(ke), wake=everyone)
    await eventually(lambda: restored_on(mz), wake=everyone)
    async with ke.session() as session:
        boost = await session.scalar(
            select(Status.id).where(
                Status.reblog_of_id == thread_on_ke, Status.account_id == maths.id
            )
        )
        assert boost is not None

    # FEP-1b12's form of a removal — Remove with the Group's outbox as target — is
    # accepted too.
    fatou_on_sn = await _id_on(sn, Account, fatou.uri)
    fep_remove = {
        "@context": AS_CONTEXT,
        "id": f"{fatou.uri}/moderation/fep-remove",
        "type": "Remove",
        "actor": fatou.uri,
        "object": thread.uri,
        "target": f"{maths.uri}/outbox",
        "audience": maths.uri,
        "to": [PUBLIC],
        "cc": [maths.uri],
    }
    await sn.send(fatou_on_sn, group_inbox, fep_remove)
    await eventually(lambda: removed_on(ke), wake=everyone)
    await eventually(lambda: removed_on(mz), wake=everyone)

    # …and bans João: ke and Mozambique know it, João is refused at home.
    joao_on_sn = await _id_on(sn, Account, joao.uri)
    banned = await sn.instance.client.post(
        f"{BASE}/maths@{ke_domain}/bans/{joao_on_sn}", json={"reason": "Spam"}, headers=fatou_token
    )
    assert banned.status_code == 200, banned.text

    async def banned_on(peer: Peer) -> bool:
        return await role_on(peer, maths, joao) == "banned"

    await eventually(lambda: banned_on(ke), wake=everyone)
    await eventually(lambda: banned_on(mz), wake=everyone)

    # Amina locks her thread: Mozambique's reply is rejected, Neema's refused with 403.
    amina_token = bearer(await token_for(ke.instance, "amina", "read write"))
    ana = await mz.teacher("ana")
    await join_community(mz, ana, maths.uri)

    async def ana_member_on_ke() -> bool:
        async with ke.session() as session:
            ana_on_ke = await session.scalar(select(Account.id).where(Account.uri == ana.uri))
            return ana_on_ke is not None and await communities.is_member(
                session, maths.id, ana_on_ke
            )

    await eventually(ana_member_on_ke, wake=everyone)
    lesson = await ke.instance.client.post(
        f"{BASE}/maths/posts",
        json={"status": "Fractions with paper strips", "title": "Fractions"},
        headers=amina_token,
    )
    assert lesson.status_code == 200, lesson.text
    lesson_id = lesson.json()["id"]
    lesson_uri = lesson.json()["uri"]
    locked = await ke.instance.client.post(
        f"{BASE}/maths/posts/{lesson_id}/lock", json={"reason": "Answered"}, headers=amina_token
    )
    assert locked.status_code == 200, locked.text
    assert locked.json()["locked"]
    neema_token = bearer(await token_for(ke.instance, "neema", "read write"))
    before = await ke.count(Status)
    answer = await ke.instance.client.post(
        f"{BASE}/maths/posts",
        json={"status": "Thank you!", "in_reply_to_id": lesson_id},
        headers=neema_token,
    )
    assert answer.status_code == 403, answer.text
    assert "locked" in answer.json()["error"]
    assert await ke.count(Status) == before

    lesson_on_mz = await eventually(lambda: _id_if(mz, lesson_uri), wake=everyone)
    reply = await post_as(mz, ana, "Obrigada!", in_reply_to_id=lesson_on_mz)
    await eventually(lambda: was_rejected(mz, f"{ke.instance.url}/users/maths"), wake=everyone)
    await settle(ke.instance)
    assert await _id_if(ke, reply.uri) is None

    # Amina pins it: first in the threads list, in the Group's featured collection.
    later = await ke.instance.client.post(
        f"{BASE}/maths/posts", json={"status": "A later thread"}, headers=neema_token
    )
    assert later.status_code == 200, later.text
    pinned = await ke.instance.client.post(
        f"{BASE}/maths/posts/{lesson_id}/pin", headers=amina_token
    )
    assert pinned.status_code == 200, pinned.text
    listed = (await ke.instance.client.get(f"{BASE}/maths/posts")).json()
    assert [t["id"] for t in listed] == [lesson_id, later.json()["id"]]
    assert listed[0]["pinned"]
    assert listed[0]["locked"]
    featured = await ke.instance.client.get(
        "/users/maths/collections/featured", headers={"Accept": "application/activity+json"}
    )
    assert featured.status_code == 200, featured.text
    assert [item["id"] for item in featured.json()["orderedItems"]] == [lesson_uri]

    # Fatou, appointed after Amina, may not remove Amina's thread: ke refuses her Delete.
    outranked = {
        "@context": AS_CONTEXT,
        "id": f"{fatou.uri}/moderation/outranked",
        "type": "Delete",
        "actor": fatou.uri,
        "object": lesson_uri,
        "to": [PUBLIC],
        "cc": [maths.uri],
    }
    await sn.send(fatou_on_sn, group_inbox, outranked)
    await eventually(lambda: ke.received(outranked), wake=everyone)
    await settle(ke.instance)
    lesson_filed = await filing_of(ke, lesson_uri)
    assert lesson_filed is not None
    assert lesson_filed.removed_at is None

    # A ban sent to Mozambique directly, not announced by the Group, changes nothing
    # there (nor is it taken for Fatou's own block of João).
    direct_ban = {
        "@context": AS_CONTEXT,
        "id": f"{fatou.uri}/moderation/direct-ban",
        "type": "Block",
        "actor": fatou.uri,
        "object": joao.uri,
        "target": maths.uri,
        "to": [PUBLIC],
    }
    await sn.send(fatou_on_sn, f"{mz.instance.url}/inbox", direct_ban)
    await eventually(lambda: mz.received(direct_ban), wake=everyone)
    await settle(mz.instance)
    async with mz.session() as session:
        assert await session.scalar(select(Block.id)) is None

    # The modlog: public, on ke, and on Mozambique for what its Group announced.
    fatou_acct = f"fatou@{sn.instance.config.domain}"
    amina_acct = "amina"
    assert await _modlog(ke, "maths") == [
        ("add_moderator", amina_acct),
        ("remove_post", fatou_acct),
        ("restore_post", fatou_acct),
        ("remove_post", fatou_acct),
        ("ban", fatou_acct),
        ("lock", amina_acct),
        ("pin", amina_acct),
    ]
    expected = {
        ("remove_post", fatou_acct),
        ("ban", fatou_acct),
        ("lock", f"amina@{ke_domain}"),
        ("pin", f"amina@{ke_domain}"),
    }

    async def logged_on_mz() -> bool:
        return expected <= set(await _modlog(mz, f"maths@{ke_domain}"))

    await eventually(logged_on_mz, wake=everyone)
    log_on_mz = (await mz.instance.client.get(f"{BASE}/maths@{ke_domain}/modlog")).json()
    reasons = {e["action"]: e["reason"] for e in log_on_mz}
    assert reasons["lock"] == "Answered"
    assert reasons["ban"] == "Spam"


async def _id_if(peer: Peer, uri: str) -> int | None:
    async with peer.session() as session:
        found = await session.scalar(select(Status.id).where(Status.uri == uri))
        return int(found) if found is not None else None
