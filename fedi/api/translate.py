"""Translating a post from a client, and which languages the engine offers.

- POST /api/v1/statuses/:id/translate (``read:statuses``; an app's own token may translate
  public posts, as in Mastodon): 404 for a post the caller may not see, checked first; then,
  while no engine runs, 503 with ``Retry-After``; a stored rendition is served without the
  engine; an unsupported pair is 422 naming the pairs that work; an engine that fails, 503.
- GET /api/v1/instance/translation_languages: ``{source: [targets…]}``, or ``{}`` when
  translation is off, which is what Mastodon answers when it has no translation service.

The engine plugs in through one seam, ``AppState.translator``: None when translation is off
or could not start, else a ``fedi.domain.translator.StatusTranslator``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.auth import authenticate
from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import path_id, reading, state_of
from fedi.db.models import Status, User
from fedi.domain.interactions import visible_status
from fedi.domain.renditions import Source, Versioned
from fedi.domain.translator import Translation
from fedi.state import AppState

UNAVAILABLE = "Translation service unavailable"
# No engine is installed rather than one being busy: asking again in seconds would not help.
RETRY_AFTER_SECONDS = 300


class Translator(Protocol):
    """What the Translation service provides to the client API
    (``fedi.domain.translator.StatusTranslator``)."""

    def languages(self) -> Mapping[str, Sequence[str]]:
        """Each source language and the languages it translates into."""
        ...

    async def prepare(
        self, session: AsyncSession, status: Status, target: str
    ) -> Translation | Source:
        """A stored rendition, or what must be translated (422 if the language is unknown)."""
        ...

    async def translate_source(self, source: Source, target: str) -> Translation:
        """Translate and store (422 for an unsupported pair, 503 when the engine fails)."""
        ...

    async def ask(self, statuses: Sequence[Versioned], target: str) -> bool:
        """Queue the translation of posts a reader found untranslated (True if queued)."""
        ...


class TranslatedOption(BaseModel):
    title: str


class TranslatedPoll(BaseModel):
    id: str
    options: list[TranslatedOption]


class TranslationEntity(BaseModel):
    content: str
    spoiler_text: str
    language: str
    detected_source_language: str
    provider: str
    media_attachments: list[dict[str, str]]
    poll: TranslatedPoll | None = None


def translator_of(state: AppState) -> Translator | None:
    """The running engine, if the ministry allows translation and it offers a pair (with no
    model installed, clients are told translation is off rather than offered a dead button)."""
    translator = state.translator if state.config.features.translation else None
    return translator if translator is not None and translator.languages() else None


def _target(params: Params, user: User | None, state: AppState) -> str:
    """The requested language, else the first the reader reads, their interface language,
    their posting language, the instance's own."""
    lang = (params.text("lang") or "").strip().lower()
    if lang:
        return lang[:8]
    if user is not None:
        reads: list[str] = list(user.reading_languages or ())
        for choice in (*reads, user.locale, user.default_language):
            if choice:
                return str(choice)
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
        target = _target(params, viewer.user, state)
        prepared = await translator.prepare(session, status, target)
    # The engine runs with no database session held: it may take seconds.
    result = (
        prepared
        if isinstance(prepared, Translation)
        else await translator.translate_source(prepared, target)
    )
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
            poll=TranslatedPoll(
                id=str(result.poll[0]),
                options=[TranslatedOption(title=title) for title in result.poll[1]],
            )
            if result.poll is not None
            else None,
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
