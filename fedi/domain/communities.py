"""Communities of practice: creating them, joining and leaving, moderators and bans.

A community is a local account whose ``actor_type`` is ``Group`` (FEP-1b12), plus a
``Community`` row for what only communities have. Joining is following the Group, so the
follow machinery (``fedi.domain.follows``) carries membership across instances: a public
community is an unlocked account (follows accepted at once), a private one a locked
account (a join request waits for a moderator). Both the client API, the CLI and the inbox
come through here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, AccountKey, Community, CommunityRole, Follow, FollowRequest
from fedi.db.models.communities import POSTING_POLICIES, VISIBILITIES
from fedi.db.writes import insert_ignore
from fedi.domain import follows
from fedi.domain.accounts import RESERVED_USERNAMES, USERNAME_RE
from fedi.domain.html import html_to_text
from fedi.domain.keys import new_key_pair
from fedi.domain.site import Site
from fedi.errors import Conflict, Forbidden, NotFound, ValidationFailed

# Who may create communities (``[communities] creation`` in instance.toml).
CREATION_POLICIES = ("teachers", "moderators", "admins")
STAFF_ROLES = ("moderator", "admin")
MAX_RULES = 20
MAX_LIST = 20
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Settings:
    """What a creator chooses for a new community."""

    name: str
    display_name: str = ""
    description: str = ""
    subject: str = ""
    grade_levels: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    visibility: str = "public"
    posting_policy: str = "members"
    avatar_url: str | None = None


@dataclass(frozen=True)
class CommunityView:
    """A community's Group account with its settings."""

    account: Account
    community: Community


def _short_list(values: list[str], name: str, limit: int = MAX_LIST, length: int = 100) -> None:
    if len(values) > limit:
        raise ValidationFailed(f"At most {limit} {name}", field=name)
    if any(not isinstance(v, str) or not v.strip() or len(v) > length for v in values):
        raise ValidationFailed(f"Each of {name} must be 1-{length} characters", field=name)


def _validate(settings: Settings) -> None:
    if not USERNAME_RE.match(settings.name):
        raise ValidationFailed("Name must be 1-30 letters, digits or underscores", field="name")
    if settings.name.lower() in RESERVED_USERNAMES:
        raise ValidationFailed("Name is reserved", field="name")
    if len(settings.display_name) > 100:
        raise ValidationFailed("Display name is longer than 100 characters", field="display_name")
    if len(settings.description) > 5000:
        raise ValidationFailed("Description is longer than 5000 characters", field="description")
    if len(settings.subject) > 100:
        raise ValidationFailed("Subject is longer than 100 characters", field="subject")
    if settings.visibility not in VISIBILITIES:
        raise ValidationFailed(
            f"Visibility must be one of {', '.join(VISIBILITIES)}", field="visibility"
        )
    if settings.posting_policy not in POSTING_POLICIES:
        raise ValidationFailed(
            f"Posting policy must be one of {', '.join(POSTING_POLICIES)}", field="posting_policy"
        )
    _short_list(settings.grade_levels, "grade_levels")
    _short_list(settings.languages, "languages", length=8)
    if any(not LANGUAGE_RE.match(code.strip().lower()) for code in settings.languages):
        raise ValidationFailed("Languages must be ISO 639 codes such as en", field="languages")
    _short_list(settings.rules, "rules", limit=MAX_RULES, length=500)
    if settings.avatar_url is not None and not settings.avatar_url.startswith(
        ("https://", "http://")
    ):
        raise ValidationFailed("Avatar must be an http(s) URL", field="avatar_url")


def may_create(role: str, policy: str) -> bool:
    """Whether a teacher with ``role`` may create communities under the instance's policy."""
    if policy == "teachers":
        return True
    if policy == "moderators":
        return role in STAFF_ROLES
    return role == "admin"


def _description_html(text: str) -> str:
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


