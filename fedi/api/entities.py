"""Mastodon client API entities (https://docs.joinmastodon.org/entities/), as typed models.

Ids are numeric strings and times ISO 8601 with milliseconds and a Z, because clients
(Tusky, Ivory, Mastodon.py) parse exactly that.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as Attribute


class Field(BaseModel):
    name: str
    value: str
    verified_at: str | None = None


class Account(BaseModel):
    id: str
    username: str
    acct: str
    display_name: str
    locked: bool
    bot: bool
    discoverable: bool | None = True
    group: bool
    created_at: str
    note: str
    url: str
    uri: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    followers_count: int
    following_count: int
    statuses_count: int
    last_status_at: str | None
    emojis: list[Any] = []
    fields: list[Field] = []


class MediaAttachment(BaseModel):
    id: str
    type: Literal["image", "gifv", "video", "audio", "unknown"]
    url: str
    preview_url: str | None
    remote_url: str | None
    meta: dict[str, Any]
    description: str | None
    blurhash: str | None


class Mention(BaseModel):
    id: str
    username: str
    url: str
    acct: str


class Tag(BaseModel):
    name: str
    url: str


class PollOption(BaseModel):
    title: str
    votes_count: int | None  # None while a hide_totals poll runs


class Poll(BaseModel):
    id: str
    expires_at: str | None
    expired: bool
    multiple: bool
    votes_count: int
    voters_count: int | None
    options: list[PollOption]
    emojis: list[Any] = []
    voted: bool = False
    own_votes: list[int] = []


class Status(BaseModel):
    id: str
    uri: str
    url: str | None
    created_at: str
    edited_at: str | None
    account: Account
    content: str
    visibility: str
    sensitive: bool
    spoiler_text: str
    media_attachments: list[MediaAttachment]
    application: dict[str, Any] | None = None
    mentions: list[Mention]
    tags: list[Tag]
    emojis: list[Any] = []
    reblogs_count: int
    favourites_count: int
    replies_count: int
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    reblog: Status | None
    poll: Poll | None = None
    card: dict[str, Any] | None = None
    language: str | None
    text: str | None = None
    favourited: bool = False
    reblogged: bool = False
    muted: bool = False
    bookmarked: bool = False
    pinned: bool = False
    filtered: list[Any] = []


class OriginalText(BaseModel):
    """Jamii: what the author wrote, kept beside a status shown translated."""

    content: str
    spoiler_text: str
    language: str | None
    provider: str


class TranslatedStatus(Status):
    """Jamii: a status presented in the reader's language (timelines with translate=true);
    ``content``, ``spoiler_text`` and ``language`` are the rendition's."""

    jamii_original: OriginalText


class Context(BaseModel):
    ancestors: list[Status]
    descendants: list[Status]


class Error(BaseModel):
    error: str
    error_description: str | None = None


class Source(BaseModel):
    """What the teacher wrote, for a client's edit form (CredentialAccount.source)."""

    privacy: str
    sensitive: bool
    language: str | None
    note: str
    fields: list[Field]
    follow_requests_count: int
    # Jamii: the languages the teacher reads (timelines with translate=true use them).
    reading_languages: list[str] = []


class CredentialAccount(Account):
    source: Source


class Relationship(BaseModel):
    id: str
    following: bool
    showing_reblogs: bool
    notifying: bool
    languages: list[str] | None = None
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool = False
    muting_notifications: bool = False
    requested: bool
    requested_by: bool
    domain_blocking: bool = False
    endorsed: bool = False
    note: str = ""


class StatusEdit(BaseModel):
    content: str
    spoiler_text: str
    sensitive: bool
    created_at: str
    account: Account
    poll: dict[str, Any] | None = None
    media_attachments: list[MediaAttachment]
    emojis: list[Any] = []


class StatusSource(BaseModel):
    id: str
    text: str
    spoiler_text: str


class Notification(BaseModel):
    id: str
    type: str
    group_key: str
    created_at: str
    account: Account
    status: Status | None = None


class Preferences(BaseModel):
    """Mastodon names these with colons, which Python names cannot hold."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    posting_default_visibility: str = Attribute(alias="posting:default:visibility")
    posting_default_sensitive: bool = Attribute(alias="posting:default:sensitive")
    posting_default_language: str | None = Attribute(alias="posting:default:language")
    reading_expand_media: str = Attribute(default="default", alias="reading:expand:media")
    reading_expand_spoilers: bool = Attribute(default=False, alias="reading:expand:spoilers")
    # Jamii's own preference (docs/client-api.md), set with source[reading_languages].
    reading_translate_languages: list[str] = Attribute(
        default_factory=list, alias="jamii:reading:languages"
    )


class MutedAccount(Account):
    """An account in GET /api/v1/mutes, with when its mute ends (Mastodon 4.3)."""

    mute_expires_at: str | None = None


class List(BaseModel):
    id: str
    title: str
    replies_policy: Literal["followed", "list", "none"]
    exclusive: bool = False


class Marker(BaseModel):
    last_read_id: str
    version: int
    updated_at: str


class Hashtag(BaseModel):
    """Mastodon's full Tag entity (a status's ``tags`` carry only name and url)."""

    id: str
    name: str
    url: str
    history: list[dict[str, str]] = []
    following: bool = False  # Jamii has no followed hashtags yet


class Search(BaseModel):
    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[Hashtag]
