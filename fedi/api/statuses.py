"""Writing statuses from a client: post, edit, delete; a post's history and source.

Reading one status and its thread are public reads (``fedi.api.public``).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.auth import authenticate
from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import maybe_signed_in, path_id, reading, signed_in, state_of, writing
from fedi.db.models import User
from fedi.db.repositories.statuses import load_views
from fedi.domain import idempotency, revisions
from fedi.domain.polls import PollDraft
from fedi.domain.statuses import Draft, delete_status, edit
from fedi.errors import ValidationFailed

UNSUPPORTED = {"scheduled_at": "Scheduled posts"}


def _refuse_unsupported(params: Params) -> None:
    for name, what in UNSUPPORTED.items():
        if name in params:
            raise ValidationFailed(f"{what} are not supported on this server yet", field=name)


def _poll(params: Params) -> PollDraft | None:
    """``poll[options][]``, ``poll[expires_in]``… from a form, or a ``poll`` JSON object
    (Mastodon.py sends JSON); the rules are checked in ``fedi.domain.polls``."""
    if "poll" not in params:
        return None
    poll = params.nested("poll")
    try:
        options = poll.strings("options")
        expires_in = poll.integer("expires_in")
        multiple = poll.flag("multiple")
        hide_totals = poll.flag("hide_totals")
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field=f"poll[{error.field}]") from None
    if expires_in is None:
        raise ValidationFailed("poll[expires_in] is missing", field="poll[expires_in]")
    return PollDraft(tuple(options), expires_in, multiple=multiple, hide_totals=hide_totals)


def _new_draft(params: Params, user: User) -> Draft:
    """A draft from the request, with the teacher's defaults where the client sent none."""
    sensitive = params.boolean("sensitive")
    return Draft(
        text=params.text("status") or "",
        visibility=params.text("visibility") or user.default_visibility,
        language=params.text("language") or None,
        in_reply_to_id=params.id("in_reply_to_id"),
        spoiler_text=params.text("spoiler_text") or "",
        sensitive=user.default_sensitive if sensitive is None else sensitive,
        media_ids=tuple(params.ids("media_ids")),
        poll=_poll(params),
    )


async def create(request: Request) -> Response:
    """POST /api/v1/statuses (Idempotency-Key: a retry answers with the first post)."""
    params = await Params.read(request)
    _refuse_unsupported(params)
    key = request.headers.get("idempotency-key") or None
    state = state_of(request)
    try:
        async with writing(request) as session:
            account, user = await signed_in(request, session, "write:statuses")
            status = await idempotency.post_once(
                session,
                state.site,
                account,
                _new_draft(params, user),
                key=key,
                default_language=user.default_language,
            )
            view = (await load_views(session, [status.id], account.id))[0]
    except IntegrityError:
        if key is None:
            raise
        # The same key raced in twice: the other request's post won; answer with it.
        async with reading(request) as session:
            account, _ = await signed_in(request, session, "write:statuses")
            earlier = await idempotency.replay(session, account, key)
            if earlier is None:
                raise
            view = (await load_views(session, [earlier.id], account.id))[0]
    return JSONResponse(state.presenter.status(view))


def _edited(params: Params, current: Draft) -> Draft:
    """The post as it stands with the changes the client sent (Mastodon keeps the rest)."""
    changes: dict[str, object] = {}
    if "status" in params:
        changes["text"] = params.text("status") or ""
    if "spoiler_text" in params:
        changes["spoiler_text"] = params.text("spoiler_text") or ""
    if "sensitive" in params:
        changes["sensitive"] = params.flag("sensitive")
    if "language" in params:
        changes["language"] = params.text("language") or current.language
    if "media_ids" in params:
        changes["media_ids"] = tuple(params.ids("media_ids"))
    # As in Mastodon, an edit without a poll removes it (clients resend an unchanged one).
    changes["poll"] = _poll(params)
    return dataclasses.replace(current, **changes)  # type: ignore[arg-type]


async def update(request: Request) -> Response:
    """PUT /api/v1/statuses/:id — text, warning, sensitivity, language, media, poll."""
    params = await Params.read(request)
    _refuse_unsupported(params)
    state = state_of(request)
    status_id = path_id(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:statuses")
        current = await revisions.current_draft(session, account, status_id)
        status = await edit(session, state.site, account, status_id, _edited(params, current))
        view = (await load_views(session, [status.id], account.id))[0]
    return JSONResponse(state.presenter.status(view))


async def delete(request: Request) -> Response:
    """DELETE /api/v1/statuses/:id — answers with the post and its text, to redraft it."""
    state = state_of(request)
    status_id = path_id(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, "write:statuses")
        before = await load_views(session, [status_id], account.id)
        await delete_status(session, account, status_id)
    return JSONResponse(state.presenter.status(before[0], with_source=True))


async def history(request: Request) -> Response:
    """GET /api/v1/statuses/:id/history — every version, oldest first."""
    state = state_of(request)
    async with reading(request) as session:
        viewer = await maybe_signed_in(request, session, "read:statuses")
        found = await revisions.history(session, viewer, path_id(request))
    return JSONResponse([state.presenter.status_edit(r) for r in found])


async def source(request: Request) -> Response:
    """GET /api/v1/statuses/:id/source — the plain text, for an edit form."""
    state = state_of(request)
    async with reading(request) as session:
        viewer = await authenticate(request, session, "read:statuses", require_user=False)
        status = await revisions.source(session, viewer.account, path_id(request))
    return JSONResponse(state.presenter.status_source(status))


routes = [
    Route("/api/v1/statuses", create, methods=["POST"]),
    Route("/api/v1/statuses/{id}", update, methods=["PUT"]),
    Route("/api/v1/statuses/{id}", delete, methods=["DELETE"]),
    Route("/api/v1/statuses/{id}/history", history),
    Route("/api/v1/statuses/{id}/source", source),
]
