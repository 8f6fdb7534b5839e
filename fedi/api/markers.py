"""Read markers from a client: GET /api/v1/markers?timeline[]=home&timeline[]=notifications
and POST /api/v1/markers with ``home[last_read_id]=…`` (form) or ``{"home": {...}}`` (JSON).
Both answer with a hash of markers keyed by timeline, as Mastodon does."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import reading, signed_in, state_of, writing
from fedi.db.models import Marker
from fedi.domain import markers
from fedi.errors import ValidationFailed
from fedi.state import AppState


def _present(state: AppState, found: dict[str, Marker]) -> dict[str, object]:
    return {name: state.presenter.marker(marker).model_dump() for name, marker in found.items()}


async def get_markers(request: Request) -> Response:
    params = await Params.read(request)
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:statuses")
        found = await markers.markers(session, account, params.strings("timeline"))
        body = _present(state, found)
    return JSONResponse(body)


def _positions(params: Params) -> dict[str, int]:
    positions: dict[str, int] = {}
    for name in markers.TIMELINES:
        if name not in params:
            continue
        last_read_id = params.nested(name).id("last_read_id")
        if last_read_id is None:
            raise ValidationFailed(f"{name}[last_read_id] is missing", field=name)
        positions[name] = last_read_id
    return positions


async def set_markers(request: Request) -> Response:
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:statuses")
        saved = await markers.save(session, account, _positions(params))
        body = _present(state, saved)
    return JSONResponse(body)


routes = [
    Route("/api/v1/markers", get_markers, methods=["GET"]),
    Route("/api/v1/markers", set_markers, methods=["POST"]),
]
