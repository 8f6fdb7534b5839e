"""Jamii's JSON API for communities: create, list, show, join, leave, post, moderate.

``/api/jamii/v1/communities``. The same rules as everywhere else (fedi.domain.communities
and fedi.domain.community_posts); errors in Mastodon's ``{"error": …}`` shape. Mastodon
clients see communities as accounts with ``group: true`` instead (follow to join, mention
to post). Documented in docs/communities.md.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api import community_moderation as community_moderation_api
from fedi.api.accounts import present_accounts
from fedi.api.community_entities import Membership, present_community
from fedi.api.community_moderation import moderating
from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import maybe_signed_in, path_id, reading, signed_in, state_of, writing
from fedi.db.models import Account
from fedi.db.repositories.accounts import account_views
from fedi.db.repositories.statuses import load_views
from fedi.domain import communities, community_directory, community_moderation, directory
from fedi.domain.communities import CommunityView, Settings
from fedi.domain.statuses import Draft, post
from fedi.errors import Forbidden
from fedi.federation.resolve import FederatedResolver

BASE = "/api/jamii/v1/communities"


def _settings(params: Params) -> Settings:
    return Settings(
        name=params.required_text("name").strip(),
        display_name=params.text("display_name") or "",
        description=params.text("description") or "",
        subject=params.text("subject") or "",
        grade_levels=params.strings("grade_levels"),
        languages=params.strings("languages"),
        rules=params.strings("rules"),
        visibility=params.text("visibility") or "public",
        posting_policy=params.text("posting_policy") or "members",
        avatar_url=params.text("avatar_url") or None,
    )


async def _membership(session: AsyncSession, view: CommunityView, account: Account) -> Membership:
    found = await communities.standing(session, view.account, account)
    return Membership(
        member=found.member,
        requested=found.requested,
        moderator=found.moderator,
        banned=found.banned,
    )


async def _moderating(
    request: Request, session: AsyncSession, scope: str
) -> tuple[CommunityView, Account]:
    """The community named in the path and the moderator (or admin) calling."""
    account, user = await signed_in(request, session, scope)
    view = await communities.local(session, request.path_params["name"])
    await communities.require_moderator(session, view.account, account, staff_role=user.role)
    return view, account


async def index(request: Request) -> Response:
    """GET /api/jamii/v1/communities — this instance's communities (anyone may list)."""
    params = await Params.read(request)
    limit = min(max(params.integer("limit") or 40, 1), 80)
    offset = max(params.integer("offset") or 0, 0)
    state = state_of(request)
    async with reading(request) as session:
        await maybe_signed_in(request, session, "read:accounts")
        views = await communities.local_list(session, limit=limit, offset=offset)
    return JSONResponse([present_community(v, state.site) for v in views])


async def directory_index(request: Request) -> Response:
    """GET …/directory — ours and the ones we know elsewhere, by text, subject, language."""
    params = await Params.read(request)
    state = state_of(request)
    filters = community_directory.Filters(
        text=params.text("q") or "",
        subject=params.text("subject") or "",
        language=params.text("language") or "",
        local=params.boolean("local"),
        limit=min(max(params.integer("limit") or community_directory.DEFAULT_LIMIT, 1), 80),
        offset=params.integer("offset") or 0,
    )
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:accounts")
        views = await community_directory.search(session, filters)
        body = [
            present_community(
                view, state.site, await _membership(session, view, viewer) if viewer else None
            )
            for view in views
        ]
    return JSONResponse(body)


async def join_by_handle(request: Request) -> Response:
    """POST …/join with ``handle`` (``@maths@ke.example``, ``maths@ke.example`` or a URL):
    the community is looked up on its own server when not yet known here, then joined."""
    params = await Params.read(request)
    state = state_of(request)
    handle = params.required_text("handle")
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:follows")
        resolver = (
            FederatedResolver(state.federation, session) if state.federation is not None else None
        )
        view = await community_directory.discover(session, state.site, handle, resolver)
        await communities.join(session, account, view.account)
        membership = await _membership(session, view, account)
    return JSONResponse(present_community(view, state.site, membership))


async def create(request: Request) -> Response:
    """POST /api/jamii/v1/communities — as ``[communities] creation`` allows."""
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        account, user = await signed_in(request, session, "write:accounts")
        if not communities.may_create(user.role, state.site.community_creation):
            raise Forbidden("This instance does not let you create communities")
        view = await communities.create(session, state.site, _settings(params), creator=account)
        membership = await _membership(session, view, account)
    return JSONResponse(present_community(view, state.site, membership))


async def show(request: Request) -> Response:
    """GET /api/jamii/v1/communities/:name"""
    state = state_of(request)
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:accounts")
        view = await communities.named(session, state.site, request.path_params["name"])
        membership = await _membership(session, view, viewer) if viewer else None
    return JSONResponse(present_community(view, state.site, membership))


