"""Community pages: the directory, a community's page (join, leave, new thread), joining a
community on another instance by handle or URL, and creating one.

The rules are the domain's (``communities``, ``community_directory``, ``community_posts``,
``statuses``): these handlers read forms, call them, and show the result or the form again
with its errors in the reader's language. Paths:

- ``GET /communities`` — the directory (``q``, ``subject``, ``language``, ``where``);
- ``POST /communities/join`` — form ``join-remote``: a handle or URL, resolved and joined;
- ``GET|POST /communities/new`` — form ``create-community``;
- ``GET /communities/<handle>`` (and ``/@<name>`` for ours) — a community's page;
- ``POST /communities/<handle>/join`` (form ``join``), ``…/leave`` (form ``leave``),
  ``…/posts`` (form ``compose``: ``title``, ``status``, ``language``).
"""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedi.db.models import Account, User
from fedi.db.repositories.statuses import load_views
from fedi.domain import (
    communities,
    community_directory,
    community_modlog,
    community_posts,
    community_threads,
    idempotency,
)
from fedi.domain.communities import CommunityView, Settings
from fedi.domain.community_directory import Filters
from fedi.domain.pagination import MAX_ID
from fedi.domain.statuses import Draft
from fedi.errors import Forbidden, JamiiError, NotFound, ValidationFailed
from fedi.federation.resolve import FederatedResolver
from fedi.state import AppState
from fedi.web import i18n
from fedi.web.forms import checked_form, text
from fedi.web.messages import N_
from fedi.web.moderating import acting_of, may_moderate
from fedi.web.rendering import Reader, reader_of, render
from fedi.web.shown import reading_of

PAGE_SIZE = 20
NOT_ALLOWED_TO_CREATE = N_("This instance does not let you create communities")
CHOOSE_LANGUAGE = N_("Choose one of the languages offered")


def page_path(view: CommunityView) -> str:
    """Where a community's page is: ``/communities/maths`` or ``…/maths@other.example``."""
    account = view.account
    handle = account.username if account.is_local else f"{account.username}@{account.domain}"
    return "/communities/" + quote(handle, safe="@:")


def _to_login(path: str) -> Response:
    return RedirectResponse(f"/login?next={quote(path, safe='/@:')}", status_code=303)


def _filters(request: Request) -> tuple[Filters, dict[str, str]]:
    query = request.query_params
    values = {
        "q": query.get("q", "")[:100],
        "subject": query.get("subject", "")[:100],
        "language": query.get("language", "")[:8],
        "where": query.get("where", ""),
    }
    offset = query.get("offset", "")
    values["offset"] = offset if offset.isdigit() and len(offset) < 7 else "0"
    local = {"here": True, "elsewhere": False}.get(values["where"])
    filters = Filters(
        text=values["q"],
        subject=values["subject"],
        language=values["language"] if values["language"] in i18n.LANGUAGES else "",
        local=local,
        limit=PAGE_SIZE + 1,
        offset=int(values["offset"]),
    )
    return filters, values


