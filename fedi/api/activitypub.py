"""ActivityPub documents as peers fetch them: actors, notes, activities and collections.

Read-only: the inbox (POST) lives with the federation handlers. Only what anyone may see is
served — public and unlisted posts, never followers-only or direct ones, which peers receive
by delivery — and everything hidden answers the same 404. ``/users/{username}`` and its
statuses are negotiated (a browser is redirected to the page, a peer gets JSON); the
collections are JSON for everyone. URLs come from ``Site`` (see docs/federation.md).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from fedi.api.negotiation import ACTIVITY_JSON_UTF8, ActivityPubRoute, wants_activity_json
from fedi.api.responses import JSONResponse, error_response
from fedi.db.models import Account, Community, CommunityRole, Follow, Status, TeacherProfile
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import StatusView
from fedi.domain import community_posts, community_threads, pins, renditions
from fedi.domain.accounts import local_account
from fedi.domain.pagination import Page
from fedi.domain.visibility import OPEN_VISIBILITIES, outside_private_communities
from fedi.errors import JamiiError, NotFound, ValidationFailed
from fedi.federation.addressing import address
from fedi.federation.convert.groups import community_to_group
from fedi.federation.convert.outgoing import (
    CONTEXT,
    account_to_actor,
    activity,
    iso,
    status_to_note,
)
from fedi.federation.instance_actor import ensure_instance_actor, instance_actor_uri
from fedi.federation.signed_get import get_signer
from fedi.federation.wire.common import AS_CONTEXT
from fedi.state import AppState

PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # ids are BIGINT: a larger number must be refused before PostgreSQL sees it
VARY = {"Vary": "Accept"}
Endpoint = Callable[[Request], Awaitable[Response]]
AnySelect = Select[*tuple[Any, ...]]


class ActivityResponse(JSONResponse):
    media_type = ACTIVITY_JSON_UTF8


class Gone(JamiiError):
    """A suspended account: peers drop what they hold of it on 410, as with Mastodon's."""

    status = 410


def answers_json(*, negotiated: bool) -> Callable[[Endpoint], Endpoint]:
    """Errors as a bare status with a small JSON body; on a negotiated URL a browser's
    error goes on to the application's HTML error page instead."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            try:
                return await endpoint(request)
            except JamiiError as exc:
                if negotiated and not wants_activity_json(request):
                    raise
                response = error_response(exc)
                if negotiated:
                    response.headers.update(VARY)
                return response

        return wrapper

    return decorate


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.jamii
    return state


def _document(body: dict[str, Any], *, negotiated: bool = False) -> Response:
    return ActivityResponse(body, headers=VARY if negotiated else None)


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=302, headers=VARY)


async def _teacher(session: AsyncSession, state: AppState, username: str) -> Account:
    account = await local_account(session, username)
    if account is None or account.uri == instance_actor_uri(state.site):
        raise NotFound()
    if account.suspended_at is not None:
        raise Gone("This account is gone")
    return account


def _followers_url(account: Account) -> str:
    return account.followers_url or f"{account.uri}/followers"


async def _open_status(
    session: AsyncSession, account: Account, raw_id: str, request: Request
) -> StatusView:
    """A public or unlisted post or boost of ``account``; anything else is the same 404.

    A private community's post is served only to a fetch signed by a member or by an
    actor of a server where a member lives (docs/communities.md)."""
    if not (raw_id.isascii() and raw_id.isdigit()) or int(raw_id) > MAX_ID:
        raise NotFound()
    views = await load_views(session, [int(raw_id)], None)
    view = views[0] if views else None
    if (
        view is None
        or view.account.id != account.id
        or view.visibility not in OPEN_VISIBILITIES
        or (view.reblog is not None and view.reblog.visibility not in OPEN_VISIBILITIES)
    ):
        raise NotFound()
    community_id = await community_posts.private_community_of(
        session, view.id, view.reblog.id if view.reblog is not None else None
    )
    if community_id is not None:
        signer = await _get_signer(session, request)
        if not await community_posts.may_fetch_private(session, community_id, signer):
            raise NotFound()
    return view


async def _get_signer(session: AsyncSession, request: Request) -> Account | None:
    """The verified signer of this GET, or None (unsigned, invalid, or no federation)."""
    state = _state(request)
    if state.federation is None:
        return None
    path = request.scope.get("raw_path") or request.scope["path"].encode()
    url = state.config.base_url + path.decode("latin-1")
    query = request.scope.get("query_string", b"")
    if query:
        url += "?" + query.decode("latin-1")
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    ref = await get_signer(state.federation, url, pairs)
    return await session.get(Account, ref.id) if ref is not None else None


async def _notes(
    session: AsyncSession, state: AppState, account: Account, views: Sequence[StatusView]
) -> dict[int, dict[str, Any]]:
    """Notes of the given posts (not boosts), each with the URI of the post it replies to."""
    parent_ids = {v.in_reply_to_id for v in views if v.in_reply_to_id is not None}
    parents: dict[int, str] = {}
    if parent_ids:
        rows = await session.execute(select(Status.id, Status.uri).where(Status.id.in_(parent_ids)))
        parents = {row[0]: row[1] for row in rows}
    translated = await renditions.for_federation(session, [v for v in views if v.reblog is None])
    return {
        v.id: status_to_note(
            v,
            state.site,
            _followers_url(account),
            in_reply_to_uri=parents.get(v.in_reply_to_id) if v.in_reply_to_id else None,
            translations=renditions.as_content_map(translated.get(v.id, {})),
        )
        for v in views
        if v.reblog is None
    }


def _as_activity(view: StatusView, account: Account, note: dict[str, Any] | None) -> dict[str, Any]:
    """A post as its Create, a boost as its Announce of the original's URI."""
    if view.reblog is None:
        assert note is not None
        return activity(
            "Create",
            f"{view.uri}/activity",
            account.uri,
            note,
            published=note["published"],
            to=note["to"],
            cc=note["cc"],
        )
    to, cc = address(view.visibility, _followers_url(account), [view.reblog.account.uri])
    return activity(
        "Announce",
        view.uri,
        account.uri,
        view.reblog.uri,
        published=iso(view.created_at),
        to=to,
        cc=cc,
    )


