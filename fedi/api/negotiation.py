"""Content negotiation: does a request's Accept header ask for ActivityPub JSON?

One URL serves two readers: a browser following ``https://domain/users/amina`` wants the
profile page, a server fetching it wants the actor document. Peers ask with
``application/activity+json`` or ``application/ld+json; profile="…activitystreams"``; some
older software sends plain ``application/json``. Browsers send ``text/html`` and ``*/*``,
which never counts as a request for ActivityPub.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Match, Route
from starlette.types import Scope

ACTIVITY_JSON = "application/activity+json"
ACTIVITY_JSON_UTF8 = f"{ACTIVITY_JSON}; charset=utf-8"
AP_TYPES = frozenset({ACTIVITY_JSON, "application/ld+json", "application/json"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return min(max(q, 0.0), 1.0)
    return 1.0


def accepted(header: str) -> dict[str, float]:
    """The media types of an Accept header with their quality (the highest when repeated)."""
    found: dict[str, float] = {}
    for item in header.split(","):
        media_type, *params = item.split(";")
        media_type = media_type.strip().lower()
        if media_type:
            found[media_type] = max(found.get(media_type, 0.0), _quality(params))
    return found


def prefers_activity_json(accept: str) -> bool:
    """True when an Accept header prefers an ActivityPub document to an HTML page.

    An explicit ActivityPub type wins a tie with HTML: a client that names one at all is a
    federating server or a tool, not a browser (browsers send ``text/html`` and ``*/*``).
    """
    types = accepted(accept)
    ap = max((q for t, q in types.items() if t in AP_TYPES), default=0.0)
    html = max((q for t, q in types.items() if t in HTML_TYPES), default=0.0)
    return ap > 0.0 and ap >= html


def wants_activity_json(request: Request) -> bool:
    return prefers_activity_json(request.headers.get("accept", ""))


class ActivityPubRoute(Route):
    """A route that matches only requests preferring ActivityPub JSON.

    Registered before the HTML page at the same path (``/@amina``), it answers peers and
    lets every other request fall through to the page, so neither module knows the other.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is Match.NONE or not prefers_activity_json(Headers(scope=scope).get("accept", "")):
            return Match.NONE, {}
        return match, child_scope
