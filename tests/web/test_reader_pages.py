"""A teacher's notifications and search, and the moderation queue: each for the right
people, in the reader's language, with forms that act through the domain's rules."""

from __future__ import annotations

from sqlalchemy import func, select

from fedi.db.models import Account, Follow, FollowRequest, Report, Status
from fedi.domain import communities, follows, interactions, reports
from fedi.domain.communities import Settings
from fedi.domain.site import Site
from tests.factories import remote_teacher, say
from tests.federation.trio import Peer, eventually, federation
from tests.servers import Instance
from tests.web.browser import PASSWORD, browser, make_teacher, speaks

__all__ = ["federation"]


async def account(instance: Instance, username: str) -> Account:
    async with instance.state.readers() as session:
        found = await session.scalar(select(Account).where(Account.username == username))
    assert found is not None
    return found


async def test_notifications_show_what_happened_with_links_and_pages(ke: Instance) -> None:
    site = Site.from_config(ke.config)
    amina = await make_teacher(ke, "amina")
    baraka = await make_teacher(ke, "baraka")
    async with ke.state.sessions() as session, session.begin():
        first = await say(session, amina, "Who has a fractions worksheet?", site=site)
        reply = await say(session, baraka, "@amina here is mine", site=site, in_reply_to_id=first)
        await interactions.favourite(session, baraka, first)
        await follows.follow(session, baraka, amina)
        for n in range(22):
            await say(session, baraka, f"@amina note {n}", site=site)
    async with browser(ke) as stranger:
        assert (await stranger.get("/notifications")).headers["location"] == (
            "/login?next=/notifications"
        )
    async with browser(ke) as phone:
        await phone.log_in("amina")
        page = await phone.get("/notifications")
        assert page.status_code == 200
        assert page.text.count('class="notification ') == 20
        assert 'Baraka</a> <span class="acct">@baraka</span> mentioned you' in page.text
        assert 'rel="next"' in page.text
        older_link = page.text.split('href="/notifications?max_id=')[1].split('"')[0]
        older = await phone.get(f"/notifications?max_id={older_link}")
    assert older.status_code == 200
    assert older.text.count('class="notification ') == 5
    assert "replied to you" in older.text
    assert "favourited your post" in older.text
    assert "followed you" in older.text
    assert f'href="/@baraka/{reply}"' in older.text
    assert 'href="/@baraka"' in older.text
    assert 'rel="next"' not in older.text


async def test_a_private_mention_opens_for_the_one_it_addresses(ke: Instance) -> None:
    site = Site.from_config(ke.config)
    await make_teacher(ke, "amina")
    baraka = await make_teacher(ke, "baraka")
    async with ke.state.sessions() as session, session.begin():
        secret = await say(
            session, baraka, "@amina the exam dates, between us", site=site, visibility="direct"
        )
    async with browser(ke) as stranger:
        assert (await stranger.get(f"/@baraka/{secret}")).status_code == 404
    async with browser(ke) as phone:
        await phone.log_in("amina")
        notes = await phone.get("/notifications")
        assert f'href="/@baraka/{secret}"' in notes.text
        thread = await phone.get(f"/@baraka/{secret}")
    assert thread.status_code == 200
    assert "the exam dates, between us" in thread.text
    assert thread.headers["cache-control"] == "private, no-store"


async def test_notifications_in_french_and_a_follow_request_answered(ke: Instance) -> None:
    async with ke.state.sessions() as session, session.begin():
        amina = await session.get(Account, (await make_teacher(ke, "amina")).id)
        assert amina is not None
        amina.locked = True
    baraka = await make_teacher(ke, "baraka")
    async with ke.state.sessions() as session, session.begin():
        me = await session.get(Account, amina.id)
        assert me is not None
        await follows.follow(session, baraka, me)
    await speaks(ke, "amina", "fr")
    async with browser(ke) as phone:
        await phone.log_in("amina")
        page = await phone.get("/notifications")
        assert "demande à vous suivre" in page.text
        forged = await phone.client.post(
            f"/notifications/requests/{baraka.id}", data={"decision": "accept"}
        )
        assert forged.status_code == 403
        accepted = await phone.submit(
            "/notifications", f"/notifications/requests/{baraka.id}", {"decision": "accept"}
        )
        assert accepted.status_code == 303
    async with ke.state.readers() as session:
        assert await session.scalar(select(func.count()).select_from(FollowRequest)) == 0
        assert (
            await session.scalar(
                select(func.count()).select_from(Follow).where(Follow.account_id == baraka.id)
            )
            == 1
        )