def _embedded(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "@context"}


@answers_json(negotiated=True)
async def actor(request: Request) -> Response:
    state = _state(request)
    async with state.readers() as session:
        account = await _teacher(session, state, request.path_params["username"])
        if not wants_activity_json(request):
            return _redirect(account.url or state.site.profile_url(account.username))
        if account.actor_type == "Group":
            community = await session.get(Community, account.id)
            if community is not None:
                group = community_to_group(account, community, state.site)
                return _document(group, negotiated=True)
        profile = await session.get(TeacherProfile, account.id)
    return _document(account_to_actor(account, state.site, profile), negotiated=True)


@answers_json(negotiated=True)
async def note(request: Request) -> Response:
    state = _state(request)
    async with state.readers() as session:
        account = await _teacher(session, state, request.path_params["username"])
        view = await _open_status(session, account, request.path_params["id"], request)
        if view.reblog is not None:  # a boost has no Note of its own, only its Announce
            raise NotFound()
        if not wants_activity_json(request):
            return _redirect(view.url or state.site.status_url(account.username, view.id))
        notes = await _notes(session, state, account, [view])
    return _document({"@context": CONTEXT, **notes[view.id]}, negotiated=True)


@answers_json(negotiated=False)
async def status_activity(request: Request) -> Response:
    state = _state(request)
    async with state.readers() as session:
        account = await _teacher(session, state, request.path_params["username"])
        view = await _open_status(session, account, request.path_params["id"], request)
        notes = await _notes(session, state, account, [view])
    return _document(_as_activity(view, account, notes.get(view.id)))


@answers_json(negotiated=False)
async def instance_actor(request: Request) -> Response:
    state = _state(request)
    async with state.sessions() as session:
        account = await ensure_instance_actor(session, state.site)
        await session.commit()
    return _document(account_to_actor(account, state.site))


async def instance_outbox(request: Request) -> Response:
    return _document(_collection(f"{instance_actor_uri(_state(request).site)}/outbox", 0, []))


# Collections ---------------------------------------------------------------------------