async def _directory(
    request: Request,
    reader: Reader,
    status_code: int = 200,
    *,
    handle: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    state: AppState = request.app.state.jamii
    filters, values = _filters(request)
    async with state.readers() as session:
        found = await community_directory.search(session, filters)
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    user_role = reader.viewer.user.role if reader.viewer else ""
    return await render(
        request,
        "communities.html",
        status_code,
        reader=reader,
        results=[(view, page_path(view)) for view in found],
        values=values,
        more=more,
        next_offset=filters.offset + PAGE_SIZE,
        handle=handle,
        errors=errors or {},
        may_create=reader.viewer is not None
        and communities.may_create(user_role, state.site.community_creation),
    )


async def directory_page(request: Request) -> Response:
    return await _directory(request, await reader_of(request))


def _resolver(state: AppState, session: AsyncSession) -> FederatedResolver | None:
    return FederatedResolver(state.federation, session) if state.federation is not None else None


async def join_remote(request: Request) -> Response:
    """Form ``join-remote``: find the community (asking its server if need be) and join it."""
    form = await checked_form(request)
    reader = await reader_of(request)
    if reader.viewer is None:
        return _to_login("/communities")
    state: AppState = request.app.state.jamii
    handle = text(form, "handle", 600)
    try:
        if not handle:
            raise ValidationFailed(
                "Enter a handle such as @maths@ke.example or a URL", field="handle"
            )
        async with state.sessions() as session, session.begin():
            view = await community_directory.discover(
                session, state.site, handle, _resolver(state, session)
            )
            member = await session.get(Account, reader.viewer.account.id)
            assert member is not None
            await communities.join(session, member, view.account)
            path = page_path(view)
    except (ValidationFailed, NotFound, Forbidden) as exc:
        return await _directory(
            request,
            reader,
            exc.status,
            handle=handle,
            errors={"handle": reader.gettext(exc.message)},
        )
    return RedirectResponse(path, status_code=303)


async def _named(request: Request, handle: str) -> CommunityView:
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        return await communities.named(session, state.site, handle)


async def community_page(
    request: Request,
    handle: str | None = None,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    reader: Reader | None = None,
) -> Response:
    """A community's page: what it is about, who moderates it, the join button, the form
    for a new thread (for those who may post) and its threads, newest first."""
    state: AppState = request.app.state.jamii
    reader = reader or await reader_of(request)
    handle = handle or request.path_params["handle"]
    viewer = reader.viewer.account if reader.viewer else None
    raw = request.query_params.get("max_id", "")
    max_id = int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None
    async with state.readers() as session:
        view = await communities.named(session, state.site, handle)
        standing = await communities.standing(session, view.account, viewer) if viewer else None
        may_post = (
            await community_posts.may_start_threads(session, view, viewer) if viewer else False
        )
        moderators = await communities.moderators(session, view.account.id)
        ids = await community_posts.threads(
            session, viewer, view.account.id, limit=PAGE_SIZE + 1, max_id=max_id
        )
        posts = await load_views(session, ids[:PAGE_SIZE], viewer.id if viewer else None)
        reading = await reading_of(request, session, reader, posts)
        records = await community_threads.records(session, [p.id for p in posts])
        moderating = await may_moderate(session, view, reader)
        log_readable = await community_modlog.may_read(session, view, acting_of(reader))
    default_language = reader.viewer.user.default_language if reader.viewer else None
    shown_values = values or {
        "language": default_language if default_language in i18n.LANGUAGES else reader.lang
    }
    return await render(
        request,
        "community.html",
        status_code,
        reader=reader,
        view=view,
        account=view.account,
        community=view.community,
        page=page_path(view),
        standing=standing,
        may_post=may_post,
        moderators=moderators,
        posts=posts,
        reading=reading,
        records=records,
        moderating=moderating,
        log_readable=log_readable,
        next_max_id=posts[-1].id if len(ids) > PAGE_SIZE and posts else None,
        values=shown_values,
        errors=errors or {},
    )


async def _change_membership(request: Request, *, joining: bool) -> Response:
    await checked_form(request)
    reader = await reader_of(request)
    handle = request.path_params["handle"]
    view = await _named(request, handle)
    state: AppState = request.app.state.jamii
    path = page_path(view)
    if reader.viewer is None:
        return _to_login(path)
    async with state.sessions() as session, session.begin():
        member = await session.get(Account, reader.viewer.account.id)
        group = await session.get(Account, view.account.id)
        assert member is not None
        assert group is not None
        if joining:
            await communities.join(session, member, group)
        else:
            await communities.leave(session, member, group)
    return RedirectResponse(path, status_code=303)


async def join(request: Request) -> Response:
    return await _change_membership(request, joining=True)


async def leave(request: Request) -> Response:
    return await _change_membership(request, joining=False)


async def new_thread(request: Request) -> Response:
    """Form ``compose`` on a community's page: a thread with a title, in a chosen language."""
    form = await checked_form(request)
    reader = await reader_of(request)
    handle = request.path_params["handle"]
    view = await _named(request, handle)
    state: AppState = request.app.state.jamii
    path = page_path(view)
    if reader.viewer is None:
        return _to_login(path)
    limit = state.config.limits.post_length
    values = {
        "title": text(form, "title", 301),
        "status": text(form, "status", limit + 1),
        "language": text(form, "language", 8),
    }
    try:
        if values["language"] not in i18n.LANGUAGES:
            raise ValidationFailed(CHOOSE_LANGUAGE, field="language")
        async with state.sessions() as session, session.begin():
            user = await session.get(User, reader.viewer.user.id)
            assert user is not None
            status = await idempotency.post_once(
                session,
                state.site,
                reader.viewer.account,
                Draft(
                    text=values["status"],
                    language=values["language"],
                    community_id=view.account.id,
                    title=values["title"],
                ),
                key=None,
                default_language=user.default_language,
            )
            status_id = status.id
    except (ValidationFailed, Forbidden, NotFound) as exc:
        errors = {exc.field or "status": reader.gettext(exc.message)}
        return await community_page(
            request, handle, status_code=exc.status, values=values, errors=errors, reader=reader
        )
    return RedirectResponse(f"/@{reader.viewer.account.username}/{status_id}", status_code=303)


# Creating ------------------------------------------------------------------------------


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _create_values(form: FormData) -> dict[str, str]:
    return {
        "name": text(form, "name", 60),
        "display_name": text(form, "display_name", 200),
        "description": text(form, "description", 5100),
        "subject": text(form, "subject", 200),
        "grade_levels": text(form, "grade_levels", 3000),
        "rules": text(form, "rules", 11000),
        "visibility": text(form, "visibility", 16) or "public",
        "posting_policy": text(form, "posting_policy", 16) or "members",
    }


async def _create_form(
    request: Request,
    reader: Reader,
    status_code: int = 200,
    *,
    values: dict[str, str],
    chosen: list[str],
    errors: dict[str, str] | None = None,
) -> Response:
    return await render(
        request,
        "community_new.html",
        status_code,
        reader=reader,
        values=values,
        chosen=chosen,
        errors=errors or {},
    )


def _may_create(request: Request, reader: Reader) -> bool:
    state: AppState = request.app.state.jamii
    assert reader.viewer is not None
    return communities.may_create(reader.viewer.user.role, state.site.community_creation)


async def create_page(request: Request) -> Response:
    reader = await reader_of(request)
    if reader.viewer is None:
        return _to_login("/communities/new")
    if not _may_create(request, reader):
        raise Forbidden(NOT_ALLOWED_TO_CREATE)
    return await _create_form(request, reader, values={}, chosen=[reader.lang])


async def create(request: Request) -> Response:
    form = await checked_form(request)
    reader = await reader_of(request)
    if reader.viewer is None:
        return _to_login("/communities/new")
    if not _may_create(request, reader):
        raise Forbidden(NOT_ALLOWED_TO_CREATE)
    state: AppState = request.app.state.jamii
    values = _create_values(form)
    chosen = [code for code in form.getlist("languages") if isinstance(code, str)][:20]
    settings = Settings(
        name=values["name"],
        display_name=values["display_name"],
        description=values["description"],
        subject=values["subject"],
        grade_levels=_lines(values["grade_levels"]),
        languages=chosen,
        rules=_lines(values["rules"]),
        visibility=values["visibility"],
        posting_policy=values["posting_policy"],
    )
    try:
        if any(code not in i18n.LANGUAGES for code in chosen):
            raise ValidationFailed(CHOOSE_LANGUAGE, field="languages")
        async with state.sessions() as session, session.begin():
            creator = await session.get(Account, reader.viewer.account.id)
            view = await communities.create(session, state.site, settings, creator=creator)
            path = page_path(view)
    except JamiiError as exc:
        if exc.status not in (409, 422):
            raise
        errors = {exc.field or "name": reader.gettext(exc.message)}
        return await _create_form(request, reader, 422, values=values, chosen=chosen, errors=errors)
    return RedirectResponse(path, status_code=303)


async def show(request: Request) -> Response:
    return await community_page(request)


async def join_form(request: Request) -> Response:
    """``/communities/join`` opened in the address bar: the form is on the directory."""
    return RedirectResponse("/communities#join-remote", status_code=303)


routes = [
    Route("/communities", directory_page, methods=["GET"]),
    Route("/communities/join", join_form, methods=["GET"]),
    Route("/communities/join", join_remote, methods=["POST"]),
    Route("/communities/new", create_page, methods=["GET"]),
    Route("/communities/new", create, methods=["POST"]),
    Route("/communities/{handle}", show, methods=["GET"]),
    Route("/communities/{handle}/join", join, methods=["POST"]),
    Route("/communities/{handle}/leave", leave, methods=["POST"]),
    Route("/communities/{handle}/posts", new_thread, methods=["POST"]),
]
