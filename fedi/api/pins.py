"""Pinning from a client: POST /api/v1/statuses/:id/pin and /unpin answer with the status
(``pinned`` set as it now stands). Mastodon asks for ``write:accounts``: a pin changes the
profile, not the post."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.responses import JSONResponse
from fedi.api.units import path_id, signed_in, state_of, writing
from fedi.db.repositories.statuses import load_views
from fedi.domain import pins


async def _pinning(request: Request, *, on: bool) -> Response:
    state = state_of(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:accounts")
        change = pins.pin if on else pins.unpin
        status = await change(session, account, path_id(request))
        view = (await load_views(session, [status.id], account.id))[0]
    return JSONResponse(state.presenter.status(view))


async def pin(request: Request) -> Response:
    return await _pinning(request, on=True)


async def unpin(request: Request) -> Response:
    return await _pinning(request, on=False)


routes = [
    Route("/api/v1/statuses/{id}/pin", pin, methods=["POST"]),
    Route("/api/v1/statuses/{id}/unpin", unpin, methods=["POST"]),
]
