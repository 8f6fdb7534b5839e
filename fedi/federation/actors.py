"""Remote actors: fetched from their own id, checked, and kept as accounts; their keys.

Key resolution follows SECURITY.md: the keyId's document names its owner; the owner is
fetched from its own id; the owner's published key must be that keyId with that PEM, and
the keyId must live on the owner's host. Anything else is refused.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account
from fedi.domain import communities
from fedi.domain.html import sanitize_html
from fedi.errors import Forbidden
from fedi.federation.context import Federation
from fedi.federation.fetcher import BadDocument, FetchBudget, FetchError
from fedi.federation.signatures import SignatureError, load_public_key
from fedi.federation.signatures.keys import PublicKey
from fedi.federation.wire import Actor
from fedi.ids import new_id

ACTOR_TYPES = frozenset({"Person", "Group", "Service", "Application", "Organization"})
REFRESH_AFTER = timedelta(days=1)


# Asked several times per delivery about the same few thousand actor and key URLs.
@lru_cache(maxsize=8192)
def host_of(url: str) -> str:
    """``host[:port]`` of a URL, lower case: how origins are compared."""
    return (urlsplit(url).netloc or "").lower().rsplit("@", 1)[-1]


def without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _username(actor: Actor) -> str:
    if actor.preferred_username:
        return actor.preferred_username[:64]
    return (urlsplit(actor.id).path.rstrip("/").rsplit("/", 1)[-1] or "unknown")[:64]


def actor_to_account_values(actor: Actor) -> dict[str, Any]:
    """The columns an account takes from a verified actor document."""
    username = _username(actor)
    return {
        "username": username,
        "username_lower": username.lower(),
        "domain": host_of(actor.id),
        "actor_type": actor.type if actor.type in ACTOR_TYPES else "Person",
        "display_name": (actor.name or "")[:100],
        "note": sanitize_html(actor.summary or ""),
        "uri": actor.id,
        "url": actor.url or actor.id,
        "inbox_url": actor.inbox,
        "shared_inbox_url": actor.endpoints.shared_inbox if actor.endpoints else None,
        "outbox_url": actor.outbox,
        "followers_url": actor.followers,
        "following_url": actor.following,
        "featured_url": actor.featured,
        "locked": bool(actor.manually_approves_followers),
        "discoverable": actor.discoverable is not False,
        "bot": actor.type in ("Service", "Application"),
        "fields": [
            {"name": f.name[:255], "value": sanitize_html(f.value)} for f in actor.attachment[:8]
        ],
        "also_known_as": [a for a in actor.also_known_as if isinstance(a, str)][:16],
        "avatar_url": actor.icon,
        "header_url": actor.image,
        "fetched_at": utcnow(),
    }


def parse_actor(document: dict[str, Any]) -> Actor:
    try:
        actor = Actor.model_validate(document)
    except ValidationError:
        raise BadDocument("refused: not an actor document") from None
    if actor.type not in ACTOR_TYPES:
        raise BadDocument("refused: not an actor document")
    if actor.public_key is not None and (
        actor.public_key.owner != actor.id or host_of(actor.public_key.id) != host_of(actor.id)
    ):
        raise BadDocument("refused: the actor's key belongs elsewhere")
    return actor


async def store_actor(session: AsyncSession, actor: Actor, *, key_from_origin: bool) -> Account:
    """Create or refresh the account of a verified actor.

    ``key_from_origin`` is true only when the document was fetched from the actor's own id:
    a key that arrives in an activity's payload (an Update) never replaces the one we have.
    """
    values = actor_to_account_values(actor)
    account = await session.scalar(select(Account).where(Account.uri == actor.id))
    if account is not None and account.domain is None:
        raise Forbidden("a remote document cannot describe a local account")
    if account is None or key_from_origin:
        values["public_key_id"] = actor.public_key.id if actor.public_key else None
        values["public_key_pem"] = actor.public_key.public_key_pem if actor.public_key else None
    if account is None:
        # A handle reused by a new actor on the same server: the old account loses it.
        clash = await session.scalar(
            select(Account).where(
                Account.username_lower == values["username_lower"],
                Account.domain == values["domain"],
            )
        )
        if clash is not None:
            clash.username_lower = f"{clash.username_lower}~{clash.id}"[:64]
            await session.flush()
        try:
            # A savepoint: another request (the inbox, a follow) may store the same actor
            # at the same moment; the loser takes the winner's row instead of failing.
            async with session.begin_nested():
                account = Account(id=new_id(), **values)
                session.add(account)
            await _describe_group(session, account, actor)
            return account
        except IntegrityError:
            account = await session.scalar(select(Account).where(Account.uri == actor.id))
            if account is None:
                raise
    for name, value in values.items():
        setattr(account, name, value)
    await session.flush()
    await _describe_group(session, account, actor)
    return account


async def _describe_group(session: AsyncSession, account: Account, actor: Actor) -> None:
    """A remote community's moderators and posting rule, from its Group document."""
    if account.actor_type != "Group":
        return
    moderators = actor.attributed_to
    await communities.describe_remote(
        session,
        account,
        moderators_url=moderators
        if moderators and host_of(moderators) == host_of(actor.id)
        else None,
        moderators_only=actor.posting_restricted_to_mods is True,
    )


