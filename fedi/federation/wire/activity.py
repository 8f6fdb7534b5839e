"""Activities: Create, Update, Delete, Follow, Accept, Reject, Undo, Like, Announce, …"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from fedi.federation.wire.common import Addresses, OptionalRef, Ref, WireModel


def _object(value: Any) -> Any:
    # A single-element list is how some servers wrap the object; more than one we don't take.
    if isinstance(value, list):
        return value[0] if len(value) == 1 else None
    return value


class Envelope(WireModel):
    """What the inbox reads of an activity before storing it: who sent what, under which id.

    The rest is validated where it is used, when the delivery is processed (``Activity``):
    the whole model at the door cost a twentieth of an inbox POST's CPU
    (benchmarks/inbox.py), and a delivery whose other fields do not validate is dropped
    there, never retried.
    """

    id: str
    type: str
    actor: Ref


class Activity(WireModel):
    id: str
    type: str
    actor: Ref
    object: Annotated[str | dict[str, Any] | None, BeforeValidator(_object)] = None
    target: OptionalRef = None
    to: Addresses = Field(default_factory=list)
    cc: Addresses = Field(default_factory=list)
    audience: OptionalRef = None
    published: str | None = None
    content: str | None = None

    @property
    def object_id(self) -> str | None:
        """The object's id, whether it came embedded or as a bare reference."""
        if isinstance(self.object, dict):
            value = self.object.get("id")
            return value if isinstance(value, str) else None
        return self.object

    @property
    def object_type(self) -> str | None:
        if isinstance(self.object, dict):
            value = self.object.get("type")
            return value if isinstance(value, str) else None
        return None
