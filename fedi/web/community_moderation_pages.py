"""Moderating a community from its pages: its moderators (and, for our communities, our
admins; for a remote community, our teachers who moderate it) remove and restore posts,
lock and pin threads, ban and unban members, add and remove moderators; and anyone may
read the moderation log of a public community.

The rules are the domain's (``community_rank``, ``community_threads``,
``community_moderation``, ``community_modlog``): these handlers read small forms (CSRF,
no script), call them, and send the reader back or show the refusal in their language.
Paths (``<handle>`` as on the community's page):

- ``POST /communities/<handle>/posts/<id>/<action>`` — ``remove`` (``reason``),
  ``restore``, ``lock`` (``reason``), ``unlock``, ``pin``, ``unpin``; ``next`` is where to
  return (a path on this site);
- ``GET /communities/<handle>/members`` — members, moderators and bans, for moderators;
- ``POST /communities/<handle>/members/<id>/<action>`` — ``ban`` (``reason``), ``unban``,
  ``add_moderator``, ``remove_moderator``;
- ``GET /communities/<handle>/modlog`` — the log, newest first (``max_id`` pages back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedi.db.models import Account
from fedi.db.repositories.accounts import account_views
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import AccountView
from fedi.domain import (
    communities,
    community_moderation,
    community_modlog,
    community_rank,
    community_threads,
    directory,
)
from fedi.domain.communities import CommunityView
from fedi.domain.community_rank import Acting
from fedi.domain.pagination import MAX_ID
from fedi.errors import Forbidden, NotFound, ValidationFailed
from fedi.state import AppState
from fedi.web.access import signed_in
from fedi.web.community_pages import page_path
from fedi.web.forms import checked_form, text
from fedi.web.moderating import acting_of
from fedi.web.rendering import Reader, reader_of, render

POST_ACTIONS = ("remove", "restore", "lock", "unlock", "pin", "unpin")
MEMBER_ACTIONS = ("ban", "unban", "add_moderator", "remove_moderator")
MODLOG_PAGE = 40
MEMBERS_SHOWN = 80
MAX_REASON = community_modlog.MAX_REASON


def _number(raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound()
    return int(raw)


def _back(raw: str, fallback: str) -> str:
    # Only a path on this site: a form must not send the reader elsewhere.
    if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return fallback


async def _moderating(request: Request) -> tuple[Reader, CommunityView, Acting]:
    """The signed-in reader and the community in the path, which they must moderate (403,
    in their language, before anything changes)."""
    reader = await signed_in(request)
    acting = acting_of(reader)
    assert acting is not None
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        view = await communities.named(session, state.site, request.path_params["handle"])
        if not await community_rank.may_moderate(session, view.account, acting):
            raise Forbidden("Only the community's moderators may do this")
    return reader, view, acting


# Posts and threads ---------------------------------------------------------------------


async def act_on_post(request: Request, action: str) -> Response:
    form = await checked_form(request)
    _, view, acting = await _moderating(request)
    state: AppState = request.app.state.jamii
    status_id = _number(request.path_params["id"])
    reason = text(form, "reason", MAX_REASON)
    back = _back(text(form, "next", 2000), page_path(view))
    async with state.sessions() as session, session.begin():
        group = await session.get(Account, view.account.id)
        assert group is not None
        if action == "remove":
            await community_threads.remove(session, group, status_id, reason, acting=acting)
        elif action == "restore":
            await community_threads.restore(session, state.site, group, status_id, acting=acting)
        elif action in ("lock", "unlock"):
            await community_threads.lock(
                session, group, status_id, action == "lock", reason, acting=acting
            )
        else:
            await community_threads.pin(session, group, status_id, action == "pin", acting=acting)
    return RedirectResponse(back, status_code=303)


def _post_route(action: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return await act_on_post(request, action)

    return Route(
        f"/communities/{{handle}}/posts/{{id}}/{action}",
        endpoint,
        methods=["POST"],
        name=f"page_community_post_{action}",
    )


# Members -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Banned:
    person: AccountView
    reason: str


async def members_page(
    request: Request,
    *,
    status_code: int = 200,
    error: str = "",
    moderating: tuple[Reader, CommunityView, Acting] | None = None,
) -> Response:
    """The members, moderators (in rank order) and bans, with their forms."""
    reader, view, _ = moderating or await _moderating(request)
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        moderators = await communities.moderators(session, view.account.id)
        members = await communities.members(session, view.account.id, limit=MEMBERS_SHOWN)
        bans = await communities.banned(session, view.account.id, limit=MEMBERS_SHOWN)
        ids = [a.id for a in (*moderators, *members)] + [b.account_id for b in bans]
        people = {v.id: v for v in await account_views(session, ids)}
    moderator_ids = {m.id for m in moderators}
    return await render(
        request,
        "community_members.html",
        status_code,
        reader=reader,
        account=view.account,
        page=page_path(view),
        moderators=[people[m.id] for m in moderators if m.id in people],
        members=[people[m.id] for m in members if m.id in people and m.id not in moderator_ids],
        banned=[Banned(people[b.account_id], b.reason) for b in bans if b.account_id in people],
        error=error,
        done=not error and request.query_params.get("done") in MEMBER_ACTIONS,
    )


async def show_members(request: Request) -> Response:
    return await members_page(request)


async def act_on_member(request: Request, action: str) -> Response:
    form = await checked_form(request)
    moderating = await _moderating(request)
    reader, view, acting = moderating
    state: AppState = request.app.state.jamii
    account_id = _number(request.path_params["id"])
    reason = text(form, "reason", MAX_REASON)
    try:
        async with state.sessions() as session, session.begin():
            group = await session.get(Account, view.account.id)
            assert group is not None
            other = await directory.known_account(session, account_id)
            if action == "ban":
                await community_moderation.ban(session, group, other, reason, acting=acting)
            elif action == "unban":
                await community_moderation.unban(session, group, other, acting=acting)
            elif action == "add_moderator":
                await community_moderation.add_moderator(session, group, other, acting=acting)
            else:
                await community_moderation.remove_moderator(session, group, other, acting=acting)
    except (Forbidden, ValidationFailed, NotFound) as exc:
        # A rank rule's refusal: shown on the page, in the reader's language.
        return await members_page(
            request,
            status_code=exc.status,
            error=reader.gettext(exc.message),
            moderating=moderating,
        )
    return RedirectResponse(f"{page_path(view)}/members?done={action}", status_code=303)


def _member_route(action: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return await act_on_member(request, action)

    return Route(
        f"/communities/{{handle}}/members/{{id}}/{action}",
        endpoint,
        methods=["POST"],
        name=f"page_community_{action}",
    )


# The moderation log --------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    id: int
    action: str
    created_at: datetime
    moderator: AccountView | None
    account: AccountView | None
    status_id: int | None
    reason: str


async def modlog_page(request: Request) -> Response:
    """Anyone for a public community, its moderators (and our admins) for a private one."""
    reader = await reader_of(request)
    state: AppState = request.app.state.jamii
    raw = request.query_params.get("max_id", "")
    max_id = int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None
    async with state.readers() as session:
        view = await communities.named(session, state.site, request.path_params["handle"])
        await community_modlog.readable(session, view, acting_of(reader))
        entries = await community_modlog.entries(
            session, view.account.id, limit=MODLOG_PAGE + 1, max_id=max_id
        )
        ids = [i for e in entries for i in (e.moderator_id, e.target_account_id) if i is not None]
        people = {v.id: v for v in await account_views(session, ids)}
        # A post is linked where the reader may open it (a deleted one is only named).
        posts = await load_views(
            session,
            [e.target_status_id for e in entries if e.target_status_id is not None],
            reader.viewer.account.id if reader.viewer else None,
        )
    paths = {p.id: f"/@{p.account.acct}/{p.id}" for p in posts}
    shown = [
        Logged(
            id=e.id,
            action=e.action,
            created_at=e.created_at,
            moderator=people.get(e.moderator_id) if e.moderator_id else None,
            account=people.get(e.target_account_id) if e.target_account_id else None,
            status_id=e.target_status_id,
            reason=e.reason,
        )
        for e in entries[:MODLOG_PAGE]
    ]
    return await render(
        request,
        "community_modlog.html",
        reader=reader,
        account=view.account,
        page=page_path(view),
        entries=shown,
        paths=paths,
        next_max_id=shown[-1].id if len(entries) > MODLOG_PAGE and shown else None,
    )


routes = [
    Route("/communities/{handle}/members", show_members, methods=["GET"]),
    Route("/communities/{handle}/modlog", modlog_page, methods=["GET"]),
    *(_post_route(a) for a in POST_ACTIONS),
    *(_member_route(a) for a in MEMBER_ACTIONS),
]
