"""The OAuth log-in and consent page (``/oauth/authorize``): server-rendered, no JavaScript.

GET checks the request before showing anything: an unknown client, or a ``redirect_uri``
that is not exactly one the client registered, gets an error page and never a redirect or
a consent form (an open redirect would hand codes to whoever asked). Errors after that —
an unsupported ``response_type``, scopes wider than the app's, a PKCE method other than
S256 — go back to the client's redirect URI as RFC 6749 §4.1.2.1 says.

POST checks the CSRF token (``fedi.web.csrf``), re-checks the request, then the teacher's
e-mail and password (one answer for an unknown e-mail and a wrong password), and sends the
code to the redirect URI, or shows it for the out-of-band URI. Log-in attempts count
against the same per-IP window as the password grant.

Mastodon.py sends ``force_login=False&state=None&lang=None`` literally; ``force_login`` and
``lang`` are ignored (every visit asks for the password; pages are in the instance's
language) and ``state`` is echoed back exactly as received.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from fedi.api.ratelimit import client_ip, rate_limits
from fedi.db.models import Application
from fedi.domain import accounts, oauth
from fedi.state import AppState
from fedi.web import csrf
from fedi.web.messages import N_
from fedi.web.rendering import anonymous_reader, page_html

SCOPE_DESCRIPTIONS = {
    "read": N_("read all your account's data"),
    "write": N_("change all your account's data (post, follow, edit your profile)"),
    "follow": N_("see and change who you follow, block and mute"),
    "push": N_("receive push notifications"),
    "profile": N_("see your profile (name and picture) only"),
}
EXPIRED_FORM = N_("This form has expired or did not come from this site. Go back and try again.")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class Authorization:
    """A checked authorisation request."""

    app: Application
    redirect_uri: str
    scopes: frozenset[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None


class Refusal(Exception):
    """A response to send instead of going on (an error page or a redirect to the client)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _page(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    html = page_html(request, anonymous_reader(request), name, **context)
    return HTMLResponse(html, status_code=status_code, headers=NO_STORE)


def _error_page(request: Request, message: str, status_code: int = 400) -> Refusal:
    return Refusal(_page(request, "oauth_error.html", status_code, message=message))


def redirect_with(uri: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def _back_to_client(
    request: Request, redirect_uri: str, state: str | None, error: oauth.OAuthError
) -> Refusal:
    if redirect_uri == oauth.OOB:
        return _error_page(request, error.message)
    location = redirect_with(
        redirect_uri, {"error": error.error, "error_description": error.message, "state": state}
    )
    return Refusal(RedirectResponse(location, status_code=302, headers=NO_STORE))


async def _check(
    request: Request, session: AsyncSession, params: QueryParams | FormData
) -> Authorization:
    def text(key: str) -> str | None:
        value = params.get(key)
        return value if isinstance(value, str) and value != "" else None

    app = await oauth.application(session, text("client_id") or "")
    if app is None:
        raise _error_page(request, N_("This application is not known here."))
    redirect_uri = text("redirect_uri")
    if redirect_uri is None and len(app.redirect_uris) == 1:
        redirect_uri = app.redirect_uris[0]
    if redirect_uri is None or redirect_uri not in app.redirect_uris:
        raise _error_page(
            request, N_("The redirect URI does not match one registered for this application.")
        )
    state = params.get("state")
    state = state if isinstance(state, str) else None
    try:
        if text("response_type") != "code":
            raise oauth.OAuthError(
                "unsupported_response_type", "Only the response_type code is supported."
            )
        scopes = oauth.requested_scopes(app, text("scope"))
        challenge, method = oauth.check_challenge(
            text("code_challenge"), text("code_challenge_method")
        )
    except oauth.OAuthError as exc:
        raise _back_to_client(request, redirect_uri, state, exc) from None
    return Authorization(app, redirect_uri, scopes, state, challenge, method)


def _form(request: Request, auth: Authorization, token: str, error: str | None = None) -> Response:
    state: AppState = request.app.state.jamii
    scopes = oauth.scope_string(auth.scopes).split()
    response = _page(
        request,
        "oauth_authorize.html",
        app=auth.app,
        scopes=[(scope, SCOPE_DESCRIPTIONS.get(scope, scope)) for scope in scopes],
        fields={
            "client_id": auth.app.client_id,
            "redirect_uri": auth.redirect_uri,
            "response_type": "code",
            "scope": " ".join(scopes),
            "state": auth.state,
            "code_challenge": auth.code_challenge,
            "code_challenge_method": auth.code_challenge_method,
            csrf.FIELD: token,
        },
        error=error,
    )
    csrf.set_cookie(response, state.config, token)
    return response


async def show(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        try:
            auth = await _check(request, session, request.query_params)
        except Refusal as refusal:
            return refusal.response
    return _form(request, auth, csrf.token_for(request, state.config))


async def submit(request: Request) -> Response:
    refused = rate_limits(request).login.hit(client_ip(request))
    if refused is not None:
        return refused
    state: AppState = request.app.state.jamii
    async with request.form(max_files=0, max_fields=50) as form:
        submitted = form.get(csrf.FIELD)
        if not csrf.is_valid(
            request, state.config, submitted if isinstance(submitted, str) else None
        ):
            return _page(
                request,
                "oauth_error.html",
                403,
                message=EXPIRED_FORM,
            )
        async with state.sessions() as session, session.begin():
            try:
                auth = await _check(request, session, form)
                return await _decide(request, session, auth, form)
            except Refusal as refusal:
                return refusal.response


async def _decide(
    request: Request, session: AsyncSession, auth: Authorization, form: FormData
) -> Response:
    state: AppState = request.app.state.jamii
    token = csrf.token_for(request, state.config)
    if form.get("decision") == "deny":
        denied = oauth.OAuthError("access_denied", "The teacher declined to authorise the app.")
        raise _back_to_client(request, auth.redirect_uri, auth.state, denied)
    email, password = form.get("email"), form.get("password")
    user = (
        await accounts.authenticate(session, email, password)
        if isinstance(email, str) and isinstance(password, str) and email and password
        else None
    )
    if user is None:
        return _form(request, auth, token, error=N_("Wrong e-mail address or password."))
    if user.confirmed_at is None or not user.approved:
        return _form(request, auth, token, error=N_("Your account is not active yet."))
    code = await oauth.create_code(
        session,
        app=auth.app,
        user=user,
        redirect_uri=auth.redirect_uri,
        scopes=auth.scopes,
        code_challenge=auth.code_challenge,
        code_challenge_method=auth.code_challenge_method,
    )
    if auth.redirect_uri == oauth.OOB:
        return _page(request, "oauth_code.html", app=auth.app, code=code)
    location = redirect_with(auth.redirect_uri, {"code": code, "state": auth.state})
    return RedirectResponse(location, status_code=302, headers=NO_STORE)
