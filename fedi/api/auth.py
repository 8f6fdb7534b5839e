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

``reader_for`` is ``authenticate`` for a teacher as ids (one Core statement, no ORM objects,
on a session or a bare connection): the home timeline's hot path. Same checks, same
refusals, same order; tokens are looked up on every request either way, never cached.
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
from fedi.db.prepared import Prepared, fetch_all
from fedi.db.reads import Reads
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
# The same look-up as plain columns, for reads that need only ids (``reader_for``): loading
# three ORM objects was about a fifth of a home timeline's event-loop time (py-spy,
# benchmarks/home_http.py). Same joins and conditions as ``_LIVE_TOKEN``.
_LIVE_TOKEN_COLUMNS = Prepared(
    select(
        AccessToken.id,
        AccessToken.user_id,
        AccessToken.application_id,
        AccessToken.scopes,
        AccessToken.last_used_at,
        User.id,
        User.disabled,
        User.confirmed_at,
        User.approved,
        User.reading_languages,
        Account.id,
        Account.suspended_at,
    )
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


@dataclass(frozen=True, slots=True)
class Reader:
    """A signed-in teacher behind a valid token, as ids: what a read such as the home
    timeline needs, without loading the token, log-in and account as ORM objects."""

    token_id: int
    scopes: frozenset[str]
    user_id: int
    account_id: int
    reading_languages: list[str]


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
    scopes = _admit(connection, token.id, token.user_id, token.scopes, required)
    if token.user_id is not None and user is None:
        raise Unauthorized(INVALID_TOKEN)
    if user is None and require_user:
        raise ValidationFailed(USER_REQUIRED)
    if user is not None:
        suspended_at = account.suspended_at if account is not None else None
        _check_login(
            user.disabled, user.confirmed_at, user.approved, account is not None, suspended_at
        )
    await _touch(connection, token.id, token.last_used_at)
    return Viewer(
        token_id=token.id,
        scopes=scopes,
        application_id=token.application_id,
        user=user,
        account=account,
    )


async def reader_for(request: Request, db: Reads, *required: str) -> Reader:
    """As ``authenticate`` for a teacher (an app's own token is refused, 422), with the same
    checks and refusals in the same order, answered as ids by one Core statement (on a
    session or a bare connection, ``fedi.db.reads``)."""
    plaintext = await presented_token(request)
    if not plaintext:
        raise Unauthorized(INVALID_TOKEN)
    rows = await fetch_all(db, _LIVE_TOKEN_COLUMNS, {"token_hash": digest(plaintext)})
    if not rows:
        raise Unauthorized(INVALID_TOKEN)
    (
        token_id,
        token_user_id,
        _,
        token_scopes,
        last_used_at,
        user_id,
        disabled,
        confirmed_at,
        approved,
        reading_languages,
        account_id,
        suspended_at,
    ) = rows[0]
    scopes = _admit(request, token_id, token_user_id, token_scopes, required)
    if token_user_id is not None and user_id is None:
        raise Unauthorized(INVALID_TOKEN)
    if user_id is None:
        raise ValidationFailed(USER_REQUIRED)
    _check_login(disabled, confirmed_at, approved, account_id is not None, suspended_at)
    await _touch(request, token_id, last_used_at)
    return Reader(
        token_id=token_id,
        scopes=scopes,
        user_id=user_id,
        account_id=account_id,
        reading_languages=list(reading_languages or []),
    )


def _admit(
    connection: HTTPConnection,
    token_id: int,
    user_id: int | None,
    token_scopes: str,
    required: tuple[str, ...],
) -> frozenset[str]:
    """Count the request and check the token's scopes: its scopes, or Forbidden."""
    # Mastodon counts each teacher's requests (an app's own token on its own).
    count_api_request(connection, f"user:{user_id}" if user_id else f"app:{token_id}")
    scopes = parse_scopes(token_scopes)
    if required and not any(allows(scopes, scope) for scope in required):
        raise Forbidden(OUTSIDE_SCOPES)
    return scopes


async def optional_viewer(request: Request, session: AsyncSession, *required: str) -> Viewer | None:
    """None for an anonymous request; otherwise as ``authenticate`` with an app's own token
    allowed. A token that is presented but invalid is still refused (401), so a client
    learns its log-in has ended instead of silently reading as a stranger."""
    if await presented_token(request) is None:
        return None
    return await authenticate(request, session, *required, require_user=False)


def _check_login(
    disabled: bool,
    confirmed_at: datetime | None,
    approved: bool,
    has_account: bool,
    suspended_at: object,
) -> None:
    if disabled or not has_account or suspended_at is not None:
        raise Forbidden("Your login is currently disabled")
    if confirmed_at is None:
        raise Forbidden("Your login is missing a confirmed e-mail address")
    if not approved:
        raise Forbidden("Your login is currently pending approval")


async def _touch(request: HTTPConnection, token_id: int, last_used_at: datetime | None) -> None:
    now = utcnow()
    if last_used_at is not None and now - last_used_at < TOUCH_INTERVAL:
        return
    # Its own short transaction: the caller's session may be a read-only one. Best effort:
    # a busy SQLite writer must not fail the request over a bookkeeping timestamp.
    state: AppState = request.app.state.jamii
    try:
        await _record_use(state, token_id, now)
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
