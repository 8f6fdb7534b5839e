"""A community on one instance joined from another's pages: Fatou, on sn, types
``maths@<ke>`` in the "join a community on another instance" form, posts a thread in French
from the community's page, and reads Amina's Kiswahili reply (sent from ke) in French on
sn. Unknown handles, accounts that are not communities and blocked servers are refused in
her language, and a community's page URL works as well as its handle. Real instances on
loopback, real federation."""

from __future__ import annotations

from sqlalchemy import select

from fedi.db.models import CommunityPost, Follow, Rendition, Status
from fedi.domain import renditions
from fedi.domain.communities import Settings
from fedi.federation.policy import set_rule
from tests.api.scopes import bearer, token_for
from tests.federation.communities import create_community
from tests.federation.trio import Peer, eventually, federation
from tests.web.browser import browser

__all__ = ["federation"]


async def _status(peer: Peer, *where: object) -> Status | None:
    async with peer.session() as session:
        query = select(Status)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        found: Status | None = await session.scalar(query.limit(1))
        return found


async def test_a_teacher_joins_a_community_on_another_instance_from_the_pages(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    await create_community(
        ke,
        amina,
        Settings(
            name="maths",
            display_name="Mathematics, secondary",
            subject="mathematics",
            languages=["en", "sw"],
            rules=["Be kind"],
        ),
    )
    await create_community(ke, amina, Settings(name="sciences", display_name="Sciences"))
    ke_domain = ke.site.domain
    async with sn.session() as session, session.begin():
        await set_rule(session, mz.site.domain, "block")
    assert sn.instance.state.federation is not None
    await sn.instance.state.federation.policy.refresh(force=True)

    async with browser(sn.instance) as page:
        await page.log_in("fatou")
        await page.submit(
            "/settings",
            "/settings",
            {"interface_language": "fr", "languages": ["fr"], "translate": "on"},
        )
        # Mistakes are told in French, and nothing is joined.
        unknown = await page.submit(
            "/communities", "/communities/join", {"handle": f"@nobody@{ke_domain}"}
        )
        person = await page.submit(
            "/communities", "/communities/join", {"handle": f"amina@{ke_domain}"}
        )
        blocked = await page.submit(
            "/communities", "/communities/join", {"handle": f"maths@{mz.site.domain}"}
        )
        assert unknown.status_code == 404
        assert "Communauté introuvable" in unknown.text
        assert f'value="@nobody@{ke_domain}"' in unknown.text
        assert person.status_code == 422
        assert "Ce n’est pas une communauté" in person.text
        assert blocked.status_code == 403
        assert "ne communique pas avec ce serveur" in blocked.text

        joined = await page.submit(
            "/communities", "/communities/join", {"handle": f"@maths@{ke_domain}"}
        )
        assert joined.status_code == 303
        community_page = joined.headers["location"]
        assert community_page == f"/communities/maths@{ke_domain}"

        async def member() -> bool:
            async with sn.session() as session:
                found = await session.scalar(select(Follow.id).where(Follow.account_id == fatou.id))
                return found is not None

        await eventually(member, wake=[ke, sn])
        shown = await page.get(community_page)
        assert shown.status_code == 200
        assert "Mathematics, secondary" in shown.text
        assert "Be kind" in shown.text
        assert 'id="leave"' in shown.text
        assert 'id="compose"' in shown.text

        # The page's URL on ke names the community as well as its handle does.
        by_url = await page.submit(
            "/communities", "/communities/join", {"handle": f"{ke.instance.url}/@sciences"}
        )
        assert by_url.status_code == 303
        assert by_url.headers["location"] == f"/communities/sciences@{ke_domain}"

        # The directory on sn knows ke's communities, by subject too.
        elsewhere = await page.get(
            "/communities", params={"where": "elsewhere", "subject": "mathematics"}
        )
        assert f"/communities/maths@{ke_domain}" in elsewhere.text
        assert "/communities/sciences@" not in elsewhere.text

        posted = await page.submit(
            community_page,
            f"{community_page}/posts",
            {
                "title": "Les fractions",
                "status": "Les fractions avec des bandes de papier",
                "language": "fr",
            },
        )
        assert posted.status_code == 303
        thread = posted.headers["location"]
    sn_id = int(thread.rsplit("/", 1)[1])
    sn_post = await _status(sn, Status.id == sn_id)
    assert sn_post is not None

    async def arrived_on_ke() -> int | None:
        found = await _status(ke, Status.uri == sn_post.uri)
        if found is None:
            return None
        async with ke.session() as session:
            filed = await session.get(CommunityPost, found.id)
        return found.id if filed is not None and filed.title == "Les fractions" else None

    ke_id = await eventually(arrived_on_ke, wake=[ke, sn])
    async with browser(ke.instance) as page:
        await page.log_in("amina")
        replied = await page.submit(
            f"/compose?in_reply_to={ke_id}",
            "/compose",
            {"status": "Asante, nitajaribu kesho", "language": "sw", "in_reply_to": str(ke_id)},
        )
        assert replied.status_code == 303
    reply_id = int(replied.headers["location"].rsplit("/", 1)[1])
    reply_uri = ke.site.status_uri("amina", reply_id)

    async def reply_on_sn() -> Status | None:
        return await _status(sn, Status.uri == reply_uri)

    reply = await eventually(reply_on_sn, wake=[ke, sn])
    async with sn.session() as session, session.begin():
        session.add(
            Rendition(
                status_id=reply.id,
                edit_version=renditions.edit_version(reply),
                language="fr",
                source_language="sw",
                engine="argos",
                model_version="1",
                content="<p>Merci, j'essaierai demain</p>",
            )
        )
    async with browser(sn.instance) as page:
        await page.log_in("fatou")
        read = await page.get(thread)
        original = await page.get(thread, params={"original": str(reply.id)})
        listed = await page.get(community_page)
    assert "Les fractions avec des bandes de papier" in read.text
    assert "Merci, j'essaierai demain" in read.text
    assert "Traduit (langue d’origine : swahili)" in read.text
    assert f"?original={reply.id}#post-{reply.id}" in read.text
    assert "Asante, nitajaribu kesho" in original.text
    assert "Les fractions" in listed.text


async def test_the_json_api_joins_by_handle_and_lists_the_directory(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    amina = await ke.teacher("amina")
    await create_community(
        ke,
        amina,
        Settings(name="maths", display_name="Mathematics", subject="mathematics", languages=["sw"]),
    )
    async with sn.session() as session, session.begin():
        await set_rule(session, mz.site.domain, "block")
    auth = bearer(await token_for(sn.instance, "fatou", "read write"))
    client = sn.instance.client
    base = "/api/jamii/v1/communities"
    ke_domain = ke.site.domain

    async def join(handle: str) -> tuple[int, dict[str, object]]:
        answer = await client.post(f"{base}/join", json={"handle": handle}, headers=auth)
        body: dict[str, object] = answer.json()
        return answer.status_code, body

    assert await join(f"nobody@{ke_domain}") == (404, {"error": "Community not found"})
    assert await join(f"@amina@{ke_domain}") == (422, {"error": "That is not a community"})
    assert (await join(f"maths@{mz.site.domain}"))[0] == 403
    assert (await join("not a handle"))[0] == 422
    missing = await client.post(f"{base}/join", json={}, headers=auth)
    assert missing.status_code == 422
    anonymous = await client.post(f"{base}/join", json={"handle": f"maths@{ke_domain}"})
    assert anonymous.status_code == 401

    status, joined = await join(f"@maths@{ke_domain}")
    assert status == 200
    assert joined["acct"] == f"maths@{ke_domain}"
    assert joined["local"] is False
    assert joined["subject"] == "mathematics"  # from the Group's PropertyValues
    membership = joined["membership"]
    assert isinstance(membership, dict)
    assert membership["member"] or membership["requested"]

    listed = await client.get(f"{base}/directory", params={"local": "false", "language": "sw"})
    assert [c["acct"] for c in listed.json()] == [f"maths@{ke_domain}"]
    none_here = await client.get(f"{base}/directory", params={"local": "true"})
    assert none_here.json() == []
    bad = await client.get(f"{base}/directory", params={"offset": "-1"})
    assert bad.status_code == 422
