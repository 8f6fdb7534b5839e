"""Log-in, log-out, sign-up (open, approval or by invite) and roster activation pages.

Every POST checks its CSRF token before reading anything else; log-in, sign-up and
activation count against the per-IP log-in window. A form with errors is shown again with
each field's error in the reader's language, and nothing is saved.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedi.db.models import User
from fedi.domain import accounts, activation, browser_sessions, invites
from fedi.domain.signup import Applicant, SignupRefused, SignupRules, sign_up
from fedi.errors import JamiiError, ValidationFailed
from fedi.state import AppState
from fedi.web import sessions
from fedi.web.forms import checked_form, secret, text, too_many_attempts
from fedi.web.messages import N_
from fedi.web.rendering import Reader, reader_of, render

WRONG_LOGIN = N_("Wrong username, e-mail address or password.")
NOT_ACTIVE = N_("Your account is not active yet.")
PASSWORDS_DIFFER = N_("The two passwords are not the same.")
SIGNUP_FIELDS = ("username", "display_name", "email", "invite_code")


def _next_path(value: str) -> str:
    # Only a path on this site: never a scheme, host or protocol-relative "//host".
    return value if value.startswith("/") and not value.startswith(("//", "/\\")) else "/"


async def _signed_in(request: Request, state: AppState, user_id: int, to: str) -> Response:
    async with state.sessions() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        token = await browser_sessions.open_session(session, user)
    response = RedirectResponse(to, status_code=303)
    sessions.set_cookie(response, state.config, token)
    return response


async def login_page(request: Request) -> Response:
    return await render(
        request, "login.html", form=True, next=_next_path(request.query_params.get("next", ""))
    )


async def login(request: Request) -> Response:
    form = await checked_form(request)
    state: AppState = request.app.state.jamii
    reader = await reader_of(request)
    to = _next_path(text(form, "next"))
    refused = await too_many_attempts(request)
    if refused is not None:
        return refused
    login_name, password = text(form, "login", 320), secret(form, "password")
    async with state.sessions() as session, session.begin():
        user = (
            await accounts.authenticate(session, login_name, password)
            if login_name and password
            else None
        )
        error = None
        if user is None:
            error = WRONG_LOGIN
        elif not browser_sessions.can_sign_in(user):
            error = NOT_ACTIVE
    if error is not None or user is None:
        return await render(
            request,
            "login.html",
            401,
            reader=reader,
            form=True,
            error=reader.gettext(error or WRONG_LOGIN),
            login=login_name,
            next=to,
        )
    return await _signed_in(request, state, user.id, to)


async def logout(request: Request) -> Response:
    await checked_form(request)
    state: AppState = request.app.state.jamii
    token = sessions.token_of(request, state.config)
    if token is not None:
        async with state.sessions() as session, session.begin():
            await browser_sessions.close_session(session, token)
    response = RedirectResponse("/", status_code=303)
    sessions.clear_cookie(response, state.config)
    return response


def _errors(reader: Reader, problems: list[JamiiError]) -> dict[str, str]:
    found: dict[str, str] = {}
    for problem in problems:
        found.setdefault(problem.field or "form", reader.gettext(problem.message))
    return found


async def _signup_form(
    request: Request,
    status_code: int = 200,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    state: AppState = request.app.state.jamii
    return await render(
        request,
        "signup.html",
        status_code,
        form=True,
        rules=SignupRules.from_config(state.config),
        values=values or {"invite_code": request.query_params.get("code", "")},
        errors=errors or {},
    )


async def signup_page(request: Request) -> Response:
    return await _signup_form(request)


async def invite_link(request: Request) -> Response:
    """``/invite/<code>``: the sign-up form with the code filled in, or why it cannot be used."""
    state: AppState = request.app.state.jamii
    code = request.path_params["code"][:64]
    async with state.readers() as session:
        try:
            await invites.usable_invite(session, code)
        except ValidationFailed as exc:
            reader = await reader_of(request)
            return await render(
                request, "error.html", 410, reader=reader, message=reader.gettext(exc.message)
            )
    return await _signup_form(request, values={"invite_code": code})


async def signup(request: Request) -> Response:
    form = await checked_form(request)
    state: AppState = request.app.state.jamii
    reader = await reader_of(request)
    refused = await too_many_attempts(request)
    if refused is not None:
        return refused
    values = {name: text(form, name, 400) for name in SIGNUP_FIELDS}
    password = secret(form, "password")
    applicant = Applicant(
        username=values["username"],
        email=values["email"],
        password=password,
        display_name=values["display_name"],
        invite_code=values["invite_code"],
        locale=reader.lang,
    )
    try:
        async with state.sessions() as session, session.begin():
            if password != secret(form, "password_confirm"):
                raise SignupRefused([ValidationFailed(PASSWORDS_DIFFER, field="password_confirm")])
            _, user = await sign_up(
                session, state.site, SignupRules.from_config(state.config), applicant
            )
            user_id, active = user.id, browser_sessions.can_sign_in(user)
    except SignupRefused as exc:
        return await _signup_form(request, 422, values=values, errors=_errors(reader, exc.problems))
    if not active:
        return await render(request, "signup_waiting.html", reader=reader)
    return await _signed_in(request, state, user_id, f"/@{applicant.username}")


async def activate_page(request: Request) -> Response:
    return await render(request, "activate.html", form=True, values={}, errors={})


async def activate(request: Request) -> Response:
    form = await checked_form(request)
    state: AppState = request.app.state.jamii
    reader = await reader_of(request)
    refused = await too_many_attempts(request)
    if refused is not None:
        return refused
    values = {"username": text(form, "username", 64), "code": text(form, "code", 64)}
    password = secret(form, "password")
    try:
        async with state.sessions() as session, session.begin():
            if password != secret(form, "password_confirm"):
                raise ValidationFailed(PASSWORDS_DIFFER, field="password_confirm")
            user = await activation.activate(session, values["username"], values["code"], password)
            user_id = user.id
    except ValidationFailed as exc:
        return await render(
            request,
            "activate.html",
            422,
            reader=reader,
            form=True,
            values=values,
            errors=_errors(reader, [exc]),
        )
    return await _signed_in(request, state, user_id, "/settings")


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/signup", signup_page, methods=["GET"]),
    Route("/signup", signup, methods=["POST"]),
    Route("/invite/{code}", invite_link, methods=["GET"]),
    Route("/activate", activate_page, methods=["GET"]),
    Route("/activate", activate, methods=["POST"]),
]
