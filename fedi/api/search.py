"""GET /api/v2/search: accounts, posts and hashtags; with ``resolve``, other servers' too.

As Mastodon (4.0+): anyone may search, a token needs ``read:search``; ``resolve`` and
``offset`` need a signed-in teacher (401 otherwise, with Mastodon's words); ``limit`` is per
type, 20 by default and 40 at most. The v1 endpoint was removed in Mastodon 3.0 and answers
404 here too. The rules themselves are in ``fedi.domain.search``; fetching from other
servers is ``fedi.federation.resolve``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api import entities
from fedi.api.accounts import present_accounts
from fedi.api.auth import optional_viewer
from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import reading, state_of, writing
from fedi.domain import search as finder
from fedi.errors import NotFound, Unauthorized
from fedi.federation.resolve import FederatedResolver

PAGINATION_NEEDS_LOGIN = "Search queries pagination is not supported without authentication"
RESOLVE_NEEDS_LOGIN = (
    "Search queries that resolve remote resources are not supported without authentication"
)


def _query(params: Params) -> finder.Query:
    page = params.page(default_limit=finder.DEFAULT_LIMIT)
    return finder.Query(
        text=params.required_text("q"),
        type=params.text("type") or None,
        limit=page.limit,
        offset=params.integer("offset") or 0,
        following=params.flag("following"),
        account_id=params.id("account_id"),
        max_id=page.max_id,
        min_id=page.min_id,
        exclude_unreviewed=params.flag("exclude_unreviewed"),
    )


async def search_v2(request: Request) -> Response:
    params = await Params.read(request)
    query = _query(params)
    resolve = params.flag("resolve")
    state = state_of(request)
    # Resolving may store what it fetched (an account, a post): a write unit of work then.
    unit = writing if resolve else reading
    async with unit(request) as session:
        viewer = await optional_viewer(request, session, "read:search")
        account = viewer.account if viewer is not None else None
        if account is None and "offset" in params:
            raise Unauthorized(PAGINATION_NEEDS_LOGIN)
        if account is None and resolve:
            raise Unauthorized(RESOLVE_NEEDS_LOGIN)
        resolver = (
            FederatedResolver(state.federation, session)
            if resolve and state.federation is not None
            else None
        )
        found = await finder.search(session, state.site, account, query, resolver)
        body = entities.Search(
            accounts=await present_accounts(state, session, found.accounts),
            statuses=[state.presenter.status(view) for view in found.statuses],
            hashtags=[state.presenter.hashtag(tag) for tag in found.hashtags],
        )
    return JSONResponse(body)


async def search_v1(request: Request) -> Response:
    """Removed in Mastodon 3.0 (its hashtags were strings); clients fall back to v2."""
    raise NotFound()


routes = [
    Route("/api/v2/search", search_v2),
    Route("/api/v1/search", search_v1),
]
