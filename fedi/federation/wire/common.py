"""Shapes shared by every wire model: references, address lists, the public collection."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Older and compacted spellings of the public collection seen in the wild.
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})


def is_public(address: str) -> bool:
    return address in PUBLIC_ALIASES


def reference(value: Any) -> Any:
    """A reference given as a string, an object with an id, or a list of either → its id."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    return value


def addresses(value: Any) -> list[str]:
    """``to``/``cc`` as one string, a list, or objects → a list of ids (public normalised)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        ref = reference(item)
        if isinstance(ref, str):
            out.append(PUBLIC if is_public(ref) else ref)
    return out


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


Ref = Annotated[str, BeforeValidator(reference)]
OptionalRef = Annotated[str | None, BeforeValidator(reference)]
Addresses = Annotated[list[str], BeforeValidator(addresses)]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown properties ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")
