"""Teachers in Kenya, Senegal and Mozambique follow each other and talk across instances.

Three real instances on loopback, each with its own database and in-process worker; every
step crosses real HTTP with real signatures, and is checked on the receiving side.
"""

from __future__ import annotations

from sqlalchemy import select

from fedi.db.models import (
    Account,
    Favourite,
    Follow,
    FollowRequest,
    Notification,
    Status,
    StatusEdit,
)
from fedi.domain import interactions, statuses
from fedi.domain.statuses import Draft
from tests.federation.trio import Peer, eventually, federation

__all__ = ["federation"]


async def test_a_cross_border_conversation(federation: tuple[Peer, Peer, Peer]) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    joao = await mz.teacher("joao")

    # Fatou in Senegal follows Amina in Kenya: a request until Kenya accepts.
    amina_on_sn = await sn.account(amina.uri)
    assert amina_on_sn.domain == ke.instance.config.domain
    pending = await sn.follow(fatou, amina_on_sn)
    assert isinstance(pending, FollowRequest)
    await eventually(lambda: sn.count(Follow, Follow.account_id == fatou.id), wake=everyone)
    assert await ke.count(Follow) == 1
    assert await sn.count(FollowRequest) == 0

    # Amina posts; it reaches Senegal through the shared inbox.
    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        post = await statuses.post(
            session,
            ke.site,
            author,
            Draft(text="Fractions with paper strips! #maths", language="en"),
        )
    copy = await eventually(lambda: sn.status(post.uri), wake=everyone)
    assert "paper strips" in copy.content
    assert copy.language == "en"
    assert copy.visibility == "public"
    assert not copy.local

    # Fatou replies mentioning Amina: Kenya stores the reply and notifies Amina.
    handle = f"@amina@{ke.instance.config.domain}"
    async with sn.session() as session, session.begin():
        author = await session.get(Account, fatou.id)
        assert author is not None
        reply = await statuses.post(
            session,
            sn.site,
            author,
            Draft(text=f"{handle} Merci ! J'essaie demain.", language="fr", in_reply_to_id=copy.id),
        )
    reply_on_ke = await eventually(lambda: ke.status(reply.uri), wake=everyone)
    assert reply_on_ke.in_reply_to_id == post.id
    assert await ke.count(Notification, Notification.type == "mention") == 1

    # João in Mozambique likes Amina's post, fetched from Kenya by its URI.
    from fedi.federation.convert.incoming import ensure_note
    from fedi.federation.fetcher import FetchBudget

    mz_fed = mz.instance.state.federation
    assert mz_fed is not None
    async with mz.session() as session, session.begin():
        on_mz = await ensure_note(mz_fed, session, post.uri, FetchBudget(remaining=5))
        assert on_mz is not None
        liker = await session.get(Account, joao.id)
        assert liker is not None
        await interactions.favourite(session, liker, on_mz.id)
    await eventually(lambda: ke.count(Favourite, Favourite.status_id == post.id), wake=everyone)

    # Amina edits: Senegal's copy changes and keeps the history.
    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        await statuses.edit(
            session,
            ke.site,
            author,
            post.id,
            Draft(text="Fractions with folded paper strips! #maths", language="en"),
        )

    async def edited() -> Status | None:
        found = await sn.status(post.uri)
        return found if found and "folded" in found.content else None

    await eventually(edited, wake=everyone)
    assert await sn.count(StatusEdit) == 2

    # Amina deletes: gone from Senegal, and a late copy would stay deleted.
    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        await statuses.delete_status(session, author, post.id)

    async def gone() -> bool:
        return await sn.status(post.uri) is None

    await eventually(gone, wake=everyone)


async def _follow(peer: Peer, follower: Account, target_uri: str) -> None:
    await peer.follow(follower, await peer.account(target_uri))