async def test_search_finds_teachers_posts_and_hashtags_as_the_rules_allow(ke: Instance) -> None:
    site = Site.from_config(ke.config)
    amina = await make_teacher(ke, "amina")
    baraka = await make_teacher(ke, "baraka")
    async with ke.state.sessions() as session, session.begin():
        await say(session, amina, "Photosynthesis lesson plan #biology", site=site)
        await say(
            session,
            amina,
            "Photosynthesis answers for my followers",
            site=site,
            visibility="private",
        )
        await remote_teacher(session, "moussa", "ecoles.example.sn")
    async with browser(ke, **{"Accept-Language": "sw"}) as stranger:
        found = await stranger.get("/search?q=amina")
        assert found.status_code == 200
        assert 'href="/@amina"' in found.text
        posts = await stranger.get("/search?q=photosynthesis")
        assert "Photosynthesis lesson plan" not in posts.text  # posts: signed-in readers only
        # Logging in from here comes back to the same search, now with posts.
        assert 'href="/login?next=/search%3Fq%3Dphotosynthesis"' in posts.text
        tags = await stranger.get("/search?q=%23bio")
        assert "#biology" in tags.text
        remote = await stranger.get("/search?q=moussa")
        assert "https://ecoles.example.sn/@moussa" in remote.text
    async with browser(ke) as baraka_phone:
        login = "/login?next=/search%3Fq%3Dphotosynthesis"  # the link the stranger saw
        form = await baraka_phone.get(login)
        assert 'name="next" value="/search?q=photosynthesis"' in form.text
        back = await baraka_phone.submit(
            login,
            "/login",
            {"login": "baraka", "password": PASSWORD, "next": "/search?q=photosynthesis"},
        )
        assert back.headers["location"] == "/search?q=photosynthesis"
        assert (
            "Photosynthesis lesson plan" in (await baraka_phone.get(back.headers["location"])).text
        )
        posts = await baraka_phone.get("/search?q=photosynthesis&type=statuses")
        assert "Photosynthesis lesson plan" in posts.text
        assert "answers for my followers" not in posts.text  # not a follower
        nothing = await baraka_phone.get("/search?q=zebra")
        assert "Nothing found for" in nothing.text
    del baraka


async def test_the_moderation_queue_for_moderators(ke: Instance) -> None:
    site = Site.from_config(ke.config)
    amina = await make_teacher(ke, "amina")
    baraka = await make_teacher(ke, "baraka")
    await make_teacher(ke, "juma", role="moderator")
    async with ke.state.sessions() as session, session.begin():
        rude = await say(session, baraka, "something rude", site=site, visibility="private")
        target = await session.get(Account, baraka.id)
        reporter = await session.get(Account, amina.id)
        assert target is not None
        assert reporter is not None
        await reports.file_report(session, reporter, target, status_ids=[rude], comment="Rude")
        server = await remote_teacher(session, "ecoles.example.sn", "ecoles.example.sn")
        await reports.file_report(
            session, server, target, comment="Spam", uri="https://ecoles.example.sn/flags/1"
        )
    async with browser(ke) as stranger:
        assert (await stranger.get("/moderation")).status_code == 303
    async with browser(ke) as teacher:
        await teacher.log_in("amina")
        assert (await teacher.get("/moderation")).status_code == 403
    await speaks(ke, "juma", "pt")
    async with browser(ke) as juma:
        await juma.log_in("juma")
        queue = await juma.get("/moderation")
        assert queue.status_code == 200
        assert "2 denúncias abertas" in queue.text
        assert "something rude" in queue.text  # the reported post, whatever its audience
        assert "ecoles.example.sn" in queue.text
        async with ke.state.readers() as session:
            ids = list(await session.scalars(select(Report.id).order_by(Report.id)))
        forged = await juma.client.post(f"/moderation/reports/{ids[0]}", data={"outcome": "x"})
        assert forged.status_code == 403
        closed = await juma.submit(
            "/moderation", f"/moderation/reports/{ids[0]}", {"outcome": "dismissed"}
        )
        assert closed.status_code == 303
        after = await juma.get("/moderation")
        assert "1 denúncia aberta" in after.text
    async with ke.state.readers() as session:
        first = await session.get(Report, ids[0])
    assert first is not None
    assert first.resolved
    assert first.extra["outcome"] == "dismissed"


