"""The Community entity of Jamii's own JSON API (``/api/jamii/v1/communities``)."""

from __future__ import annotations

from pydantic import BaseModel

from fedi.api import entities
from fedi.api.presenters import iso
from fedi.db.models import CommunityPost
from fedi.domain.communities import CommunityView
from fedi.domain.html import html_to_text
from fedi.domain.site import Site


class Membership(BaseModel):
    """The caller's standing in the community."""

    member: bool
    requested: bool
    moderator: bool
    banned: bool


class Community(BaseModel):
    id: str  # the Group account's id: the same id the Mastodon API uses for it
    name: str
    acct: str
    display_name: str
    description: str
    url: str
    uri: str
    avatar: str | None
    subject: str
    grade_levels: list[str]
    languages: list[str]
    rules: list[str]
    visibility: str
    posting_policy: str
    members_count: int
    local: bool
    created_at: str
    membership: Membership | None = None


def present_community(
    view: CommunityView, site: Site, membership: Membership | None = None
) -> Community:
    account, community = view.account, view.community
    return Community(
        id=str(account.id),
        name=account.username,
        acct=account.acct() if account.domain else f"{account.username}@{site.domain}",
        display_name=account.display_name or account.username,
        description=html_to_text(account.note),
        url=account.url or account.uri,
        uri=account.uri,
        avatar=account.avatar_url,
        subject=community.subject,
        grade_levels=list(community.grade_levels),
        languages=list(community.languages),
        rules=list(community.rules),
        visibility=community.visibility,
        posting_policy=community.posting_policy,
        members_count=account.followers_count,
        local=account.is_local,
        created_at=iso(community.created_at),
        membership=membership,
    )


class Thread(BaseModel):
    """A post in a community, with the community's marks on it."""

    id: str  # the status id
    title: str
    pinned: bool
    locked: bool
    removed: bool
    status: entities.Status | None = None


class ModlogEntry(BaseModel):
    id: str
    action: str
    created_at: str
    moderator: entities.Account | None  # a Mastodon Account; null for the community itself
    account: entities.Account | None  # the account banned, unbanned, (un)made moderator
    status_id: str | None  # the post removed, restored, locked or pinned
    reason: str


def present_thread(post: CommunityPost, status: entities.Status | None = None) -> Thread:
    return Thread(
        id=str(post.status_id),
        title=post.title,
        pinned=post.pinned_at is not None,
        locked=post.locked_at is not None,
        removed=post.removed_at is not None,
        status=status,
    )
