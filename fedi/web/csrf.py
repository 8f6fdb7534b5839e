"""CSRF protection for the instance's forms: a double-submit cookie.

The page sets a random token in a cookie (HttpOnly, SameSite=Lax, and ``Secure`` with the
``__Host-`` prefix when the instance is https) and repeats it in a hidden field; a POST is
accepted only when both arrive and match. Another site can neither read the cookie nor set
it (``__Host-`` forbids a sibling subdomain from planting one), and SameSite=Lax keeps the
browser from sending it with a cross-site POST at all. A present ``Origin`` header must
also be our own. No server-side session or signing key is needed, so any of an instance's
processes can check a form another one served.
"""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

from fedi.config import InstanceConfig

FIELD = "csrf_token"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def cookie_name(config: InstanceConfig) -> str:
    return "jamii_csrf" if config.dev_insecure else "__Host-jamii_csrf"


def token_for(request: Request, config: InstanceConfig) -> str:
    """The token this browser already holds, or a fresh one (set it with ``set_cookie``)."""
    current = request.cookies.get(cookie_name(config), "")
    return current if _TOKEN.match(current) else secrets.token_urlsafe(32)


def set_cookie(response: Response, config: InstanceConfig, token: str) -> None:
    response.set_cookie(
        cookie_name(config),
        token,
        max_age=3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not config.dev_insecure,
    )


def is_valid(request: Request, config: InstanceConfig, submitted: str | None) -> bool:
    """Whether a POST carries the cookie, the same token in its form, and no foreign Origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != config.base_url:
        return False
    cookie = request.cookies.get(cookie_name(config), "")
    if not submitted or not _TOKEN.match(cookie):
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())