def _collection(
    url: str, total: int, items: list[Any] | None = None, **links: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": total,
        **links,
    }
    if items is not None:
        body["orderedItems"] = items
    return body


def _page_url(url: str, **params: int | None) -> str:
    query = {name: value for name, value in params.items() if value is not None}
    return f"{url}?{urlencode({**query, 'page': 'true'})}"


def _is_page(request: Request) -> bool:
    return any(name in request.query_params for name in ("page", "max_id", "min_id"))


def _cursor(request: Request) -> Page:
    q = request.query_params
    page = Page.of(max_id=q.get("max_id"), min_id=q.get("min_id"), limit=PAGE_SIZE)
    for name, value in (("max_id", page.max_id), ("min_id", page.min_id)):
        if value is not None and not 0 <= value <= MAX_ID:
            raise ValidationFailed(f"{name} is out of range", field=name)
    return page


async def _any(session: AsyncSession, query: AnySelect) -> bool:
    return (await session.execute(query.limit(1))).first() is not None


async def _window(
    session: AsyncSession, query: AnySelect, key: InstrumentedAttribute[int], cursor: Page
) -> tuple[list[Any], bool, bool]:
    """One page of ``query`` (rows whose first column is ``key``), newest first, with
    whether newer and older rows exist — so ``prev`` and ``next`` appear only when real."""
    size = cursor.limit
    if cursor.min_id is not None:
        rows = list(
            await session.execute(
                query.where(key > cursor.min_id).order_by(key.asc()).limit(size + 1)
            )
        )
        older = await _any(session, query.where(key <= cursor.min_id))
        return list(reversed(rows[:size])), len(rows) > size, older
    bounded = query if cursor.max_id is None else query.where(key < cursor.max_id)
    rows = list(await session.execute(bounded.order_by(key.desc()).limit(size + 1)))
    newer = cursor.max_id is not None and await _any(session, query.where(key >= cursor.max_id))
    return rows[:size], newer, len(rows) > size


def _collection_page(
    url: str, cursor: Page, rows: list[Any], items: list[Any], newer: bool, older: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@context": CONTEXT,
        "id": _page_url(url, max_id=cursor.max_id, min_id=cursor.min_id),
        "type": "OrderedCollectionPage",
        "partOf": url,
        "orderedItems": items,
    }
    if rows and older:
        body["next"] = _page_url(url, max_id=rows[-1][0])
    if rows and newer:
        body["prev"] = _page_url(url, min_id=rows[0][0])
    return body


async def _count(session: AsyncSession, query: AnySelect) -> int:
    return (await session.scalar(select(func.count()).select_from(query.subquery()))) or 0


def _outbox_query(account_id: int) -> AnySelect:
    """Public and unlisted posts, and boosts of public or unlisted posts."""
    original = aliased(Status)
    open_original = exists().where(
        original.id == Status.reblog_of_id, original.visibility.in_(OPEN_VISIBILITIES)
    )
    return select(Status.id).where(
        Status.account_id == account_id,
        Status.visibility.in_(OPEN_VISIBILITIES),
        # A private community's posts reach members by delivery only.
        outside_private_communities(),
        or_(Status.reblog_of_id.is_(None), open_original),
    )


@answers_json(negotiated=False)
async def outbox(request: Request) -> Response:
    state = _state(request)
    async with state.readers() as session:
        account = await _teacher(session, state, request.path_params["username"])
        url = account.outbox_url or f"{account.uri}/outbox"
        query = _outbox_query(account.id)
        if not _is_page(request):
            total = await _count(session, query)
            first, last = _page_url(url), _page_url(url, min_id=0)
            return _document(_collection(url, total, first=first, last=last))
        cursor = _cursor(request)
        rows, newer, older = await _window(session, query, Status.id, cursor)
        views = await load_views(session, [row[0] for row in rows], None)
        notes = await _notes(session, state, account, views)
    items = [_embedded(_as_activity(v, account, notes.get(v.id))) for v in views]
    return _document(_collection_page(url, cursor, rows, items, newer, older))