async def create(
    session: AsyncSession, site: Site, settings: Settings, *, creator: Account | None
) -> CommunityView:
    """Create a community with its Group actor and key pair; the creator moderates it.

    Every rule is checked before anything is added. Who may create is the caller's check
    (``may_create``): the CLI is the operator and needs no permission.
    """
    _validate(settings)
    taken = await session.scalar(
        select(Account.id).where(
            Account.username_lower == settings.name.lower(), Account.domain.is_(None)
        )
    )
    if taken is not None:
        raise Conflict("Name is already taken", field="name")
    private_pem, public_pem = await new_key_pair()
    uri = site.actor_uri(settings.name)
    account = Account(
        username=settings.name,
        username_lower=settings.name.lower(),
        domain=None,
        actor_type="Group",
        display_name=settings.display_name or settings.name,
        note=_description_html(settings.description),
        uri=uri,
        url=site.profile_url(settings.name),
        inbox_url=site.inbox_url(settings.name),
        shared_inbox_url=site.shared_inbox_url(),
        outbox_url=f"{uri}/outbox",
        followers_url=f"{uri}/followers",
        following_url=f"{uri}/following",
        featured_url=f"{uri}/collections/featured",
        public_key_id=f"{uri}#main-key",
        public_key_pem=public_pem,
        locked=settings.visibility == "private",
        avatar_url=settings.avatar_url,
        fields=[],
        also_known_as=[],
    )
    session.add(account)
    await session.flush()
    community = Community(
        account_id=account.id,
        subject=settings.subject.strip(),
        grade_levels=[g.strip() for g in settings.grade_levels],
        languages=[code.strip().lower() for code in settings.languages],
        rules=[r.strip() for r in settings.rules],
        visibility=settings.visibility,
        posting_policy=settings.posting_policy,
        created_by_id=creator.id if creator else None,
        moderators_url=f"{uri}/moderators",
    )
    session.add_all([community, AccountKey(account_id=account.id, private_key_pem=private_pem)])
    await session.flush()
    if creator is not None:
        session.add(CommunityRole(community_id=account.id, account_id=creator.id, role="moderator"))
        await session.flush()
    return CommunityView(account, community)


async def find(session: AsyncSession, group: Account) -> CommunityView | None:
    """The community of a Group account (local or remote), if we know it as one."""
    if group.actor_type != "Group":
        return None
    community = await session.get(Community, group.id)
    if community is None:
        if group.is_local:
            return None
        # A remote Group we learnt of as an actor: its defaults until it tells us more.
        # Two deliveries from a new Group may get here at once: the database decides.
        await insert_ignore(
            session,
            Community,
            [
                {
                    "account_id": group.id,
                    "subject": "",
                    "grade_levels": [],
                    "languages": [],
                    "rules": [],
                    "visibility": "private" if group.locked else "public",
                    "posting_policy": "anyone",
                    "created_at": utcnow(),
                }
            ],
        )
        community = await session.get(Community, group.id)
        assert community is not None
    return CommunityView(group, community)


async def describe_remote(
    session: AsyncSession,
    group: Account,
    *,
    moderators_url: str | None,
    moderators_only: bool,
) -> None:
    """What a remote Group's actor document says about its community, kept up to date."""
    view = await find(session, group)
    if view is None or group.is_local:
        return
    community = view.community
    community.moderators_url = moderators_url
    profile = _profile_fields(group.fields or [])
    # Another Jamii says who posts (its "Posting" field); others only whether moderators do.
    community.posting_policy = "moderators" if moderators_only else profile.posting or "anyone"
    community.visibility = "private" if group.locked else "public"
    community.subject = profile.subject
    community.grade_levels = profile.grade_levels
    community.languages = profile.languages
    community.rules = profile.rules
    await session.flush()


@dataclass(frozen=True)
class _Profile:
    subject: str = ""
    grade_levels: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    posting: str = ""


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()][:MAX_LIST]


def _profile_fields(fields: list[dict[str, Any]]) -> _Profile:
    """What a Group's PropertyValues say about its teaching profile, as our Group actors
    publish it (Subject, Grades, Languages, Rule n): so the directory can find another
    Jamii's communities by subject and language. Other servers' Groups have none."""
    subject, posting = "", ""
    grades: list[str] = []
    languages: list[str] = []
    rules: list[str] = []
    for item in fields:
        name = str(item.get("name", "")).strip()
        value = html_to_text(str(item.get("value", ""))).strip()
        if not value:
            continue
        if name == "Subject":
            subject = value[:100]
        elif name == "Grades":
            grades = [g[:100] for g in _split(value)]
        elif name == "Languages":
            languages = [c.lower() for c in _split(value) if LANGUAGE_RE.match(c.lower())]
        elif name == "Posting" and value in POSTING_POLICIES:
            posting = value
        elif name.startswith("Rule ") and len(rules) < MAX_RULES:
            rules.append(value[:500])
    return _Profile(subject, grades, languages, rules, posting)


async def local(session: AsyncSession, name: str) -> CommunityView:
    """One of our communities by name, or NotFound."""
    account = await session.scalar(
        select(Account).where(
            Account.username_lower == name.lower(),
            Account.domain.is_(None),
            Account.actor_type == "Group",
        )
    )
    if account is None or account.suspended_at is not None:
        raise NotFound("Community not found")
    found = await find(session, account)
    if found is None:
        raise NotFound("Community not found")
    return found


