"""Moderating a community from its pages, over HTTP on one instance (both backends).

Amina moderates "maths" on ke; Baraka and Neema are members. From the community's page
Amina pins Baraka's first thread (it comes first), locks it (Neema's reply is refused,
the reason shown on her form; the thread page hides her reply link and says why) and
removes his second one with a reason (gone from the page; the thread page says so and
offers Amina a restore). Neema, no moderator, is refused with 403 and nothing changes; a
form without its CSRF token is refused too. On the members page Amina makes Baraka a
moderator; Baraka, appointed later, may not ban her (the rank rule, in French for him);
Amina bans Neema with a reason and unbans her. The moderation log lists it all, with
dates in the reader's language.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from fedi.db.models import Account, CommunityPost, ModlogEntry, Status
from fedi.domain import communities, community_threads
from fedi.domain.communities import Settings
from fedi.domain.community_rank import Acting
from tests.servers import Instance
from tests.web.browser import Browser, browser, make_teacher, speaks


async def _community(instance: Instance, creator: Account) -> None:
    async with instance.state.sessions() as session, session.begin():
        moderator = await session.get(Account, creator.id)
        await communities.create(
            session,
            instance.state.site,
            Settings(name="maths", display_name="Maths", subject="mathematics"),
            creator=moderator,
        )


async def _record(instance: Instance, status_id: int) -> CommunityPost:
    async with instance.state.readers() as session:
        found = await session.get(CommunityPost, status_id)
        assert found is not None
        return found


async def _log(instance: Instance) -> list[str]:
    async with instance.state.readers() as session:
        return list(await session.scalars(select(ModlogEntry.action).order_by(ModlogEntry.id)))


async def _thread(member: Browser, title: str, text: str) -> int:
    posted = await member.submit(
        "/communities/maths",
        "/communities/maths/posts",
        {"title": title, "status": text, "language": "en"},
    )
    assert posted.status_code == 303, posted.text
    return int(posted.headers["location"].rsplit("/", 1)[1])


def _order(page: str, *needles: str) -> list[int]:
    return [page.index(n) for n in needles]


async def test_moderators_pin_lock_remove_and_ban_from_the_pages(ke: Instance) -> None:
    amina = await make_teacher(ke, "amina")
    baraka = await make_teacher(ke, "baraka")
    neema = await make_teacher(ke, "neema")
    await _community(ke, amina)
    async with browser(ke) as b_amina, browser(ke) as b_baraka, browser(ke) as b_neema:
        await b_amina.log_in("amina")
        await b_baraka.log_in("baraka")
        await b_neema.log_in("neema")
        for member in (b_baraka, b_neema):
            joined = await member.submit("/communities/maths", "/communities/maths/join", {})
            assert joined.status_code == 303
        first = await _thread(b_baraka, "Fractions with paper", "Fold a strip")
        second = await _thread(b_baraka, "Decimals on a ruler", "Count the millimetres")

        # The moderator sees the forms; a member does not.
        page = await b_amina.get("/communities/maths")
        assert f'id="moderate-{first}"' in page.text
        assert 'id="members-link"' in page.text
        page = await b_neema.get("/communities/maths")
        assert f'id="moderate-{first}"' not in page.text
        assert 'id="members-link"' not in page.text
        assert _order(page.text, "Decimals on a ruler", "Fractions with paper") == sorted(
            _order(page.text, "Decimals on a ruler", "Fractions with paper")
        )

        # Neema is no moderator: 403 (with a real CSRF token), nothing changes.
        for action in ("remove", "lock", "pin"):
            refused = await b_neema.submit(
                "/communities/maths", f"/communities/maths/posts/{first}/{action}", {}
            )
            assert refused.status_code == 403
            assert "Only the community&#39;s moderators may do this" in refused.text
        assert (await b_neema.get("/communities/maths/members")).status_code == 403
        # A form without its token is refused before anything is read.
        forged = await b_amina.client.post(
            f"/communities/maths/posts/{first}/remove", data={"reason": "spam"}
        )
        assert forged.status_code == 403
        record = await _record(ke, first)
        assert (record.removed_at, record.locked_at, record.pinned_at) == (None, None, None)
        assert await _log(ke) == []

        # Pinned: the older thread comes first, marked for everyone.
        pinned = await b_amina.submit(
            "/communities/maths", f"/communities/maths/posts/{first}/pin", {"next": "/x"}
        )
        assert pinned.status_code == 303
        assert pinned.headers["location"] == "/x"
        page = await b_neema.get("/communities/maths")
        assert page.text.index("Fractions with paper") < page.text.index("Decimals on a ruler")
        assert "Pinned" in page.text

        # Locked: from the thread page, which returns there.
        thread_path = f"/@baraka/{first}"
        locked = await b_amina.submit(
            thread_path,
            f"/communities/maths/posts/{first}/lock",
            {"next": thread_path, "reason": "Answered in full"},
        )
        assert locked.status_code == 303
        assert locked.headers["location"] == thread_path
        thread = await b_neema.get(thread_path)
        assert "Locked" in thread.text
        assert 'id="locked-note"' in thread.text
        assert 'id="reply-link"' not in thread.text
        shown = await b_amina.get(thread_path)
        assert 'id="reply-link"' in shown.text  # moderators may still answer
        assert "Unlock" in shown.text
        before = await _count_statuses(ke)
        reply = await b_neema.submit(
            f"/compose?in_reply_to={first}",
            "/compose",
            {"status": "But what about thirds?", "language": "en", "in_reply_to": str(first)},
        )
        assert reply.status_code == 403
        assert "This thread is locked: it takes no new replies" in reply.text
        assert "But what about thirds?" in reply.text  # what she typed is kept
        assert await _count_statuses(ke) == before

        # Removed, with a reason: gone from the community's page, marked on its own.
        removed = await b_amina.submit(
            "/communities/maths",
            f"/communities/maths/posts/{second}/remove",
            {"reason": "Off topic"},
        )
        assert removed.status_code == 303
        assert removed.headers["location"] == "/communities/maths"
        page = await b_neema.get("/communities/maths")
        assert "Decimals on a ruler" not in page.text
        shown = await b_amina.get(f"/@baraka/{second}")
        assert "Removed from the community by its moderators: Off topic" in shown.text
        assert f'action="/communities/maths/posts/{second}/restore"' in shown.text

        # Members: Baraka becomes a moderator; appointed later, he may not ban Amina.
        members = await b_amina.get("/communities/maths/members")
        assert members.status_code == 200
        assert f'id="member-{baraka.id}"' in members.text
        assert f'id="moderator-{amina.id}"' in members.text
        made = await b_amina.submit(
            "/communities/maths/members",
            f"/communities/maths/members/{baraka.id}/add_moderator",
            {},
        )
        assert made.status_code == 303
        await speaks(ke, "baraka", "fr")
        refused = await b_baraka.submit(
            "/communities/maths/members",
            f"/communities/maths/members/{amina.id}/ban",
            {"reason": "coup"},
        )
        assert refused.status_code == 403
        assert 'id="refusal"' in refused.text
        assert "Seul un modérateur nommé plus tôt" in refused.text
        assert await _role(ke, amina) == "moderator"

        # Amina bans Neema (she leaves the community), then unbans her.
        banned = await b_amina.submit(
            "/communities/maths/members",
            f"/communities/maths/members/{neema.id}/ban",
            {"reason": "Rude to colleagues"},
        )
        assert banned.status_code == 303
        members = await b_amina.get("/communities/maths/members")
        assert f'id="banned-{neema.id}"' in members.text
        # A later moderator may be banned by Amina; she is offered no ban of herself.
        assert f'action="/communities/maths/members/{baraka.id}/ban"' in members.text
        assert f'action="/communities/maths/members/{amina.id}/ban"' not in members.text
        assert "Rude to colleagues" in members.text
        assert (
            "You are banned from this community" in (await b_neema.get("/communities/maths")).text
        )
        unbanned = await b_amina.submit(
            "/communities/maths/members", f"/communities/maths/members/{neema.id}/unban", {}
        )
        assert unbanned.status_code == 303
        assert await _role(ke, neema) is None

    # The log is public for a public community, in the reader's language.
    assert await _log(ke) == ["pin", "lock", "remove_post", "add_moderator", "ban", "unban"]
    async with browser(ke, **{"Accept-Language": "fr"}) as anonymous:
        log = await anonymous.get("/communities/maths/modlog")
    assert log.status_code == 200
    assert "a épinglé un fil" in log.text
    assert "a verrouillé un fil" in log.text
    assert "Off topic" in log.text
    assert "Answered in full" in log.text
    assert f'href="/@baraka/{second}" class="post-link"' in log.text  # where to restore it
    assert "Rude to colleagues" in log.text
    assert re.search(r"<time datetime=\"[^\"]+\">[^<]*20\d\d", log.text)
    # Newest first.
    assert log.text.index("a levé le bannissement de") < log.text.index("a épinglé un fil")


async def _count_statuses(instance: Instance) -> int:
    async with instance.state.readers() as session:
        return len(list(await session.scalars(select(Status.id))))


async def _role(instance: Instance, account: Account) -> str | None:
    async with instance.state.readers() as session:
        group = await session.scalar(select(Account.id).where(Account.username == "maths"))
        assert group is not None
        return await communities.role_of(session, group, account.id)


async def test_a_private_communitys_log_and_members_are_for_its_moderators(ke: Instance) -> None:
    amina = await make_teacher(ke, "amina")
    await make_teacher(ke, "neema")
    await make_teacher(ke, "root", role="admin")
    async with ke.state.sessions() as session, session.begin():
        creator = await session.get(Account, amina.id)
        await communities.create(
            session,
            ke.state.site,
            Settings(name="staffroom", display_name="Staff room", visibility="private"),
            creator=creator,
        )
    async with browser(ke) as anonymous:
        assert (await anonymous.get("/communities/staffroom/modlog")).status_code == 403
        page = await anonymous.get("/communities/staffroom")
        assert 'id="modlog-link"' not in page.text
        # Signing in comes first for the members page.
        members = await anonymous.get("/communities/staffroom/members")
        assert members.status_code == 303
        assert members.headers["location"].startswith("/login")
    async with browser(ke) as neema:
        await neema.log_in("neema")
        assert (await neema.get("/communities/staffroom/modlog")).status_code == 403
        assert (await neema.get("/communities/staffroom/members")).status_code == 403
    for moderator in ("amina", "root"):  # its moderator, and our admin
        async with browser(ke) as reader:
            await reader.log_in(moderator)
            page = await reader.get("/communities/staffroom")
            assert 'id="modlog-link"' in page.text
            log = await reader.get("/communities/staffroom/modlog")
            assert log.status_code == 200
            assert "No moderation yet." in log.text
            assert (await reader.get("/communities/staffroom/members")).status_code == 200


async def test_the_log_is_paged_newest_first(ke: Instance) -> None:
    amina = await make_teacher(ke, "amina")
    await _community(ke, amina)
    async with browser(ke) as b_amina:
        await b_amina.log_in("amina")
        lesson = await _thread(b_amina, "Fractions", "Fold a strip")
    async with ke.state.sessions() as session, session.begin():
        group = await session.scalar(select(Account).where(Account.username == "maths"))
        moderator = await session.get(Account, amina.id)
        assert group is not None
        for index in range(45):  # pin, unpin, pin, … : 45 entries, the last a pin
            await community_threads.pin(
                session, group, lesson, index % 2 == 0, acting=Acting(by=moderator)
            )
    async with browser(ke, **{"Accept-Language": "sw"}) as anonymous:
        first = await anonymous.get("/communities/maths/modlog")
        assert first.text.count('class="entry ') == 40
        assert "alibandika mjadala" in first.text  # Kiswahili
        older = re.search(r'href="(/communities/maths/modlog\?max_id=\d+)" rel="next"', first.text)
        assert older is not None
        second = await anonymous.get(older.group(1))
    assert second.text.count('class="entry ') == 5
    assert 'rel="next"' not in second.text
    ids = re.findall(r'id="entry-(\d+)"', first.text + second.text)
    assert len(set(ids)) == 45
    assert [int(i) for i in ids] == sorted((int(i) for i in ids), reverse=True)
