"""A LibreTranslate-compatible API, so neighbouring servers can use this instance's engine.

Off unless ``[translation] libretranslate_api = true``. Mastodon's LibreTranslate client
(``LIBRE_TRANSLATE_ENDPOINT`` and ``LIBRE_TRANSLATE_API_KEY``) and Jamii's own
``libretranslate`` engine speak to it:

- ``GET /languages``: ``[{code, name, targets}]`` (no key needed, as in LibreTranslate);
- ``POST /translate``: ``q`` (a text or a list), ``source`` (a code or ``auto``), ``target``,
  ``format`` (``text`` or ``html``: tags kept), ``api_key`` → ``{"translatedText": …}`` (a
  list for a list), with ``detectedLanguage`` when the source was ``auto``;
- ``POST /detect``: ``q``, ``api_key`` → ``[{"confidence": 0–100, "language": code}]``.

Errors are LibreTranslate's ``{"error": …}``: 400 for a bad request or an unsupported pair
(the message says "not supported", which LibreTranslate clients look for), 403 for a
missing or unknown key, 429 past ``api_rate_limit`` requests per minute per key, 503 with
``Retry-After`` when the engine is down. Texts are never logged.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.params import Params
from fedi.api.ratelimit import Window
from fedi.api.responses import JSONResponse
from fedi.api.units import reading, state_of
from fedi.domain.translation_keys import key_name
from fedi.domain.translator import StatusTranslator
from fedi.errors import ValidationFailed
from fedi.state import AppState
from translation import EngineUnavailable, TextBundle, UnsupportedPair
from translation.detect import Detector
from translation.errors import format_pairs
from translation.service import normalise_language

NAMES = {"en": "English", "fr": "French", "pt": "Portuguese", "sw": "Swahili"}
MAX_CHARACTERS = 20_000
RATE_PERIOD = 60.0


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _service_of(state: AppState) -> StatusTranslator | None:
    translator = state.translator if state.config.features.translation else None
    if isinstance(translator, StatusTranslator) and translator.pairs:
        return translator
    return None


def _window(request: Request, state: AppState) -> Window:
    window: Window | None = getattr(request.app.state, "libretranslate_window", None)
    if window is None:
        window = Window(state.config.translation.api_rate_limit, RATE_PERIOD)
        request.app.state.libretranslate_window = window
    return window


async def _admit(request: Request, params: Params) -> tuple[AppState, Response | None]:
    """The API is on, the key is known and within its rate: else the answer to send."""
    state = state_of(request)
    if not state.config.translation.libretranslate_api:
        return state, _error("Not found", 404)
    async with reading(request) as session:
        holder = await key_name(
            session, state.config.translation.api_keys, params.text("api_key") or ""
        )
    if holder is None:
        return state, _error("Invalid API key", 403)
    refused = _window(request, state).hit(holder)
    if refused is not None:
        return state, refused
    return state, None


def _texts(params: Params) -> tuple[list[str], bool]:
    """The ``q`` texts and whether ``q`` was a list."""
    raw = params.raw("q")
    if isinstance(raw, list):
        texts = params.strings("q")
        as_list = True
    elif isinstance(raw, str):
        texts, as_list = [raw], False
    else:
        raise ValidationFailed("Invalid request: missing q parameter", field="q")
    if sum(len(text) for text in texts) > MAX_CHARACTERS:
        raise ValidationFailed(
            f"Invalid request: q is longer than {MAX_CHARACTERS} characters", field="q"
        )
    return texts, as_list


async def _detect(state: AppState, texts: list[str]) -> tuple[str, float] | None:
    detector = Detector(state.site.detection_languages)
    found = await asyncio.to_thread(detector.detect, " ".join(texts))
    return (found.language, round(found.confidence * 100, 1)) if found else None


async def translate(request: Request) -> Response:
    params = await Params.read(request)
    state, refused = await _admit(request, params)
    if refused is not None:
        return refused
    try:
        texts, as_list = _texts(params)
    except ValidationFailed as exc:
        return _error(exc.message, 400)
    target = normalise_language(params.text("target") or "")
    source = normalise_language(params.text("source") or "auto")
    html = (params.text("format") or "text").strip().lower() == "html"
    translator = _service_of(state)
    if translator is None:
        return _error("Translation service unavailable", 503, {"Retry-After": "300"})
    detected: tuple[str, float] | None = None
    if source == "auto":
        detected = await _detect(state, texts)
        if detected is None:
            return _error("Could not detect the source language; name it in source", 400)
        source = detected[0]
    try:
        if html:
            results = [
                (await translator.service.translate(TextBundle(content_html=t), source, target))
                for t in texts
            ]
            translated = [r.content_html for r in results]
        else:
            # One engine call for every text, as the service batches a status's parts.
            bundle = TextBundle(media_descriptions=tuple(texts))
            result = await translator.service.translate(bundle, source, target)
            translated = list(result.media_descriptions)
    except UnsupportedPair as exc:
        return _error(
            f"{exc.source}→{exc.target} is not supported; available: {format_pairs(exc.available)}",
            400,
        )
    except EngineUnavailable as exc:
        return _error("Translation service unavailable", 503, {"Retry-After": str(exc.retry_after)})
    body: dict[str, Any] = {"translatedText": translated if as_list else translated[0]}
    if detected is not None:
        language = {"confidence": detected[1], "language": detected[0]}
        body["detectedLanguage"] = [language] * len(texts) if as_list else language
    return JSONResponse(body)


async def languages(request: Request) -> Response:
    state = state_of(request)
    if not state.config.translation.libretranslate_api:
        return _error("Not found", 404)
    translator = _service_of(state)
    offered = translator.languages() if translator is not None else {}
    codes = sorted(set(offered) | {t for targets in offered.values() for t in targets})
    return JSONResponse(
        [
            {"code": code, "name": NAMES.get(code, code), "targets": list(offered.get(code, ()))}
            for code in codes
        ]
    )


async def detect(request: Request) -> Response:
    params = await Params.read(request)
    state, refused = await _admit(request, params)
    if refused is not None:
        return refused
    try:
        texts, _ = _texts(params)
    except ValidationFailed as exc:
        return _error(exc.message, 400)
    found = await _detect(state, texts)
    if found is None:
        return JSONResponse([])
    return JSONResponse([{"confidence": found[1], "language": found[0]}])


routes = [
    Route("/translate", translate, methods=["POST"]),
    Route("/languages", languages, methods=["GET"]),
    Route("/detect", detect, methods=["POST"]),
]
