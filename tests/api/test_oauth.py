"""Teachers log in from real clients: Mastodon.py registers apps and gets tokens by every
grant Jamii supports, over real HTTP."""

from __future__ import annotations

import asyncio

import pytest
from mastodon import Mastodon, MastodonUnauthorizedError
from starlette.responses import Response

from fedi.web import csrf
from tests.api.oauth_flow import (
    CALLBACK,
    PASSWORD,
    amina,
    app_of,
    authorize_in_browser,
    code_for,
    exchange,
    ke,
    pkce_pair,
    query_of,
    register,
    shown_code,
)
from tests.servers import Instance

__all__ = ["ke"]


async def test_mastodon_py_registers_an_app_with_a_form_body(ke: Instance) -> None:
    client_id, client_secret = await asyncio.to_thread(
        Mastodon.create_app,
        "Lesson planner",
        scopes=["read", "write"],
        redirect_uris=["urn:ietf:wg:oauth:2.0:oob", "tusky://oauth"],
        website="https://planner.example",
        api_base_url=ke.url,
    )
    assert client_id
    assert client_secret
    token = await ke.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=(client_id, client_secret),
    )
    app = (await app_of(ke, token.json()["access_token"])).json()
    assert app == {
        "id": app["id"],
        "name": "Lesson planner",
        "website": "https://planner.example",
        "scopes": ["read", "write"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob\ntusky://oauth",
        "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob", "tusky://oauth"],
        "vapid_key": "",
    }
    assert app["id"].isdigit()


async def test_an_app_registers_with_a_json_body_and_gets_its_credentials(ke: Instance) -> None:
    app = await register(ke, redirect_uris=[CALLBACK, "https://app.example/other"])
    assert set(app) == {
        "id",
        "name",
        "website",
        "scopes",
        "redirect_uri",
        "redirect_uris",
        "client_id",
        "client_secret",
        "client_secret_expires_at",
        "vapid_key",
    }
    assert app["redirect_uri"] == f"{CALLBACK}\nhttps://app.example/other"
    assert app["redirect_uris"] == [CALLBACK, "https://app.example/other"]
    assert app["scopes"] == ["read", "write"]
    assert app["website"] is None
    assert app["client_secret_expires_at"] == 0


async def test_redirect_uris_may_come_as_a_spaced_string_or_a_form_list(ke: Instance) -> None:
    spaced = await ke.client.post(
        "/api/v1/apps",
        data={"client_name": "toot", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob tusky://oauth"},
    )
    listed = await ke.client.post(
        "/api/v1/apps",
        data={"client_name": "Elk", "redirect_uris[]": ["https://elk.example/a", "elk://b"]},
    )
    multipart = await ke.client.post(
        "/api/v1/apps",
        files={"client_name": (None, "curl -F"), "redirect_uris": (None, CALLBACK)},
    )
    assert multipart.json()["name"] == "curl -F"
    assert spaced.json()["redirect_uris"] == ["urn:ietf:wg:oauth:2.0:oob", "tusky://oauth"]
    assert listed.json()["redirect_uris"] == ["https://elk.example/a", "elk://b"]
    assert spaced.json()["scopes"] == ["read"]


async def test_mastodon_py_logs_in_with_the_password_grant(ke: Instance) -> None:
    await amina(ke)
    client_id, client_secret = await asyncio.to_thread(
        Mastodon.create_app, "Planner", scopes=["read", "write"], api_base_url=ke.url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=ke.url)
    token = await asyncio.to_thread(
        api.log_in,
        username="amina@school.example",
        password=PASSWORD,
        scopes=["read", "write"],
        allow_http=True,
    )
    assert token
    app = await asyncio.to_thread(api.app_verify_credentials)
    assert app["name"] == "Planner"


async def test_mastodon_py_logs_in_out_of_band_with_a_code(ke: Instance) -> None:
    await amina(ke)
    client_id, client_secret = await asyncio.to_thread(
        Mastodon.create_app, "Planner", scopes=["read"], api_base_url=ke.url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=ke.url)
    url = await asyncio.to_thread(api.auth_request_url, scopes=["read"], allow_http=True)
    # Mastodon.py's literal strings reach us and must not upset the page.
    assert "force_login=False&state=None&lang=None" in url
    page = await authorize_in_browser(ke, query_of(url))
    assert page.status_code == 200
    assert "Cache-Control" in page.headers
    code = shown_code(page)
    token = await asyncio.to_thread(api.log_in, code=code, scopes=["read"], allow_http=True)
    assert (await app_of(ke, token)).status_code == 200


async def test_the_interactive_flow_with_pkce_redirects_with_the_code(ke: Instance) -> None:
    await amina(ke)
    app = await register(ke)
    verifier, challenge = pkce_pair()
    code = await code_for(ke, app, scope="read write", challenge=challenge)
    answer = await exchange(ke, app, code, code_verifier=verifier)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "scope", "created_at"}
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write"
    assert isinstance(body["created_at"], int)
    assert answer.headers["cache-control"] == "no-store"
    assert (await app_of(ke, body["access_token"])).json()["name"] == "Lesson planner"


