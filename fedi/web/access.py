"""Who may open a page: a signed-in teacher, the instance's moderators, its admins.

Someone not signed in is sent to the log-in page (and back afterwards); a teacher without
the role gets a 403 page saying whose page it is, in their language.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fedi.errors import Forbidden
from fedi.web.messages import N_
from fedi.web.rendering import Reader, reader_of

ADMINS_ONLY = N_("This page is for the instance's administrators.")
MODERATORS_ONLY = N_("This page is for the instance's moderators.")
STAFF_ROLES = ("moderator", "admin")


class SignInNeeded(Exception):
    """Raised by a page for signed-in readers; answered with a redirect to /login."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


async def on_sign_in_needed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    # Quoted whole, "?" and "&" included: the log-in page reads it back as one value.
    return RedirectResponse(f"/login?next={quote(exc.path, safe='/')}", status_code=303)


def _page_of(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def staff_role(reader: Reader) -> str | None:
    """``moderator`` or ``admin`` for the instance's staff, None for everyone else."""
    if reader.viewer is None:
        return None
    role = reader.viewer.user.role
    return role if role in STAFF_ROLES else None


async def signed_in(request: Request) -> Reader:
    reader = await reader_of(request)
    if reader.viewer is None:
        # Back to the page after log-in, its query too (a search, a page of results); a
        # form's action (POST only) is no page to return to.
        raise SignInNeeded(_page_of(request) if request.method == "GET" else "/")
    return reader


async def admin(request: Request) -> Reader:
    reader = await signed_in(request)
    if not reader.is_admin:
        raise Forbidden(ADMINS_ONLY)
    return reader
