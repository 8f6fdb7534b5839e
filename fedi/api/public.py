"""Public reads of the Mastodon API: statuses, accounts and timelines anyone may see.

Authenticated endpoints (home timeline, posting, OAuth) arrive with the Client API; these
answer anonymous readers and the instance's own pages.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.entities import Context
from fedi.api.responses import JSONResponse
from fedi.db.repositories.statuses import account_view, load_views
from fedi.domain import timelines
from fedi.domain.interactions import visible_status
from fedi.domain.pagination import MAX_ID, Page
from fedi.errors import NotFound, ValidationFailed
from fedi.state import AppState


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.jamii
    return state


def _id(request: Request, name: str = "id") -> int:
    raw = request.path_params[name]
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound()
    return int(raw)


def _page(request: Request) -> Page:
    q = request.query_params
    return Page.of(
        max_id=q.get("max_id"),
        since_id=q.get("since_id"),
        min_id=q.get("min_id"),
        limit=q.get("limit"),
    )


async def status(request: Request) -> Response:
    state = _state(request)
    async with state.readers() as session:
        found = await visible_status(session, None, _id(request))
        views = await load_views(session, [found.id], None)
    return JSONResponse(state.presenter.status(views[0]))


async def status_context(request: Request) -> Response:
    state = _state(request)
    async with state.readers() as session:
        ctx = await timelines.context(session, None, _id(request))
    present = state.presenter.status
    return JSONResponse(
        Context(
            ancestors=[present(v) for v in ctx.ancestors],
            descendants=[present(v) for v in ctx.descendants],
        )
    )


async def account(request: Request) -> Response:
    state = _state(request)
    async with state.readers() as session:
        view = await account_view(session, _id(request))
    if view is None:
        raise NotFound()
    return JSONResponse(state.presenter.account(view))


async def account_statuses(request: Request) -> Response:
    state = _state(request)
    q = request.query_params
    filters = timelines.AccountStatusFilter(
        exclude_replies=q.get("exclude_replies") in ("true", "1"),
        exclude_reblogs=q.get("exclude_reblogs") in ("true", "1"),
        only_media=q.get("only_media") in ("true", "1"),
    )
    async with state.readers() as session:
        if await account_view(session, _id(request)) is None:
            raise NotFound()
        views = await timelines.account_statuses(
            session, None, _id(request), _page(request), filters
        )
    return JSONResponse([state.presenter.status(v) for v in views])


async def public_timeline(request: Request) -> Response:
    state = _state(request)
    if not state.config.features.public_timeline:
        # A ministry may keep its teachers' posts off the open web; Mastodon answers 422 when
        # its timeline preview is off.
        raise ValidationFailed("This method requires an authenticated user")
    q = request.query_params
    async with state.readers() as session:
        views = await timelines.public(
            session,
            None,
            _page(request),
            local_only=q.get("local") in ("true", "1"),
            remote_only=q.get("remote") in ("true", "1"),
        )
    return JSONResponse([state.presenter.status(v) for v in views])


routes = [
    Route("/api/v1/statuses/{id}", status),
    Route("/api/v1/statuses/{id}/context", status_context),
    Route("/api/v1/accounts/{id}", account),
    Route("/api/v1/accounts/{id}/statuses", account_statuses),
    Route("/api/v1/timelines/public", public_timeline),
]
