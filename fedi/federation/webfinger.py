"""WebFinger (RFC 7033) as a client: a handle (``user@host``) to the actor URI it names.

The answer only points somewhere: it carries no authority. Whoever follows the link fetches
the actor from its own id (``fedi.federation.actors``), and a handle whose actor lives under
another name or host is believed only when that actor's own server confirms the handle
(``fedi.federation.resolve``), as Mastodon checks before it shows a handle.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from fedi.federation.context import Federation
from fedi.federation.fetcher import BadDocument, FetchBudget

JRD_ACCEPT = "application/jrd+json, application/json;q=0.9"
# A JRD is a few hundred bytes; a profile with many aliases a few kilobytes.
MAX_JRD_BYTES = 64 * 1024
_ACTIVITY_TYPES = ("application/activity+json", "application/ld+json")


def webfinger_url(federation: Federation, username: str, domain: str) -> str:
    """Where ``acct:username@domain`` is asked about.

    https, as every fediverse server; plain http only under JAMII_DEV_INSECURE (the loopback
    demo and tests), where peers serve http — a real server's http answer redirects to https,
    which the fetcher follows.
    """
    scheme = "http" if federation.fetcher.allow_http else "https"
    resource = quote(f"acct:{username}@{domain}", safe=":@")
    return f"{scheme}://{domain}/.well-known/webfinger?resource={resource}"


def self_link(document: Any) -> str | None:
    """The ``self`` link with an ActivityPub type: the actor's id."""
    if not isinstance(document, dict):
        return None
    links = document.get("links")
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        kind = link.get("type")
        href = link.get("href")
        if (
            isinstance(kind, str)
            and kind.split(";")[0].strip().lower() in _ACTIVITY_TYPES
            and isinstance(href, str)
            and href.startswith(("https://", "http://"))
        ):
            return href
    return None


async def finger(
    federation: Federation, username: str, domain: str, budget: FetchBudget | None = None
) -> str:
    """The actor URI for ``username@domain`` (``FetchError``/``BadDocument`` if none)."""
    response = await federation.fetcher.request(
        "GET",
        webfinger_url(federation, username, domain),
        headers={"Accept": JRD_ACCEPT},
        budget=budget,
        max_bytes=MAX_JRD_BYTES,
    )
    try:
        document = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        raise BadDocument("refused: the WebFinger answer is not JSON") from None
    href = self_link(document)
    if href is None:
        raise BadDocument("refused: the WebFinger answer names no ActivityPub actor")
    return href
