"""OAuth 2 business rules: registering apps, codes, tokens and the grants that issue them.

Codes and tokens are random (``secrets.token_urlsafe(32)``), handed out once, and stored as
SHA-256 hashes. A code lives ten minutes, works once, must come back with the exact redirect
URI it was issued for, and — when the client sent a PKCE challenge — with the verifier
(S256 only). Redeeming a code twice revokes what the first redemption issued (RFC 6749
§4.1.2): a second redemption means someone else has the code.

No Starlette here: ``fedi.api.oauth`` parses requests and maps ``OAuthError`` to RFC 6749's
``{"error", "error_description"}`` answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import AccessToken, Application, AuthorizationCode, User
from fedi.domain import accounts, streams
from fedi.domain.scopes import SCOPES, allows, covers, parse_scopes, scope_string
from fedi.errors import JamiiError, ValidationFailed

__all__ = [
    "OOB",
    "SCOPES",
    "OAuthError",
    "allows",
    "authenticate_client",
    "create_code",
    "issue_token",
    "parse_scopes",
    "password_grant",
    "redeem_code",
    "register_app",
    "resolve_token",
    "revoke_token",
    "scope_string",
]

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)
MAX_NAME = 200
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2000
# Schemes that would run in the browser instead of reaching an app (Mastodon refuses these).
FORBIDDEN_SCHEMES = frozenset({"data", "javascript", "vbscript", "file"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)


class OAuthError(JamiiError):
    """An RFC 6749 error: ``error`` is the registered code, ``message`` its description."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_redirect_uri(uri: str) -> None:
    if uri == OOB:
        return
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not parts.scheme or not _SCHEME.match(parts.scheme) or len(uri) > MAX_URI_LENGTH:
        raise ValidationFailed("Redirect URI must be an absolute URI", field="redirect_uris")
    if any(c.isspace() for c in uri):
        raise ValidationFailed("Redirect URI must not contain spaces", field="redirect_uris")
    if parts.fragment or "#" in uri:
        raise ValidationFailed("Redirect URI must not contain a fragment", field="redirect_uris")
    if scheme in FORBIDDEN_SCHEMES:
        raise ValidationFailed(
            f"Redirect URI scheme {scheme} is not allowed", field="redirect_uris"
        )
    if scheme in ("http", "https") and not parts.hostname:
        raise ValidationFailed("Redirect URI must name a host", field="redirect_uris")


