"""A LibreTranslate server over HTTP: ``GET /languages`` and ``POST /translate``.

One bundle is one request: LibreTranslate accepts a list in ``q`` and answers a list in
``translatedText``. Texts are sent as ``format=text`` (the HTML has already been cut into
text fragments). Connection failures, timeouts, 5xx and 429 become ``EngineUnavailable``
(with the server's ``Retry-After`` when it sends one); a 400 about a language becomes
``UnsupportedPair``. Error bodies are never copied into messages or logs, since a server may
echo the text back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from translation.engine import EngineReport
from translation.errors import EngineUnavailable, Pair, TranslationTimeout, UnsupportedPair


@dataclass(frozen=True)
class LibreTranslateOptions:
    url: str
    api_key: str = ""
    timeout: float = 30.0
    languages_ttl: float = 300.0  # seconds the list of pairs is trusted
    languages_timeout: float = 5.0  # /languages is asked on the request path: keep it short
    retry_after: int = 30  # when the server does not say; also the wait before asking a
    # server that was down for its languages again


class LibreTranslateEngine:
    """A remote engine; ``start()`` reads its languages, ``close()`` its HTTP session."""

    name = "libretranslate"

    def __init__(
        self, options: LibreTranslateOptions, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.options = options
        self._base = options.url.rstrip("/")
        self._session = session
        self._owns_session = session is None
        self._pairs: frozenset[Pair] = frozenset()
        self._pairs_at = 0.0
        self._failed_at = -1e9
        self._languages_lock = asyncio.Lock()
        self._report = EngineReport(self.name, frozenset(), ("not started",))

    @property
    def report(self) -> EngineReport:
        return self._report

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def start(self) -> EngineReport:
        try:
            pairs = await self._refresh()
        except EngineUnavailable as exc:
            self._failed_at = time.monotonic()
            self._report = EngineReport(self.name, frozenset(), (exc.reason,))
        else:
            self._report = EngineReport(self.name, pairs)
        return self._report

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def model_version(self, source: str, target: str) -> str:
        return urlsplit(self._base).netloc

    async def available_pairs(self) -> frozenset[Pair]:
        now = time.monotonic()
        stale = now - self._pairs_at > self.options.languages_ttl
        # A server that was just down is not asked again on every request: each ask could
        # cost ``languages_timeout`` to requests that another engine would serve.
        if stale and now - self._failed_at > self.options.retry_after:
            try:
                await self._refresh()
            except EngineUnavailable:
                # Offer what it offered last time; translate_texts will say it is down.
                self._failed_at = time.monotonic()
        return self._pairs

    async def _refresh(self) -> frozenset[Pair]:
        async with self._languages_lock:
            body = await self._request(
                "GET", "/languages", None, seconds=self.options.languages_timeout
            )
            pairs: set[Pair] = set()
            if isinstance(body, list):
                for language in body:
                    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
                        continue
                    for target in language.get("targets") or ():
                        if isinstance(target, str) and target != language["code"]:
                            pairs.add((language["code"], target))
            self._pairs = frozenset(pairs)
            self._pairs_at = time.monotonic()
            return self._pairs

    async def translate_texts(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        if not texts:
            return []
        payload: dict[str, Any] = {
            "q": list(texts),
            "source": source,
            "target": target,
            "format": "text",
        }
        if self.options.api_key:
            payload["api_key"] = self.options.api_key
        body = await self._request("POST", "/translate", payload, pair=(source, target))
        translated = body.get("translatedText") if isinstance(body, dict) else None
        if isinstance(translated, str) and len(texts) == 1:
            translated = [translated]
        if (
            not isinstance(translated, list)
            or len(translated) != len(texts)
            or not all(isinstance(text, str) for text in translated)
        ):
            raise EngineUnavailable(self.name, "unexpected answer from /translate")
        return translated

    async def _request(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        pair: Pair | None = None,
        seconds: float | None = None,
    ) -> Any:
        seconds = seconds or self.options.timeout
        try:
            async with self._client().request(
                method, self._base + path, json=payload, timeout=aiohttp.ClientTimeout(seconds)
            ) as response:
                if response.status == 200:
                    try:
                        return await response.json(content_type=None)
                    except ValueError:
                        raise EngineUnavailable(self.name, f"{path} answered no JSON") from None
                await self._raise_for(response, path, pair)
        except TimeoutError:
            raise TranslationTimeout(self.name, seconds, self.options.retry_after) from None
        except aiohttp.ClientError as exc:
            raise EngineUnavailable(
                self.name, f"cannot reach {self._base} ({type(exc).__name__})"
            ) from None

    async def _raise_for(
        self, response: aiohttp.ClientResponse, path: str, pair: Pair | None
    ) -> None:
        status = response.status
        retry_after = _retry_after(response.headers.get("Retry-After"), self.options.retry_after)
        if status == 400 and pair is not None:
            message = ""
            try:
                body = await response.json(content_type=None)
                message = str(body.get("error", "")) if isinstance(body, dict) else ""
            except ValueError:
                pass
            # Only the server's wording about languages decides; the message is not kept.
            if "language" in message.lower() or "not supported" in message.lower():
                raise UnsupportedPair(*pair, available=self._pairs)
            raise EngineUnavailable(self.name, f"{path} refused the request (HTTP 400)")
        if status in (401, 403):
            raise EngineUnavailable(
                self.name, f"{path} refused the API key (HTTP {status})", retry_after
            )
        if status == 429:
            raise EngineUnavailable(self.name, "rate limited (HTTP 429)", retry_after)
        raise EngineUnavailable(self.name, f"{path} answered HTTP {status}", retry_after)


def _retry_after(header: str | None, default: int) -> int:
    if header and header.strip().isdigit():
        return max(1, int(header.strip()))
    return default