async def test_boosts_blocks_reports_and_a_move(federation: tuple[Peer, Peer, Peer]) -> None:
    ke, sn, mz = federation
    everyone = [ke, sn, mz]
    amina = await ke.teacher("amina")
    fatou = await sn.teacher("fatou")
    joao = await mz.teacher("joao")
    async with ke.session() as session, session.begin():
        from fedi.db.models import User

        user = await session.scalar(select(User).where(User.account_id == amina.id))
        assert user is not None
        user.role = "moderator"  # Kenya's moderator receives reports about Kenyan accounts

    # João follows Fatou, Fatou follows Amina.
    await _follow(mz, joao, fatou.uri)
    await _follow(sn, fatou, amina.uri)
    await eventually(lambda: mz.count(Follow, Follow.account_id == joao.id), wake=everyone)
    await eventually(lambda: sn.count(Follow, Follow.account_id == fatou.id), wake=everyone)

    # Amina posts; Fatou boosts it: Kenya counts the boost, and João (who follows Fatou,
    # not Amina) receives the boosted post in Mozambique.
    async with ke.session() as session, session.begin():
        author = await session.get(Account, amina.id)
        assert author is not None
        post = await statuses.post(
            session, ke.site, author, Draft(text="Lesson plan", language="en")
        )
    copy = await eventually(lambda: sn.status(post.uri), wake=everyone)
    async with sn.session() as session, session.begin():
        booster = await session.get(Account, fatou.id)
        assert booster is not None
        await interactions.reblog(session, sn.site, booster, copy.id)

    async def boosted_on_ke() -> Status | None:
        found = await ke.status(post.uri)
        return found if found and found.reblogs_count == 1 else None

    await eventually(boosted_on_ke, wake=everyone)
    await eventually(lambda: mz.status(post.uri), wake=everyone)
    assert await mz.count(Status, Status.reblog_of_id.is_not(None)) == 1

    # João reports Amina's post; Kenya's moderator is notified, by the instance, not João.
    from fedi.domain import reports

    on_mz = await mz.status(post.uri)
    assert on_mz is not None
    async with mz.session() as session, session.begin():
        reporter = await session.get(Account, joao.id)
        target = await session.get(Account, on_mz.account_id)
        assert reporter is not None
        assert target is not None
        await reports.file_report(
            session, reporter, target, status_ids=[on_mz.id], comment="spam?", forward=True
        )
    await eventually(
        lambda: ke.count(Notification, Notification.type == "admin.report"), wake=everyone
    )
    async with ke.session() as session:
        from fedi.db.models import Report

        report = await session.scalar(select(Report))
        assert report is not None
        assert report.status_ids == [post.id]
        assert report.comment == "spam?"
        sender = await session.get(Account, report.account_id)
        assert sender is not None
        assert sender.actor_type == "Application"  # the reporter's name stays in Mozambique

    # Amina blocks Fatou: Senegal drops Fatou's follow of Amina.
    fatou_on_ke = await ke.account(fatou.uri)
    from fedi.domain import blocks

    async with ke.session() as session, session.begin():
        blocker = await session.get(Account, amina.id)
        blocked = await session.get(Account, fatou_on_ke.id)
        assert blocker is not None
        assert blocked is not None
        await blocks.block(session, blocker, blocked)

    async def unfollowed() -> bool:
        return await sn.count(Follow, Follow.account_id == fatou.id) == 0

    await eventually(unfollowed, wake=everyone)

    # Fatou moves to a new account on Kenya that names her old one; João follows along.
    fatou2 = await ke.teacher("fatou2")
    async with ke.session() as session, session.begin():
        row = await session.get(Account, fatou2.id)
        assert row is not None
        row.also_known_as = [fatou.uri]
    new_home = await sn.account(fatou2.uri)
    from fedi.domain import moves

    async with sn.session() as session, session.begin():
        old = await session.get(Account, fatou.id)
        target = await session.get(Account, new_home.id)
        assert old is not None
        assert target is not None
        await moves.move_account(session, old, target)

    async def follows_new_home() -> bool:
        return await ke.count(Follow, Follow.target_account_id == fatou2.id) == 1

    await eventually(follows_new_home, wake=everyone)

    async def accepted_on_mz() -> bool:
        async with mz.session() as session:
            targets = list(
                await session.scalars(
                    select(Account.uri)
                    .join(Follow, Follow.target_account_id == Account.id)
                    .where(Follow.account_id == joao.id)
                )
            )
        return targets == [fatou2.uri]

    await eventually(accepted_on_mz, wake=everyone)
