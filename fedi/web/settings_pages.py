"""The signed-in teacher's settings: interface language, languages read, translation on or
off, and the password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedi.db.models import User
from fedi.domain import accounts, browser_sessions, preferences
from fedi.errors import ValidationFailed
from fedi.state import AppState
from fedi.web import sessions
from fedi.web.forms import checked_form, choices, secret, text, too_many_attempts
from fedi.web.messages import N_
from fedi.web.rendering import Reader, reader_of, render

SAVED = N_("Your settings are saved.")
PASSWORD_CHANGED = N_("Your password is changed. Other browsers were signed out.")
PASSWORDS_DIFFER = N_("The two passwords are not the same.")


async def _page(
    request: Request,
    reader: Reader,
    status_code: int = 200,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    state: AppState = request.app.state.jamii
    assert reader.viewer is not None
    async with state.readers() as session:
        user = await session.get(User, reader.viewer.user.id)
        assert user is not None
        reading = await preferences.reading_preferences(session, user)
        read, translate, locale = list(reading.languages), reading.translate, user.locale
    return await render(
        request,
        "settings.html",
        status_code,
        reader=reader,
        interface_language=locale,
        reads=read,
        translate=translate,
        notice=reader.gettext(notice) if notice else None,
        errors=errors or {},
    )


def _to_login() -> Response:
    return RedirectResponse("/login?next=/settings", status_code=303)


async def settings_page(request: Request) -> Response:
    reader = await reader_of(request)
    if reader.viewer is None:
        return _to_login()
    return await _page(request, reader)


async def save(request: Request) -> Response:
    form = await checked_form(request)
    reader = await reader_of(request)
    if reader.viewer is None:
        return _to_login()
    state: AppState = request.app.state.jamii
    try:
        async with state.sessions() as session, session.begin():
            user = await session.get(User, reader.viewer.user.id)
            assert user is not None
            await preferences.save_settings(
                session,
                user,
                interface_language=text(form, "interface_language", 8),
                reads=choices(form, "languages"),
                translate=text(form, "translate") == "on",
            )
            lang = user.locale
    except ValidationFailed as exc:
        return await _page(
            request, reader, 422, errors={exc.field or "form": reader.gettext(exc.message)}
        )
    # The page answering the change speaks the newly chosen language.
    return await _page(request, Reader(lang, reader.viewer), notice=SAVED)


async def change_password(request: Request) -> Response:
    form = await checked_form(request)
    reader = await reader_of(request)
    if reader.viewer is None:
        return _to_login()
    refused = await too_many_attempts(request)
    if refused is not None:
        return refused
    state: AppState = request.app.state.jamii
    token = sessions.token_of(request, state.config) or ""
    new = secret(form, "new_password")
    try:
        async with state.sessions() as session, session.begin():
            if new != secret(form, "new_password_confirm"):
                raise ValidationFailed(PASSWORDS_DIFFER, field="new_password_confirm")
            user = await session.get(User, reader.viewer.user.id)
            assert user is not None
            await accounts.change_password(session, user, secret(form, "current_password"), new)
            await browser_sessions.close_other_sessions(session, user, keep=token)
    except ValidationFailed as exc:
        return await _page(
            request, reader, 422, errors={exc.field or "form": reader.gettext(exc.message)}
        )
    return await _page(request, reader, notice=PASSWORD_CHANGED)


routes = [
    Route("/settings", settings_page, methods=["GET"]),
    Route("/settings", save, methods=["POST"]),
    Route("/settings/password", change_password, methods=["POST"]),
]
