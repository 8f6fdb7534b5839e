"""Driving a served instance's OAuth endpoints as a browser and as clients do.

``register`` makes an app over HTTP; ``authorize_in_browser`` plays the teacher: opens the
consent page, reads its CSRF token, posts the e-mail and password, and returns the answer
(the redirect carrying the code, or the page showing it).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fedi.db.models import Account
from fedi.domain.site import Site
from tests.conftest import Database
from tests.factories import teacher
from tests.servers import Instance, free_port, serve, write_instance

PASSWORD = "correct horse battery"
CALLBACK = "https://app.example/callback"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CODE = re.compile(r'<code class="oauth-code">([^<]+)</code>')


@pytest.fixture
async def ke(database: Database, tmp_path: Path) -> AsyncIterator[Instance]:
    config = write_instance(tmp_path, code="ke", port=free_port(), database_url=database.url)
    async with serve(config) as instance:
        yield instance


async def amina(instance: Instance) -> Account:
    """Amina, a teacher on ``instance`` (e-mail amina@school.example)."""
    async with instance.state.sessions() as session, session.begin():
        return await teacher(session, "amina", site=Site.from_config(instance.config))


async def register(
    instance: Instance,
    *,
    redirect_uris: str | list[str] = CALLBACK,
    scopes: str = "read write",
    name: str = "Lesson planner",
) -> dict[str, Any]:
    response = await instance.client.post(
        "/api/v1/apps",
        json={"client_name": name, "redirect_uris": redirect_uris, "scopes": scopes},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def shown_code(page: httpx.Response) -> str:
    found = _CODE.search(page.text)
    assert found, page.text
    return found.group(1)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def consent_form(instance: Instance, params: dict[str, str]) -> dict[str, str]:
    """Open the consent page; the hidden fields it would post (with its CSRF token)."""
    page = await instance.client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    assert fields["csrf_token"] == csrf_token(page)
    return fields


async def authorize_in_browser(
    instance: Instance,
    params: dict[str, str],
    *,
    email: str = "amina@school.example",
    password: str = PASSWORD,
) -> httpx.Response:
    fields = await consent_form(instance, params)
    return await instance.client.post(
        "/oauth/authorize",
        data={**fields, "email": email, "password": password, "decision": "allow"},
    )


async def code_for(
    instance: Instance,
    app: dict[str, Any],
    *,
    redirect_uri: str = CALLBACK,
    scope: str = "read",
    challenge: str | None = None,
) -> str:
    params = {
        "client_id": app["client_id"],
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": scope,
        "state": "xyz",
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    answer = await authorize_in_browser(instance, params)
    assert answer.status_code == 302, answer.text
    query = query_of(answer.headers["location"])
    assert query["state"] == "xyz"
    return query["code"]


async def exchange(
    instance: Instance, app: dict[str, Any], code: str, **extra: str
) -> httpx.Response:
    return await instance.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "code": code,
            "redirect_uri": CALLBACK,
            **extra,
        },
    )


async def app_of(instance: Instance, token: str) -> httpx.Response:
    return await instance.client.get(
        "/api/v1/apps/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
