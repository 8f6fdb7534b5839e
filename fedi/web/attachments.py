"""A post's attachments on the pages: our own images as their small rendition, lazy, with
their size given (the page does not jump as they load); documents and other servers' files
as plain links, so a page never pulls a third party's asset and a PDF is fetched only when
a teacher asks for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fedi.db.repositories.views import MediaView
from fedi.domain.media import preview_name


@dataclass(frozen=True)
class Attachment:
    href: str
    description: str
    kind: str  # "image" (ours, shown), "document", "remote"
    preview: str | None = None
    width: int | None = None
    height: int | None = None


def _size(meta: dict[str, Any], key: str) -> tuple[int | None, int | None]:
    found = meta.get(key) if isinstance(meta, dict) else None
    if not isinstance(found, dict):
        return None, None
    width, height = found.get("width"), found.get("height")
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return None, None


def attachment(view: MediaView, description: str | None = None) -> Attachment:
    """``description``: the alt text in the reader's language, when a rendition has it."""
    text = description if description is not None else view.description
    if not view.file_name:
        return Attachment(view.remote_url or "", text, "remote")
    href = f"/media/{view.file_name}"
    if view.type != "image":
        return Attachment(href, text, "document")
    width, height = _size(view.meta, "small")
    return Attachment(href, text, "image", f"/media/{preview_name(view.file_name)}", width, height)
