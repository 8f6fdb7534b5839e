"""Actors: Person (teachers), Group (communities), Application/Service (instance actors)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from fedi.federation.wire.common import OptionalRef, Ref, WireModel, as_list


class PublicKey(WireModel):
    id: str
    owner: Ref
    public_key_pem: str


class Endpoints(WireModel):
    shared_inbox: str | None = None


class PropertyValue(WireModel):
    type: str = "PropertyValue"
    name: str = ""
    value: str = ""


def _first_key(value: Any) -> Any:
    # Some servers publish several keys as a list; the first is the one they sign with.
    return value[0] if isinstance(value, list) and value else value


def _icon_url(value: Any) -> Any:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        url = value.get("url")
        return url.get("href") if isinstance(url, dict) else url
    return value


def _property_values(value: Any) -> list[Any]:
    return [v for v in as_list(value) if isinstance(v, dict) and v.get("type") == "PropertyValue"]


class Actor(WireModel):
    id: str
    type: str
    preferred_username: str | None = None
    name: str | None = None
    summary: str | None = None
    url: OptionalRef = None
    inbox: str
    outbox: str | None = None
    followers: str | None = None
    following: str | None = None
    featured: str | None = None
    endpoints: Endpoints | None = None
    public_key: Annotated[PublicKey | None, BeforeValidator(_first_key)] = None
    manually_approves_followers: bool | None = None
    discoverable: bool | None = None
    icon: Annotated[str | None, BeforeValidator(_icon_url)] = None
    image: Annotated[str | None, BeforeValidator(_icon_url)] = None
    also_known_as: Annotated[list[str], BeforeValidator(as_list)] = Field(default_factory=list)
    moved_to: OptionalRef = None
    attachment: Annotated[list[PropertyValue], BeforeValidator(_property_values)] = Field(
        default_factory=list
    )
    webfinger: str | None = None
    published: str | None = None
    # FEP-1b12 Groups (Lemmy, Mbin, PieFed, Jamii): the moderators collection and whether
    # only moderators may post.
    attributed_to: OptionalRef = None
    posting_restricted_to_mods: bool | None = None
