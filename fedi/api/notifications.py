"""A teacher's notifications: list (filtered by type or account), one, dismiss, clear."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.pagination import status_links
from fedi.api.params import Params
from fedi.api.presenters import present_notifications
from fedi.api.responses import JSONResponse
from fedi.api.units import path_id, reading, signed_in, state_of, writing
from fedi.domain import notifications
from fedi.errors import NotFound

NOTIFICATIONS_LIMIT = 40
# Types Mastodon defines that nothing here produces: clients filter on them freely, so they
# are accepted (and match nothing) while a type no one defines is still refused.
NEVER_PRODUCED = frozenset(
    {
        "admin.sign_up",
        "severed_relationships",
        "moderation_warning",
        "quote",
        "quoted_update",
        "annual_report",
    }
)


def _filters(params: Params) -> notifications.NotificationFilter | None:
    """The filter asked for; None when it can match nothing (only types never produced)."""
    types = params.strings("types")
    wanted = [t for t in types if t not in NEVER_PRODUCED]
    if types and not wanted:
        return None
    return notifications.NotificationFilter(
        types=wanted,
        exclude_types=[t for t in params.strings("exclude_types") if t not in NEVER_PRODUCED],
        account_id=params.id("account_id"),
    )


async def index(request: Request) -> Response:
    """GET /api/v1/notifications (types[], exclude_types[], account_id, Link headers)"""
    params = await Params.read(request)
    page = params.page(default_limit=NOTIFICATIONS_LIMIT)
    filters = _filters(params)
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:notifications")
        found = (
            await notifications.list_notifications(session, account, page, filters)
            if filters is not None
            else []
        )
        body = await present_notifications(state.presenter, session, account.id, found)
    links = status_links(
        state.site.base_url,
        "/api/v1/notifications",
        params,
        [n.id for n in found],
        kept=("limit", "account_id", "types", "exclude_types"),
    )
    return JSONResponse(body, headers=links)


async def show(request: Request) -> Response:
    """GET /api/v1/notifications/:id"""
    state = state_of(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, "read:notifications")
        found = await notifications.get_notification(session, account, path_id(request))
        body = await present_notifications(state.presenter, session, account.id, [found])
    if not body:
        raise NotFound()
    return JSONResponse(body[0])


async def dismiss(request: Request) -> Response:
    """POST /api/v1/notifications/:id/dismiss"""
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:notifications")
        found = await notifications.get_notification(session, account, path_id(request))
        await notifications.dismiss(session, account, found.id)
    return JSONResponse({})


async def clear(request: Request) -> Response:
    """POST /api/v1/notifications/clear"""
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:notifications")
        await notifications.clear(session, account)
    return JSONResponse({})


routes = [
    Route("/api/v1/notifications", index),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id}", show),
    Route("/api/v1/notifications/{id}/dismiss", dismiss, methods=["POST"]),
]
