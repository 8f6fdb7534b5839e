"""What an ActivityPub document must look like before anyone reads it.

An ActivityPub content type (``application/json`` is refused: it is what a file upload or an
API answer on the same host looks like), JSON that is an object with a string ``id``, and a
bounded nesting depth (orjson itself stops at 1024 levels; we stop far earlier). Then the
origin rule: the ``id`` must name the URL the document was fetched from.
"""

from __future__ import annotations

from typing import Any

import orjson
from yarl import URL

from fedi.federation.fetcher.addresses import authority, check_url
from fedi.federation.fetcher.errors import BadContentType, BadDocument, FetchError

AS_PROFILE = "https://www.w3.org/ns/activitystreams"
ACTIVITY_ACCEPT = f'application/activity+json, application/ld+json; profile="{AS_PROFILE}"'
MAX_JSON_DEPTH = 32


def require_activity_type(content_type: str) -> None:
    """application/activity+json, or application/ld+json with no profile or the AS one."""
    media, *params = (part.strip() for part in content_type.split(";"))
    media = media.lower()
    if media == "application/activity+json":
        return
    if media == "application/ld+json":
        profiles = [
            value.strip().strip('"').split()
            for name, _, value in (param.partition("=") for param in params)
            if name.strip().lower() == "profile"
        ]
        if not profiles or any(AS_PROFILE in profile for profile in profiles):
            return
    raise BadContentType("refused: not an ActivityPub document")


def parse_document(body: bytes) -> dict[str, Any]:
    """The JSON object in ``body``; ``BadDocument`` unless it has a string ``id``."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadDocument("refused: the document is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        raise BadDocument("refused: the document is not an object with an id")
    if depth(document) > MAX_JSON_DEPTH:
        raise BadDocument("refused: the document is nested too deeply")
    return document


def depth(value: Any) -> int:
    """Nesting depth of objects and arrays (a scalar is 0), without recursion.

    Stops descending just past ``MAX_JSON_DEPTH``: deeper than that is all we need to know.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                children = node.values() if isinstance(node, dict) else node
                stack.extend((child, level + 1) for child in children)
    return deepest


def names(ident: str, final: str) -> bool:
    """Whether ``ident`` names the resource fetched at ``final`` (a normalised URL).

    Both are compared after the same normalisation, as exact strings. An id with a fragment
    names a part of a document, never the document itself.
    """
    canonical = None if "#" in ident else _normalised(ident)
    return canonical is not None and str(canonical) == final


def same_server(ident: str, asked: URL) -> bool:
    """Whether ``ident`` is on the server (scheme, host and port) we asked."""
    claimed = _normalised(ident)
    return claimed is not None and (claimed.scheme, authority(claimed)) == (
        asked.scheme,
        authority(asked),
    )


def _normalised(url: str) -> URL | None:
    # Normalising only: whoever fetches the id next vets it with the real settings.
    try:
        return check_url(url, allow_http=True, allow_private=True)
    except FetchError:
        return None
