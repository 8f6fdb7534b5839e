"""Community pages on one instance: creating a community from its form (mistakes shown in
the reader's language, nothing saved), the directory's search, the home page's featured
communities, a community's page with its join button and new-thread form, a private
community listed without its posts, and posts shown in the reader's language."""

from __future__ import annotations

from sqlalchemy import func, select

from fedi.db.models import Account, Community, Rendition, Status
from fedi.domain import communities, renditions
from fedi.domain.communities import Settings
from tests.servers import Instance
from tests.web.browser import browser, make_teacher


async def _count(instance: Instance, model: type) -> int:
    async with instance.state.readers() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _community(instance: Instance, creator: Account, settings: Settings) -> None:
    async with instance.state.sessions() as session, session.begin():
        moderator = await session.get(Account, creator.id)
        await communities.create(session, instance.state.site, settings, creator=moderator)


async def test_a_teacher_creates_a_community_and_a_colleague_joins_and_starts_a_thread(
    ke: Instance,
) -> None:
    await make_teacher(ke, "amina")
    await make_teacher(ke, "baraka")
    async with browser(ke) as amina:
        await amina.log_in("amina")
        await amina.submit(
            "/settings", "/settings", {"interface_language": "fr", "languages": ["fr"]}
        )
        # Mistakes come back in French, with what was typed, and nothing is saved.
        refused = await amina.submit(
            "/communities/new",
            "/communities/new",
            {"name": "maths maths", "display_name": "Maths", "subject": "mathematics"},
        )
        assert refused.status_code == 422
        assert "Le nom doit comporter" in refused.text
        assert 'value="Maths"' in refused.text
        assert await _count(ke, Community) == 0
        created = await amina.submit(
            "/communities/new",
            "/communities/new",
            {
                "name": "maths",
                "display_name": "Mathematics, secondary",
                "description": "Lesson ideas for Forms 1-4.",
                "subject": "mathematics",
                "grade_levels": "Form 1\nForm 2",
                "languages": ["en", "sw"],
                "rules": "Be kind\nShare your sources",
                "visibility": "public",
                "posting_policy": "members",
            },
        )
        assert created.status_code == 303
        assert created.headers["location"] == "/communities/maths"
        page = await amina.get("/communities/maths")
    assert "Mathematics, secondary" in page.text
    assert "Be kind" in page.text
    assert "Form 1, Form 2" in page.text
    assert "@amina" in page.text  # the moderator

    async with browser(ke) as baraka:
        await baraka.log_in("baraka")
        before = await baraka.get("/communities/maths")
        assert 'id="join"' in before.text
        assert 'id="compose"' not in before.text  # members only
        joined = await baraka.submit("/communities/maths", "/communities/maths/join", {})
        assert joined.status_code == 303
        member = await baraka.get("/communities/maths")
        assert 'id="leave"' in member.text
        assert 'id="compose"' in member.text
        # A thread without text is refused, in the reader's language, nothing saved.
        blank = await baraka.submit(
            "/communities/maths",
            "/communities/maths/posts",
            {"title": "Fractions", "status": " ", "language": "en"},
        )
        assert blank.status_code == 422
        assert 'value="Fractions"' in blank.text
        assert await _count(ke, Status) == 0
        posted = await baraka.submit(
            "/communities/maths",
            "/communities/maths/posts",
            {"title": "Fractions with paper", "status": "Fold a strip in halves", "language": "en"},
        )
        assert posted.status_code == 303
        thread = await baraka.get(posted.headers["location"])
        assert "Fractions with paper" in thread.text
        assert 'href="/communities/maths"' in thread.text
    async with browser(ke) as anonymous:
        shown = await anonymous.get("/communities/maths")
        home = await anonymous.get("/")
        profile = await anonymous.get("/@maths")
    assert "Fractions with paper" in shown.text
    assert "Fold a strip in halves" in shown.text
    assert 'id="featured-communities"' in home.text
    assert "Mathematics, secondary" in home.text
    assert "Fractions with paper" in profile.text  # /@maths is the same page


