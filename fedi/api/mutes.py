"""Muting from a client: mute (with ``notifications`` and ``duration``), unmute, and the
list of muted accounts. Mute actions answer with the Relationship, as Mastodon does."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api import entities
from fedi.api.accounts import ACCOUNTS_LIMIT, present_accounts
from fedi.api.follows import act
from fedi.api.pagination import account_links
from fedi.api.params import Params
from fedi.api.presenters import iso
from fedi.api.responses import JSONResponse
from fedi.api.units import reading, signed_in, state_of
from fedi.db.models import Account
from fedi.domain import directory, mutes


async def _mute(session: AsyncSession, account: Account, other: Account, params: Params) -> None:
    await mutes.mute(
        session,
        account,
        other,
        notifications=params.flag("notifications", default=True),
        duration=params.integer("duration") or 0,
    )


async def _unmute(session: AsyncSession, account: Account, other: Account, _: Params) -> None:
    await mutes.unmute(session, account, other)


async def mute(request: Request) -> Response:
    """POST /api/v1/accounts/:id/mute (notifications, duration in seconds; 0 = for good)"""
    return await act(request, "write:mutes", _mute)


async def unmute(request: Request) -> Response:
    """POST /api/v1/accounts/:id/unmute"""
    return await act(request, "write:mutes", _unmute)


async def muted(request: Request) -> Response:
    """GET /api/v1/mutes — paged by mute, newest first, with Link headers."""
    params = await Params.read(request)
    page = params.page(default_limit=ACCOUNTS_LIMIT)
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:mutes")
        found = await directory.muted(session, account, page)
        accounts = await present_accounts(state, session, found.accounts)
        ends = await mutes.expiries(session, account, [a.id for a in found.accounts])
    body = [
        entities.MutedAccount(
            **entity.__dict__,
            mute_expires_at=iso(end) if (end := ends.get(view.id)) is not None else None,
        )
        for entity, view in zip(accounts, found.accounts, strict=True)
    ]
    links = account_links(state.site.base_url, "/api/v1/mutes", params, found.cursors, page.limit)
    return JSONResponse(body, headers=links)


routes = [
    Route("/api/v1/accounts/{id}/mute", mute, methods=["POST"]),
    Route("/api/v1/accounts/{id}/unmute", unmute, methods=["POST"]),
    Route("/api/v1/mutes", muted),
]
