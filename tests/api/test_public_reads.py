"""Anyone can read an instance's public posts over real HTTP, as Mastodon clients do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedi.db.engine import session_factory
from fedi.domain.site import Site
from tests.conftest import Database
from tests.factories import say, teacher
from tests.servers import Instance, free_port, serve, write_instance


@pytest.fixture
async def ke(database: Database, tmp_path: Path) -> AsyncIterator[Instance]:
    port = free_port()
    config = write_instance(tmp_path, code="ke", port=port, database_url=database.url)
    async with serve(config) as instance:
        yield instance


async def _seed(database: Database, site: Site) -> dict[str, int]:
    async with session_factory(database.engine)() as session, session.begin():
        amina = await teacher(session, "amina", site=site)
        baraka = await teacher(session, "baraka", site=site)
        question = await say(session, amina, "How do you teach <fractions>? #maths", site=site)
        answer = await say(
            session, baraka, "@amina With paper strips", site=site, in_reply_to_id=question
        )
        private = await say(session, amina, "Followers only", site=site, visibility="private")
        return {"amina": amina.id, "question": question, "answer": answer, "private": private}


def _site(instance: Instance) -> Site:
    return Site.from_config(instance.config)


async def test_the_public_timeline_serves_mastodon_shaped_statuses(
    ke: Instance, database: Database
) -> None:
    ids = await _seed(database, _site(ke))
    response = await ke.client.get("/api/v1/timelines/public", params={"local": "true"})
    assert response.status_code == 200
    body = response.json()
    assert [s["id"] for s in body] == [str(ids["answer"]), str(ids["question"])]
    question = body[1]
    assert question["account"]["acct"] == "amina"
    assert question["account"]["avatar"].startswith(ke.url)
    assert "&lt;fractions&gt;" in question["content"]
    assert question["tags"] == [{"name": "maths", "url": f"{ke.url}/tags/maths"}]
    assert question["created_at"].endswith("Z")
    assert question["visibility"] == "public"
    assert body[0]["in_reply_to_id"] == str(ids["question"])
    assert body[0]["mentions"][0]["acct"] == "amina"


async def test_a_status_and_its_thread(ke: Instance, database: Database) -> None:
    ids = await _seed(database, _site(ke))
    status = await ke.client.get(f"/api/v1/statuses/{ids['question']}")
    assert status.status_code == 200
    assert status.json()["replies_count"] == 1
    context = await ke.client.get(f"/api/v1/statuses/{ids['answer']}/context")
    assert context.json()["ancestors"][0]["id"] == str(ids["question"])
    assert context.json()["descendants"] == []


@pytest.mark.parametrize("which", ["private", "unknown", "not-a-number"])
async def test_private_unknown_and_malformed_ids_answer_the_same_404(
    ke: Instance, database: Database, which: str
) -> None:
    ids = await _seed(database, _site(ke))
    status_id = {"private": str(ids["private"]), "unknown": "12345", "not-a-number": "abc"}[which]
    response = await ke.client.get(f"/api/v1/statuses/{status_id}")
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


async def test_an_account_and_its_public_posts(ke: Instance, database: Database) -> None:
    ids = await _seed(database, _site(ke))
    account = (await ke.client.get(f"/api/v1/accounts/{ids['amina']}")).json()
    assert account["username"] == "amina"
    assert account["statuses_count"] == 2
    posts = (await ke.client.get(f"/api/v1/accounts/{ids['amina']}/statuses")).json()
    assert [p["id"] for p in posts] == [str(ids["question"])]
    missing = await ke.client.get("/api/v1/accounts/999/statuses")
    assert missing.status_code == 404


async def test_pages_are_escaped_and_carry_security_headers(
    ke: Instance, database: Database
) -> None:
    ids = await _seed(database, _site(ke))
    home = await ke.client.get("/")
    assert home.status_code == 200
    assert "Test ke" in home.text
    assert "&lt;fractions&gt;" in home.text
    assert "<fractions>" not in home.text
    assert home.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in home.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    thread = await ke.client.get(f"/@amina/{ids['answer']}")
    assert thread.status_code == 200
    assert "paper strips" in thread.text
    profile = await ke.client.get("/@amina")
    assert profile.status_code == 200
    assert (await ke.client.get("/@nobody")).status_code == 404
    assert (await ke.client.get("/static/avatar.png")).headers["content-type"] == "image/png"


async def test_health_reports_ok(ke: Instance) -> None:
    response = await ke.client.get("/health")
    assert response.json()["status"] == "ok"


async def test_a_ministry_can_keep_its_public_timeline_off_the_open_web(
    database: Database, tmp_path: Path
) -> None:
    config = write_instance(
        tmp_path,
        code="mz",
        port=free_port(),
        database_url=database.url,
        extra="[features]\npublic_timeline = false\n",
    )
    await _seed(database, Site.from_config(config))
    async with serve(config) as mz:
        refused = await mz.client.get("/api/v1/timelines/public")
        assert refused.status_code == 422
        assert "error" in refused.json()
        assert "paper strips" not in (await mz.client.get("/")).text


async def test_a_database_outage_answers_503_with_retry_after(tmp_path: Path) -> None:
    # Nothing listens on port 9: connecting fails at once, as with a database that is down.
    config = write_instance(
        tmp_path,
        code="tz",
        port=free_port(),
        database_url="postgresql+asyncpg://postgres@127.0.0.1:9/none",
    )
    async with serve(config) as tz:
        response = await tz.client.get("/api/v1/timelines/public")
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert "error" in response.json()
        # The inbox (served apart from the routes) answers the same, so peers retry later.
        delivery = await tz.client.post("/inbox", content=b"{}")
        assert delivery.status_code == 503
        assert delivery.headers["retry-after"]
        assert "error" in delivery.json()
