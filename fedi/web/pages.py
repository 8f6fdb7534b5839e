"""The instance's public pages: its home (the ministry's presence), profiles and threads."""

from __future__ import annotations

import os
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from fedi.db.models import Account, CommunityPost, Status
from fedi.db.repositories.accounts import teacher_profiles
from fedi.db.repositories.statuses import account_view, load_views
from fedi.domain import (
    communities,
    community_directory,
    community_posts,
    community_relay,
    community_threads,
    timelines,
)
from fedi.domain.accounts import local_account
from fedi.domain.communities import CommunityView
from fedi.domain.interactions import visible_status
from fedi.domain.pagination import MAX_ID, Page
from fedi.domain.signup import SignupRules
from fedi.errors import NotFound
from fedi.state import AppState
from fedi.web import community_pages
from fedi.web.moderating import may_moderate
from fedi.web.rendering import Reader, reader_of, render
from fedi.web.shown import reading_of

HERE = Path(__file__).parent
STATIC_MAX_AGE = 7 * 24 * 3600


async def home(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    reader = await reader_of(request)
    viewer = reader.viewer.account if reader.viewer else None
    posts = []
    async with state.readers() as session:
        if state.config.features.public_timeline:
            posts = await timelines.public(session, viewer, Page(limit=20), local_only=True)
        featured = await community_directory.featured(session)
        reading = await reading_of(request, session, reader, posts)
    return await render(
        request,
        "home.html",
        reader=reader,
        posts=posts,
        reading=reading,
        featured_communities=featured,
        rules=SignupRules.from_config(state.config),
    )


async def profile(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    reader = await reader_of(request)
    viewer = reader.viewer.account if reader.viewer else None
    async with state.readers() as session:
        account = await local_account(session, request.path_params["username"])
        if account is None or account.actor_type not in ("Person", "Group"):
            raise NotFound("No teacher by that name here")
        group = account.username if account.actor_type == "Group" else None
    if group is not None:
        # A community's page: the same as /communities/<name>.
        return await community_pages.community_page(request, group, reader=reader)
    async with state.readers() as session:
        view = await account_view(session, account.id)
        teacher = (await teacher_profiles(session, [account.id])).get(account.id)
        posts = await timelines.account_statuses(session, viewer, account.id, Page(limit=20))
        reading = await reading_of(request, session, reader, posts)
    return await render(
        request,
        "profile.html",
        reader=reader,
        account=view,
        teacher=teacher,
        posts=posts,
        reading=reading,
    )


@dataclass(frozen=True)
class CommunityThread:
    """What a thread page shows of the community a post belongs to: markers for everyone,
    the moderation forms for its moderators, and whether the reader may still reply."""

    view: CommunityView
    record: CommunityPost | None  # the focused post's
    locked: bool
    pinned: bool
    moderating: bool
    reply_closed: bool


async def _community_thread(
    session: AsyncSession, reader: Reader, status: Status, group: Account | None
) -> CommunityThread | None:
    if group is None:
        return None
    view = await communities.find(session, group)
    if view is None:
        return None
    root = await community_threads.root_of(session, status)
    records = await community_threads.records(session, list({status.id, root.id}))
    root_record = records.get(root.id)
    moderating = await may_moderate(session, view, reader)
    locked = await community_threads.locked(session, status)
    viewer = reader.viewer.account if reader.viewer else None
    return CommunityThread(
        view=view,
        record=records.get(status.id),
        locked=locked,
        pinned=root_record is not None and root_record.pinned_at is not None,
        moderating=moderating,
        reply_closed=locked
        and viewer is not None
        and await community_posts.locked_for(session, group, viewer, status),
    )


async def thread(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    raw = request.path_params["id"]
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound()
    # A signed-in teacher also sees what is addressed to them (a notification links here).
    reader = await reader_of(request)
    viewer = reader.viewer.account if reader.viewer else None
    async with state.readers() as session:
        status = await visible_status(session, viewer, int(raw))
        ctx = await timelines.context(session, viewer, status.id)
        focus = await load_views(session, [status.id], viewer.id if viewer else None)
        reading = await reading_of(
            request, session, reader, [*ctx.ancestors, *focus, *ctx.descendants]
        )
        community = await community_relay.community_of(session, status.id)
        thread_of = await _community_thread(session, reader, status, community)
    return await render(
        request,
        "thread.html",
        reader=reader,
        ancestors=ctx.ancestors,
        focus=focus[0],
        descendants=ctx.descendants,
        reading=reading,
        community=community,
        page=community_pages.page_path(thread_of.view) if thread_of else "",
        thread_of=thread_of,
    )


async def brand_css(request: Request) -> Response:
    """The instance's colour as a stylesheet: the CSP forbids inline ``style`` attributes."""
    state: AppState = request.app.state.jamii
    return PlainTextResponse(
        f":root{{--brand:{state.config.branding.primary_color}}}\n",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


class CachedStatic(StaticFiles):
    """Static files with a week's caching (Starlette sends ETag and Last-Modified already):
    a teacher on a metered connection downloads the stylesheet once."""

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
        return response


routes = [
    Route("/", home),
    Route("/brand.css", brand_css),
    Route("/@{username}", profile),
    Route("/@{username}/{id}", thread),
    Mount("/static", app=CachedStatic(directory=HERE / "static"), name="static"),
]
