"""The LibreTranslate-compatible API a ministry lends its neighbours, driven by the
project's own LibreTranslate engine (translation/ package) as a client, and by the request
Mastodon's LibreTranslate client sends. The served engine is the real Argos path on the tiny
packages (upper case)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedi.domain.translation_keys import add_key
from tests.conftest import Database
from tests.translation.fixtures import TinyPackages
from tests.translation.instances import translating_instance
from translation import (
    EngineUnavailable,
    LibreTranslateEngine,
    LibreTranslateOptions,
    TextBundle,
    TranslationService,
    UnsupportedPair,
)
from translation.argos_env import ArgosPaths
from translation.chain import EngineChain

KISWAHILI = ("sw", "en"), ("en", "sw")
LENT = 'libretranslate_api = true\napi_keys = ["neighbour-key"]\napi_rate_limit = 6\n'


def client(url: str, key: str) -> TranslationService:
    return TranslationService(
        EngineChain([LibreTranslateEngine(LibreTranslateOptions(url, api_key=key, timeout=10))])
    )


async def test_a_neighbour_translates_through_our_engine(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(
        tmp_path, database.url, paths, tiny, *KISWAHILI, extra=LENT
    ) as ke:
        neighbour = client(ke.url, "neighbour-key")
        [report] = await neighbour.start()
        try:
            assert report.pairs == {("sw", "en"), ("en", "sw")}
            done = await neighbour.translate(
                TextBundle(
                    content_html='<p>Habari za asubuhi <a href="https://x.example/@juma">@juma</a></p>',
                    spoiler_text="Somo la leo",
                    media_descriptions=("Picha ya darasa",),
                ),
                "sw",
                "en",
            )
            assert done.content_html.startswith("<p>HABARI ZA ASUBUHI <a")
            assert "@juma</a>" in done.content_html
            assert (done.spoiler_text, done.media_descriptions) == (
                "SOMO LA LEO",
                ("PICHA YA DARASA",),
            )
            assert done.engine == "libretranslate"
            with pytest.raises(UnsupportedPair):
                await neighbour.translate(TextBundle(spoiler_text="Hello there"), "en", "pt")
        finally:
            await neighbour.close()

        stranger = client(ke.url, "wrong-key")
        await stranger.start()
        try:
            with pytest.raises(EngineUnavailable, match="API key"):
                await stranger.translate(TextBundle(spoiler_text="Habari"), "sw", "en")
        finally:
            await stranger.close()


async def test_mastodons_request_keys_from_the_cli_detection_and_rate_limits(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(
        tmp_path, database.url, paths, tiny, *KISWAHILI, extra=LENT
    ) as ke:
        async with ke.state.sessions() as session, session.begin():
            key = await add_key(session, "mastodon.example")
        # What Mastodon's LibreTranslate client sends for a status without a language.
        answer = await ke.client.post(
            "/translate",
            json={
                "q": ["<p>Leo tumefanya jaribio la sayansi na darasa la saba</p>", "Picha"],
                "source": "auto",
                "target": "en",
                "format": "html",
                "api_key": key,
            },
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["translatedText"] == [
            "<p>LEO TUMEFANYA JARIBIO LA SAYANSI NA DARASA LA SABA</p>",
            "PICHA",
        ]
        assert [d["language"] for d in body["detectedLanguage"]] == ["sw", "sw"]

        detected = await ke.client.post(
            "/detect", json={"q": "Leo tumefanya jaribio la sayansi", "api_key": key}
        )
        assert detected.json()[0]["language"] == "sw"
        assert 0 < detected.json()[0]["confidence"] <= 100
        languages = await ke.client.get("/languages")
        assert languages.json() == [
            {"code": "en", "name": "English", "targets": ["sw"]},
            {"code": "sw", "name": "Swahili", "targets": ["en"]},
        ]

        no_key = await ke.client.post("/translate", json={"q": "Habari", "target": "en"})
        assert (no_key.status_code, no_key.json()) == (403, {"error": "Invalid API key"})
        missing = await ke.client.post("/translate", json={"target": "en", "api_key": key})
        assert missing.status_code == 400
        assert "q" in missing.json()["error"]

        # api_rate_limit = 6 a minute per key: this key has made 3 requests so far.
        codes = []
        for _ in range(4):
            reply = await ke.client.post(
                "/translate",
                json={"q": "Habari", "source": "sw", "target": "en", "api_key": key},
            )
            codes.append(reply.status_code)
        assert codes == [200, 200, 200, 429]
        assert int(reply.headers["retry-after"]) > 0
        # Another key has its own allowance.
        other = await ke.client.post(
            "/translate",
            json={"q": "Habari", "source": "sw", "target": "en", "api_key": "neighbour-key"},
        )
        assert other.json() == {"translatedText": "HABARI"}


async def test_the_api_is_off_by_default(
    database: Database, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> None:
    async with translating_instance(tmp_path, database.url, paths, tiny, *KISWAHILI) as ke:
        for method, path in (("POST", "/translate"), ("GET", "/languages"), ("POST", "/detect")):
            answer = await ke.client.request(method, path)
            assert answer.status_code == 404
