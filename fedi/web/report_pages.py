"""Reporting a post to the moderators: ``/report?status=<id>``, for signed-in teachers.

``fedi.domain.reports.file_report`` records it and notifies this instance's moderators; for
a post from another server the teacher may also send it there (a Flag in the instance's
name, never hers), where it reaches that server's moderation queue.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.db.models import Account
from fedi.db.repositories.statuses import load_views
from fedi.domain import reports
from fedi.domain.interactions import visible_status
from fedi.domain.pagination import MAX_ID
from fedi.errors import NotFound, ValidationFailed
from fedi.state import AppState
from fedi.web.access import signed_in
from fedi.web.forms import checked_form, text
from fedi.web.rendering import Reader, render


def _status_id(raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound()
    return int(raw)


async def _form(
    request: Request,
    reader: Reader,
    status_id: int,
    status_code: int = 200,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    assert reader.viewer is not None
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        status = await visible_status(session, reader.viewer.account, status_id)
        [post] = await load_views(session, [status.id], reader.viewer.account.id)
    return await render(
        request,
        "report.html",
        status_code,
        reader=reader,
        post=post,
        values=values or {},
        errors=errors or {},
    )


async def report_page(request: Request) -> Response:
    reader = await signed_in(request)
    return await _form(request, reader, _status_id(request.query_params.get("status", "")))


async def file_report(request: Request) -> Response:
    form = await checked_form(request)
    reader = await signed_in(request)
    assert reader.viewer is not None
    state: AppState = request.app.state.jamii
    status_id = _status_id(text(form, "status", 20))
    values = {"comment": text(form, "comment", reports.MAX_COMMENT + 1)}
    try:
        async with state.sessions() as session, session.begin():
            me = await session.get(Account, reader.viewer.account.id)
            assert me is not None
            status = await visible_status(session, me, status_id)
            author = await session.get(Account, status.account_id)
            assert author is not None
            await reports.file_report(
                session,
                me,
                author,
                status_ids=[status.id],
                comment=values["comment"],
                forward=text(form, "forward") == "on",
            )
    except ValidationFailed as exc:
        errors = {exc.field or "comment": reader.gettext(exc.message)}
        return await _form(request, reader, status_id, 422, values=values, errors=errors)
    return await render(request, "report_sent.html", reader=reader)


routes = [
    Route("/report", report_page, methods=["GET"]),
    Route("/report", file_report, methods=["POST"]),
]
