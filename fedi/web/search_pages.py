"""Search: teachers (here and on other servers), posts and hashtags.

The rules are ``fedi.domain.search``'s, as for the API: anyone finds accounts and hashtags,
signed-in teachers also posts (those they may see). For a signed-in teacher a full handle
(``amina@teachers.example.sn``) or a post's URL unknown here is looked up on its own server
(the API's ``resolve=true``), through the safe fetcher and the domain policy.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.domain import search as finder
from fedi.federation.resolve import FederatedResolver
from fedi.state import AppState
from fedi.web.rendering import reader_of, render

PER_TYPE = 20


def _type(request: Request) -> str | None:
    wanted = request.query_params.get("type", "")
    return wanted if wanted in finder.TYPES else None


def _may_resolve(text: str) -> bool:
    """A handle with a server, or a URL: worth asking another server about."""
    bare = text.lstrip("@")
    return text.lower().startswith(("https://", "http://")) or (
        "@" in bare and " " not in bare and "." in bare.split("@", 1)[1]
    )


async def search_page(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    reader = await reader_of(request)
    text = request.query_params.get("q", "").strip()[: finder.MAX_QUERY]
    kind = _type(request)
    results = finder.Results()
    if text:
        query = finder.Query(text=text, type=kind, limit=PER_TYPE)
        account = reader.viewer.account if reader.viewer is not None else None
        if account is not None and state.federation is not None and _may_resolve(text):
            # Resolving may store what it fetched (an account, a post): a writing session.
            async with state.sessions() as session, session.begin():
                resolver = FederatedResolver(state.federation, session)
                results = await finder.search(session, state.site, account, query, resolver)
        else:
            async with state.readers() as session:
                results = await finder.search(session, state.site, account, query)
    return await render(
        request,
        "search.html",
        reader=reader,
        q=text,
        type=kind,
        results=results,
        searched=bool(text),
    )


routes = [Route("/search", search_page, methods=["GET"])]
