"""Who is calling the client API: the bearer token, its scopes, its teacher.

Every client endpoint starts with ``authenticate`` (or ``optional_viewer`` for reads that
anonymous callers may also make) and names the scopes that allow it, as Mastodon's
controllers do with ``doorkeeper_authorize!``::

    viewer = await authenticate(request, session, "write:statuses")
    viewer = await authenticate(request, session, "read:accounts", "profile")  # either one

Any one of the listed scopes suffices; ``read`` covers ``read:*`` and so on
(``fedi.domain.scopes.allows``). Refusals follow Mastodon: 401 for a missing, unknown or
revoked token, 403 for a scope the token lacks, 422 when the endpoint needs a teacher and
the token is an app's own (client_credentials), 403 for a disabled, unconfirmed or
unapproved login.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs

import structlog
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection, Request

from fedi.api.ratelimit import count_api_request
from fedi.db.base import utcnow
from fedi.db.models import AccessToken, Account, User
from fedi.domain.oauth import digest
from fedi.domain.scopes import allows, parse_scopes
from fedi.errors import Forbidden, Unauthorized, ValidationFailed
from fedi.state import AppState

log = structlog.get_logger(__name__)

# ``last_used_at`` is for "signed in from this app, last active …" pages; an hour's
# precision is plenty and spares a write on every request.
TOUCH_INTERVAL = timedelta(hours=1)
INVALID_TOKEN = "The access token is invalid"  # noqa: S105 (a message, not a secret)
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
USER_REQUIRED = "This method requires an authenticated user"


# Built once: constructing this statement on every request measured as a tenth of a home
# timeline's CPU (benchmarks/home_http.py). Looked up on every request, never cached, so a
# revoked token or a disabled login is refused from the next request on.
_LIVE_TOKEN = (
    select(AccessToken, User, Account)
    .outerjoin(User, User.id == AccessToken.user_id)
    .outerjoin(Account, Account.id == User.account_id)
    .where(AccessToken.token_hash == bindparam("token_hash"), AccessToken.revoked_at.is_(None))
)


@dataclass(frozen=True)
class Viewer:
    """The caller behind a valid token. ``user``/``account`` are None for an app's own token."""

    token_id: int
    scopes: frozenset[str]
    application_id: int | None
    user: User | None
    account: Account | None

    def allows(self, scope: str) -> bool:
        return allows(self.scopes, scope)


async def presented_token(request: Request) -> str | None:
    """The token from ``Authorization: Bearer``, else an ``access_token`` query or form
    parameter (Mastodon accepts all three)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if token := request.query_params.get("access_token"):
        return token
    content_type = request.headers.get("content-type", "")
    if request.method != "GET" and content_type.startswith("application/x-www-form-urlencoded"):
        # The body is cached on the request, so the endpoint can still read it afterwards.
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        if values := form.get("access_token"):
            return values[0]
    return None


async def authenticate(
    request: Request, session: AsyncSession, *required: str, require_user: bool = True
) -> Viewer:
    """The viewer behind the request's token, holding one of ``required`` (if any are named).

    ``require_user=False`` lets an app's own token through (e.g. apps/verify_credentials,
    public reads); its ``user`` and ``account`` are then None.
    """
    return await viewer_for(
        request, session, await presented_token(request), *required, require_user=require_user
    )


async def viewer_for(
    connection: HTTPConnection,
    session: AsyncSession,
    plaintext: str | None,
    *required: str,
    require_user: bool = True,
) -> Viewer:
    """As ``authenticate``, for a token found elsewhere (a WebSocket's subprotocol)."""
    if not plaintext:
        raise Unauthorized(INVALID_TOKEN)
    row = (await session.execute(_LIVE_TOKEN, {"token_hash": digest(plaintext)})).first()
    if row is None:
        raise Unauthorized(INVALID_TOKEN)
    token, user, account = row
    # Mastodon counts each teacher's requests (an app's own token on its own).
    count_api_request(connection, f"user:{token.user_id}" if token.user_id else f"app:{token.id}")
    scopes = parse_scopes(token.scopes)
    if required and not any(allows(scopes, scope) for scope in required):
        raise Forbidden(OUTSIDE_SCOPES)
    if token.user_id is not None and user is None:
        raise Unauthorized(INVALID_TOKEN)
    if user is None and require_user:
        raise ValidationFailed(USER_REQUIRED)
    if user is not None:
        _check_login(user, account)
    await _touch(connection, token)
    return Viewer(
        token_id=token.id,
        scopes=scopes,
        application_id=token.application_id,
        user=user,
        account=account,
    )


async def optional_viewer(request: Request, session: AsyncSession, *required: str) -> Viewer | None:
    """None for an anonymous request; otherwise as ``authenticate`` with an app's own token
    allowed. A token that is presented but invalid is still refused (401), so a client
    learns its log-in has ended instead of silently reading as a stranger."""
    if await presented_token(request) is None:
        return None
    return await authenticate(request, session, *required, require_user=False)


def _check_login(user: User, account: Account | None) -> None:
    if user.disabled or account is None or account.suspended_at is not None:
        raise Forbidden("Your login is currently disabled")
    if user.confirmed_at is None:
        raise Forbidden("Your login is missing a confirmed e-mail address")
    if not user.approved:
        raise Forbidden("Your login is currently pending approval")


async def _touch(request: HTTPConnection, token: AccessToken) -> None:
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return
    # Its own short transaction: the caller's session may be a read-only one. Best effort:
    # a busy SQLite writer must not fail the request over a bookkeeping timestamp.
    state: AppState = request.app.state.jamii
    try:
        await _record_use(state, token.id, now)
    except OperationalError as exc:
        log.warning("token_use_not_recorded", error=type(exc).__name__)


async def _record_use(state: AppState, token_id: int, now: datetime) -> None:
    async with state.sessions() as writer, writer.begin():
        await writer.execute(
            update(AccessToken)
            .where(
                AccessToken.id == token_id,
                or_(
                    AccessToken.last_used_at.is_(None),
                    AccessToken.last_used_at < now - TOUCH_INTERVAL,
                ),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
