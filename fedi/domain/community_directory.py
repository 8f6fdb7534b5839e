"""Finding communities: the directory (ours and those we know on other servers) and a
community named by handle or URL, looked up on its own server when we do not know it yet.

A private community is listed like any other — its name, subject and rules are what a
teacher needs to ask to join — but its posts are never shown here (``visibility`` decides
that wherever posts are read). Nothing here talks to other servers: federation passes in
a ``CommunityResolver``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, String, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from fedi.db.models import Account, Community, Status
from fedi.domain import communities
from fedi.domain.communities import CommunityView
from fedi.domain.directory import escape_like
from fedi.domain.site import Site
from fedi.errors import Forbidden, NotFound, ValidationFailed

MAX_LIMIT = 80
DEFAULT_LIMIT = 20
MAX_QUERY = 100
ENTER_HANDLE = "Enter a handle such as @maths@ke.example or a URL"
_NAME = r"[A-Za-z0-9_]{1,30}"
_HANDLE = re.compile(rf"\A@?({_NAME})(?:@([A-Za-z0-9.\-]+(?::[0-9]{{1,5}})?))?\Z")
_LOCAL_PATH = re.compile(rf"\A/(?:@|users/|c/)({_NAME})/?\Z")


@dataclass(frozen=True)
class Filters:
    """A directory search: every given filter must match (all are optional)."""

    text: str = ""
    subject: str = ""
    language: str = ""
    # True: this instance's only; False: other servers' only; None: both.
    local: bool | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise ValidationFailed("offset must be zero or more", field="offset")
        if len(self.language) > 8:
            raise ValidationFailed("Languages must be ISO 639 codes such as en", field="language")


def _contains(column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    return func.lower(func.coalesce(column, "")).like(
        "%" + escape_like(text.lower()) + "%", escape="\\"
    )


async def search(session: AsyncSession, filters: Filters) -> list[CommunityView]:
    """Communities matching ``filters``: ours first, then the most members, then by name.

    The text matches the handle, the display name or the description; the subject is
    matched as contained text; the language is one of the community's languages.
    """
    conditions: list[ColumnElement[bool]] = [
        Account.actor_type == "Group",
        Account.suspended_at.is_(None),
    ]
    text = filters.text.strip().lstrip("@")[:MAX_QUERY]
    if text:
        conditions.append(
            or_(
                _contains(Account.username_lower, text),
                _contains(Account.display_name, text),
                _contains(Account.note, text),
            )
        )
    if filters.subject.strip():
        conditions.append(_contains(Community.subject, filters.subject.strip()[:MAX_QUERY]))
    language = filters.language.strip().lower()
    if language:
        # The list is stored as JSON text on both databases ('["en", "sw"]'): the quoted
        # code is matched as a whole (no "e" matching "en").
        conditions.append(
            cast(Community.languages, String).like(f'%"{escape_like(language)}"%', escape="\\")
        )
    if filters.local is True:
        conditions.append(Account.domain.is_(None))
    elif filters.local is False:
        conditions.append(Account.domain.is_not(None))
    rows = await session.execute(
        select(Account, Community)
        .join(Community, Community.account_id == Account.id)
        .where(*conditions)
        .order_by(
            case((Account.domain.is_(None), 0), else_=1),
            Account.followers_count.desc(),
            Account.username_lower,
            Account.id,
        )
        .limit(min(max(filters.limit, 1), MAX_LIMIT))
        .offset(filters.offset)
    )
    return [CommunityView(account, community) for account, community in rows]


async def featured(session: AsyncSession, limit: int = 6) -> list[CommunityView]:
    """The instance's own communities with the most members, for its home page."""
    return await search(session, Filters(local=True, limit=limit))


class CommunityResolver(Protocol):
    """Federation's side: a handle or URL on another server, fetched from there.

    Implemented by ``fedi.federation.resolve.FederatedResolver``.
    """

    async def allows(self, host: str) -> bool:
        """Whether this instance talks to ``host`` at all (not a blocked domain)."""
        ...

    async def account(self, username: str, domain: str) -> Account | None: ...

    async def url(self, url: str) -> Account | Status | None: ...


@dataclass(frozen=True)
class Reference:
    """What a teacher typed to name a community: a handle, or a URL."""

    name: str | None = None
    domain: str | None = None  # None: this instance
    url: str | None = None


def parse_reference(site: Site, typed: str) -> Reference:
    """``maths``, ``@maths``, ``maths@ke.example``, ``@maths@ke.example``, ``acct:…`` or an
    http(s) URL (the Group's actor id or its page); 422 for anything else."""
    text = typed.strip()
    if text[:5].lower() == "acct:":
        text = text[5:]
    if text.lower().startswith(("https://", "http://")):
        parts = urlsplit(text)
        if not parts.hostname:
            raise ValidationFailed(ENTER_HANDLE, field="handle")
        host = parts.netloc.lower()
        if host == site.domain.lower():
            local = _LOCAL_PATH.match(parts.path)
            if local is None:
                raise NotFound("Community not found", field="handle")
            return Reference(name=local.group(1))
        return Reference(url=text)
    found = _HANDLE.match(text)
    if found is None:
        raise ValidationFailed(ENTER_HANDLE, field="handle")
    name, domain = found.group(1), (found.group(2) or "").lower()
    return Reference(name=name, domain=None if domain in ("", site.domain.lower()) else domain)


async def discover(
    session: AsyncSession, site: Site, typed: str, resolver: CommunityResolver | None
) -> CommunityView:
    """The community ``typed`` names: ours, one we know, or one its own server describes.

    404 when nobody answers for it, 422 when it is an account but not a community, 403 when
    its server is one this instance does not talk to. Without a resolver (federation off)
    only communities known here are found.
    """
    reference = parse_reference(site, typed)
    if reference.url is None and reference.domain is None:
        assert reference.name is not None
        ours = await session.scalar(
            select(Account).where(
                Account.username_lower == reference.name.lower(), Account.domain.is_(None)
            )
        )
        if ours is not None and ours.actor_type != "Group":
            raise ValidationFailed("That is not a community", field="handle")
        return await communities.local(session, reference.name)
    host = reference.domain or (urlsplit(reference.url or "").netloc.lower())
    if resolver is not None and not await resolver.allows(host):
        raise Forbidden("This instance does not federate with that server", field="handle")
    found: Account | Status | None = None
    if reference.url is not None:
        found = await session.scalar(
            select(Account).where(
                or_(Account.uri == reference.url, Account.url == reference.url),
                Account.domain.is_not(None),
            )
        )
        if found is None and resolver is not None:
            found = await resolver.url(reference.url)
    else:
        assert reference.name is not None
        assert reference.domain is not None
        if resolver is not None:
            found = await resolver.account(reference.name, reference.domain)
        else:
            found = await session.scalar(
                select(Account).where(
                    Account.username_lower == reference.name.lower(),
                    Account.domain == reference.domain,
                )
            )
    if found is None or (isinstance(found, Account) and found.suspended_at is not None):
        raise NotFound("Community not found", field="handle")
    if not isinstance(found, Account) or found.actor_type != "Group":
        raise ValidationFailed("That is not a community", field="handle")
    view = await communities.find(session, found)
    if view is None:
        raise NotFound("Community not found", field="handle")
    return view