async def test_the_consent_page_is_a_plain_form_that_can_be_declined(ke: Instance) -> None:
    app = await register(ke)
    params = {"client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"}
    page = await ke.client.get("/oauth/authorize", params={**params, "state": "s1"})
    assert page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text
    assert "Lesson planner" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    declined = await ke.client.post(
        "/oauth/authorize",
        data={
            **params,
            "state": "s1",
            "csrf_token": ke.client.cookies["jamii_csrf"],
            "decision": "deny",
        },
    )
    assert declined.status_code == 302
    assert query_of(declined.headers["location"]) == {
        "error": "access_denied",
        "error_description": "The teacher declined to authorise the app.",
        "state": "s1",
    }


async def test_client_credentials_give_an_app_token_without_a_teacher(ke: Instance) -> None:
    app = await register(ke)
    answer = await ke.client.post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert answer.status_code == 200
    assert answer.json()["scope"] == "read"
    assert (await app_of(ke, answer.json()["access_token"])).status_code == 200


async def test_a_revoked_token_answers_401(ke: Instance) -> None:
    await amina(ke)
    client_id, client_secret = await asyncio.to_thread(
        Mastodon.create_app, "Planner", scopes=["read"], api_base_url=ke.url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=ke.url)
    token = await asyncio.to_thread(
        api.log_in,
        username="amina@school.example",
        password=PASSWORD,
        scopes=["read"],
        allow_http=True,
    )
    await asyncio.to_thread(api.revoke_access_token, allow_http=True)
    refused = await app_of(ke, token)
    assert refused.status_code == 401
    assert refused.json() == {"error": "The access token is invalid"}
    again = Mastodon(access_token=token, api_base_url=ke.url)
    with pytest.raises(MastodonUnauthorizedError):
        await asyncio.to_thread(again.app_verify_credentials)


async def test_revoking_is_idempotent_but_not_for_other_apps(ke: Instance) -> None:
    mine, theirs = await register(ke), await register(ke, name="Other")
    token = (
        await ke.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(theirs["client_id"], theirs["client_secret"]),
        )
    ).json()["access_token"]
    credentials = {"client_id": mine["client_id"], "client_secret": mine["client_secret"]}
    refused = await ke.client.post("/oauth/revoke", data={**credentials, "token": token})
    assert refused.status_code == 403
    assert refused.json()["error"] == "unauthorized_client"
    assert (await app_of(ke, token)).status_code == 200
    unknown = await ke.client.post("/oauth/revoke", data={**credentials, "token": "nope"})
    assert (unknown.status_code, unknown.json()) == (200, {})


async def test_the_authorization_server_metadata_lists_what_we_support(ke: Instance) -> None:
    response = await ke.client.get("/.well-known/oauth-authorization-server")
    body = response.json()
    assert body["issuer"] == f"{ke.url}/"
    assert body["authorization_endpoint"] == f"{ke.url}/oauth/authorize"
    assert body["token_endpoint"] == f"{ke.url}/oauth/token"
    assert body["revocation_endpoint"] == f"{ke.url}/oauth/revoke"
    assert body["app_registration_endpoint"] == f"{ke.url}/api/v1/apps"
    assert body["response_types_supported"] == ["code"]
    assert body["grant_types_supported"] == ["authorization_code", "client_credentials", "password"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"read", "write:statuses", "follow", "push", "profile", "admin:read"} <= set(
        body["scopes_supported"]
    )
    assert body["service_documentation"]


def test_on_https_the_csrf_cookie_is_secure_and_host_bound(ke: Instance) -> None:
    config = ke.config.model_copy(update={"dev_insecure": False})
    response = Response()
    csrf.set_cookie(response, config, "t" * 43)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-jamii_csrf=")
    assert "Secure" in cookie
    assert "Path=/" in cookie
