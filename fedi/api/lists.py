"""Lists from a client: the lists themselves, their members, the lists an account is in,
and each list's timeline (paged with Link headers like home)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.accounts import ACCOUNTS_LIMIT, present_accounts
from fedi.api.pagination import account_links, status_links
from fedi.api.params import Params
from fedi.api.reading import present, reader_languages
from fedi.api.responses import JSONResponse
from fedi.api.units import path_id, reading, signed_in, state_of, writing
from fedi.domain import lists, timelines
from fedi.domain.pagination import Page

# limit=0 asks for every member at once (Mastodon); a list holds at most the followed.
ALL_MEMBERS = 10_000


async def index(request: Request) -> Response:
    """GET /api/v1/lists"""
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:lists")
        found = await lists.all_lists(session, account)
    return JSONResponse([state.presenter.list(item) for item in found])


async def create(request: Request) -> Response:
    """POST /api/v1/lists (title, replies_policy, exclusive)"""
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:lists")
        made = await lists.create(
            session,
            account,
            params.text("title"),
            replies_policy=params.text("replies_policy"),
            exclusive=params.flag("exclusive"),
        )
        body = state.presenter.list(made)
    return JSONResponse(body)


async def show(request: Request) -> Response:
    """GET /api/v1/lists/:id"""
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:lists")
        found = await lists.owned(session, account, path_id(request))
    return JSONResponse(state.presenter.list(found))


async def change(request: Request) -> Response:
    """PUT /api/v1/lists/:id — what is left out keeps its value."""
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:lists")
        found = await lists.update(
            session,
            account,
            path_id(request),
            title=params.text("title"),
            replies_policy=params.text("replies_policy"),
            exclusive=params.boolean("exclusive"),
        )
        body = state.presenter.list(found)
    return JSONResponse(body)


async def remove(request: Request) -> Response:
    """DELETE /api/v1/lists/:id"""
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:lists")
        await lists.remove(session, account, path_id(request))
    return JSONResponse({})


async def list_or_change(request: Request) -> Response:
    if request.method == "PUT":
        return await change(request)
    if request.method == "DELETE":
        return await remove(request)
    return await show(request)


async def members(request: Request) -> Response:
    """GET /api/v1/lists/:id/accounts (limit=0: all of them)"""
    params = await Params.read(request)
    every = params.integer("limit") == 0
    page = Page(limit=ALL_MEMBERS) if every else params.page(default_limit=ACCOUNTS_LIMIT)
    state = state_of(request)
    list_id = path_id(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:lists")
        found = await lists.members(session, account, list_id, page)
        body = await present_accounts(state, session, found.accounts)
    links = (
        {}
        if every
        else account_links(
            state.site.base_url,
            f"/api/v1/lists/{list_id}/accounts",
            params,
            found.cursors,
            page.limit,
        )
    )
    return JSONResponse(body, headers=links)


async def add_or_remove_members(request: Request) -> Response:
    """POST / DELETE /api/v1/lists/:id/accounts (account_ids[])"""
    params = await Params.read(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:lists")
        account_ids = params.ids("account_ids")
        if request.method == "POST":
            await lists.add_members(session, account, path_id(request), account_ids)
        else:
            await lists.remove_members(session, account, path_id(request), account_ids)
    return JSONResponse({})


async def members_route(request: Request) -> Response:
    if request.method == "GET":
        return await members(request)
    return await add_or_remove_members(request)


async def account_lists(request: Request) -> Response:
    """GET /api/v1/accounts/:id/lists — the viewer's lists holding that account."""
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:lists")
        found = await lists.lists_with(session, account, path_id(request))
    return JSONResponse([state.presenter.list(item) for item in found])


async def timeline(request: Request) -> Response:
    """GET /api/v1/timelines/list/:list_id"""
    params = await Params.read(request)
    page = params.page()
    state = state_of(request)
    list_id = path_id(request, "list_id")
    async with reading(request) as session:
        account, user = await signed_in(request, session, "read:lists")
        found = await lists.owned(session, account, list_id)
        views = await timelines.list_timeline(session, account, found, page)
        languages = await reader_languages(session, params, account, state, user)
        presented = await present(session, state, views, languages)
    links = status_links(
        state.site.base_url,
        f"/api/v1/timelines/list/{list_id}",
        params,
        [v.id for v in views],
        kept=("limit", "translate"),
    )
    return JSONResponse(presented, headers=links)


routes = [
    Route("/api/v1/lists", index, methods=["GET"]),
    Route("/api/v1/lists", create, methods=["POST"]),
    Route("/api/v1/lists/{id}", list_or_change, methods=["GET", "PUT", "DELETE"]),
    Route("/api/v1/lists/{id}/accounts", members_route, methods=["GET", "POST", "DELETE"]),
    Route("/api/v1/accounts/{id}/lists", account_lists),
    Route("/api/v1/timelines/list/{list_id}", timeline),
]