async def test_a_community_moderator_answers_join_requests(ke: Instance) -> None:
    site = Site.from_config(ke.config)
    amina = await make_teacher(ke, "amina")
    baraka = await make_teacher(ke, "baraka")
    await make_teacher(ke, "neema")
    async with ke.state.sessions() as session, session.begin():
        creator = await session.get(Account, amina.id)
        assert creator is not None
        view = await communities.create(
            session,
            site,
            Settings(name="maths_ke", display_name="Maths teachers", visibility="private"),
            creator=creator,
        )
        group = view.account
        applicant = await session.get(Account, baraka.id)
        assert applicant is not None
        await communities.join(session, applicant, group)
    async with browser(ke) as neema:
        await neema.log_in("neema")
        assert (await neema.get("/moderation")).status_code == 403
    async with browser(ke) as phone:
        await phone.log_in("amina")
        notes = await phone.get("/notifications")
        assert 'href="/moderation"' in notes.text  # where her community's requests wait
        queue = await phone.get("/moderation")
        assert queue.status_code == 200
        assert "open report" not in queue.text  # reports are the instance staff's
        assert "asks to join" in queue.text
        assert 'Maths teachers</a> <span class="acct">@maths_ke</span>' in queue.text
        assert '<span class="acct">@baraka</span>' in queue.text
        accepted = await phone.submit(
            "/moderation",
            "/moderation/requests",
            {"community": str(group.id), "applicant": str(baraka.id), "decision": "accept"},
        )
        assert accepted.status_code == 303
    async with ke.state.readers() as session:
        assert await communities.is_member(session, group.id, baraka.id)


