"""Link headers for paginated lists, exactly as Mastodon writes them.

Clients page with the Link header only (never by guessing from the items: a page of
followers is ordered by follow, not by account id). Mastodon's rules, per kind of list:

- statuses and notifications: no header for an empty page; otherwise ``next`` with
  ``max_id`` = the last item's cursor and ``prev`` with ``min_id`` = the first one's;
- accounts (followers, following, favourited_by, …): ``next`` only when the page is full,
  ``prev`` with ``since_id`` unless the page is empty.

Each link repeats the request's own filters (``limit``, ``local``, ``types[]``…), so the
next page answers the same question.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from fedi.api.params import Params


def _url(
    base_url: str, path: str, params: Params, kept: Sequence[str], cursor: dict[str, int]
) -> str:
    pairs: list[tuple[str, str]] = []
    for name in kept:
        value = params.raw(name)
        if value is None or isinstance(value, dict):
            continue
        if isinstance(value, list):
            pairs.extend((f"{name}[]", str(item)) for item in value)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        else:
            pairs.append((name, str(value)))
    pairs.extend((name, str(value)) for name, value in cursor.items())
    return f"{base_url}{path}?{urlencode(pairs)}"


def _header(links: list[tuple[str, str]]) -> dict[str, str]:
    if not links:
        return {}
    return {"Link": ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links)}


def status_links(
    base_url: str,
    path: str,
    params: Params,
    cursors: Sequence[int],
    kept: Sequence[str] = ("limit",),
) -> dict[str, str]:
    """Headers for a page of statuses or notifications whose cursors are ``cursors``."""
    if not cursors:
        return {}
    return _header(
        [
            (_url(base_url, path, params, kept, {"max_id": cursors[-1]}), "next"),
            (_url(base_url, path, params, kept, {"min_id": cursors[0]}), "prev"),
        ]
    )


def account_links(
    base_url: str,
    path: str,
    params: Params,
    cursors: Sequence[int],
    limit: int,
    kept: Sequence[str] = ("limit",),
) -> dict[str, str]:
    """Headers for a page of accounts (``cursors`` are the follow, favourite… row ids)."""
    links: list[tuple[str, str]] = []
    if cursors and len(cursors) >= limit:
        links.append((_url(base_url, path, params, kept, {"max_id": cursors[-1]}), "next"))
    if cursors:
        links.append((_url(base_url, path, params, kept, {"since_id": cursors[0]}), "prev"))
    return _header(links)