async def named(session: AsyncSession, site: Site, handle: str) -> CommunityView:
    """A community by handle: ``maths`` (ours) or ``maths@lemmy.example`` (one we know of;
    nothing is fetched), or NotFound."""
    name, _, domain = handle.strip().lstrip("@").partition("@")
    domain = domain.lower()
    if domain in ("", site.domain.lower()):
        return await local(session, name)
    account = await session.scalar(
        select(Account).where(
            Account.username_lower == name.lower(),
            Account.domain == domain,
            Account.actor_type == "Group",
            Account.suspended_at.is_(None),
        )
    )
    found = await find(session, account) if account is not None else None
    if found is None:
        raise NotFound("Community not found")
    return found


async def local_list(
    session: AsyncSession, limit: int = 40, offset: int = 0
) -> list[CommunityView]:
    rows = await session.execute(
        select(Account, Community)
        .join(Community, Community.account_id == Account.id)
        .where(Account.domain.is_(None), Account.suspended_at.is_(None))
        .order_by(Account.username_lower)
        .limit(limit)
        .offset(offset)
    )
    return [CommunityView(account, community) for account, community in rows]


# Roles ---------------------------------------------------------------------------------


async def role_of(session: AsyncSession, group_id: int, account_id: int) -> str | None:
    found: str | None = await session.scalar(
        select(CommunityRole.role).where(
            CommunityRole.community_id == group_id, CommunityRole.account_id == account_id
        )
    )
    return found


async def is_moderator(
    session: AsyncSession, group: Account, account: Account, *, staff_role: str | None = None
) -> bool:
    """Moderators of the community, and the instance's admins for its own communities."""
    if group.is_local and staff_role == "admin":
        return True
    return await role_of(session, group.id, account.id) == "moderator"


async def require_moderator(
    session: AsyncSession, group: Account, account: Account, *, staff_role: str | None = None
) -> None:
    if not await is_moderator(session, group, account, staff_role=staff_role):
        raise Forbidden("Only the community's moderators may do this")


async def moderators(session: AsyncSession, group_id: int) -> list[Account]:
    rows = await session.scalars(
        select(Account)
        .join(CommunityRole, CommunityRole.account_id == Account.id)
        .where(CommunityRole.community_id == group_id, CommunityRole.role == "moderator")
        .order_by(CommunityRole.id)
    )
    return list(rows)


async def banned(session: AsyncSession, group_id: int, *, limit: int = 80) -> list[CommunityRole]:
    """The community's bans (each with its reason), latest first; ``role.account_id`` is
    the banned account."""
    rows = await session.scalars(
        select(CommunityRole)
        .where(CommunityRole.community_id == group_id, CommunityRole.role == "banned")
        .order_by(CommunityRole.id.desc())
        .limit(limit)
    )
    return list(rows)


# Membership ----------------------------------------------------------------------------


async def join(session: AsyncSession, member: Account, group: Account) -> Follow | FollowRequest:
    """Join (follow) a community; a private one answers with a pending request."""
    if group.actor_type != "Group":
        raise NotFound("Community not found")
    return await follows.follow(session, member, group)


async def leave(session: AsyncSession, member: Account, group: Account) -> bool:
    return await follows.unfollow(session, member, group)


async def is_member(session: AsyncSession, group_id: int, account_id: int) -> bool:
    found = await session.scalar(
        select(Follow.id).where(
            Follow.account_id == account_id, Follow.target_account_id == group_id
        )
    )
    return found is not None


async def members(
    session: AsyncSession, group_id: int, *, pending: bool = False, limit: int = 80
) -> list[Account]:
    """Members (followers) of a community, or those waiting to join, newest first."""
    model: type[Follow] | type[FollowRequest] = FollowRequest if pending else Follow
    rows = await session.scalars(
        select(Account)
        .join(model, model.account_id == Account.id)
        .where(model.target_account_id == group_id)
        .order_by(model.id.desc())
        .limit(limit)
    )
    return list(rows)


async def approve(session: AsyncSession, group: Account, applicant: Account) -> Follow:
    """A moderator accepts a join request (the Accept goes to the applicant's server)."""
    return await follows.authorize(session, group, applicant)


async def refuse(session: AsyncSession, group: Account, applicant: Account) -> None:
    """A moderator rejects a join request (the Reject goes to the applicant's server)."""
    await follows.reject(session, group, applicant)


@dataclass(frozen=True)
class Standing:
    """A teacher's place in a community: what the join button and the API's membership say."""

    member: bool
    requested: bool
    moderator: bool
    banned: bool


async def standing(session: AsyncSession, group: Account, account: Account) -> Standing:
    relation = await follows.relationship(session, account, group)
    role = await role_of(session, group.id, account.id)
    return Standing(
        member=relation.following,
        requested=relation.requested,
        moderator=role == "moderator",
        banned=role == "banned",
    )
