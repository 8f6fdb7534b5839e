"""A teacher writes a post in the language she picks, and replies from the thread page."""

from __future__ import annotations

from sqlalchemy import func, select

from fedi.db.models import Status
from tests.servers import Instance
from tests.web.browser import browser, make_teacher


async def statuses_count(instance: Instance) -> int:
    async with instance.state.readers() as session:
        return int(await session.scalar(select(func.count()).select_from(Status)) or 0)


async def test_a_teacher_posts_in_french_and_a_colleague_replies(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    await make_teacher(ke, "baraka")
    async with browser(ke) as amina:
        await amina.log_in("amina")
        posted = await amina.submit(
            "/compose", "/compose", {"status": "Les fractions avec du papier", "language": "fr"}
        )
        assert posted.status_code == 303
        thread = posted.headers["location"]
        assert thread.startswith("/@amina/")
        page = await amina.get(thread)
    assert 'lang="fr">' in page.text
    assert "Les fractions avec du papier" in page.text
    status_id = thread.rsplit("/", 1)[1]
    async with browser(ke) as baraka:
        await baraka.log_in("baraka")
        shown = await baraka.get(thread)
        assert f"/compose?in_reply_to={status_id}" in shown.text
        replied = await baraka.submit(
            f"/compose?in_reply_to={status_id}",
            "/compose",
            {"status": "Asante, nitajaribu", "language": "sw", "in_reply_to": status_id},
        )
        assert replied.status_code == 303
    async with browser(ke) as reader:
        page = await reader.get(thread)
    assert "Asante, nitajaribu" in page.text
    assert "1 reply" in page.text


async def test_a_blank_post_is_refused_in_the_readers_language(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke) as amina:
        await amina.log_in("amina")
        await amina.submit(
            "/settings", "/settings", {"interface_language": "pt", "languages": ["pt"]}
        )
        refused = await amina.submit("/compose", "/compose", {"status": "   ", "language": "pt"})
        forged = await amina.client.post("/compose", data={"status": "hi", "language": "en"})
    assert refused.status_code == 422
    assert "O texto não pode estar vazio" in refused.text
    assert forged.status_code == 403
    assert await statuses_count(ke) == 0
