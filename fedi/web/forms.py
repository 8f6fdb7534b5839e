"""Reading the pages' forms: the CSRF check first, then fields as bounded text, and errors
collected per field in the reader's language."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fedi.api.ratelimit import client_ip, rate_limits
from fedi.errors import JamiiError
from fedi.state import AppState
from fedi.web import csrf
from fedi.web.messages import N_
from fedi.web.rendering import reader_of, render

TOO_MANY = N_("Too many attempts from your connection. Wait a minute and try again.")
TOO_LARGE = N_("This file is too large.")
EXPIRED_FORM = "This form has expired or did not come from this site. Go back and try again."


class UploadTooLarge(JamiiError):
    """A form whose body is larger than any file the page takes: refused unread."""

    status = 413

    def __init__(self) -> None:
        super().__init__(TOO_LARGE)


class FormExpired(JamiiError):
    """A POST without the CSRF token its page issued: refused before anything is read."""

    status = 403

    def __init__(self) -> None:
        super().__init__(EXPIRED_FORM)


async def checked_form(request: Request) -> FormData:
    state: AppState = request.app.state.jamii
    form = await request.form(max_files=0, max_fields=50, max_part_size=64 * 1024)
    submitted = form.get(csrf.FIELD)
    if not csrf.is_valid(request, state.config, submitted if isinstance(submitted, str) else None):
        raise FormExpired()
    return form


async def checked_upload(request: Request, max_bytes: int) -> FormData:
    """A form with one file (``multipart/form-data``) of at most about ``max_bytes``,
    CSRF-checked like the others. A larger body is refused before it is read."""
    state: AppState = request.app.state.jamii
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > max_bytes + 64 * 1024:
        raise UploadTooLarge()
    form = await request.form(max_files=1, max_fields=20, max_part_size=64 * 1024)
    submitted = form.get(csrf.FIELD)
    if not csrf.is_valid(request, state.config, submitted if isinstance(submitted, str) else None):
        await form.close()
        raise FormExpired()
    return form


def text(form: FormData, key: str, limit: int = 2000) -> str:
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def secret(form: FormData, key: str) -> str:
    """A password as typed: never stripped (spaces may be part of it)."""
    value = form.get(key)
    return value[:1024] if isinstance(value, str) else ""


def choices(form: FormData, key: str) -> list[str]:
    return [value for value in form.getlist(key) if isinstance(value, str)][:20]


async def too_many_attempts(request: Request) -> Response | None:
    """Count a log-in-like attempt (log-in, sign-up, activation, password change) against
    the per-IP window; when over, the page saying so in the reader's language (429)."""
    refused = rate_limits(request).login.hit(client_ip(request))
    if refused is None:
        return None
    reader = await reader_of(request)
    page = await render(request, "error.html", 429, reader=reader, message=reader.gettext(TOO_MANY))
    page.headers["Retry-After"] = refused.headers["Retry-After"]
    return page
