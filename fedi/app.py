"""The ASGI application of one instance: explicit routes, middleware and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fedi import __version__
from fedi.api import (
    activitypub,
    client,
    inbox,
    instance,
    libretranslate,
    media,
    oauth,
    public,
    streaming,
    wellknown,
)
from fedi.api.ratelimit import RateLimitHeaders
from fedi.api.responses import JSONResponse, error_response
from fedi.config import InstanceConfig
from fedi.errors import JamiiError, Unavailable
from fedi.gc_tuning import settle_after_start
from fedi.jobs import wakeups
from fedi.runtime import open_runtime
from fedi.state import AppState
from fedi.streaming import listener as streaming_listener
from fedi.web import (
    account_pages,
    admin_federation_pages,
    admin_pages,
    admin_people_pages,
    admin_settings_pages,
    community_moderation_pages,
    community_pages,
    compose_pages,
    moderation_pages,
    notification_pages,
    pages,
    report_pages,
    search_pages,
    settings_pages,
)
from fedi.web.access import SignInNeeded, on_sign_in_needed
from fedi.web.headers import SecurityHeaders
from fedi.web.rendering import reader_of, render

log = structlog.get_logger(__name__)


async def health(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    async with state.sessions() as session:
        await session.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok", "version": __version__})


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/oauth/", "/.well-known/", "/health"))


async def on_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JamiiError)
    if _wants_html(request):
        reader = await reader_of(request)
        return await render(
            request, "error.html", exc.status, reader=reader, message=reader.gettext(exc.message)
        )
    return error_response(exc)


async def on_database_error(request: Request, exc: Exception) -> Response:
    # A database outage is the client's cue to retry, never a silent success or a 500.
    log.error("database_unavailable", error=type(exc).__name__, path=request.url.path)
    return error_response(Unavailable("The database is unavailable, try again shortly"))


class CompressReads:
    """gzip for what we serve (pages, timelines, documents), not for answers to POSTs.

    Answers to POSTs (an inbox's 202, a token) are tiny, and setting up a compressor for
    each one cost 7% of the inbox's time (docs/benchmarks.md).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def build_routes() -> list[BaseRoute]:
    # Order matters: activitypub's negotiated routes for /@{username} must precede the pages.
    return [
        Route("/health", health),
        *client.routes,  # before public: its /api/v1/accounts/{id} would take fixed paths
        *streaming.routes,
        *public.routes,
        *inbox.routes,
        *wellknown.routes,
        *activitypub.routes,
        *oauth.routes,
        *instance.routes,
        *media.routes,
        *account_pages.routes,
        *settings_pages.routes,
        *compose_pages.routes,
        *community_pages.routes,
        *community_moderation_pages.routes,
        *community_moderation_pages.routes,
        *admin_pages.routes,
        *admin_settings_pages.routes,
        *admin_federation_pages.routes,
        *admin_people_pages.routes,
        *notification_pages.routes,
        *search_pages.routes,
        *moderation_pages.routes,
        *report_pages.routes,
        *libretranslate.routes,  # answers 404 unless [translation] libretranslate_api
        *pages.routes,
    ]


def _worker_woken(state: AppState, database_url: str) -> AbstractAsyncContextManager[None]:
    """An in-process worker on PostgreSQL is woken by other processes' jobs too."""
    if state.worker is None:
        return contextlib.nullcontext()
    return wakeups.listening(database_url, state.worker.wake)


def create_app(config: InstanceConfig, *, own_process: bool = False) -> Starlette:
    """The application for one instance; the database must already be migrated.

    ``own_process`` (``jamii serve``): the process is ours, so once started the garbage
    collector is set for a long-running server (``fedi.gc_tuning``) and accepted inbox
    POSTs leave uvicorn's access log; not for tests or embedders.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_runtime(config) as runtime:
            state = AppState.from_runtime(runtime)
            app.state.jamii = state
            worker_task = asyncio.create_task(state.worker.run()) if state.worker else None
            pending = (
                None if state.overrides_loaded else asyncio.create_task(state.overrides_later())
            )
            log.info("instance_started", domain=config.domain, worker=worker_task is not None)
            if own_process:
                inbox.quiet_accepted_deliveries()
                settle_after_start()
            try:
                async with (
                    streaming_listener.running(state.fanout, config.database_url),
                    _worker_woken(state, config.database_url),
                    state.following_settings(config.database_url),
                ):
                    yield
            finally:
                if pending is not None:
                    pending.cancel()
                if state.worker and worker_task:
                    state.worker.stop()
                    await worker_task

    return Starlette(
        routes=build_routes(),
        # InboxFastPath first: inbox POSTs skip the rest (see fedi/api/inbox.py).
        middleware=[
            Middleware(inbox.InboxFastPath),
            Middleware(SecurityHeaders),
            Middleware(CompressReads),
            Middleware(RateLimitHeaders),
        ],
        exception_handlers={
            JamiiError: on_error,
            SignInNeeded: on_sign_in_needed,
            OperationalError: on_database_error,
            DBAPIError: on_database_error,
            ConnectionError: on_database_error,
        },
        lifespan=lifespan,
    )
