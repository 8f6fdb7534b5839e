"""Admin pages: invites (list and create). Admins only; others get a 403 page.

The other admin pages (settings, federation, sign-ups, roster) hang off ``/admin/`` the
same way (``admin_settings_pages``, ``admin_federation_pages``, ``admin_people_pages``).
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.domain import invites
from fedi.errors import ValidationFailed
from fedi.state import AppState
from fedi.web.access import admin
from fedi.web.forms import checked_form, text
from fedi.web.messages import N_
from fedi.web.rendering import Reader, render

NOT_A_NUMBER = N_("Enter a whole number, or leave it empty.")


async def _page(
    request: Request,
    reader: Reader,
    status_code: int = 200,
    *,
    created: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        listed = list(await invites.recent_invites(session))
    return await render(
        request,
        "admin_invites.html",
        status_code,
        reader=reader,
        invites=listed,
        usable=invites.is_usable,
        created=created,
        errors=errors or {},
    )


async def invites_page(request: Request) -> Response:
    return await _page(request, await admin(request))


def _whole(value: str, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 6:
        raise ValidationFailed(NOT_A_NUMBER, field=field)
    return int(value)


async def create_invite(request: Request) -> Response:
    form = await checked_form(request)
    reader = await admin(request)
    assert reader.viewer is not None
    state: AppState = request.app.state.jamii
    try:
        uses = _whole(text(form, "max_uses", 10), "max_uses")
        days = _whole(text(form, "expires_in", 10), "expires_in")
        async with state.sessions() as session, session.begin():
            invite = await invites.create_invite(
                session,
                created_by=reader.viewer.account,
                max_uses=uses,
                expires_in=timedelta(days=days) if days is not None else None,
            )
            code = invite.code
    except ValidationFailed as exc:
        return await _page(
            request, reader, 422, errors={exc.field or "form": reader.gettext(exc.message)}
        )
    return await _page(request, reader, created=code)


routes = [
    Route("/admin/invites", invites_page, methods=["GET"]),
    Route("/admin/invites", create_invite, methods=["POST"]),
]
