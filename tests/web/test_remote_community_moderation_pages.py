"""Moderating a community on another instance from one's own pages: "maths" lives on ke;
Amina makes Fatou (sn) a moderator. On sn's page for maths@ke Fatou sees the moderation
forms (Moussa, a member on sn, does not, and is refused with 403), pins Neema's thread
and removes João's spam with a reason: ke applies both (the spam leaves ke's page, the
pinned thread comes first there) and ke's public moderation log names Fatou. Real
instances on loopback, real federation, both backends."""

from __future__ import annotations

from sqlalchemy import select

from fedi.db.models import Account, Status
from fedi.domain import communities, community_moderation, statuses
from fedi.domain.communities import Settings
from fedi.domain.statuses import Draft
from tests.federation.communities import create_community, filing_of, join_community
from tests.federation.trio import Peer, eventually, federation
from tests.web.browser import browser

__all__ = ["federation"]


async def _thread(peer: Peer, author: Account, group_id: int, title: str, text: str) -> Status:
    async with peer.session() as session, session.begin():
        writer = await session.get(Account, author.id)
        assert writer is not None
        return await statuses.post(
            session,
            peer.site,
            writer,
            Draft(text=text, community_id=group_id, title=title, language="en"),
        )


async def test_a_moderator_on_sn_moderates_kes_community_from_sns_pages(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    ke_domain = ke.instance.config.domain
    amina = await ke.teacher("amina")
    neema = await ke.teacher("neema")
    fatou = await sn.teacher("fatou")
    moussa = await sn.teacher("moussa")
    maths = await create_community(ke, amina, Settings(name="maths", display_name="Maths"))
    await join_community(ke, neema, maths.uri)
    for member in (fatou, moussa):
        await join_community(sn, member, maths.uri)

    async def members_on_ke() -> bool:
        async with ke.session() as session:
            return len(await communities.members(session, maths.id)) == 3

    await eventually(members_on_ke, wake=everyone)
    async with ke.session() as session, session.begin():
        group = await session.get(Account, maths.id)
        moderator = await session.get(Account, amina.id)
        remote_fatou = await session.scalar(select(Account).where(Account.uri == fatou.uri))
        assert group is not None
        assert remote_fatou is not None
        await community_moderation.add_moderator(session, group, remote_fatou, by=moderator)

    async def fatou_moderates_on_sn() -> bool:
        async with sn.session() as session:
            group_id = await session.scalar(select(Account.id).where(Account.uri == maths.uri))
            if group_id is None:
                return False
            return await communities.role_of(session, group_id, fatou.id) == "moderator"

    await eventually(fatou_moderates_on_sn, wake=everyone)

    lesson = await _thread(ke, neema, maths.id, "Fractions with paper", "Fold a strip")
    spam = await _thread(ke, neema, maths.id, "Buy now", "Cheap watches")
    for post in (lesson, spam):
        await eventually(lambda post=post: filing_of(sn, post.uri), wake=everyone)  # type: ignore[misc]
    lesson_on_sn = await filing_of(sn, lesson.uri)
    spam_on_sn = await filing_of(sn, spam.uri)
    assert lesson_on_sn is not None
    assert spam_on_sn is not None
    page_path = f"/communities/maths@{ke_domain}"

    async with browser(sn.instance) as b_moussa:
        await b_moussa.log_in("moussa")
        page = await b_moussa.get(page_path)
        assert page.status_code == 200
        assert f'id="moderate-{spam_on_sn.status_id}"' not in page.text
        refused = await b_moussa.submit(
            page_path, f"{page_path}/posts/{spam_on_sn.status_id}/remove", {"reason": "no"}
        )
        assert refused.status_code == 403

    async with browser(sn.instance) as b_fatou:
        await b_fatou.log_in("fatou")
        page = await b_fatou.get(page_path)
        assert f'id="moderate-{spam_on_sn.status_id}"' in page.text
        pinned = await b_fatou.submit(
            page_path, f"{page_path}/posts/{lesson_on_sn.status_id}/pin", {}
        )
        assert pinned.status_code == 303
        removed = await b_fatou.submit(
            page_path,
            f"{page_path}/posts/{spam_on_sn.status_id}/remove",
            {"reason": "Spam"},
        )
        assert removed.status_code == 303
        assert removed.headers["location"] == page_path
        # Applied at home at once.
        page = await b_fatou.get(page_path)
        assert "Buy now" not in page.text

    async def applied_on_ke() -> bool:
        spam_ke, lesson_ke = await filing_of(ke, spam.uri), await filing_of(ke, lesson.uri)
        return (
            spam_ke is not None
            and spam_ke.removed_at is not None
            and lesson_ke is not None
            and lesson_ke.pinned_at is not None
        )

    await eventually(applied_on_ke, wake=everyone)
    async with browser(ke.instance) as anonymous:
        shown = await anonymous.get("/communities/maths")
        log = await anonymous.get("/communities/maths/modlog")
    assert "Buy now" not in shown.text
    assert "Fractions with paper" in shown.text
    assert "Pinned" in shown.text
    assert log.status_code == 200
    assert "removed a post" in log.text
    assert "pinned a thread" in log.text
    assert "Spam" in log.text
    assert "@fatou@" in log.text