async def test_the_search_page_finds_a_teacher_and_her_post_on_another_server(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, _ = federation
    amina = await make_teacher(ke.instance, "amina")
    async with ke.session() as session, session.begin():
        post = await say(session, amina, "Fractions with paper strips", site=ke.site)
    await make_teacher(sn.instance, "fatou")
    domain = ke.instance.config.domain
    async with browser(sn.instance) as stranger:
        # Anonymous readers search what is known here only.
        unknown = await stranger.get("/search", params={"q": f"amina@{domain}"})
        assert f"@amina@{domain}</span>" not in unknown.text
    async with browser(sn.instance) as fatou:
        await fatou.log_in("fatou")
        found = await fatou.get("/search", params={"q": f"@amina@{domain}"})
        assert found.status_code == 200
        assert f"@amina@{domain}</span>" in found.text
        by_url = await fatou.get("/search", params={"q": f"{ke.instance.url}/@amina/{post}"})
    assert "Fractions with paper strips" in by_url.text


async def test_a_join_request_from_another_server_is_accepted_on_the_page(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, _ = federation
    amina = await make_teacher(ke.instance, "amina")
    async with ke.session() as session, session.begin():
        creator = await session.get(Account, amina.id)
        assert creator is not None
        view = await communities.create(
            session,
            ke.site,
            Settings(name="sayansi", display_name="Sayansi", visibility="private"),
            creator=creator,
        )
        group_uri = view.account.uri
    fatou = await make_teacher(sn.instance, "fatou")
    group_there = await sn.account(group_uri)
    async with sn.session() as session, session.begin():
        member = await session.get(Account, fatou.id)
        assert member is not None
        await communities.join(session, member, group_there)

    async def asked() -> bool:
        async with ke.instance.state.readers() as session:
            count = await session.scalar(select(func.count()).select_from(FollowRequest))
        return bool(count)

    await eventually(asked, wake=[ke, sn])
    async with browser(ke.instance) as phone:
        await phone.log_in("amina")
        queue = await phone.get("/moderation")
        assert "@fatou@" in queue.text, queue.text[-2500:]
        fatou_here = queue.text.split('name="applicant" value="')[1].split('"')[0]
        accepted = await phone.submit(
            "/moderation",
            "/moderation/requests",
            {"community": str(view.account.id), "applicant": fatou_here, "decision": "accept"},
        )
        assert accepted.status_code == 303

    async def member_there() -> bool:
        async with sn.instance.state.readers() as session:
            return await communities.is_member(session, group_there.id, fatou.id)

    # The Accept went to Senegal: Fatou is a member there too.
    await eventually(member_there, wake=[ke, sn])


async def test_a_teacher_reports_a_post_and_a_moderator_sees_it(ke: Instance) -> None:
    site = Site.from_config(ke.config)
    await make_teacher(ke, "amina")
    baraka = await make_teacher(ke, "baraka")
    await make_teacher(ke, "juma", role="moderator")
    async with ke.state.sessions() as session, session.begin():
        rude = await say(session, baraka, "Buy my exam answers", site=site)
    async with browser(ke) as stranger:
        assert (await stranger.get(f"/report?status={rude}")).status_code == 303
    await speaks(ke, "amina", "sw")
    async with browser(ke) as phone:
        await phone.log_in("amina")
        thread = await phone.get(f"/@baraka/{rude}")
        assert f'href="/report?status={rude}"' in thread.text
        long = await phone.submit(
            f"/report?status={rude}", "/report", {"status": str(rude), "comment": "x" * 1001}
        )
        assert long.status_code == 422
        assert await reports_count(ke) == 0
        sent = await phone.submit(
            f"/report?status={rude}", "/report", {"status": str(rude), "comment": "Selling answers"}
        )
        assert sent.status_code == 200
    async with browser(ke) as juma:
        await juma.log_in("juma")
        notes = await juma.get("/notifications")
        assert "filed a report" in notes.text
        queue = await juma.get("/moderation")
    assert "Buy my exam answers" in queue.text
    assert "Selling answers" in queue.text
    assert "Reported by" in queue.text


async def reports_count(instance: Instance) -> int:
    async with instance.state.readers() as session:
        return int(await session.scalar(select(func.count()).select_from(Report)) or 0)


async def test_a_report_sent_on_by_another_server_reaches_the_queue(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, _ = federation
    amina = await make_teacher(ke.instance, "amina")
    await make_teacher(ke.instance, "mwangi", role="admin")
    async with ke.session() as session, session.begin():
        post = await say(session, amina, "Buy my exam answers", site=ke.site)
    await make_teacher(sn.instance, "fatou")
    url = f"{ke.instance.url}/@amina/{post}"
    async with browser(sn.instance) as fatou:
        await fatou.log_in("fatou")
        assert "Buy my exam answers" in (await fatou.get("/search", params={"q": url})).text
        async with sn.instance.state.readers() as session:
            here = await session.scalar(select(Status.id).where(Status.uri.like(f"%/{post}")))
        assert here is not None
        form = await fatou.get(f"/report?status={here}")
        assert "Also send the report to" in form.text
        sent = await fatou.submit(
            f"/report?status={here}",
            "/report",
            {"status": str(here), "comment": "Selling answers", "forward": "on"},
        )
        assert sent.status_code == 200

    async def flagged() -> bool:
        return await reports_count(ke.instance) == 1

    await eventually(flagged, wake=[ke, sn])
    async with browser(ke.instance) as mwangi:
        await mwangi.log_in("mwangi")
        queue = await mwangi.get("/moderation")
    assert f"Reported from the server {sn.instance.config.domain}" in queue.text
    assert "Selling answers" in queue.text
    assert "Buy my exam answers" in queue.text
