"""Apps and OAuth 2 over HTTP: registration, tokens, revocation and server metadata.

Thin handlers: parse the request, call ``fedi.domain.oauth``, answer. The log-in and consent
page (``/oauth/authorize``) lives in ``fedi.web.authorize`` and is routed from here.

Grants: ``authorization_code`` (PKCE S256), ``client_credentials`` and ``password``. The
password grant is allowed on every instance (Mastodon.py and toot log in with it); a
ministry that wants only the browser flow will get a switch when the admin settings land —
``PASSWORD_GRANT`` is the one place that decides, and the metadata document follows it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedi.api.auth import INVALID_TOKEN, authenticate
from fedi.api.ratelimit import client_ip, rate_limits
from fedi.api.responses import JSONResponse
from fedi.db.models import AccessToken, Application
from fedi.domain import oauth
from fedi.domain.scopes import SCOPES
from fedi.errors import Unauthorized, ValidationFailed
from fedi.state import AppState
from fedi.web import authorize

PASSWORD_GRANT = True
Params = dict[str, str | list[str]]


def grant_types() -> list[str]:
    """Exactly the grants /oauth/token accepts (Mastodon.py checks for ``password``)."""
    return ["authorization_code", "client_credentials", *(["password"] if PASSWORD_GRANT else [])]


async def _request_params(request: Request) -> Params:
    """Query parameters overlaid with the body's, as Rails merges them for Mastodon: JSON,
    url-encoded and multipart bodies alike. ``name[]`` keys and JSON arrays become lists."""
    params: Params = {}
    for key, value in request.query_params.multi_items():
        _put(params, key, value)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ValidationFailed("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ValidationFailed("The request body must be a JSON object")
        for key, value in body.items():
            if isinstance(value, list):
                params[key] = [str(v) for v in value]
            elif value is not None:
                params[key] = value if isinstance(value, str) else str(value)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        async with request.form(max_files=0, max_fields=100) as form:
            for key, item in form.multi_items():
                if not isinstance(item, UploadFile):
                    _put(params, key, item)
    return params


def _put(params: Params, key: str, value: str) -> None:
    if key.endswith("[]"):
        existing = params.get(key[:-2])
        params[key[:-2]] = [*existing, value] if isinstance(existing, list) else [value]
    else:
        params[key] = value


def _text(params: Params, key: str) -> str:
    value = params.get(key, "")
    return (
        value[0] if isinstance(value, list) and value else value if isinstance(value, str) else ""
    )


def rfc_error(error: oauth.OAuthError) -> JSONResponse:
    return JSONResponse(
        {"error": error.error, "error_description": error.message},
        status_code=error.status,
        headers={"Cache-Control": "no-store"},
    )


def credential_application(app: Application) -> dict[str, Any]:
    """Mastodon's CredentialApplication: the Application plus its secret."""
    return {
        **application_entity(app),
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "client_secret_expires_at": 0,
    }


def application_entity(app: Application) -> dict[str, Any]:
    return {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(app.redirect_uris),
        "redirect_uris": list(app.redirect_uris),
        "vapid_key": "",
    }


async def create_app(request: Request) -> Response:
    refused = rate_limits(request).app_registration.hit(client_ip(request))
    if refused is not None:
        return refused
    params = await _request_params(request)
    raw_uris = params.get("redirect_uris", "")
    uris = raw_uris if isinstance(raw_uris, list) else raw_uris.split()
    state: AppState = request.app.state.jamii
    async with state.sessions() as session, session.begin():
        app = await oauth.register_app(
            session,
            name=_text(params, "client_name"),
            redirect_uris=uris,
            scopes=_text(params, "scopes"),
            website=_text(params, "website") or None,
        )
    return JSONResponse(credential_application(app))


async def verify_app(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        viewer = await authenticate(request, session, require_user=False)
        app = (
            await session.get(Application, viewer.application_id)
            if viewer.application_id is not None
            else None
        )
    if app is None:
        raise Unauthorized(INVALID_TOKEN)
    return JSONResponse(application_entity(app))


def _client_credentials(request: Request, params: Params) -> tuple[str, str]:
    """From HTTP Basic (RFC 6749 §2.3.1: url-encoded id and secret) or the body."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return _text(params, "client_id"), _text(params, "client_secret")


async def _grant(
    request: Request, session: AsyncSession, params: Params
) -> tuple[AccessToken, str]:
    grant_type = _text(params, "grant_type")
    if grant_type not in grant_types():
        raise oauth.OAuthError(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    app = await oauth.authenticate_client(session, *_client_credentials(request, params))
    if grant_type == "authorization_code":
        return await oauth.redeem_code(
            session,
            app=app,
            code=_text(params, "code"),
            redirect_uri=_text(params, "redirect_uri") or None,
            code_verifier=_text(params, "code_verifier") or None,
        )
    scopes = oauth.requested_scopes(app, _text(params, "scope") or _text(params, "scopes"))
    if grant_type == "client_credentials":
        return await oauth.issue_token(session, app=app, user=None, scopes=scopes)
    return await oauth.password_grant(
        session,
        app=app,
        email=_text(params, "username"),
        password=_text(params, "password"),
        scopes=scopes,
    )


async def token(request: Request) -> Response:
    params = await _request_params(request)
    if _text(params, "grant_type") == "password":
        refused = rate_limits(request).login.hit(client_ip(request))
        if refused is not None:
            return refused
    state: AppState = request.app.state.jamii
    failure: oauth.OAuthError | None = None
    # The transaction commits even when the grant is refused: a reused code's refusal
    # revokes the tokens it issued, and that must stick.
    async with state.sessions() as session, session.begin():
        try:
            issued, plaintext = await _grant(request, session, params)
        except oauth.OAuthError as exc:
            failure = exc
    if failure is not None:
        return rfc_error(failure)
    return JSONResponse(
        {
            "access_token": plaintext,
            "token_type": "Bearer",
            "scope": issued.scopes,
            "created_at": int(issued.created_at.timestamp()),
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def revoke(request: Request) -> Response:
    params = await _request_params(request)
    state: AppState = request.app.state.jamii
    try:
        async with state.sessions() as session, session.begin():
            app = await oauth.authenticate_client(session, *_client_credentials(request, params))
            plaintext = _text(params, "token")
            if not plaintext:
                raise oauth.OAuthError("invalid_request", "The token parameter is required")
            await oauth.revoke_token(session, app, plaintext)
    except oauth.OAuthError as exc:
        return rfc_error(exc)
    return JSONResponse({})


async def server_metadata(request: Request) -> Response:
    """RFC 8414 metadata, as Mastodon 4.3 publishes it."""
    state: AppState = request.app.state.jamii
    base = state.config.base_url
    return JSONResponse(
        {
            "issuer": f"{base}/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": grant_types(),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "service_documentation": "https://docs.joinmastodon.org/",
            "app_registration_endpoint": f"{base}/api/v1/apps",
        },
        headers={"Access-Control-Allow-Origin": "*"},
    )


routes: list[BaseRoute] = [
    Route("/api/v1/apps", create_app, methods=["POST"]),
    Route("/api/v1/apps/verify_credentials", verify_app),
    Route("/oauth/authorize", authorize.show, methods=["GET"]),
    Route("/oauth/authorize", authorize.submit, methods=["POST"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", server_metadata),
]
