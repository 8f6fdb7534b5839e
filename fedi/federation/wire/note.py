"""Notes (posts and replies), their tags (mentions, hashtags) and attachments."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from fedi.federation.wire.common import Addresses, OptionalRef, Ref, WireModel, as_list


class TagRef(WireModel):
    type: str
    href: str | None = None
    name: str | None = None


class Attachment(WireModel):
    type: str = "Document"
    media_type: str | None = None
    url: OptionalRef = None
    name: str | None = None
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None


def _tags(value: Any) -> list[Any]:
    return [v for v in as_list(value) if isinstance(v, dict) and isinstance(v.get("type"), str)]


def _attachments(value: Any) -> list[Any]:
    return [v for v in as_list(value) if isinstance(v, dict)]


def _content_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


class PollOption(WireModel):
    """One answer of a Question: its title in ``name``, its votes in ``replies.totalItems``."""

    name: str
    votes: int = 0
    # The answer in other languages (ActivityStreams' nameMap), as a Note's contentMap.
    name_map: dict[str, str] = Field(default_factory=dict)


def _options(value: Any) -> list[Any]:
    found = []
    for item in as_list(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        replies = item.get("replies")
        total = replies.get("totalItems") if isinstance(replies, dict) else 0
        votes = total if isinstance(total, int) and not isinstance(total, bool) else 0
        found.append(
            {
                "name": item["name"],
                "votes": max(0, votes),
                "name_map": _content_map(item.get("nameMap")),
            }
        )
    return found


def _closed(value: Any) -> Any:
    # Mastodon sends the moment it closed; others send true.
    if isinstance(value, bool):
        return "" if value else None
    return value if isinstance(value, str) else None


class Note(WireModel):
    id: str
    type: str = "Note"
    attributed_to: Ref
    content: str | None = None
    content_map: Annotated[dict[str, str], BeforeValidator(_content_map)] = Field(
        default_factory=dict
    )
    summary: str | None = None
    summary_map: Annotated[dict[str, str], BeforeValidator(_content_map)] = Field(
        default_factory=dict
    )
    sensitive: bool | None = None
    in_reply_to: OptionalRef = None
    published: str | None = None
    updated: str | None = None
    url: OptionalRef = None
    to: Addresses = Field(default_factory=list)
    cc: Addresses = Field(default_factory=list)
    audience: OptionalRef = None
    tag: Annotated[list[TagRef], BeforeValidator(_tags)] = Field(default_factory=list)
    attachment: Annotated[list[Attachment], BeforeValidator(_attachments)] = Field(
        default_factory=list
    )
    name: str | None = None
    # A Question (poll): single-choice answers in oneOf, multiple-choice ones in anyOf.
    one_of: Annotated[list[PollOption], BeforeValidator(_options)] = Field(default_factory=list)
    any_of: Annotated[list[PollOption], BeforeValidator(_options)] = Field(default_factory=list)
    end_time: str | None = None
    closed: Annotated[str | None, BeforeValidator(_closed)] = None
    voters_count: int | None = None
