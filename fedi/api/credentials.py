"""The signed-in teacher's own account: verify_credentials, update_credentials, preferences."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import reading, signed_in, state_of, writing
from fedi.db.models import Account, TeacherProfile, User
from fedi.db.repositories.accounts import account_views
from fedi.domain import directory
from fedi.domain.credentials import CredentialsUpdate, update_credentials
from fedi.state import AppState


async def _credential_account(
    state: AppState, session: AsyncSession, account: Account, user: User
) -> Response:
    view = (await account_views(session, [account.id]))[0]
    profile = await session.get(TeacherProfile, account.id)
    count = await directory.follow_request_count(session, account)
    return JSONResponse(state.presenter.credential_account(view, user, profile, count))


async def verify_credentials(request: Request) -> Response:
    """GET /api/v1/accounts/verify_credentials"""
    state = state_of(request)
    async with reading(request) as session:
        account, user = await signed_in(request, session, "read:accounts", "profile")
        return await _credential_account(state, session, account, user)


def _update(params: Params) -> CredentialsUpdate:
    source = params.nested("source")
    return CredentialsUpdate(
        display_name=params.text("display_name"),
        note=params.text("note"),
        locked=params.boolean("locked"),
        fields=params.pairs("fields_attributes"),
        privacy=source.text("privacy"),
        sensitive=source.boolean("sensitive"),
        language=source.text("language"),
        reading_languages=(
            source.strings("reading_languages") if "reading_languages" in source else None
        ),
    )


async def update(request: Request) -> Response:
    """PATCH /api/v1/accounts/update_credentials (profile, fields, posting defaults).

    Avatar and header uploads are not taken here yet: they arrive with media uploads.
    """
    params = await Params.read(request)
    changes = _update(params)
    state = state_of(request)
    async with writing(request) as session:
        account, user = await signed_in(request, session, "write:accounts")
        profile = await session.get(TeacherProfile, account.id)
        await update_credentials(session, state.site, account, user, profile, changes)
        return await _credential_account(state, session, account, user)


async def preferences(request: Request) -> Response:
    """GET /api/v1/preferences"""
    state = state_of(request)
    async with reading(request) as session:
        _, user = await signed_in(request, session, "read:accounts")
    return JSONResponse(state.presenter.preferences(user))


routes = [
    Route("/api/v1/accounts/verify_credentials", verify_credentials),
    Route("/api/v1/accounts/update_credentials", update, methods=["PATCH"]),
    Route("/api/v1/preferences", preferences),
]
