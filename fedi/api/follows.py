"""Following and blocking from a client, and answering follow requests.

Each action answers with the Relationship it leaves, as Mastodon does, so a client can
redraw its follow button without asking again.
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
from fedi.api.units import path_id, reading, signed_in, state_of, writing
from fedi.db.models import Account
from fedi.domain import blocks, directory, follows, relationships

Action = Callable[[AsyncSession, Account, Account, Params], Awaitable[object]]


async def act(request: Request, scope: str, action: Action) -> Response:
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, scope)
        other = await directory.known_account(session, path_id(request))
        await action(session, account, other, params)
        found = await relationships.relationship(session, account, other.id)
    return JSONResponse(state.presenter.relationship(found))


async def _follow(session: AsyncSession, account: Account, other: Account, params: Params) -> None:
    await relationships.follow(
        session,
        account,
        other,
        reblogs=params.boolean("reblogs"),
        notify=params.boolean("notify"),
    )


async def _unfollow(session: AsyncSession, account: Account, other: Account, _: Params) -> None:
    await follows.unfollow(session, account, other)


async def _block(session: AsyncSession, account: Account, other: Account, _: Params) -> None:
    await blocks.block(session, account, other)


async def _unblock(session: AsyncSession, account: Account, other: Account, _: Params) -> None:
    await blocks.unblock(session, account, other)


async def _authorize(session: AsyncSession, account: Account, other: Account, _: Params) -> None:
    await follows.authorize(session, account, other)


async def _reject(session: AsyncSession, account: Account, other: Account, _: Params) -> None:
    await follows.reject(session, account, other)


async def follow(request: Request) -> Response:
    """POST /api/v1/accounts/:id/follow (reblogs, notify)"""
    return await act(request, "write:follows", _follow)


async def unfollow(request: Request) -> Response:
    return await act(request, "write:follows", _unfollow)


async def block(request: Request) -> Response:
    return await act(request, "write:blocks", _block)


async def unblock(request: Request) -> Response:
    return await act(request, "write:blocks", _unblock)


async def authorize(request: Request) -> Response:
    """POST /api/v1/follow_requests/:account_id/authorize"""
    return await act(request, "write:follows", _authorize)


async def reject(request: Request) -> Response:
    """POST /api/v1/follow_requests/:account_id/reject"""
    return await act(request, "write:follows", _reject)


async def follow_requests(request: Request) -> Response:
    """GET /api/v1/follow_requests — accounts waiting for approval, paged by request."""
    params = await Params.read(request)
    page = params.page(default_limit=ACCOUNTS_LIMIT)
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:follows")
        listed = await directory.follow_requests(session, account, page)
        body = await present_accounts(state, session, listed.accounts)
    links = account_links(
        state.site.base_url, "/api/v1/follow_requests", params, listed.cursors, page.limit
    )
    return JSONResponse(body, headers=links)


routes = [
    Route("/api/v1/accounts/{id}/follow", follow, methods=["POST"]),
    Route("/api/v1/accounts/{id}/unfollow", unfollow, methods=["POST"]),
    Route("/api/v1/accounts/{id}/block", block, methods=["POST"]),
    Route("/api/v1/accounts/{id}/unblock", unblock, methods=["POST"]),
    Route("/api/v1/follow_requests", follow_requests),
    Route("/api/v1/follow_requests/{id}/authorize", authorize, methods=["POST"]),
    Route("/api/v1/follow_requests/{id}/reject", reject, methods=["POST"]),
]