async def _change_membership(request: Request, *, joining: bool) -> Response:
    state = state_of(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:follows")
        view = await communities.named(session, state.site, request.path_params["name"])
        if joining:
            await communities.join(session, account, view.account)
        else:
            await communities.leave(session, account, view.account)
        membership = await _membership(session, view, account)
    return JSONResponse(present_community(view, state.site, membership))


async def join(request: Request) -> Response:
    """POST …/:name/join — a member at once, or a pending request for a private community."""
    return await _change_membership(request, joining=True)


async def leave(request: Request) -> Response:
    """POST …/:name/leave — also withdraws a pending request."""
    return await _change_membership(request, joining=False)


async def create_post(request: Request) -> Response:
    """POST …/:name/posts — a thread (with ``title``) or a reply (``in_reply_to_id``)."""
    params = await Params.read(request)
    state = state_of(request)
    async with writing(request) as session:
        account, user = await signed_in(request, session, "write:statuses")
        view = await communities.named(session, state.site, request.path_params["name"])
        draft = Draft(
            text=params.text("status") or "",
            visibility=params.text("visibility") or "public",
            language=params.text("language") or None,
            in_reply_to_id=params.id("in_reply_to_id"),
            spoiler_text=params.text("spoiler_text") or "",
            sensitive=params.flag("sensitive"),
            media_ids=tuple(params.ids("media_ids")),
            community_id=view.account.id,
            title=params.text("title") or "",
        )
        status = await post(
            session, state.site, account, draft, default_language=user.default_language
        )
        posted = (await load_views(session, [status.id], account.id))[0]
    return JSONResponse(state.presenter.status(posted))


async def _people(request: Request, *, pending: bool) -> Response:
    state = state_of(request)
    async with reading(request) as session:
        view, _ = await _moderating(request, session, "read:accounts")
        people = await communities.members(session, view.account.id, pending=pending)
        views = await account_views(session, [p.id for p in people])
        body = await present_accounts(state, session, views)
    return JSONResponse(body)


async def members(request: Request) -> Response:
    """GET …/:name/members — moderators only."""
    return await _people(request, pending=False)


async def requests(request: Request) -> Response:
    """GET …/:name/requests — join requests waiting (private communities); moderators only."""
    return await _people(request, pending=True)


async def _moderate(request: Request, action: str) -> Response:
    params = await Params.read(request)
    async with writing(request) as session:
        if action in ("authorize", "reject"):
            view, _ = await _moderating(request, session, "write:accounts")
        else:
            # Our communities, and remote ones our teacher moderates (its Group hears).
            view, acting = await moderating(request, session, "write:accounts")
        other = await directory.known_account(session, path_id(request))
        group = view.account
        if action == "authorize":
            await communities.approve(session, group, other)
        elif action == "reject":
            await communities.refuse(session, group, other)
        elif action == "ban":
            reason = params.text("reason") or ""
            await community_moderation.ban(session, group, other, reason, acting=acting)
        elif action == "unban":
            await community_moderation.unban(session, group, other, acting=acting)
        elif action == "add_moderator":
            await community_moderation.add_moderator(session, group, other, acting=acting)
        else:
            await community_moderation.remove_moderator(session, group, other, acting=acting)
        membership = await _membership(session, view, other)
    return JSONResponse(membership)


def _action(action: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return await _moderate(request, action)

    paths = {
        "authorize": ("requests/{id}/authorize", "POST"),
        "reject": ("requests/{id}/reject", "POST"),
        "ban": ("bans/{id}", "POST"),
        "unban": ("bans/{id}", "DELETE"),
        "add_moderator": ("moderators/{id}", "POST"),
        "remove_moderator": ("moderators/{id}", "DELETE"),
    }
    path, method = paths[action]
    return Route(f"{BASE}/{{name}}/{path}", endpoint, methods=[method], name=f"community_{action}")


routes = [
    *community_moderation_api.routes,
    Route(BASE, index, methods=["GET"]),
    Route(BASE, create, methods=["POST"]),
    Route(f"{BASE}/directory", directory_index, methods=["GET"]),
    Route(f"{BASE}/join", join_by_handle, methods=["POST"]),
    Route(f"{BASE}/{{name}}", show),
    Route(f"{BASE}/{{name}}/join", join, methods=["POST"]),
    Route(f"{BASE}/{{name}}/leave", leave, methods=["POST"]),
    Route(f"{BASE}/{{name}}/posts", create_post, methods=["POST"]),
    Route(f"{BASE}/{{name}}/members", members),
    Route(f"{BASE}/{{name}}/requests", requests),
    *(
        _action(a)
        for a in ("authorize", "reject", "ban", "unban", "add_moderator", "remove_moderator")
    ),
]
