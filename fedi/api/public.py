"""Reads anyone may make: a status and its thread, a profile and its posts, the public
timeline.

Anonymous callers see what is public; a signed-in teacher (any token holding the read
scope) also sees the followers-only posts they may see, with their favourited, boosted and
bookmarked flags. Unknown and hidden ids answer the same 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.accounts import present_account
from fedi.api.entities import Context
from fedi.api.pagination import status_links
from fedi.api.params import Params
from fedi.api.reading import present, reader_languages
from fedi.api.responses import JSONResponse
from fedi.api.units import maybe_signed_in, path_id, reading, state_of
from fedi.db.repositories.statuses import load_views
from fedi.domain import pins, timelines
from fedi.domain.directory import known_account
from fedi.domain.interactions import visible_status
from fedi.errors import ValidationFailed

ACCOUNT_STATUSES_KEPT = (
    "limit",
    "only_media",
    "exclude_replies",
    "exclude_reblogs",
    "pinned",
    "tagged",
    "translate",
)


async def status(request: Request) -> Response:
    """GET /api/v1/statuses/:id"""
    state = state_of(request)
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:statuses")
        found = await visible_status(session, viewer, path_id(request))
        views = await load_views(session, [found.id], viewer.id if viewer else None)
    return JSONResponse(state.presenter.status(views[0]))


async def status_context(request: Request) -> Response:
    """GET /api/v1/statuses/:id/context"""
    state = state_of(request)
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:statuses")
        ctx = await timelines.context(session, viewer, path_id(request))
    present = state.presenter.status
    return JSONResponse(
        Context(
            ancestors=[present(v) for v in ctx.ancestors],
            descendants=[present(v) for v in ctx.descendants],
        )
    )


async def account(request: Request) -> Response:
    """GET /api/v1/accounts/:id"""
    state = state_of(request)
    async with reading(request) as session:
        await maybe_signed_in(request, session, "read:accounts")
        found = await known_account(session, path_id(request))
        return await present_account(state, session, found.id)


async def account_statuses(request: Request) -> Response:
    """GET /api/v1/accounts/:id/statuses (exclude_replies, exclude_reblogs, only_media,
    tagged; pinned: the pinned posts, most recently pinned first)."""
    params = await Params.read(request)
    page = params.page()
    state = state_of(request)
    account_id = path_id(request)
    filters = timelines.AccountStatusFilter(
        exclude_replies=params.flag("exclude_replies"),
        exclude_reblogs=params.flag("exclude_reblogs"),
        only_media=params.flag("only_media"),
        tagged=params.text("tagged") or None,
    )
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:statuses")
        await known_account(session, account_id)
        pinned = params.flag("pinned")
        if pinned:
            views = await pins.pinned(session, viewer, account_id, page)
        else:
            views = await timelines.account_statuses(session, viewer, account_id, page, filters)
        # A community's timeline (its Group's statuses) in the reader's language too.
        languages = await reader_languages(session, params, viewer, state)
        presented = await present(session, state, views, languages)
    # Pinned posts are few and in pin order: one page, so no Link a client could loop on.
    links = (
        {}
        if pinned
        else status_links(
            state.site.base_url,
            f"/api/v1/accounts/{account_id}/statuses",
            params,
            [v.id for v in views],
            kept=ACCOUNT_STATUSES_KEPT,
        )
    )
    return JSONResponse(presented, headers=links)


async def public_timeline(request: Request) -> Response:
    """GET /api/v1/timelines/public (local, remote, only_media)"""
    params = await Params.read(request)
    page = params.page()
    state = state_of(request)
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:statuses")
        if viewer is None and not state.config.features.public_timeline:
            # A ministry may keep its teachers' posts off the open web; Mastodon answers 422
            # when its timeline preview is off.
            raise ValidationFailed("This method requires an authenticated user")
        views = await timelines.public(
            session,
            viewer,
            page,
            local_only=params.flag("local"),
            remote_only=params.flag("remote"),
            only_media=params.flag("only_media"),
        )
        languages = await reader_languages(session, params, viewer, state)
        presented = await present(session, state, views, languages)
    links = status_links(
        state.site.base_url,
        "/api/v1/timelines/public",
        params,
        [v.id for v in views],
        kept=("local", "remote", "only_media", "limit", "translate"),
    )
    return JSONResponse(presented, headers=links)


routes = [
    Route("/api/v1/statuses/{id}", status),
    Route("/api/v1/statuses/{id}/context", status_context),
    Route("/api/v1/accounts/{id}", account),
    Route("/api/v1/accounts/{id}/statuses", account_statuses),
    Route("/api/v1/timelines/public", public_timeline),
]