async def test_the_directory_finds_communities_by_text_subject_and_language(
    ke: Instance,
) -> None:
    amina = await make_teacher(ke, "amina")
    await _community(
        ke,
        amina,
        Settings(
            name="maths",
            display_name="Mathematics, secondary",
            subject="mathematics",
            languages=["en", "sw"],
        ),
    )
    await _community(
        ke,
        amina,
        Settings(
            name="lecture",
            display_name="Lecture et écriture",
            description="Apprendre à lire au primaire",
            subject="literacy",
            languages=["fr"],
            visibility="private",
        ),
    )
    async with browser(ke) as reader:
        everything = await reader.get("/communities")
        by_text = await reader.get("/communities", params={"q": "lire"})
        by_subject = await reader.get("/communities", params={"subject": "MATH"})
        by_language = await reader.get("/communities", params={"language": "sw"})
        elsewhere = await reader.get("/communities", params={"where": "elsewhere"})
        api = await ke.client.get("/api/jamii/v1/communities/directory", params={"language": "fr"})
    assert "Mathematics, secondary" in everything.text
    assert "Lecture et écriture" in everything.text  # private communities are listed
    assert "Lecture et écriture" in by_text.text
    assert "Mathematics" not in by_text.text
    assert "Mathematics, secondary" in by_subject.text
    assert "Lecture" not in by_subject.text
    assert "Mathematics, secondary" in by_language.text
    assert "Lecture" not in by_language.text
    assert "Mathematics" not in elsewhere.text
    assert [c["name"] for c in api.json()] == ["lecture"]
    assert api.json()[0]["visibility"] == "private"


async def test_a_private_communitys_threads_stay_hidden_from_non_members(ke: Instance) -> None:
    amina = await make_teacher(ke, "amina")
    await make_teacher(ke, "baraka")
    await _community(
        ke, amina, Settings(name="staff", display_name="Staff room", visibility="private")
    )
    async with browser(ke) as moderator:
        await moderator.log_in("amina")
        posted = await moderator.submit(
            "/communities/staff",
            "/communities/staff/posts",
            {"title": "Timetable", "status": "Exams start Monday", "language": "en"},
        )
        assert posted.status_code == 303
        own = await moderator.get("/communities/staff")
    assert "Exams start Monday" in own.text
    async with browser(ke) as baraka:
        await baraka.log_in("baraka")
        page = await baraka.get("/communities/staff")
        asked = await baraka.submit("/communities/staff", "/communities/staff/join", {})
        assert asked.status_code == 303
        waiting = await baraka.get("/communities/staff")
    assert "Staff room" in page.text
    assert "Exams start Monday" not in page.text
    assert 'id="request-sent"' in waiting.text
    assert "Exams start Monday" not in waiting.text
    async with browser(ke) as anonymous:
        listed = await anonymous.get("/communities")
        hidden = await anonymous.get("/communities/staff")
    assert "Staff room" in listed.text
    assert "Exams start Monday" not in hidden.text


async def test_posts_are_shown_in_the_readers_language_with_the_original_a_click_away(
    ke: Instance,
) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke) as amina:
        await amina.log_in("amina")
        posted = await amina.submit(
            "/compose", "/compose", {"status": "Karibuni walimu wote", "language": "sw"}
        )
        thread = posted.headers["location"]
    status_id = int(thread.rsplit("/", 1)[1])
    async with ke.state.sessions() as session, session.begin():
        status = await session.get(Status, status_id)
        assert status is not None
        session.add(
            Rendition(
                status_id=status_id,
                edit_version=renditions.edit_version(status),
                language="fr",
                source_language="sw",
                engine="argos",
                model_version="1",
                content="<p>Bienvenue à tous les enseignants</p>",
                spoiler_text="",
                media_descriptions=[],
                poll_options=[],
            )
        )
    async with browser(ke) as reader:
        french = await reader.get(thread, params={"lang": "fr"})
        original = await reader.get(thread, params={"original": str(status_id)})
        home = await reader.get("/")
        english = await reader.get(thread, params={"lang": "en"})
    assert "Bienvenue à tous les enseignants" in french.text
    assert "Karibuni walimu wote" not in french.text
    assert "Traduit (langue d’origine : swahili)" in french.text
    assert f"?original={status_id}#post-{status_id}" in french.text
    assert "Karibuni walimu wote" in original.text  # the cookie keeps French; one post as written
    assert "Bienvenue" not in original.text
    assert "Bienvenue à tous les enseignants" in home.text
    # No English rendition yet: the original, never a wait for the engine.
    assert "Karibuni walimu wote" in english.text
