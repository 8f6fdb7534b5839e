"""Timelines for a signed-in teacher: home, a hashtag, bookmarks and favourites.

The public timeline is a public read (``fedi.api.public``). Every list answers with Link
headers built as Mastodon builds them (``fedi.api.pagination``).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.auth import reader_for
from fedi.api.pagination import status_links
from fedi.api.params import Params
from fedi.api.reading import may_translate, present, reader_languages
from fedi.api.responses import JSONResponse
from fedi.api.units import maybe_signed_in, reading, signed_in, state_of
from fedi.db.models import Account
from fedi.domain import timelines
from fedi.errors import NotFound, ValidationFailed


async def home(request: Request) -> Response:
    """GET /api/v1/timelines/home"""
    params = await Params.read(request)
    page = params.page()
    state = state_of(request)
    # The usual path runs on one connection of the read engine, no ORM session: the token
    # as ids (``reader_for``), the page as Core rows, plain dicts out (benchmarks/home_http.py).
    async with state.read_engine.connect() as connection:
        reader = await reader_for(request, connection, "read:statuses")
        views = await timelines.home_of(connection, reader.account_id, page)
    if may_translate(params, state, reader):
        async with reading(request) as session:
            viewer = Account(id=reader.account_id)  # all reader_languages reads of it
            languages = await reader_languages(session, params, viewer, state)
            presented = await present(session, state, views, languages)
    else:
        presented = state.presenter.statuses(views)  # what ``present`` gives for []
    links = status_links(
        state.site.base_url,
        "/api/v1/timelines/home",
        params,
        [v.id for v in views],
        kept=("limit", "translate"),
    )
    return JSONResponse(presented, headers=links)


async def tag(request: Request) -> Response:
    """GET /api/v1/timelines/tag/:hashtag (local, remote, only_media)"""
    params = await Params.read(request)
    page = params.page()
    state = state_of(request)
    name: str = request.path_params["hashtag"]
    if not name.strip("#") or len(name) > 256:
        raise NotFound()
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:statuses")
        if viewer is None and not state.config.features.public_timeline:
            raise ValidationFailed("This method requires an authenticated user")
        views = await timelines.tag(
            session,
            viewer,
            name,
            page,
            local_only=params.flag("local"),
            remote_only=params.flag("remote"),
            only_media=params.flag("only_media"),
        )
        languages = await reader_languages(session, params, viewer, state)
        presented = await present(session, state, views, languages)
    links = status_links(
        state.site.base_url,
        f"/api/v1/timelines/tag/{quote(name, safe='')}",
        params,
        [v.id for v in views],
        kept=("local", "remote", "only_media", "limit", "translate"),
    )
    return JSONResponse(presented, headers=links)


async def _marked(request: Request, which: str) -> Response:
    params = await Params.read(request)
    page = params.page()
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, f"read:{which}")
        lister = timelines.bookmarks if which == "bookmarks" else timelines.favourites
        marked = await lister(session, account, page)
    links = status_links(state.site.base_url, f"/api/v1/{which}", params, marked.cursors)
    return JSONResponse(state.presenter.statuses(marked.statuses), headers=links)


async def bookmarks(request: Request) -> Response:
    """GET /api/v1/bookmarks (paged by bookmark, newest first)"""
    return await _marked(request, "bookmarks")


async def favourites(request: Request) -> Response:
    """GET /api/v1/favourites (paged by favourite, newest first)"""
    return await _marked(request, "favourites")


routes = [
    Route("/api/v1/timelines/home", home),
    Route("/api/v1/timelines/tag/{hashtag}", tag),
    Route("/api/v1/bookmarks", bookmarks),
    Route("/api/v1/favourites", favourites),
]
