"""Translating a post from a client, and which languages the engine offers.

- POST /api/v1/statuses/:id/translate (``read:statuses``; an app's own token may translate
  public posts, as in Mastodon): 404 for a post the caller may not see, checked first; then,
  while no engine runs, 503 with ``Retry-After``.
- GET /api/v1/instance/translation_languages: ``{source: [targets…]}``, or ``{}`` when
  translation is off, which is what Mastodon answers when it has no translation service.

The engine plugs in through one seam, ``AppState.translator``: None until the Translation
service lands, then an object with the ``Translator`` shape below. Nothing else here changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.auth import authenticate
from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import path_id, reading, state_of
from fedi.db.models import Status, User
from fedi.domain.interactions import visible_status
from fedi.state import AppState

UNAVAILABLE = "Translation service unavailable"
# No engine is installed rather than one being busy: asking again in seconds would not help.
RETRY_AFTER_SECONDS = 300


@dataclass(frozen=True)
class Translation:
    """Mastodon's Translation entity (poll options are not translated yet: ``poll`` is null)."""

    content: str
    spoiler_text: str
    language: str
    detected_source_language: str
    provider: str
    media_attachments: Sequence[tuple[int, str]] = ()  # (attachment id, description)


class Translator(Protocol):
    """What the Translation service provides to the client API."""

    def languages(self) -> Mapping[str, Sequence[str]]:
        """Each source language and the languages it translates into."""
        ...

    async def translate(self, status: Status, target: str) -> Translation:
        """``status`` in ``target`` (raises ``fedi.errors.Unavailable`` if the engine fails)."""
        ...


class TranslationEntity(BaseModel):
    content: str
    spoiler_text: str
    language: str
    detected_source_language: str
    provider: str
    media_attachments: list[dict[str, str]]
    poll: None = None


def translator_of(state: AppState) -> Translator | None:
    """The running engine, if the ministry allows translation and one is wired in."""
    return state.translator if state.config.features.translation else None


def _target(params: Params, user: User | None, state: AppState) -> str:
    """The requested language, else the reader's default, else the instance's own."""
    lang = (params.text("lang") or "").strip().lower()
    if lang:
        return lang[:8]
    if user is not None and user.default_language:
        return user.default_language
    return state.site.primary_language


def _unavailable() -> Response:
    return JSONResponse(
        {
            "error": UNAVAILABLE,
            "error_description": "No machine-translation engine is running on this server yet",
        },
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def translate(request: Request) -> Response:
    params = await Params.read(request)
    state = state_of(request)
    async with reading(request) as session:
        viewer = await authenticate(request, session, "read:statuses", require_user=False)
        # An unknown or hidden post answers 404 whether or not an engine runs.
        status = await visible_status(session, viewer.account, path_id(request))
        translator = translator_of(state)
        if translator is None:
            return _unavailable()
        result = await translator.translate(status, _target(params, viewer.user, state))
    return JSONResponse(
        TranslationEntity(
            content=result.content,
            spoiler_text=result.spoiler_text,
            language=result.language,
            detected_source_language=result.detected_source_language,
            provider=result.provider,
            media_attachments=[
                {"id": str(ident), "description": text} for ident, text in result.media_attachments
            ],
        )
    )


async def translation_languages(request: Request) -> Response:
    translator = translator_of(state_of(request))
    if translator is None:
        return JSONResponse({})
    offered = translator.languages()
    return JSONResponse({source: list(targets) for source, targets in offered.items()})


routes = [
    Route("/api/v1/statuses/{id}/translate", translate, methods=["POST"]),
    Route("/api/v1/instance/translation_languages", translation_languages),
]
