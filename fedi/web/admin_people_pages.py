"""Admin pages about who joins: sign-ups waiting for approval (``approval`` policy) and the
roster upload, which does what ``jamii roster import`` does and shows each teacher's
one-time activation code once (only their hashes are kept)."""

from __future__ import annotations

from datetime import timedelta

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.domain import roster, signup
from fedi.errors import ValidationFailed
from fedi.state import AppState
from fedi.web.access import admin
from fedi.web.forms import checked_form, checked_upload, text
from fedi.web.messages import N_
from fedi.web.rendering import Reader, render

APPROVED = N_("%(name)s can log in now.")
REJECTED = N_("The sign-up of %(name)s is refused and deleted.")
NO_FILE = N_("Choose the roster's CSV file.")
NOT_UTF8 = N_("This file is not UTF-8 text; save it from the spreadsheet as “CSV UTF-8”.")
TOO_BIG = N_("This file is too large: import at most a few thousand teachers at a time.")
BAD_HEADER = N_(
    "The first line must name the columns: username (required), display_name, email, "
    "school, subjects, languages."
)
BAD_ROW = N_("Line %(line)d: %(reason)s")
DAYS = N_("Enter a number of days between 1 and 365.")
MAX_UPLOAD = 2 * 1024 * 1024
DEFAULT_DAYS = 60


# Sign-ups -----------------------------------------------------------------------------------


async def _signups(request: Request, reader: Reader, notice: str | None = None) -> Response:
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        waiting = await signup.pending_signups(session)
    return await render(
        request,
        "admin_signups.html",
        reader=reader,
        waiting=waiting,
        policy=state.config.registration.policy,
        notice=notice,
    )


async def signups_page(request: Request) -> Response:
    return await _signups(request, await admin(request))


async def answer_signup(request: Request) -> Response:
    form = await checked_form(request)
    reader = await admin(request)
    state: AppState = request.app.state.jamii
    raw = text(form, "user", 20)
    user_id = int(raw) if raw.isdigit() else 0
    approve = text(form, "decision") == "approve"
    async with state.sessions() as session, session.begin():
        found = {user.id: account for account, user in await signup.pending_signups(session)}
        name = found[user_id].username if user_id in found else ""
        if approve:
            await signup.approve_signup(session, user_id)
        else:
            await signup.reject_signup(session, user_id)
    notice = reader.gettext(APPROVED if approve else REJECTED) % {"name": name}
    return await _signups(request, reader, notice)


# Roster -------------------------------------------------------------------------------------


async def _roster(
    request: Request,
    reader: Reader,
    status_code: int = 200,
    *,
    activations: list[roster.Activation] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    state: AppState = request.app.state.jamii
    return await render(
        request,
        "admin_roster.html",
        status_code,
        reader=reader,
        activations=activations,
        sheet=roster.codes_csv(state.config.base_url, activations) if activations else "",
        columns=roster.COLUMNS,
        values=values or {"expires_in": str(DEFAULT_DAYS)},
        errors=errors or {},
    )


async def roster_page(request: Request) -> Response:
    return await _roster(request, await admin(request))


def _refusal(reader: Reader, exc: ValidationFailed) -> str:
    if isinstance(exc, roster.RowRefused):
        return reader.gettext(BAD_ROW) % {"line": exc.line, "reason": reader.gettext(exc.reason)}
    if exc.field == "header":
        return reader.gettext(BAD_HEADER)
    return reader.gettext(exc.message)


async def _read(upload: object, reader: Reader) -> str:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed(reader.gettext(NO_FILE), field="roster")
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailed(reader.gettext(TOO_BIG), field="roster")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(reader.gettext(NOT_UTF8), field="roster") from None


async def import_roster(request: Request) -> Response:
    form = await checked_upload(request, MAX_UPLOAD)
    try:
        reader = await admin(request)
        state: AppState = request.app.state.jamii
        values = {"expires_in": text(form, "expires_in", 10)}
        days = values["expires_in"]
        if not days.isdigit() or not 1 <= int(days) <= 365:
            errors = {"expires_in": reader.gettext(DAYS)}
            return await _roster(request, reader, 422, values=values, errors=errors)
        try:
            content = await _read(form.get("roster"), reader)
        except ValidationFailed as exc:
            return await _roster(
                request, reader, 422, values=values, errors={"roster": exc.message}
            )
        try:
            entries = roster.parse_roster(content)
            async with state.sessions() as session, session.begin():
                activations = await roster.import_roster(
                    session, state.site, entries, valid_for=timedelta(days=int(days))
                )
        except ValidationFailed as exc:
            errors = {"roster": _refusal(reader, exc)}
            return await _roster(request, reader, 422, values=values, errors=errors)
        return await _roster(request, reader, activations=activations)
    finally:
        await form.close()


routes = [
    Route("/admin/signups", signups_page, methods=["GET"]),
    Route("/admin/signups", answer_signup, methods=["POST"]),
    Route("/admin/roster", roster_page, methods=["GET"]),
    Route("/admin/roster", import_roster, methods=["POST"]),
]
