"""Typed, read-only views of accounts and statuses, as the API and pages present them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def _view(cls: type[T]) -> type[T]:
    """A read-only view: frozen for the type checker (assigning a field fails mypy), a
    slotted dataclass hashed and compared by value as a frozen one at run time. A frozen
    dataclass's ``__init__`` sets each field through ``object.__setattr__``, ten times
    slower, and a timeline page builds two views per status (benchmarks/home_http.py)."""
    return dataclass(slots=True, unsafe_hash=True)(cls)


@_view
class AccountView:
    id: int
    username: str
    domain: str | None
    display_name: str
    note: str
    uri: str
    url: str | None
    actor_type: str
    locked: bool
    bot: bool
    avatar_url: str | None
    header_url: str | None
    fields: list[dict[str, Any]]
    created_at: datetime
    last_status_at: datetime | None
    statuses_count: int
    followers_count: int
    following_count: int

    @property
    def acct(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


@_view
class MediaView:
    id: int
    type: str
    mime_type: str
    file_name: str | None
    remote_url: str | None
    description: str
    blurhash: str | None
    meta: dict[str, Any]


@_view
class MentionView:
    account_id: int
    username: str
    domain: str | None
    url: str | None
    uri: str

    @property
    def acct(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


@_view
class PollView:
    """A poll as one viewer sees it: ``own_votes`` are the viewer's choices."""

    id: int
    account_id: int
    options: list[str]
    tallies: list[int]
    multiple: bool
    hide_totals: bool
    expires_at: datetime | None
    votes_count: int
    voters_count: int | None
    viewer_is_author: bool = False
    own_votes: list[int] = field(default_factory=list)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@_view
class StatusView:
    id: int
    uri: str
    url: str | None
    account: AccountView
    in_reply_to_id: int | None
    in_reply_to_account_id: int | None
    reblog: StatusView | None
    content: str
    text: str
    spoiler_text: str
    sensitive: bool
    language: str | None
    visibility: str
    local: bool
    created_at: datetime
    edited_at: datetime | None
    replies_count: int
    reblogs_count: int
    favourites_count: int
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    pinned: bool = False
    media: list[MediaView] = field(default_factory=list)
    mentions: list[MentionView] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    poll: PollView | None = None
