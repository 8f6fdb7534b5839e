"""Favourites, boosts and bookmarks from a client, and who favourited or boosted a post.

Each action answers with the status as the teacher now sees it (``favourited: true``…);
a boost answers with the boost, whose ``reblog`` is the original, as Mastodon does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.accounts import ACCOUNTS_LIMIT, present_accounts
from fedi.api.pagination import account_links
from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import maybe_signed_in, path_id, reading, signed_in, state_of, writing
from fedi.db.models import Account, Status
from fedi.db.repositories.statuses import load_views
from fedi.domain import directory, interactions
from fedi.domain.site import Site

Action = Callable[[AsyncSession, Site, Account, int, Params], Awaitable[Status]]


async def _act(request: Request, scope: str, action: Action) -> Response:
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, scope)
        status = await action(session, state.site, account, path_id(request), params)
        view = (await load_views(session, [status.id], account.id))[0]
    return JSONResponse(state.presenter.status(view))


async def _favourite(s: AsyncSession, _: Site, a: Account, i: int, __: Params) -> Status:
    return await interactions.favourite(s, a, i)


async def _unfavourite(s: AsyncSession, _: Site, a: Account, i: int, __: Params) -> Status:
    return await interactions.unfavourite(s, a, i)


async def _reblog(s: AsyncSession, site: Site, a: Account, i: int, params: Params) -> Status:
    return await interactions.reblog(
        s, site, a, i, visibility=params.text("visibility") or "public"
    )


async def _unreblog(s: AsyncSession, _: Site, a: Account, i: int, __: Params) -> Status:
    return await interactions.unreblog(s, a, i)


async def _bookmark(s: AsyncSession, _: Site, a: Account, i: int, __: Params) -> Status:
    return await interactions.bookmark(s, a, i)


async def _unbookmark(s: AsyncSession, _: Site, a: Account, i: int, __: Params) -> Status:
    return await interactions.unbookmark(s, a, i)


async def favourite(request: Request) -> Response:
    return await _act(request, "write:favourites", _favourite)


async def unfavourite(request: Request) -> Response:
    return await _act(request, "write:favourites", _unfavourite)


async def reblog(request: Request) -> Response:
    """POST /api/v1/statuses/:id/reblog (visibility: public, unlisted or private)"""
    return await _act(request, "write:statuses", _reblog)


async def unreblog(request: Request) -> Response:
    return await _act(request, "write:statuses", _unreblog)


async def bookmark(request: Request) -> Response:
    return await _act(request, "write:bookmarks", _bookmark)


async def unbookmark(request: Request) -> Response:
    return await _act(request, "write:bookmarks", _unbookmark)


async def _who(request: Request, which: str) -> Response:
    params = await Params.read(request)
    page = params.page(default_limit=ACCOUNTS_LIMIT)
    state = state_of(request)
    status_id = path_id(request)
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:accounts")
        lister = directory.favourited_by if which == "favourited_by" else directory.reblogged_by
        listed = await lister(session, viewer, status_id, page)
        body = await present_accounts(state, session, listed.accounts)
    path = f"/api/v1/statuses/{status_id}/{which}"
    links = account_links(state.site.base_url, path, params, listed.cursors, page.limit)
    return JSONResponse(body, headers=links)


async def favourited_by(request: Request) -> Response:
    return await _who(request, "favourited_by")


async def reblogged_by(request: Request) -> Response:
    return await _who(request, "reblogged_by")


def _post(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> Route:
    return Route(f"/api/v1/statuses/{{id}}/{path}", endpoint, methods=["POST"])


routes = [
    _post("favourite", favourite),
    _post("unfavourite", unfavourite),
    _post("reblog", reblog),
    _post("unreblog", unreblog),
    _post("bookmark", bookmark),
    _post("unbookmark", unbookmark),
    Route("/api/v1/statuses/{id}/favourited_by", favourited_by),
    Route("/api/v1/statuses/{id}/reblogged_by", reblogged_by),
]
