"""The LibreTranslate engine against a local server speaking LibreTranslate's protocol
(and against a real LibreTranslate when one is installed), and engine chains."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.translation.fixtures import TinyPackages
from translation import (
    ArgosEngine,
    EngineChain,
    EngineUnavailable,
    LibreTranslateEngine,
    LibreTranslateOptions,
    TextBundle,
    TranslationService,
    TranslationTimeout,
    UnsupportedPair,
)
from translation.argos_env import ArgosPaths

API_KEY = "k-123"


@dataclass
class FakeLibreTranslate:
    """LibreTranslate's /languages and /translate (upper-casing), with switchable failures."""

    url: str = ""
    languages: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"code": "en", "name": "English", "targets": ["en", "fr", "sw"]},
            {"code": "fr", "name": "French", "targets": ["en", "fr"]},
            {"code": "sw", "name": "Swahili", "targets": ["en"]},
        ]
    )
    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    languages_asked: int = 0
    languages_status: int = 200

    async def get_languages(self, request: web.Request) -> web.Response:
        self.languages_asked += 1
        if self.languages_status != 200:
            return web.json_response({"error": "down"}, status=self.languages_status)
        return web.json_response(self.languages)

    async def translate(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        await asyncio.sleep(self.delay)
        headers = {"Retry-After": self.retry_after} if self.retry_after else {}
        if self.status != 200:
            return web.json_response({"error": "Slow down"}, status=self.status, headers=headers)
        if body.get("api_key") != API_KEY:
            return web.json_response({"error": "Invalid API key"}, status=403)
        targets = {lang["code"]: lang["targets"] for lang in self.languages}
        if body["target"] not in targets.get(body["source"], []):
            return web.json_response({"error": f"{body['source']} is not supported"}, status=400)
        q = body["q"]
        translated: Any = [t.upper() for t in q] if isinstance(q, list) else q.upper()
        return web.json_response({"translatedText": translated})


async def _start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def server() -> AsyncIterator[FakeLibreTranslate]:
    fake = FakeLibreTranslate()
    app = web.Application()
    app.router.add_get("/languages", fake.get_languages)
    app.router.add_post("/translate", fake.translate)
    runner, fake.url = await _start(app)
    yield fake
    await runner.cleanup()


Factory = Callable[..., Awaitable[LibreTranslateEngine]]


@pytest.fixture
async def make_engine() -> AsyncIterator[Factory]:
    engines: list[LibreTranslateEngine] = []

    async def make(url: str, **options: Any) -> LibreTranslateEngine:
        engine = LibreTranslateEngine(LibreTranslateOptions(url, **options))
        engines.append(engine)
        await engine.start()
        return engine

    yield make
    for engine in engines:
        await engine.close()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


async def test_a_bundle_is_one_request_with_the_api_key(
    server: FakeLibreTranslate, make_engine: Factory
) -> None:
    engine = await make_engine(server.url, api_key=API_KEY)
    assert engine.report.ok
    pairs = await engine.available_pairs()
    assert pairs == {("en", "fr"), ("en", "sw"), ("fr", "en"), ("sw", "en")}
    service = TranslationService(EngineChain([engine]))
    out = await service.translate(
        TextBundle("<p>Hello <code>x_y</code> #maths</p>", "Heads up", ("A chart",), ("Yes",)),
        "en",
        "fr",
    )
    assert out.content_html == "<p>HELLO <code>x_y</code> #maths</p>"
    assert (out.spoiler_text, out.media_descriptions, out.poll_options) == (
        "HEADS UP",
        ("A CHART",),
        ("YES",),
    )
    assert out.engine == "libretranslate"
    assert len(server.requests) == 1
    assert server.requests[0] == {
        "q": ["Hello", "Heads up", "A chart", "Yes"],
        "source": "en",
        "target": "fr",
        "format": "text",
        "api_key": API_KEY,
    }


async def test_errors_map_to_unsupported_or_unavailable(
    server: FakeLibreTranslate, make_engine: Factory
) -> None:
    engine = await make_engine(server.url, api_key="wrong")
    with pytest.raises(EngineUnavailable, match="refused the API key"):
        await engine.translate_texts(["Hi"], "en", "fr")
    engine = await make_engine(server.url, api_key=API_KEY)
    with pytest.raises(UnsupportedPair):
        await engine.translate_texts(["Hi"], "fr", "sw")
    server.status, server.retry_after = 429, "120"
    with pytest.raises(EngineUnavailable) as caught:
        await engine.translate_texts(["Hi"], "en", "fr")
    assert caught.value.retry_after == 120
    server.status, server.retry_after = 502, None
    with pytest.raises(EngineUnavailable, match="HTTP 502") as caught:
        await engine.translate_texts(["Hi"], "en", "fr")
    assert caught.value.retry_after == 30


async def test_a_slow_server_times_out(server: FakeLibreTranslate, make_engine: Factory) -> None:
    engine = await make_engine(server.url, api_key=API_KEY, timeout=0.2)
    server.delay = 1
    with pytest.raises(TranslationTimeout):
        await engine.translate_texts(["Hi"], "en", "fr")


async def test_a_server_that_is_down_is_reported_and_unavailable(make_engine: Factory) -> None:
    engine = await make_engine(closed_port_url())
    assert engine.report.pairs == frozenset()
    assert "cannot reach" in engine.report.problems[0]
    with pytest.raises(EngineUnavailable, match="cannot reach"):
        await engine.translate_texts(["Hi"], "en", "fr")


async def test_a_server_gone_down_is_not_asked_for_languages_on_every_request(
    server: FakeLibreTranslate, make_engine: Factory
) -> None:
    engine = await make_engine(server.url, api_key=API_KEY, languages_ttl=0, retry_after=60)
    assert server.languages_asked == 1
    server.languages_status = 502
    for _ in range(5):
        # What it offered before stays on offer; translating will tell whether it is up.
        assert ("en", "fr") in await engine.available_pairs()
    assert server.languages_asked == 2


async def test_the_chain_prefers_the_first_engine_and_falls_back(
    server: FakeLibreTranslate,
    make_engine: Factory,
    paths: ArgosPaths,
    tiny: TinyPackages,
    tmp_path: Path,
) -> None:
    argos = ArgosEngine(paths, packages_dir=tiny.unpack(tmp_path / "p", ("fr", "en")))
    await argos.start()
    try:
        remote = await make_engine(server.url, api_key=API_KEY)
        chain = EngineChain([argos, remote])
        assert (await chain.translate_texts(["Merci."], "fr", "en")).engine == "argos"
        via_remote = await chain.translate_texts(["Thanks"], "en", "sw")
        assert (via_remote.engine, via_remote.texts) == ("libretranslate", ["THANKS"])
        with pytest.raises(UnsupportedPair) as caught:
            await chain.translate_texts(["Asante"], "sw", "fr")
        assert {("fr", "en"), ("sw", "en")} <= caught.value.available

        # Remote down: its pairs fail over to nothing and say so (503), argos's still work.
        server.status = 503
        with pytest.raises(EngineUnavailable):
            await chain.translate_texts(["Thanks"], "en", "sw")
        assert (await chain.translate_texts(["Merci."], "fr", "en")).texts == ["MERCI."]

        # Two servers: the second takes over when the first is down.
        second = FakeLibreTranslate()
        app = web.Application()
        app.router.add_get("/languages", second.get_languages)
        app.router.add_post("/translate", second.translate)
        runner, second.url = await _start(app)
        try:
            backup = await make_engine(second.url, api_key=API_KEY)
            result = await EngineChain([remote, backup]).translate_texts(["Thanks"], "en", "sw")
            assert (result.texts, len(second.requests)) == (["THANKS"], 1)
        finally:
            await runner.cleanup()
    finally:
        await argos.close()


LIBRETRANSLATE = os.environ.get("JAMII_TEST_LIBRETRANSLATE") or shutil.which("libretranslate")


@pytest.mark.skipif(
    LIBRETRANSLATE is None,
    reason="no LibreTranslate: pip install libretranslate in a venv of its own and put its "
    "bin/ on PATH or set JAMII_TEST_LIBRETRANSLATE to its libretranslate script",
)
async def test_a_real_libretranslate_serving_the_same_tiny_packages(
    make_engine: Factory, tiny: TinyPackages, tmp_path: Path
) -> None:
    assert LIBRETRANSLATE is not None
    root = tmp_path / "lt"
    tiny.unpack(root / "packages", ("en", "fr"), ("fr", "en"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "XDG_"))}
    env |= {
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "ARGOS_PACKAGES_DIR": str(root / "packages"),
    }
    process = await asyncio.create_subprocess_exec(
        LIBRETRANSLATE, "--host", "127.0.0.1", "--port", str(port),
        "--load-only", "en,fr", "--disable-web-ui",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        engine = await make_engine(url)
        for _ in range(240):
            if engine.report.ok or process.returncode is not None:
                break
            await asyncio.sleep(0.5)
            engine = await make_engine(url)
        assert engine.report.ok, engine.report.problems
        assert await engine.available_pairs() == {("en", "fr"), ("fr", "en")}
        service = TranslationService(EngineChain([engine]))
        # LibreTranslate matches the case of each source fragment's first letter (and
        # lower-cases a lower-case fragment's translation): hence the capitals.
        out = await service.translate(
            TextBundle(
                "<p>Good Morning @amina, Read https://example.org/a_b Today.</p>", "Careful"
            ),
            "en",
            "fr",
        )
        assert out.content_html == "<p>GOOD MORNING @amina, READ https://example.org/a_b TODAY.</p>"
        assert out.spoiler_text == "CAREFUL"
        with pytest.raises(UnsupportedPair):
            await engine.translate_texts(["Hi"], "en", "sw")
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
