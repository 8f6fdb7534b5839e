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
