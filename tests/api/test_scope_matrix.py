"""Every client endpoint that asks a scope refuses a token without the one Mastodon
requires (403), takes one holding exactly that granular scope, and — unless anyone may read
it — refuses a request with no token at all (401). Endpoints that ask no scope answer any
token, and none."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.api.client_api import call, close_clients, mastodon
from tests.api.oauth_flow import ke
from tests.api.scopes import bearer, token_for
from tests.servers import Instance

__all__ = ["close_clients", "ke"]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {account}, {status} and {notification} are filled in from the story
    scope: str | None  # None: no scope asked, any token (or none) will do
    public: bool = False  # anyone may call it without a token

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("POST", "/api/v1/accounts", "write:accounts"),
    Endpoint("GET", "/api/v1/accounts/verify_credentials", "read:accounts"),
    Endpoint("PATCH", "/api/v1/accounts/update_credentials", "write:accounts"),
    Endpoint("GET", "/api/v1/preferences", "read:accounts"),
    Endpoint("GET", "/api/v1/accounts/{account}", "read:accounts", public=True),
    Endpoint("GET", "/api/v1/accounts/{account}/statuses", "read:statuses", public=True),
    Endpoint("GET", "/api/v1/accounts/{account}/followers", "read:accounts", public=True),
    Endpoint("GET", "/api/v1/accounts/{account}/following", "read:accounts", public=True),
    Endpoint("POST", "/api/v1/accounts/{account}/follow", "write:follows"),
    Endpoint("POST", "/api/v1/accounts/{account}/unfollow", "write:follows"),
    Endpoint("POST", "/api/v1/accounts/{account}/block", "write:blocks"),
    Endpoint("POST", "/api/v1/accounts/{account}/unblock", "write:blocks"),
    Endpoint("GET", "/api/v1/accounts/relationships?id[]={account}", "read:follows"),
    Endpoint("GET", "/api/v1/accounts/lookup?acct=baraka", "read:accounts", public=True),
    Endpoint("GET", "/api/v1/accounts/search?q=bar", "read:accounts"),
    Endpoint("GET", "/api/v1/follow_requests", "read:follows"),
    Endpoint("POST", "/api/v1/follow_requests/{account}/authorize", "write:follows"),
    Endpoint("POST", "/api/v1/follow_requests/{account}/reject", "write:follows"),
    Endpoint("POST", "/api/v1/statuses", "write:statuses"),
    Endpoint("GET", "/api/v1/statuses/{status}", "read:statuses", public=True),
    Endpoint("PUT", "/api/v1/statuses/{own}", "write:statuses"),
    Endpoint("DELETE", "/api/v1/statuses/{own}", "write:statuses"),
    Endpoint("GET", "/api/v1/statuses/{status}/context", "read:statuses", public=True),
    Endpoint("GET", "/api/v1/statuses/{status}/history", "read:statuses", public=True),
    Endpoint("GET", "/api/v1/statuses/{status}/source", "read:statuses"),
    Endpoint("POST", "/api/v1/statuses/{status}/favourite", "write:favourites"),
    Endpoint("POST", "/api/v1/statuses/{status}/unfavourite", "write:favourites"),
    Endpoint("POST", "/api/v1/statuses/{status}/reblog", "write:statuses"),
    Endpoint("POST", "/api/v1/statuses/{status}/unreblog", "write:statuses"),
    Endpoint("POST", "/api/v1/statuses/{status}/bookmark", "write:bookmarks"),
    Endpoint("POST", "/api/v1/statuses/{status}/unbookmark", "write:bookmarks"),
    Endpoint("GET", "/api/v1/statuses/{status}/favourited_by", "read:accounts", public=True),
    Endpoint("GET", "/api/v1/statuses/{status}/reblogged_by", "read:accounts", public=True),
    Endpoint("GET", "/api/v1/timelines/home", "read:statuses"),
    Endpoint("GET", "/api/v1/timelines/public", "read:statuses", public=True),
    Endpoint("GET", "/api/v1/timelines/tag/maths", "read:statuses", public=True),
    Endpoint("GET", "/api/v1/bookmarks", "read:bookmarks"),
    Endpoint("GET", "/api/v1/favourites", "read:favourites"),
    Endpoint("GET", "/api/v1/notifications", "read:notifications"),
    Endpoint("GET", "/api/v1/notifications/{notification}", "read:notifications"),
    Endpoint("POST", "/api/v1/notifications/{notification}/dismiss", "write:notifications"),
    Endpoint("POST", "/api/v1/notifications/clear", "write:notifications"),
    Endpoint("POST", "/api/v1/accounts/{account}/mute", "write:mutes"),
    Endpoint("POST", "/api/v1/accounts/{account}/unmute", "write:mutes"),
    Endpoint("GET", "/api/v1/mutes", "read:mutes"),
    Endpoint("POST", "/api/v1/statuses/{own}/pin", "write:accounts"),
    Endpoint("POST", "/api/v1/statuses/{own}/unpin", "write:accounts"),
    Endpoint("GET", "/api/v1/lists", "read:lists"),
    Endpoint("POST", "/api/v1/lists", "write:lists"),
    Endpoint("GET", "/api/v1/lists/{list}", "read:lists"),
    Endpoint("PUT", "/api/v1/lists/{list}", "write:lists"),
    Endpoint("DELETE", "/api/v1/lists/{list}", "write:lists"),
    Endpoint("GET", "/api/v1/lists/{list}/accounts", "read:lists"),
    Endpoint("POST", "/api/v1/lists/{list}/accounts", "write:lists"),
    Endpoint("DELETE", "/api/v1/lists/{list}/accounts", "write:lists"),
    Endpoint("GET", "/api/v1/accounts/{account}/lists", "read:lists"),
    Endpoint("GET", "/api/v1/timelines/list/{list}", "read:lists"),
    Endpoint("GET", "/api/v1/markers?timeline[]=home", "read:statuses"),
    Endpoint("POST", "/api/v1/markers", "write:statuses"),
    Endpoint("GET", "/api/v2/search?q=bar", "read:search", public=True),
    Endpoint("POST", "/api/v1/statuses/{status}/translate", "read:statuses"),
    Endpoint("GET", "/api/v1/instance/translation_languages", None, public=True),
    Endpoint("GET", "/api/v1/polls/{poll}", "read:statuses", public=True),
    Endpoint("POST", "/api/v1/polls/{poll}/votes", "write:statuses"),
]
BODIES = {
    "/api/v1/statuses": {"status": "Hello"},
    "/api/v1/statuses/{own}": {"status": "Hi"},
    "/api/v1/lists": {"title": "Colleagues"},
    "/api/v1/lists/{list}": {"title": "Renamed"},
    "/api/v1/lists/{list}/accounts": {"account_ids": ["{account}"]},
    "/api/v1/markers": {"home": {"last_read_id": "{status}"}},
    "/api/v1/polls/{poll}/votes": {"choices": ["0"]},
}


async def _story(ke: Instance) -> dict[str, str]:
    """Baraka posts (a poll too) and follows Amina, who posts too and so has a notification,
    and keeps a list of colleagues."""
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    amina_id = (await call(amina.account_verify_credentials))["id"]
    await call(baraka.account_follow, amina_id)
    status = await call(baraka.status_post, "Geometry with string #maths")
    question = await call(
        baraka.status_post, "Which works?", poll=await call(baraka.make_poll, ["A", "B"], 600)
    )
    own = await call(amina.status_post, "My own post")
    [notification] = await call(amina.notifications)
    colleagues = await call(amina.list_create, "Colleagues")
    return {
        "list": str(colleagues["id"]),
        "account": str((await call(baraka.account_verify_credentials))["id"]),
        "status": str(status["id"]),
        "poll": str(question["poll"]["id"]),
        "own": str(own["id"]),
        "notification": str(notification["id"]),
    }


def _filled(body: object, ids: dict[str, str]) -> object:
    """A request body with the story's ids put in place of ``{account}``, ``{status}``…"""
    if isinstance(body, str):
        return body.format(**ids)
    if isinstance(body, list):
        return [_filled(item, ids) for item in body]
    if isinstance(body, dict):
        return {key: _filled(value, ids) for key, value in body.items()}
    return body


def _wrong_scope(scope: str) -> str:
    """A scope that does not cover ``scope``: the other half of read/write."""
    return "write push" if scope.startswith("read:") else "read push"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
async def test_each_endpoint_needs_its_scope(ke: Instance, endpoint: Endpoint) -> None:
    ids = await _story(ke)
    url = endpoint.path.format(**ids)
    body = _filled(BODIES.get(endpoint.path), ids)

    async def request(token: str | None) -> int:
        response = await ke.client.request(
            endpoint.method, url, json=body, headers=bearer(token) if token else {}
        )
        return response.status_code

    if endpoint.scope is None:
        for token in (
            None,
            await token_for(ke, "amina", "write"),
            await token_for(ke, "amina", "read"),
        ):
            assert await request(token) == 200
        return
    wrong = await token_for(ke, "amina", _wrong_scope(endpoint.scope))
    assert await request(wrong) == 403
    anonymous = await request(None)
    assert anonymous == 200 if endpoint.public else anonymous == 401
    right = await token_for(ke, "amina", endpoint.scope)
    assert await request(right) not in (401, 403)
    parent = "read" if endpoint.scope.startswith("read:") else "write"
    assert await request(await token_for(ke, "amina", parent)) not in (401, 403)