async def _relations(request: Request, *, followers: bool) -> Response:
    state = _state(request)
    async with state.readers() as session:
        account = await _teacher(session, state, request.path_params["username"])
        if followers:
            url = _followers_url(account)
            mine, theirs = Follow.target_account_id, Follow.account_id
        else:
            url = account.following_url or f"{account.uri}/following"
            mine, theirs = Follow.account_id, Follow.target_account_id
        query = (
            select(Follow.id, Account.uri)
            .join(Account, and_(Account.id == theirs, Account.suspended_at.is_(None)))
            .where(mine == account.id)
        )
        if followers and account.actor_type == "Group":
            # A community's members are for its moderators to see (as Lemmy publishes
            # them): peers get the count only.
            return _document(_collection(url, await _count(session, query)))
        if not _is_page(request):
            total = await _count(session, query)
            return _document(_collection(url, total, first=_page_url(url)))
        cursor = _cursor(request)
        rows, newer, older = await _window(session, query, Follow.id, cursor)
    items = [row[1] for row in rows]
    return _document(_collection_page(url, cursor, rows, items, newer, older))


@answers_json(negotiated=False)
async def followers_collection(request: Request) -> Response:
    return await _relations(request, followers=True)


@answers_json(negotiated=False)
async def following_collection(request: Request) -> Response:
    return await _relations(request, followers=False)


@answers_json(negotiated=False)
async def featured(request: Request) -> Response:
    """Pinned public and unlisted posts as Notes, most recently pinned first (Mastodon's
    featured collection: small, so never paged)."""
    state = _state(request)
    async with state.readers() as session:
        account = await _teacher(session, state, request.path_params["username"])
        if account.actor_type == "Group":
            items = await _community_featured(session, state, account)
        else:
            views = await pins.pinned(session, None, account.id)
            notes = await _notes(session, state, account, views)
            items = [notes[v.id] for v in views if v.id in notes]
    url = account.featured_url or f"{account.uri}/collections/featured"
    return _document(_collection(url, len(items), items))


async def _community_featured(session: AsyncSession, state: AppState, group: Account) -> list[Any]:
    """A community's pinned threads (Lemmy's featured collection): our teachers' posts as
    Notes, other servers' by id. A private community's stay with its members."""
    community = await session.get(Community, group.id)
    if community is None or community.visibility != "public":
        return []
    ids = await community_threads.pinned_ids(session, group.id)
    views = [v for v in await load_views(session, ids, None) if v.visibility in OPEN_VISIBILITIES]
    items: list[Any] = []
    for view in views:
        if view.account.domain is None:
            author = await session.get(Account, view.account.id)
            assert author is not None
            items.append((await _notes(session, state, author, [view]))[view.id])
        else:
            items.append(view.uri)
    return items


@answers_json(negotiated=False)
async def moderators(request: Request) -> Response:
    """A community's moderators (its Group's ``attributedTo``), as Lemmy publishes them."""
    state = _state(request)
    async with state.readers() as session:
        account = await _teacher(session, state, request.path_params["username"])
        community = await session.get(Community, account.id)
        if community is None:
            raise NotFound()
        uris = list(
            await session.scalars(
                select(Account.uri)
                .join(CommunityRole, CommunityRole.account_id == Account.id)
                .where(CommunityRole.community_id == account.id, CommunityRole.role == "moderator")
                .order_by(CommunityRole.id)
            )
        )
    url = community.moderators_url or f"{account.uri}/moderators"
    return _document(_collection(url, len(uris), uris))


routes: list[BaseRoute] = [
    Route("/actor", instance_actor),
    Route("/actor/outbox", instance_outbox),
    Route("/users/{username}", actor),
    Route("/users/{username}/outbox", outbox),
    Route("/users/{username}/followers", followers_collection),
    Route("/users/{username}/following", following_collection),
    Route("/users/{username}/collections/featured", featured),
    Route("/users/{username}/moderators", moderators),
    Route("/users/{username}/statuses/{id}", note),
    Route("/users/{username}/statuses/{id}/activity", status_activity),
    # The profile and post pages' URLs serve the same documents to peers (Mastodon does);
    # browsers fall through to fedi.web.pages, so these must come before its routes.
    ActivityPubRoute("/@{username}", actor),
    ActivityPubRoute("/@{username}/{id}", note),
]
