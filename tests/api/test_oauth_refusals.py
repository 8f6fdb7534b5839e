"""What OAuth refuses, and that a refusal leaves nothing behind (SECURITY.md, Accounts and
OAuth): reused and expired codes, redirect URI mismatches, PKCE without S256 or with the
wrong verifier, scopes wider than the app's, forged forms, and password guessing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from fedi.db.base import utcnow
from fedi.db.models import AccessToken, Application, AuthorizationCode
from fedi.domain.oauth import digest
from tests.api.oauth_flow import (
    CALLBACK,
    PASSWORD,
    amina,
    app_of,
    code_for,
    consent_form,
    exchange,
    ke,
    pkce_pair,
    query_of,
    register,
)
from tests.servers import Instance

__all__ = ["ke"]
INVALID_GRANT = "invalid_grant"


async def _count(instance: Instance, model: type[object]) -> int:
    async with instance.state.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_reused_code_is_refused_and_revokes_the_token_it_gave(ke: Instance) -> None:
    await amina(ke)
    app = await register(ke)
    code = await code_for(ke, app)
    first = await exchange(ke, app, code)
    token = first.json()["access_token"]
    assert (await app_of(ke, token)).status_code == 200
    second = await exchange(ke, app, code)
    assert second.status_code == 400
    assert second.json()["error"] == INVALID_GRANT
    assert "error_description" in second.json()
    assert (await app_of(ke, token)).status_code == 401


async def test_an_expired_code_is_refused(ke: Instance) -> None:
    await amina(ke)
    app = await register(ke)
    code = await code_for(ke, app)
    async with ke.state.sessions() as session, session.begin():
        await session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_hash == digest(code))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    answer = await exchange(ke, app, code)
    assert (answer.status_code, answer.json()["error"]) == (400, INVALID_GRANT)
    assert await _count(ke, AccessToken) == 0


async def test_a_code_works_only_for_its_app_and_its_exact_redirect_uri(ke: Instance) -> None:
    await amina(ke)
    app = await register(ke, redirect_uris=[CALLBACK, "https://app.example/other"])
    other = await register(ke, name="Other")
    code = await code_for(ke, app)
    wrong_uri = await exchange(ke, app, code, redirect_uri="https://app.example/other")
    assert wrong_uri.json()["error"] == INVALID_GRANT
    wrong_app = await exchange(ke, other, code)
    assert wrong_app.json()["error"] == INVALID_GRANT
    bad_secret = await exchange(ke, {**app, "client_secret": "guess"}, code)
    assert (bad_secret.status_code, bad_secret.json()["error"]) == (401, "invalid_client")
    assert await _count(ke, AccessToken) == 0
    assert (await exchange(ke, app, code)).status_code == 200


async def test_an_unregistered_redirect_uri_is_refused_before_any_consent(ke: Instance) -> None:
    app = await register(ke)
    for uri in ("https://evil.example/steal", f"{CALLBACK}/", f"{CALLBACK}?x=1"):
        page = await ke.client.get(
            "/oauth/authorize",
            params={"client_id": app["client_id"], "redirect_uri": uri, "response_type": "code"},
        )
        assert page.status_code == 400
        assert "location" not in page.headers
        assert "csrf_token" not in page.text
        assert "does not match" in page.text
    unknown = await ke.client.get(
        "/oauth/authorize",
        params={"client_id": "nope", "redirect_uri": CALLBACK, "response_type": "code"},
    )
    assert unknown.status_code == 400


async def test_pkce_plain_and_malformed_challenges_are_refused(ke: Instance) -> None:
    app = await register(ke)
    base = {
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "state": "s",
    }
    for challenge, method in (("a" * 43, "plain"), ("a" * 43, ""), ("short", "S256")):
        answer = await ke.client.get(
            "/oauth/authorize",
            params={**base, "code_challenge": challenge, "code_challenge_method": method},
        )
        assert answer.status_code == 302
        query = query_of(answer.headers["location"])
        assert answer.headers["location"].startswith(CALLBACK)
        assert (query["error"], query["state"]) == ("invalid_request", "s")


async def test_a_wrong_or_missing_verifier_is_refused(ke: Instance) -> None:
    await amina(ke)
    app = await register(ke)
    verifier, challenge = pkce_pair()
    code = await code_for(ke, app, challenge=challenge)
    missing = await exchange(ke, app, code)
    wrong = await exchange(ke, app, code, code_verifier=pkce_pair()[0])
    assert missing.json()["error"] == wrong.json()["error"] == INVALID_GRANT
    assert await _count(ke, AccessToken) == 0
    assert (await exchange(ke, app, code, code_verifier=verifier)).status_code == 200


async def test_scopes_wider_than_the_apps_are_refused(ke: Instance) -> None:
    app = await register(ke, scopes="read")
    answer = await ke.client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "read write",
        },
    )
    assert query_of(answer.headers["location"])["error"] == "invalid_scope"
    token = await ke.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "write:statuses"},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert (token.status_code, token.json()["error"]) == (400, "invalid_scope")
    narrower = await ke.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "read:statuses"},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert narrower.json()["scope"] == "read:statuses"


async def test_an_unknown_scope_is_refused_by_name(ke: Instance) -> None:
    answer = await ke.client.post(
        "/api/v1/apps",
        data={"client_name": "x", "redirect_uris": CALLBACK, "scopes": "read bogus:scope"},
    )
    assert answer.status_code == 422
    assert answer.json() == {"error": "Unknown scope: bogus:scope"}
    assert await _count(ke, Application) == 0


async def test_bad_app_registrations_are_refused_and_write_nothing(ke: Instance) -> None:
    bad = [
        {"client_name": "", "redirect_uris": CALLBACK},
        {"client_name": "x" * 201, "redirect_uris": CALLBACK},
        {"client_name": "x", "redirect_uris": ""},
        {"client_name": "x", "redirect_uris": "not-a-uri"},
        {"client_name": "x", "redirect_uris": "https://app.example/cb#fragment"},
        {"client_name": "x", "redirect_uris": "javascript:alert(1)"},
        {"client_name": "x", "redirect_uris": "https:///no-host"},
        {"client_name": "x", "redirect_uris": " ".join(f"app://{n}" for n in range(11))},
        {"client_name": "x", "redirect_uris": CALLBACK, "website": "javascript:alert(1)"},
    ]
    for body in bad:
        answer = await ke.client.post("/api/v1/apps", data=body)
        assert answer.status_code == 422, body
        assert answer.json()["error"]
    assert await _count(ke, Application) == 0


async def test_unsupported_grants_and_unknown_clients_are_refused(ke: Instance) -> None:
    app = await register(ke)
    implicit = await ke.client.post(
        "/oauth/token",
        data={"grant_type": "implicit"},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert (implicit.status_code, implicit.json()["error"]) == (400, "unsupported_grant_type")
    stranger = await ke.client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "who"}
    )
    assert (stranger.status_code, stranger.json()["error"]) == (401, "invalid_client")


async def test_wrong_password_and_unknown_email_answer_identically(ke: Instance) -> None:
    await amina(ke)
    app = await register(ke)
    answers = []
    for email, password in (("amina@school.example", "wrong"), ("nobody@school.example", PASSWORD)):
        grant = await ke.client.post(
            "/oauth/token",
            data={
                "grant_type": "password",
                "username": email,
                "password": password,
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
            },
        )
        fields = await consent_form(
            ke, {"client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"}
        )
        page = await ke.client.post(
            "/oauth/authorize",
            data={**fields, "email": email, "password": password, "decision": "allow"},
        )
        answers.append((grant.status_code, grant.json(), page.status_code, page.text))
    assert answers[0] == answers[1]
    assert answers[0][1]["error"] == INVALID_GRANT
    assert "Wrong e-mail address or password" in answers[0][3]
    assert await _count(ke, AccessToken) == 0
    assert await _count(ke, AuthorizationCode) == 0


async def test_a_missing_or_forged_csrf_token_is_refused(ke: Instance) -> None:
    await amina(ke)
    app = await register(ke)
    fields = await consent_form(
        ke, {"client_id": app["client_id"], "redirect_uri": CALLBACK, "response_type": "code"}
    )
    login = {"email": "amina@school.example", "password": PASSWORD, "decision": "allow"}
    cross_site = await ke.client.post(
        "/oauth/authorize", data={**fields, **login}, headers={"Origin": "https://evil.example"}
    )
    without = {k: v for k, v in fields.items() if k != "csrf_token"}
    missing = await ke.client.post("/oauth/authorize", data={**without, **login})
    forged = await ke.client.post(
        "/oauth/authorize", data={**fields, **login, "csrf_token": "A" * 43}
    )
    cookie = ke.client.cookies["jamii_csrf"]
    ke.client.cookies.clear()
    no_cookie = await ke.client.post("/oauth/authorize", data={**fields, **login})
    for refused in (cross_site, missing, forged, no_cookie):
        assert refused.status_code == 403
        assert "location" not in refused.headers
    assert await _count(ke, AuthorizationCode) == 0
    ke.client.cookies.set("jamii_csrf", cookie)
    same_site = await ke.client.post(
        "/oauth/authorize", data={**fields, **login}, headers={"Origin": ke.url}
    )
    assert same_site.status_code == 302
    assert await _count(ke, AuthorizationCode) == 1


async def test_password_guessing_is_rate_limited(ke: Instance) -> None:
    app = await register(ke)
    guess = {
        "grant_type": "password",
        "username": "amina@school.example",
        "password": "guess",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    statuses = [(await ke.client.post("/oauth/token", data=guess)).status_code for _ in range(25)]
    assert set(statuses) == {400}
    limited = await ke.client.post("/oauth/token", data=guess)
    assert limited.status_code == 429
    assert limited.json() == {"error": "Too many requests"}
    assert limited.headers["x-ratelimit-limit"] == "25"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-ratelimit-reset"].endswith("Z")
    assert int(limited.headers["retry-after"]) > 0
    # The log-in form shares the window: the page is refused too.
    page = await ke.client.post("/oauth/authorize", data={"client_id": app["client_id"]})
    assert page.status_code == 429


async def test_app_registration_is_rate_limited(ke: Instance) -> None:
    body = {"client_name": "spam", "redirect_uris": CALLBACK}
    for _ in range(30):
        assert (await ke.client.post("/api/v1/apps", data=body)).status_code == 200
    limited = await ke.client.post("/api/v1/apps", data=body)
    assert limited.status_code == 429
    assert "retry-after" in limited.headers
    assert await _count(ke, Application) == 30
