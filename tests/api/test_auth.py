"""Token authentication for every client endpoint: who is calling, with which scopes, and
Mastodon's refusals (401 invalid token, 403 outside the scopes, 422 no teacher, 403 for a
disabled or unapproved login)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from starlette.requests import Request

from fedi.api.auth import Viewer, authenticate, optional_viewer
from fedi.db.models import AccessToken, User
from fedi.domain.oauth import digest
from fedi.domain.scopes import allows, parse_scopes
from fedi.errors import Forbidden, Unauthorized, ValidationFailed
from tests.api.oauth_flow import ke
from tests.api.scopes import app_token, token_for
from tests.servers import Instance

__all__ = ["ke"]


def _request(
    instance: Instance, *, token: str | None = None, query: str = "", form: str | None = None
) -> Request:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    if form is not None:
        headers.append((b"content-type", b"application/x-www-form-urlencoded"))
    body = (form or "").encode()

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST" if form is not None else "GET",
        "path": "/api/v1/test",
        "query_string": query.encode(),
        "headers": headers,
        "app": instance.app,
    }
    return Request(scope, receive)


async def _viewer(instance: Instance, request: Request, *scopes: str, **kw: bool) -> Viewer:
    async with instance.state.sessions() as session:
        return await authenticate(request, session, *scopes, **kw)


async def test_a_bearer_token_names_the_teacher_and_its_scopes(ke: Instance) -> None:
    token = await token_for(ke, "amina", "read write:statuses")
    viewer = await _viewer(ke, _request(ke, token=token), "write:statuses")
    assert viewer.account is not None
    assert viewer.account.username == "amina"
    assert viewer.user is not None
    assert viewer.scopes == {"read", "write:statuses"}
    assert viewer.application_id is not None
    assert viewer.allows("read:notifications")
    assert not viewer.allows("write:follows")


async def test_the_token_may_also_come_as_an_access_token_parameter(ke: Instance) -> None:
    token = await token_for(ke, "amina", "read")
    by_query = await _viewer(ke, _request(ke, query=f"access_token={token}"))
    by_form = await _viewer(ke, _request(ke, form=f"status=hi&access_token={token}"))
    assert by_query.token_id == by_form.token_id


async def test_missing_unknown_and_revoked_tokens_are_refused(ke: Instance) -> None:
    token = await token_for(ke, "amina", "read")
    async with ke.state.sessions() as session, session.begin():
        await session.execute(
            update(AccessToken)
            .where(AccessToken.token_hash == digest(token))
            .values(revoked_at=AccessToken.created_at)
        )
    for request in (_request(ke), _request(ke, token="unknown"), _request(ke, token=token)):
        with pytest.raises(Unauthorized, match="The access token is invalid"):
            await _viewer(ke, request)


async def test_any_one_of_the_named_scopes_suffices(ke: Instance) -> None:
    token = await token_for(ke, "amina", "read:statuses")
    request = _request(ke, token=token)
    assert await _viewer(ke, request, "read", "read:statuses")
    assert await _viewer(ke, request, "read:statuses")
    with pytest.raises(Forbidden, match="This action is outside the authorized scopes"):
        await _viewer(ke, request, "read:accounts")
    with pytest.raises(Forbidden):
        await _viewer(ke, request, "write:statuses")


async def test_an_app_token_has_no_teacher(ke: Instance) -> None:
    request = _request(ke, token=await app_token(ke))
    with pytest.raises(ValidationFailed, match="This method requires an authenticated user"):
        await _viewer(ke, request, "read")
    viewer = await _viewer(ke, request, "read", require_user=False)
    assert (viewer.user, viewer.account) == (None, None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"disabled": True}, "Your login is currently disabled"),
        ({"approved": False}, "Your login is currently pending approval"),
        ({"confirmed_at": None}, "Your login is missing a confirmed e-mail address"),
    ],
)
async def test_disabled_and_unapproved_logins_are_refused(
    ke: Instance, change: dict[str, object], message: str
) -> None:
    token = await token_for(ke, "amina", "read")
    async with ke.state.sessions() as session, session.begin():
        await session.execute(update(User).values(**change))
    with pytest.raises(Forbidden, match=message):
        await _viewer(ke, _request(ke, token=token), "read")


async def test_optional_viewer_is_none_without_a_token_and_strict_with_one(ke: Instance) -> None:
    token = await app_token(ke)
    async with ke.state.sessions() as session:
        assert await optional_viewer(_request(ke), session) is None
        with pytest.raises(Unauthorized):
            await optional_viewer(_request(ke, token="stale"), session)
        app_viewer = await optional_viewer(_request(ke, token=token), session, "read")
    assert app_viewer is not None
    assert app_viewer.user is None


async def test_last_use_is_recorded_at_most_once_an_hour(ke: Instance) -> None:
    token = await token_for(ke, "amina", "read")

    async def last_used() -> object:
        async with ke.state.sessions() as session:
            return await session.scalar(
                select(AccessToken.last_used_at).where(AccessToken.token_hash == digest(token))
            )

    assert await last_used() is None
    await _viewer(ke, _request(ke, token=token))
    first = await last_used()
    assert first is not None
    await _viewer(ke, _request(ke, token=token))
    assert await last_used() == first


def test_scopes_cover_their_children_as_mastodon_defines() -> None:
    assert allows({"read"}, "read:statuses")
    assert allows({"write"}, "write:media")
    assert not allows({"read"}, "write:statuses")
    assert allows({"follow"}, "write:blocks")
    assert allows({"follow"}, "read:follows")
    assert not allows({"follow"}, "read:statuses")
    assert allows({"admin:read"}, "admin:read:accounts")
    assert not allows({"read"}, "admin:read:accounts")
    assert not allows({"profile"}, "read:accounts")
    assert allows({"profile"}, "profile")
    assert parse_scopes("read+write:statuses") == {"read", "write:statuses"}
    assert parse_scopes("") == {"read"}
    with pytest.raises(ValidationFailed, match="Unknown scope: nope"):
        parse_scopes("read nope")
