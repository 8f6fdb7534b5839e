"""Jamii's JSON API for a community's threads and their moderation, and its modlog.

``GET /api/jamii/v1/communities/:name/posts`` (threads, pinned first),
``POST …/posts/:status_id/remove|restore|lock|unlock|pin|unpin`` (moderators) and
``GET …/modlog``. The rules are the domain's (``fedi.domain.community_threads``,
``community_rank``, ``community_modlog``), for our communities and — for our teachers
who moderate one — remote ones, whose Group then hears of it. Documented in
docs/communities.md.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.accounts import present_accounts
from fedi.api.auth import optional_viewer
from fedi.api.community_entities import ModlogEntry, Thread, present_thread
from fedi.api.params import Params
from fedi.api.presenters import iso
from fedi.api.responses import JSONResponse
from fedi.api.units import maybe_signed_in, path_id, reading, signed_in, state_of, writing
from fedi.db.models import Account
from fedi.db.repositories.accounts import account_views
from fedi.db.repositories.statuses import load_views
from fedi.domain import communities, community_modlog, community_rank, community_threads
from fedi.domain.communities import CommunityView
from fedi.domain.community_rank import Acting
from fedi.errors import Forbidden

BASE = "/api/jamii/v1/communities"
ACTIONS = ("remove", "restore", "lock", "unlock", "pin", "unpin")


async def moderating(
    request: Request, session: AsyncSession, scope: str
) -> tuple[CommunityView, Acting]:
    """The community named in the path (ours, or a remote one we know) and the caller,
    who must moderate it (403 otherwise, before anything else is looked up)."""
    state = state_of(request)
    account, user = await signed_in(request, session, scope)
    view = await communities.named(session, state.site, request.path_params["name"])
    acting = Acting(by=account, staff_role=user.role)
    if not await community_rank.may_moderate(session, view.account, acting):
        raise Forbidden("Only the community's moderators may do this")
    return view, acting


async def _readable(session: AsyncSession, view: CommunityView, viewer: Account | None) -> None:
    """A private community's threads are for its members and moderators."""
    if view.community.visibility == "public":
        return
    if viewer is not None and (
        await communities.is_member(session, view.account.id, viewer.id)
        or await communities.is_moderator(session, view.account, viewer)
    ):
        return
    raise Forbidden("Only members may read this community's threads")


async def threads(request: Request) -> Response:
    """GET …/:name/posts — the community's threads, pinned first; ``limit``, ``max_id``."""
    params = await Params.read(request)
    limit = min(max(params.integer("limit") or 20, 1), 40)
    state = state_of(request)
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:statuses")
        view = await communities.named(session, state.site, request.path_params["name"])
        await _readable(session, view, viewer)
        posts = await community_threads.threads(
            session, view.account.id, limit=limit, max_id=params.id("max_id")
        )
        views = await load_views(
            session, [p.status_id for p in posts], viewer.id if viewer else None
        )
    shown = {v.id: state.presenter.status(v) for v in views}
    body = [present_thread(p, shown[p.status_id]) for p in posts if p.status_id in shown]
    return JSONResponse(body)


async def _act(request: Request, action: str) -> Response:
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        view, acting = await moderating(request, session, "write:statuses")
        group, status_id = view.account, path_id(request, "status_id")
        if action == "remove":
            reason = params.text("reason") or ""
            post = await community_threads.remove(session, group, status_id, reason, acting=acting)
        elif action == "restore":
            post = await community_threads.restore(
                session, state.site, group, status_id, acting=acting
            )
        elif action in ("lock", "unlock"):
            reason = params.text("reason") or ""
            post = await community_threads.lock(
                session, group, status_id, action == "lock", reason, acting=acting
            )
        else:
            post = await community_threads.pin(
                session, group, status_id, action == "pin", acting=acting
            )
        thread: Thread = present_thread(post)
    return JSONResponse(thread)


def _action(action: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return await _act(request, action)

    return Route(
        f"{BASE}/{{name}}/posts/{{status_id}}/{action}",
        endpoint,
        methods=["POST"],
        name=f"community_post_{action}",
    )


async def modlog(request: Request) -> Response:
    """GET …/:name/modlog — anyone for a public community, moderators for a private one;
    ``limit``, ``max_id``."""
    params = await Params.read(request)
    limit = min(max(params.integer("limit") or 40, 1), 80)
    state = state_of(request)
    async with reading(request) as session:
        viewer = await optional_viewer(request, session, "read:accounts")
        view = await communities.named(session, state.site, request.path_params["name"])
        reader = None
        if viewer is not None and viewer.account is not None:
            role = viewer.user.role if viewer.user is not None else None
            reader = Acting(by=viewer.account, staff_role=role)
        await community_modlog.readable(session, view, reader)
        entries = await community_modlog.entries(
            session, view.account.id, limit=limit, max_id=params.id("max_id")
        )
        ids = [i for e in entries for i in (e.moderator_id, e.target_account_id) if i is not None]
        people = {
            a.id: a
            for a in await present_accounts(state, session, await account_views(session, ids))
        }
    body = [
        ModlogEntry(
            id=str(e.id),
            action=e.action,
            created_at=iso(e.created_at),
            moderator=people.get(str(e.moderator_id)) if e.moderator_id else None,
            account=people.get(str(e.target_account_id)) if e.target_account_id else None,
            status_id=str(e.target_status_id) if e.target_status_id else None,
            reason=e.reason,
        )
        for e in entries
    ]
    return JSONResponse(body)


routes = [
    Route(f"{BASE}/{{name}}/posts", threads, methods=["GET"]),
    Route(f"{BASE}/{{name}}/modlog", modlog, methods=["GET"]),
    *(_action(a) for a in ACTIONS),
]