async def register_app(
    session: AsyncSession,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: str,
    website: str | None,
) -> Application:
    """A new client with its own id and secret; every rule is checked before anything is added."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Name can't be blank", field="client_name")
    if len(name) > MAX_NAME:
        raise ValidationFailed(
            f"Name is too long (maximum is {MAX_NAME} characters)", field="client_name"
        )
    uris = [uri.strip() for uri in redirect_uris if uri.strip()]
    if not uris:
        raise ValidationFailed("Redirect URI can't be blank", field="redirect_uris")
    if len(uris) > MAX_REDIRECT_URIS:
        raise ValidationFailed(
            f"At most {MAX_REDIRECT_URIS} redirect URIs are allowed", field="redirect_uris"
        )
    for uri in uris:
        _check_redirect_uri(uri)
    granted = parse_scopes(scopes)
    site = (website or "").strip() or None
    # Shown as a link on the consent page: only web addresses, never javascript: and kin.
    if site is not None and (
        len(site) > MAX_URI_LENGTH
        or urlsplit(site).scheme.lower() not in ("http", "https")
        or not urlsplit(site).hostname
    ):
        raise ValidationFailed("Website must be an http(s) URL", field="website")
    app = Application(
        name=name,
        website=site,
        redirect_uris=list(dict.fromkeys(uris)),
        scopes=scope_string(granted),
        client_id=secrets.token_urlsafe(32),
        client_secret=secrets.token_urlsafe(32),
    )
    session.add(app)
    await session.flush()
    return app


async def application(session: AsyncSession, client_id: str) -> Application | None:
    return await session.scalar(select(Application).where(Application.client_id == client_id))


async def authenticate_client(
    session: AsyncSession, client_id: str, client_secret: str
) -> Application:
    """The app whose id and secret these are, or ``invalid_client`` (401)."""
    app = await application(session, client_id) if client_id else None
    if app is None or not hmac.compare_digest(app.client_secret.encode(), client_secret.encode()):
        raise OAuthError(
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication "
            "included, or unsupported authentication method.",
            status=401,
        )
    return app


def requested_scopes(app: Application, text: str | None) -> frozenset[str]:
    """The scopes a client asks for now, which must lie within those it registered."""
    try:
        wanted = parse_scopes(text)
    except ValidationFailed as exc:
        raise OAuthError("invalid_scope", exc.message) from None
    if not covers(parse_scopes(app.scopes), wanted):
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
    return wanted


async def issue_token(
    session: AsyncSession,
    *,
    app: Application | None,
    user: User | None,
    scopes: Collection[str],
    code: AuthorizationCode | None = None,
) -> tuple[AccessToken, str]:
    """A new bearer token; the plaintext is returned here once and never stored."""
    plaintext = secrets.token_urlsafe(32)
    token = AccessToken(
        token_hash=digest(plaintext),
        application_id=app.id if app else None,
        user_id=user.id if user else None,
        authorization_code_id=code.id if code else None,
        scopes=scope_string(scopes),
    )
    session.add(token)
    await session.flush()
    return token, plaintext


async def resolve_token(session: AsyncSession, plaintext: str) -> AccessToken | None:
    """The live (not revoked) token with this plaintext, or None."""
    return await session.scalar(
        select(AccessToken).where(
            AccessToken.token_hash == digest(plaintext), AccessToken.revoked_at.is_(None)
        )
    )


async def revoke_token(session: AsyncSession, app: Application, plaintext: str) -> None:
    """Revoke a token the app holds. Unknown tokens are fine (RFC 7009 §2.2: idempotent);
    another app's token is not this app's to revoke."""
    token = await session.scalar(
        select(AccessToken).where(AccessToken.token_hash == digest(plaintext))
    )
    if token is None:
        return
    if token.application_id != app.id:
        raise OAuthError(
            "unauthorized_client", "You are not authorized to revoke this token", status=403
        )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()
        streams.tokens_revoked(session, [token.id])


def check_challenge(challenge: str | None, method: str | None) -> tuple[str | None, str | None]:
    """A PKCE challenge as sent to /oauth/authorize: S256 only (``plain`` gives no protection
    against an attacker who can read the authorisation request)."""
    if not challenge:
        if method:
            raise OAuthError("invalid_request", "code_challenge_method without code_challenge")
        return None, None
    if (method or "plain") != "S256":
        raise OAuthError("invalid_request", "Only the S256 code_challenge_method is supported")
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", challenge):
        raise OAuthError("invalid_request", "code_challenge must be a base64url SHA-256 digest")
    return challenge, "S256"


async def create_code(
    session: AsyncSession,
    *,
    app: Application,
    user: User,
    redirect_uri: str,
    scopes: Collection[str],
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
) -> str:
    """A fresh authorisation code for ``user``'s consent to ``app`` (plaintext, once)."""
    challenge, method = check_challenge(code_challenge, code_challenge_method)
    plaintext = secrets.token_urlsafe(32)
    session.add(
        AuthorizationCode(
            code_hash=digest(plaintext),
            application_id=app.id,
            user_id=user.id,
            redirect_uri=redirect_uri,
            scopes=scope_string(scopes),
            code_challenge=challenge,
            code_challenge_method=method,
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    await session.flush()
    return plaintext


def _pkce_ok(code: AuthorizationCode, verifier: str | None) -> bool:
    if code.code_challenge is None:
        return True
    if not verifier or not _VERIFIER.match(verifier):
        return False
    computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return hmac.compare_digest(computed.rstrip(b"=").decode(), code.code_challenge)


async def redeem_code(
    session: AsyncSession,
    *,
    app: Application,
    code: str,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> tuple[AccessToken, str]:
    """Exchange a code for a token.

    A reused code raises ``invalid_grant`` *after* revoking the tokens the code issued: the
    caller must commit even when this raises (``fedi.api.oauth`` does).
    """
    found = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code))
    )
    if found is None or found.application_id != app.id:
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    now = utcnow()
    if found.used_at is not None:
        await _revoke_issued_from(session, found)
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    if found.expires_at <= now or redirect_uri != found.redirect_uri:
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    if not _pkce_ok(found, code_verifier):
        raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge")
    user = await session.get(User, found.user_id)
    if user is None or user.disabled:
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    # Claimed with a guarded UPDATE so two concurrent redemptions cannot both win.
    claimed = await session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == found.id, AuthorizationCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        await _revoke_issued_from(session, found)
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    return await issue_token(
        session, app=app, user=user, scopes=parse_scopes(found.scopes), code=found
    )


async def _revoke_issued_from(session: AsyncSession, code: AuthorizationCode) -> None:
    revoked = await session.scalars(
        update(AccessToken)
        .where(AccessToken.authorization_code_id == code.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(AccessToken.id)
        .execution_options(synchronize_session=False)
    )
    streams.tokens_revoked(session, list(revoked))


async def password_grant(
    session: AsyncSession,
    *,
    app: Application,
    email: str,
    password: str,
    scopes: Collection[str],
) -> tuple[AccessToken, str]:
    """Resource-owner password grant: the same refusal for an unknown e-mail, a wrong
    password and a disabled account."""
    user = await accounts.authenticate(session, email, password)
    if user is None:
        raise OAuthError("invalid_grant", _INVALID_GRANT)
    return await issue_token(session, app=app, user=user, scopes=scopes)
