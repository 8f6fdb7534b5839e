"""Renditions on a served instance, with the real Argos path on the tiny packages (which
"translate" into upper case): eager translation through the job, the cache, edits, and the
client API's translate endpoint through Mastodon.py."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError
from sqlalchemy import select

from fedi.db.models import Job, Rendition
from tests.api.client_api import call, close_clients, headers, mastodon
from tests.conftest import Database
from tests.servers import Instance, free_port, serve, write_instance
from tests.translation.fixtures import TinyPackages
from tests.translation.instances import argos_batches, translating_instance
from translation import ArgosPaths

__all__ = ["close_clients"]

KISWAHILI = ("sw", "en"), ("en", "sw")


async def renditions_of(instance: Instance, status_id: int | str) -> list[Rendition]:
    async with instance.state.sessions() as session:
        rows = await session.scalars(
            select(Rendition).where(Rendition.status_id == int(status_id)).order_by(Rendition.id)
        )
        return list(rows)


async def eventually_rendered(
    instance: Instance, status_id: int | str, count: int = 1, within: float = 20.0
) -> list[Rendition]:
    deadline = time.monotonic() + within
    while True:
        worker = instance.state.worker
        assert worker is not None
        worker.wake()
        rows = await renditions_of(instance, status_id)
        if len(rows) >= count:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"no rendition of {status_id} within {within} s")
        await asyncio.sleep(0.05)


async def test_a_public_post_is_translated_eagerly_and_read_from_the_store(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(tmp_path, database.url, paths, tiny, *KISWAHILI) as ke:
        amina = await mastodon(ke, "amina")
        post = await call(amina.status_post, "Karibu darasani leo.", language="sw")
        [rendition] = await eventually_rendered(ke, post["id"])
        assert (rendition.language, rendition.source_language) == ("en", "sw")
        assert rendition.content == "<p>KARIBU DARASANI LEO.</p>"
        assert rendition.engine == "argos"
        assert rendition.model_version == "sw-en@1.0"

        # The reader's read is served from the store: the model is not called again.
        before = argos_batches(ke)
        baraka = await mastodon(ke, "baraka")
        first = await call(baraka.status_translate, post["id"], lang="en")
        second = await call(baraka.status_translate, post["id"], lang="en")
        assert argos_batches(ke) == before
        assert first == second
        assert first["content"] == "<p>KARIBU DARASANI LEO.</p>"
        assert (first["language"], first["detected_source_language"]) == ("en", "sw")
        assert first["provider"] == "Argos Translate"


async def test_on_demand_once_then_cached_and_an_edit_invalidates(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(
        tmp_path, database.url, paths, tiny, *KISWAHILI, extra="eager = false\n"
    ) as ke:
        amina = await mastodon(ke, "amina")
        baraka = await mastodon(ke, "baraka")
        post = await call(amina.status_post, "Tutaanza somo saa tatu.", language="sw")
        assert await renditions_of(ke, post["id"]) == []  # not eager: nothing until asked

        before = argos_batches(ke)
        first = await call(baraka.status_translate, post["id"], lang="en")
        assert first["content"] == "<p>TUTAANZA SOMO SAA TATU.</p>"
        assert argos_batches(ke) == before + 1
        again = await call(baraka.status_translate, post["id"], lang="en")
        assert again["content"] == first["content"]
        assert argos_batches(ke) == before + 1  # a cached second read makes no model call

        # Mastodon.py's status_update sends no language; a client may.
        update = await ke.client.put(
            f"/api/v1/statuses/{post['id']}",
            json={"status": "Tutaanza somo saa nne.", "language": "sw"},
            headers=await headers(ke, "amina"),
        )
        assert update.status_code == 200, update.text
        edited = await call(baraka.status_translate, post["id"], lang="en")
        assert edited["content"] == "<p>TUTAANZA SOMO SAA NNE.</p>"
        assert argos_batches(ke) == before + 2
        versions = {row.edit_version for row in await renditions_of(ke, post["id"])}
        assert len(versions) == 2


async def test_a_polls_answers_are_translated_with_the_post(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(tmp_path, database.url, paths, tiny, *KISWAHILI) as ke:
        amina = await mastodon(ke, "amina")
        baraka = await mastodon(ke, "baraka")
        poll = amina.make_poll(["Ndiyo", "Hapana", "Labda"], expires_in=3600)
        post = await call(amina.status_post, "Tufanye mtihani?", language="sw", poll=poll)
        [rendition] = await eventually_rendered(ke, post["id"])
        assert rendition.poll_options == ["NDIYO", "HAPANA", "LABDA"]

        # Mastodon's Translation entity carries the poll, answers in order.
        before = argos_batches(ke)
        translated = await call(baraka.status_translate, post["id"], lang="en")
        assert translated["poll"] == {
            "id": post["poll"]["id"],
            "options": [{"title": "NDIYO"}, {"title": "HAPANA"}, {"title": "LABDA"}],
        }
        assert argos_batches(ke) == before  # from the store

        # A post without a poll has none in its translation.
        plain = await call(amina.status_post, "Karibu.", language="sw")
        await eventually_rendered(ke, plain["id"])
        assert (await call(baraka.status_translate, plain["id"], lang="en"))["poll"] is None

        # A timeline in the reader's language shows the answers translated, votes unchanged.
        auth = await headers(ke, "baraka")
        asked = await ke.client.get("/api/v1/timelines/public?translate=true", headers=auth)
        shown = {s["id"]: s for s in asked.json()}[post["id"]]
        assert [o["title"] for o in shown["poll"]["options"]] == ["NDIYO", "HAPANA", "LABDA"]
        assert [o["votes_count"] for o in shown["poll"]["options"]] == [0, 0, 0]
        voted = await call(baraka.poll_vote, post["poll"]["id"], [1])
        assert voted["own_votes"] == [1]
        assert voted["options"][1]["title"] == "Hapana"  # the poll itself is as written

        # Editing the answers (a new version) translates them anew.
        update = await ke.client.put(
            f"/api/v1/statuses/{post['id']}",
            json={
                "status": "Tufanye mtihani?",
                "language": "sw",
                "poll": {"options": ["Leo", "Kesho"], "expires_in": 3600},
            },
            headers=await headers(ke, "amina"),
        )
        assert update.status_code == 200, update.text
        edited = await call(baraka.status_translate, post["id"], lang="en")
        assert [o["title"] for o in edited["poll"]["options"]] == ["LEO", "KESHO"]


async def test_a_readers_language_beyond_the_instances_is_translated_for_the_next_read(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    # The instance bridges English and Kiswahili; Baraka reads French, which the engine
    # offers (sw→en→fr, a pivot) but no eager job produces.
    async with translating_instance(
        tmp_path, database.url, paths, tiny, *KISWAHILI, ("en", "fr")
    ) as ke:
        amina = await mastodon(ke, "amina")
        baraka = await mastodon(ke, "baraka")
        await call(baraka.account_follow, (await call(amina.me))["id"])
        post = await call(amina.status_post, "Karibu darasani leo.", language="sw")
        await eventually_rendered(ke, post["id"])  # the eager English one
        auth = await headers(ke, "baraka")
        chosen = await ke.client.patch(
            "/api/v1/accounts/update_credentials",
            json={"source": {"reading_languages": ["fr"]}},
            headers=auth,
        )
        assert chosen.status_code == 200, chosen.text

        first = (await ke.client.get("/api/v1/timelines/home", headers=auth)).json()
        assert first[0]["content"] == "<p>Karibu darasani leo.</p>"  # never waits
        [_english, french] = await eventually_rendered(ke, post["id"], count=2)
        assert (french.language, french.content) == ("fr", "<p>KARIBU DARASANI LEO.</p>")
        again = (await ke.client.get("/api/v1/timelines/home", headers=auth)).json()
        assert again[0]["content"] == "<p>KARIBU DARASANI LEO.</p>"
        assert again[0]["language"] == "fr"

        # Reading again asks for nothing more: one reader's job, not one per read.
        async with ke.state.sessions() as session:
            jobs = await session.scalars(select(Job).where(Job.kind == "translate"))
            asked = [j.payload for j in jobs if "status_ids" in j.payload]
        assert asked == [{"status_ids": [int(post["id"])], "targets": ["fr"]}]


async def test_an_unsupported_pair_lists_the_pairs_that_work(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(tmp_path, database.url, paths, tiny, *KISWAHILI) as ke:
        amina = await mastodon(ke, "amina")
        post = await call(amina.status_post, "Karibu darasani leo.", language="sw")
        with pytest.raises(MastodonAPIError) as refused:
            await call(amina.status_translate, post["id"], lang="pt")
        assert refused.value.args[1] == 422
        answer = await ke.client.post(
            f"/api/v1/statuses/{post['id']}/translate",
            data={"lang": "pt"},
            headers=await headers(ke, "amina"),
        )
        assert answer.status_code == 422
        assert "en→sw, sw→en" in answer.json()["error"]
        languages = await ke.client.get("/api/v1/instance/translation_languages")
        assert languages.json() == {"en": ["sw"], "sw": ["en"]}
        instance = (await ke.client.get("/api/v2/instance")).json()
        assert instance["configuration"]["translation"] == {"enabled": True}


async def test_followers_only_posts_translate_for_followers_only(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(tmp_path, database.url, paths, tiny, *KISWAHILI) as ke:
        amina = await mastodon(ke, "amina")
        baraka = await mastodon(ke, "baraka")
        chidi = await mastodon(ke, "chidi")
        me = await call(amina.me)
        await call(baraka.account_follow, me["id"])
        post = await call(
            amina.status_post, "Mkutano wa walimu kesho.", language="sw", visibility="private"
        )
        # Not translated eagerly (few readers), but for a follower on demand.
        translated = await call(baraka.status_translate, post["id"], lang="en")
        assert translated["content"] == "<p>MKUTANO WA WALIMU KESHO.</p>"
        with pytest.raises(MastodonNotFoundError):
            await call(chidi.status_translate, post["id"], lang="en")


async def test_an_engine_that_is_down_answers_503_with_retry_after(
    database: Database, tmp_path: Path
) -> None:
    closed = free_port()
    config = write_instance(
        tmp_path,
        code="ke",
        port=free_port(),
        database_url=database.url,
        extra=(
            "[translation]\n"
            'engines = ["libretranslate"]\n'
            f'libretranslate_url = "http://127.0.0.1:{closed}"\n'
            "libretranslate_timeout = 2\n"
        ),
    )
    async with serve(config) as ke:
        amina = await mastodon(ke, "amina")
        post = await call(amina.status_post, "Karibu darasani leo.", language="sw")
        answer = await ke.client.post(
            f"/api/v1/statuses/{post['id']}/translate",
            data={"lang": "en"},
            headers=await headers(ke, "amina"),
        )
        assert answer.status_code == 503
        assert int(answer.headers["retry-after"]) > 0
        assert answer.json()["error"] == "Translation service unavailable"
        # The post itself reads as written.
        status = await call(amina.status, post["id"])
        assert status["content"] == "<p>Karibu darasani leo.</p>"


async def test_timelines_in_the_readers_languages(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(tmp_path, database.url, paths, tiny, *KISWAHILI) as ke:
        amina = await mastodon(ke, "amina")
        baraka = await mastodon(ke, "baraka")
        await call(baraka.account_follow, (await call(amina.me))["id"])
        post = await call(amina.status_post, "Karibu darasani leo.", language="sw")
        english = await call(amina.status_post, "Welcome to class.", language="en")
        await eventually_rendered(ke, post["id"])

        # Nothing chosen, nothing asked: statuses as written.
        [newest, older] = await call(baraka.timeline_home)
        assert (newest["id"], older["content"]) == (english["id"], "<p>Karibu darasani leo.</p>")
        assert "jamii_original" not in older

        # Asked with translate=true: the reader's posting language (here none: the locale).
        auth = await headers(ke, "baraka")
        asked = await ke.client.get("/api/v1/timelines/public?translate=true", headers=auth)
        shown = {s["id"]: s for s in asked.json()}
        assert shown[post["id"]]["content"] == "<p>KARIBU DARASANI LEO.</p>"
        assert shown[post["id"]]["language"] == "en"
        assert shown[post["id"]]["jamii_original"] == {
            "content": "<p>Karibu darasani leo.</p>",
            "spoiler_text": "",
            "language": "sw",
            "provider": "Argos Translate",
        }
        assert "jamii_original" not in shown[english["id"]]
        assert "translate=true" in asked.headers["link"]

        # An account's statuses (a community's timeline in a Mastodon client) and a tag too.
        mine = await ke.client.get(
            f"/api/v1/accounts/{post['account']['id']}/statuses?translate=true", headers=auth
        )
        assert {s["id"]: s["content"] for s in mine.json()}[post["id"]] == (
            "<p>KARIBU DARASANI LEO.</p>"
        )
        assert "translate=true" in mine.headers["link"]

        # A chosen setting applies without asking; translate=false turns it off.
        bad = await ke.client.patch(
            "/api/v1/accounts/update_credentials",
            json={"source": {"reading_languages": ["en", "english"]}},
            headers=auth,
        )
        assert bad.status_code == 422
        assert "reading languages" in bad.json()["error"].lower()
        chosen = await ke.client.patch(
            "/api/v1/accounts/update_credentials",
            json={"source": {"reading_languages": ["en", "fr"]}},
            headers=auth,
        )
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["source"]["reading_languages"] == ["en", "fr"]
        preferences = await call(baraka.preferences)
        assert preferences["jamii:reading:languages"] == ["en", "fr"]
        home = await call(baraka.timeline_home)
        assert [s["content"] for s in home] == [
            "<p>Welcome to class.</p>",
            "<p>KARIBU DARASANI LEO.</p>",
        ]
        off = await ke.client.get("/api/v1/timelines/home?translate=false", headers=auth)
        assert off.json()[1]["content"] == "<p>Karibu darasani leo.</p>"
        # Without lang, the translate button targets the first reading language.
        default = await call(baraka.status_translate, post["id"])
        assert default["language"] == "en"


async def test_a_broken_package_is_a_clear_error_at_start_up_and_the_rest_serves(
    database: Database,
    tmp_path: Path,
    paths: ArgosPaths,
    tiny: TinyPackages,
    capfd: pytest.CaptureFixture[str],
) -> None:
    tiny.unpack(paths.packages, ("en", "sw"))
    broken = paths.packages / "translate-en_sw-1_0" / "model" / "model.bin"
    broken.write_bytes(b"not a model")
    async with translating_instance(tmp_path, database.url, paths, tiny, ("sw", "en")) as ke:
        logged = capfd.readouterr()
        output = logged.out + logged.err
        assert "translation_problem" in output
        assert "en→sw 1.0 (translate-en_sw-1_0): BROKEN: failed to load" in output
        # The instance serves, and the pair that works translates.
        amina = await mastodon(ke, "amina")
        post = await call(amina.status_post, "Karibu darasani leo.", language="sw")
        translated = await call(amina.status_translate, post["id"], lang="en")
        assert translated["content"] == "<p>KARIBU DARASANI LEO.</p>"
        with pytest.raises(MastodonAPIError):
            await call(amina.status_translate, post["id"], lang="sw")