async def resolve_account(
    federation: Federation,
    session: AsyncSession,
    uri: str,
    *,
    budget: FetchBudget | None = None,
    refresh: bool = False,
) -> Account:
    """The account for an actor URI: ours, known and fresh, or fetched from its origin."""
    account = await session.scalar(select(Account).where(Account.uri == uri))
    if account is not None and account.is_local:
        return account
    fresh = (
        account is not None
        and account.fetched_at is not None
        and (utcnow() - account.fetched_at < REFRESH_AFTER)
    )
    if account is not None and fresh and not refresh:
        return account
    if not federation.policy.allows(host_of(uri)):
        raise Forbidden("that server is blocked here")
    ident, document = await federation.fetch(uri, budget)
    actor = parse_actor(document)
    if actor.id != ident:
        raise BadDocument("refused: the document's id is not where it was fetched from")
    return await store_actor(session, actor, key_from_origin=True)


async def key_for(
    federation: Federation,
    session: AsyncSession,
    key_id: str,
    *,
    budget: FetchBudget | None = None,
    refresh: bool = False,
) -> tuple[PublicKey, Account]:
    """The public key named ``key_id`` and the account that owns it (SignatureError if none)."""
    if not refresh:
        cached = federation.keys.get(key_id)
        if cached is not None:
            owner = await session.scalar(select(Account).where(Account.uri == cached.owner))
            if owner is not None:
                return cached.key, owner
        known = await session.scalar(select(Account).where(Account.public_key_id == key_id))
        if known is not None and known.public_key_pem and not known.is_local:
            key = load_public_key(known.public_key_pem)
            federation.keys.put(key_id, key, known.uri)
            return key, known
    if federation.keys.failed_recently(key_id):
        raise SignatureError("signing key unavailable")
    try:
        account = await _fetch_key_owner(federation, session, key_id, budget)
    except (FetchError, BadDocument, Forbidden):
        federation.keys.note_failure(key_id)
        raise SignatureError("signing key unavailable") from None
    except IntegrityError:
        # Two deliveries from an actor we did not know yet, resolved at the same moment:
        # the other one stored the account first. Use what it stored (this unit of work
        # holds nothing but the key resolution, so rolling it back loses nothing).
        await session.rollback()
        stored = await session.scalar(select(Account).where(Account.public_key_id == key_id))
        if stored is None or stored.is_local:
            raise SignatureError("signing key unavailable") from None
        account = stored
    assert account.public_key_pem is not None
    key = load_public_key(account.public_key_pem)
    federation.keys.put(key_id, key, account.uri)
    return key, account


async def _fetch_key_owner(
    federation: Federation, session: AsyncSession, key_id: str, budget: FetchBudget | None
) -> Account:
    if not federation.policy.allows(host_of(key_id)):
        raise Forbidden("that server is blocked here")
    ident, document = await federation.fetch(without_fragment(key_id), budget)
    if document.get("type") in ACTOR_TYPES:
        owner_uri = ident
    else:
        owner = document.get("owner") or document.get("controller")
        if not isinstance(owner, str):
            raise BadDocument("refused: the key document names no owner")
        owner_uri = owner
    if host_of(owner_uri) != host_of(key_id):
        raise BadDocument("refused: the key is not on its owner's server")
    account = await resolve_account(federation, session, owner_uri, budget=budget, refresh=True)
    if account.public_key_id != key_id:
        raise BadDocument("refused: the owner does not publish that key")
    return account
