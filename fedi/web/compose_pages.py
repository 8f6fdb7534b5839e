"""Writing a post or a reply, with a language picker (the post's language, which the
translation layer and other instances rely on)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedi.db.models import User
from fedi.domain import idempotency
from fedi.domain.statuses import Draft
from fedi.errors import Forbidden, ValidationFailed
from fedi.state import AppState
from fedi.web import i18n
from fedi.web.forms import checked_form, text
from fedi.web.rendering import Reader, reader_of, render


def _reply_to(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 19 else None


async def _form(
    request: Request,
    reader: Reader,
    status_code: int = 200,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    return await render(
        request, "compose.html", status_code, reader=reader, values=values, errors=errors or {}
    )


async def compose_page(request: Request) -> Response:
    reader = await reader_of(request)
    if reader.viewer is None:
        return RedirectResponse("/login?next=/compose", status_code=303)
    language = reader.viewer.user.default_language or reader.lang
    values = {"language": language, "in_reply_to": request.query_params.get("in_reply_to", "")}
    return await _form(request, reader, values=values)


async def compose(request: Request) -> Response:
    form = await checked_form(request)
    reader = await reader_of(request)
    if reader.viewer is None:
        return RedirectResponse("/login?next=/compose", status_code=303)
    state: AppState = request.app.state.jamii
    limit = state.config.limits.post_length
    values = {
        "status": text(form, "status", limit + 1),
        "language": text(form, "language", 8),
        "in_reply_to": text(form, "in_reply_to", 20),
    }
    try:
        if values["language"] not in i18n.LANGUAGES:
            raise ValidationFailed("Choose one of the languages offered", field="language")
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
                    in_reply_to_id=_reply_to(values["in_reply_to"]),
                ),
                key=None,
                default_language=user.default_language,
            )
            status_id = status.id
    except (ValidationFailed, Forbidden) as exc:
        # A refusal (a locked thread, a ban) is shown on the form, with what was typed.
        errors = {exc.field or "status": reader.gettext(exc.message)}
        return await _form(request, reader, exc.status, values=values, errors=errors)
    return RedirectResponse(f"/@{reader.viewer.account.username}/{status_id}", status_code=303)


routes = [
    Route("/compose", compose_page, methods=["GET"]),
    Route("/compose", compose, methods=["POST"]),
]
