"""Polls from a client: GET /api/v1/polls/:id and POST /api/v1/polls/:id/votes.

A poll's id is its post's id. Reading a public post's poll needs no token (as Mastodon);
voting needs ``write:statuses``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import maybe_signed_in, path_id, reading, signed_in, state_of, writing
from fedi.db.repositories.polls import load_polls
from fedi.db.repositories.views import PollView
from fedi.domain import polls
from fedi.errors import ValidationFailed


async def _view(session: AsyncSession, poll_id: int, viewer_id: int | None) -> PollView:
    return (await load_polls(session, [poll_id], viewer_id))[poll_id]


async def show(request: Request) -> Response:
    state = state_of(request)
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:statuses")
        poll = await polls.poll_of(session, viewer, path_id(request))
        view = await _view(session, poll.id, viewer.id if viewer else None)
    return JSONResponse(state.presenter.poll(view))


def _choices(params: Params) -> list[int]:
    found: list[int] = []
    for item in params.strings("choices"):
        if not item.strip().isdigit():
            raise ValidationFailed("choices must be option numbers, from 0", field="choices")
        found.append(int(item))
    return found


async def vote(request: Request) -> Response:
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:statuses")
        poll = await polls.vote(session, account, path_id(request), _choices(params))
        view = await _view(session, poll.id, account.id)
    return JSONResponse(state.presenter.poll(view))


routes = [
    Route("/api/v1/polls/{id}", show),
    Route("/api/v1/polls/{id}/votes", vote, methods=["POST"]),
]
