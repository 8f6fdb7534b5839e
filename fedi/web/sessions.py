"""The pages' session cookie: a random token naming a ``BrowserSession`` row.

HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), and ``Secure``
with the ``__Host-`` prefix on https instances (no sibling subdomain can plant one).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fedi.config import InstanceConfig
from fedi.domain import browser_sessions
from fedi.domain.browser_sessions import SignedIn
from fedi.state import AppState


def cookie_name(config: InstanceConfig) -> str:
    return "jamii_session" if config.dev_insecure else "__Host-jamii_session"


def token_of(request: Request, config: InstanceConfig) -> str | None:
    token = request.cookies.get(cookie_name(config))
    return token if token and len(token) <= 64 else None


def set_cookie(response: Response, config: InstanceConfig, token: str) -> None:
    response.set_cookie(
        cookie_name(config),
        token,
        max_age=int(browser_sessions.LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=not config.dev_insecure,
    )


def clear_cookie(response: Response, config: InstanceConfig) -> None:
    response.delete_cookie(
        cookie_name(config),
        path="/",
        httponly=True,
        samesite="lax",
        secure=not config.dev_insecure,
    )


async def viewer_of(request: Request) -> SignedIn | None:
    """The teacher signed in on this browser, looked up once per request."""
    if "viewer" in request.scope:
        found: SignedIn | None = request.scope["viewer"]
        return found
    state: AppState = request.app.state.jamii
    token = token_of(request, state.config)
    viewer = None
    if token is not None:
        async with state.readers() as session:
            viewer = await browser_sessions.signed_in(session, token)
    request.scope["viewer"] = viewer
    return viewer
