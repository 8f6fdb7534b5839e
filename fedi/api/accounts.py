"""Accounts in the client API: lookup, search, relationships, followers and following.

The profile itself (GET /api/v1/accounts/:id) and its posts are public reads
(``fedi.api.public``); the signed-in teacher's own account is ``fedi.api.credentials``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api import entities
from fedi.api.pagination import account_links
from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import maybe_signed_in, path_id, reading, signed_in, state_of, writing
from fedi.db.repositories.accounts import account_views, teacher_profiles
from fedi.db.repositories.views import AccountView
from fedi.domain import directory
from fedi.domain.relationships import relationships as find_relationships
from fedi.errors import NotFound
from fedi.federation.resolve import FederatedResolver
from fedi.state import AppState

ACCOUNTS_LIMIT = 40


async def present_accounts(
    state: AppState, session: AsyncSession, views: Sequence[AccountView]
) -> list[entities.Account]:
    """Accounts as entities; local teachers' school, subjects… among their fields."""
    profiles = await teacher_profiles(session, [v.id for v in views if v.domain is None])
    return [state.presenter.account(view, profiles.get(view.id)) for view in views]


async def present_account(state: AppState, session: AsyncSession, account_id: int) -> Response:
    views = await account_views(session, [account_id])
    if not views:
        raise NotFound()
    return JSONResponse((await present_accounts(state, session, views))[0])


async def lookup(request: Request) -> Response:
    """GET /api/v1/accounts/lookup?acct=user[@domain] — known accounts only, as Mastodon."""
    params = await Params.read(request)
    state = state_of(request)
    async with reading(request) as session:
        await maybe_signed_in(request, session, "read:accounts")
        found = await directory.lookup(session, state.site, params.required_text("acct"))
        return await present_account(state, session, found.id)


async def search(request: Request) -> Response:
    """GET /api/v1/accounts/search?q= — local and known remote accounts by handle or name;
    with ``resolve=true`` a full handle (``user@host``) unknown here is looked up there."""
    params = await Params.read(request)
    state = state_of(request)
    query = params.required_text("q")
    limit = max(1, min(params.integer("limit") or ACCOUNTS_LIMIT, ACCOUNTS_LIMIT * 2))
    resolve = params.flag("resolve")
    # Resolving stores the account it found: a write unit of work then.
    async with (writing if resolve else reading)(request) as session:
        account, _ = await signed_in(request, session, "read:accounts")
        resolver = (
            FederatedResolver(state.federation, session)
            if resolve and state.federation is not None
            else None
        )
        views = await directory.search(
            session,
            state.site,
            account,
            query,
            limit=limit,
            offset=params.integer("offset") or 0,
            following_only=params.flag("following"),
            resolver=resolver,
        )
        return JSONResponse(await present_accounts(state, session, views))


async def relationships(request: Request) -> Response:
    """GET /api/v1/accounts/relationships?id[]=… — the viewer's standing with each."""
    params = await Params.read(request)
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:follows")
        found = await find_relationships(session, account, params.ids("id"))
    return JSONResponse([state.presenter.relationship(r) for r in found])


async def _account_list(request: Request, which: str) -> Response:
    params = await Params.read(request)
    page = params.page(default_limit=ACCOUNTS_LIMIT)
    state = state_of(request)
    account_id = path_id(request)
    async with reading(request) as session:
        await maybe_signed_in(request, session, "read:accounts")
        lister = directory.followers if which == "followers" else directory.following
        listed = await lister(session, account_id, page)
        body = await present_accounts(state, session, listed.accounts)
    path = f"/api/v1/accounts/{account_id}/{which}"
    links = account_links(state.site.base_url, path, params, listed.cursors, page.limit)
    return JSONResponse(body, headers=links)


async def followers(request: Request) -> Response:
    return await _account_list(request, "followers")


async def following(request: Request) -> Response:
    return await _account_list(request, "following")


routes = [
    Route("/api/v1/accounts/lookup", lookup),
    Route("/api/v1/accounts/search", search),
    Route("/api/v1/accounts/relationships", relationships),
    Route("/api/v1/accounts/{id}/followers", followers),
    Route("/api/v1/accounts/{id}/following", following),
]
